package staff

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
)

// TOTP parameters: RFC 6238's defaults, as for citizens.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// TOTPIssuer names the gateway's staff console in authenticator apps.
	TOTPIssuer = "Định danh điện tử (cán bộ)"
)

// totpCipher seals TOTP secrets with AES-256-GCM, the member id as
// additional data (as accounts seals citizens' secrets): a sealed secret
// moved to another row fails to open.
type totpCipher struct{ aead cipher.AEAD }

func newTOTPCipher(key []byte) (*totpCipher, error) {
	if len(key) != 32 {
		return nil, errors.New("staff: TOTP key must be 32 bytes (AES-256)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("staff: TOTP key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("staff: TOTP key: %w", err)
	}
	return &totpCipher{aead: aead}, nil
}

func (c *totpCipher) seal(memberID, secret string) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(secret)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("staff: TOTP nonce: %w", err)
	}
	return c.aead.Seal(nonce, nonce, []byte(secret), []byte(memberID)), nil
}

func (c *totpCipher) open(memberID string, sealed []byte) (string, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n+c.aead.Overhead() {
		return "", errors.New("staff: sealed TOTP secret too short")
	}
	plain, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(memberID))
	if err != nil {
		return "", fmt.Errorf("staff: open TOTP secret: %w", err)
	}
	return string(plain), nil
}

// newTOTP makes a 160-bit secret and its otpauth URI; fixed (base32), when
// set, is used instead (demo data with documented secrets).
func (s *Service) newTOTP(username, fixed string) (secret, uri string, err error) {
	opts := totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: username, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	if fixed != "" {
		sec, err := accounts.NormalizeTOTPSecret(fixed)
		if err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if opts.Secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sec); err != nil {
			return "", "", fmt.Errorf("%w: TOTP secret: %w", ErrInvalid, err)
		}
	}
	key, err := totp.Generate(opts)
	if err != nil {
		return "", "", fmt.Errorf("staff: generate TOTP secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// matchTOTP returns the time step whose code equals code: the current step
// or one either side (RFC 6238 §5.2).
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for _, st := range []int64{cur, cur - 1, cur + 1} {
		ok, err := hotp.ValidateCustom(code, uint64(st), secret, hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return st, true
		}
	}
	return 0, false
}

// LockoutPolicy throttles sign-in failures per (member, client address)
// and per client address across members, never per member as a whole
// (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2, as accounts.LockoutPolicy
// does for citizens): a stranger guessing from elsewhere slows down only
// their own address and can never lock a staff member out of their own
// counter. Wrong second-factor codes count per (member, address) on a key
// of their own. Guessing from many addresses is bounded by AddressFailures
// per address and defeated by the second factor; every failure is audited.
type LockoutPolicy struct {
	// PairFailures wrong passwords (or, separately, codes) from one
	// (member, address) within Window make that pair wait LockFor,
	// doubling with each lockout up to MaxLock.
	PairFailures int
	// AddressFailures failures of any kind from one address within Window
	// block the address the same way.
	AddressFailures int
	Window          time.Duration
	LockFor         time.Duration
	MaxLock         time.Duration
	// StrikeMemory: a key quiet this long after its last lockout starts
	// again from LockFor.
	StrikeMemory time.Duration
}

// DefaultLockoutPolicy: 5 failures per (member, address) or 20 per address
// in 15 minutes lock that pair or address for 15 minutes, then 30, 60, …
// up to 24 hours.
var DefaultLockoutPolicy = LockoutPolicy{PairFailures: 5, AddressFailures: 20, Window: 15 * time.Minute,
	LockFor: 15 * time.Minute, MaxLock: 24 * time.Hour, StrikeMemory: 24 * time.Hour}

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	d := DefaultLockoutPolicy
	if p.PairFailures > 0 {
		d.PairFailures = p.PairFailures
	}
	if p.AddressFailures > 0 {
		d.AddressFailures = p.AddressFailures
	}
	if p.Window > 0 {
		d.Window = p.Window
	}
	if p.LockFor > 0 {
		d.LockFor = p.LockFor
	}
	if p.MaxLock > 0 {
		d.MaxLock = p.MaxLock
	}
	if p.StrikeMemory > 0 {
		d.StrikeMemory = p.StrikeMemory
	}
	return d
}

// Throttle counts failures on one key.
type Throttle struct {
	Key         string
	Failures    int
	WindowStart time.Time
	LockedUntil time.Time
	Strikes     int
	UpdatedAt   time.Time
}

// fail counts one failure at now with limit and reports the lock it
// causes, if any.
func (p LockoutPolicy) fail(t *Throttle, limit int, now time.Time) (time.Time, bool) {
	if now.Before(t.LockedUntil) {
		return t.LockedUntil, true
	}
	if !t.LockedUntil.IsZero() && now.Sub(t.LockedUntil) > p.StrikeMemory {
		t.Strikes = 0
	}
	if t.WindowStart.IsZero() || now.Sub(t.WindowStart) >= p.Window {
		t.Failures, t.WindowStart = 0, now
	}
	t.Failures++
	if t.Failures < limit {
		return time.Time{}, false
	}
	d := p.LockFor
	for i := 0; i < t.Strikes && d < p.MaxLock; i++ {
		d *= 2
	}
	d = min(d, p.MaxLock)
	t.Strikes++
	t.Failures, t.WindowStart = 0, time.Time{}
	t.LockedUntil = now.Add(d)
	return t.LockedUntil, true
}

// LockoutError refuses a sign-in for a while.
type LockoutError struct{ RetryAfter time.Duration }

func (e *LockoutError) Error() string {
	return fmt.Sprintf("staff: too many attempts, retry after %s", e.RetryAfter.Round(time.Second))
}

// RetryMinutes is RetryAfter in whole minutes, at least 1.
func (e *LockoutError) RetryMinutes() int {
	return max(int((e.RetryAfter+time.Minute-1)/time.Minute), 1)
}

// addressKey is an IPv4 address or an IPv6 /64.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

type limitedKey struct {
	key   string
	limit int
}

func (s *Service) lockedOut(ctx context.Context, st MemberStore, now time.Time, keys ...limitedKey) (*LockoutError, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	ts, err := st.Throttles(ctx, names...)
	if err != nil {
		return nil, err
	}
	var worst *LockoutError
	for _, t := range ts {
		if now.Before(t.LockedUntil) {
			if d := t.LockedUntil.Sub(now); worst == nil || d > worst.RetryAfter {
				worst = &LockoutError{RetryAfter: d}
			}
		}
	}
	return worst, nil
}

func (s *Service) countFailure(ctx context.Context, st MemberStore, now time.Time, keys ...limitedKey) (*LockoutError, error) {
	var worst *LockoutError
	for _, k := range keys {
		var until time.Time
		var locked bool
		if err := st.UpdateThrottle(ctx, k.key, func(t *Throttle) error {
			until, locked = s.lockout.fail(t, k.limit, now)
			t.UpdatedAt = now
			return nil
		}); err != nil {
			return nil, err
		}
		if d := until.Sub(now); locked && (worst == nil || d > worst.RetryAfter) {
			worst = &LockoutError{RetryAfter: d}
		}
	}
	return worst, nil
}

func (s *Service) clearFailures(ctx context.Context, st MemberStore, now time.Time, key string) error {
	return st.UpdateThrottle(ctx, key, func(t *Throttle) error {
		t.Failures, t.WindowStart, t.UpdatedAt = 0, time.Time{}, now
		return nil
	})
}

// SignInRequest is the password step of a staff sign-in.
type SignInRequest struct {
	Username, Password       string
	IP, UserAgent, RequestID string
}

func signInEvent(t audit.EventType, memberID string, o audit.Outcome, reason, ip, ua, rid string) audit.Event {
	return audit.Event{Type: t, ActorKind: ActorKind, ActorID: memberID, Outcome: o, Reason: reason,
		IP: ip, UserAgent: ua, RequestID: rid, Detail: map[string]string{"console": "staff"}}
}

// SignIn checks a username and password and returns the member id that
// the second factor (VerifyTOTP) must follow. A wrong password and an
// unknown username get the same ErrBadCredentials in about the same time.
// Refusals by a throttle are *LockoutError; ErrDisabled only once the
// password is right. Audited: SignInFailed, SignInLockedOut,
// SignInSucceeded (reason password_ok), all with ActorKind "staff".
func (s *Service) SignIn(ctx context.Context, req SignInRequest) (string, error) {
	st, err := s.members()
	if err != nil {
		return "", err
	}
	if s.hashing != nil {
		release, err := s.hashing.Acquire(ctx)
		if err != nil {
			return "", err
		}
		defer release()
	}
	now := s.now().UTC()
	username := strings.ToLower(strings.TrimSpace(req.Username))
	ip := addressKey(req.IP)
	pair := limitedKey{"pwd " + username + " " + ip, s.lockout.PairFailures}
	addr := limitedKey{"ip " + ip, s.lockout.AddressFailures}
	ev := func(t audit.EventType, id string, o audit.Outcome, reason string) audit.Event {
		return signInEvent(t, id, o, reason, req.IP, req.UserAgent, req.RequestID)
	}
	if lock, err := s.lockedOut(ctx, st, now, pair, addr); err != nil {
		return "", fmt.Errorf("staff: sign in: %w", err)
	} else if lock != nil {
		if err := s.audit.Record(ctx, ev(audit.SignInLockedOut, "", audit.Denied, "locked_out")); err != nil {
			return "", err
		}
		return "", lock
	}
	var rec Record
	found := false
	if ValidUsername(username) {
		rec, err = st.MemberByUsername(ctx, username)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, ErrNotFound):
			return "", fmt.Errorf("staff: sign in: %w", err)
		}
	}
	hash := s.dummyHash
	if found {
		hash = rec.PasswordHash
	}
	ok, _, err := accounts.VerifyPassword(req.Password, hash, s.params)
	if err != nil {
		ok = false
	}
	if !found || !ok {
		reason := "bad_password"
		if !found {
			reason = "unknown_member"
		}
		lock, err := s.countFailure(ctx, st, now, pair, addr)
		if err != nil {
			return "", fmt.Errorf("staff: sign in: %w", err)
		}
		if err := s.audit.Record(ctx, ev(audit.SignInFailed, rec.ID, audit.Failure, reason)); err != nil {
			return "", err
		}
		if lock != nil {
			return "", lock
		}
		return "", ErrBadCredentials
	}
	if rec.Disabled {
		if err := s.audit.Record(ctx, ev(audit.SignInFailed, rec.ID, audit.Denied, "member_disabled")); err != nil {
			return "", err
		}
		return "", ErrDisabled
	}
	if err := s.clearFailures(ctx, st, now, pair.key); err != nil {
		return "", fmt.Errorf("staff: sign in: %w", err)
	}
	if err := s.audit.Record(ctx, ev(audit.SignInSucceeded, rec.ID, audit.Success, "password_ok")); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// CodeRequest is the second step of a staff sign-in: the TOTP code of the
// member whose password SignIn accepted. Session names the sign-in session
// the Principal will carry.
type CodeRequest struct {
	MemberID, Code, Session  string
	IP, UserAgent, RequestID string
}

// VerifyTOTP checks the member's TOTP code and returns the signed-in
// Principal. A code is accepted for the current step or one either side,
// once (the last accepted step is checked and moved under the member's row
// lock). Errors: ErrInvalidCode, ErrCodeReplayed, ErrDisabled,
// *LockoutError. Audited: SecondFactorOK, SecondFactorFailed,
// SignInLockedOut.
func (s *Service) VerifyTOTP(ctx context.Context, req CodeRequest) (Principal, error) {
	st, err := s.members()
	if err != nil {
		return Principal{}, err
	}
	now := s.now().UTC()
	ev := func(t audit.EventType, o audit.Outcome, reason string) audit.Event {
		e := signInEvent(t, req.MemberID, o, reason, req.IP, req.UserAgent, req.RequestID)
		e.Detail["factor"], e.Detail["session"] = "totp", req.Session
		return e
	}
	ip := addressKey(req.IP)
	pair := limitedKey{"code " + req.MemberID + " " + ip, s.lockout.PairFailures}
	addr := limitedKey{"ip " + ip, s.lockout.AddressFailures}
	if lock, err := s.lockedOut(ctx, st, now, pair, addr); err != nil {
		return Principal{}, fmt.Errorf("staff: second factor: %w", err)
	} else if lock != nil {
		if err := s.audit.Record(ctx, ev(audit.SignInLockedOut, audit.Denied, "locked_out")); err != nil {
			return Principal{}, err
		}
		return Principal{}, lock
	}
	code := strings.TrimSpace(req.Code)
	var verdict error
	rec, err := st.UpdateMember(ctx, req.MemberID, func(r *Record) error {
		if r.Disabled {
			verdict = ErrDisabled
			return nil
		}
		secret, err := s.totp.open(r.ID, r.TOTPSecret)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, code, now)
		switch {
		case !ok:
			verdict = ErrInvalidCode
		case step <= r.TOTPLastStep:
			verdict = ErrCodeReplayed
		default:
			r.TOTPLastStep = step
		}
		return nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("staff: second factor: %w", err)
	}
	switch {
	case errors.Is(verdict, ErrDisabled):
		if err := s.audit.Record(ctx, ev(audit.SecondFactorFailed, audit.Denied, "member_disabled")); err != nil {
			return Principal{}, err
		}
		return Principal{}, ErrDisabled
	case verdict != nil:
		reason := "bad_code"
		if errors.Is(verdict, ErrCodeReplayed) {
			reason = "replayed_code"
		}
		lock, err := s.countFailure(ctx, st, now, pair, addr)
		if err != nil {
			return Principal{}, fmt.Errorf("staff: second factor: %w", err)
		}
		if err := s.audit.Record(ctx, ev(audit.SecondFactorFailed, audit.Failure, reason)); err != nil {
			return Principal{}, err
		}
		if lock != nil {
			return Principal{}, lock
		}
		return Principal{}, verdict
	}
	if err := s.clearFailures(ctx, st, now, pair.key); err != nil {
		return Principal{}, fmt.Errorf("staff: second factor: %w", err)
	}
	e := ev(audit.SecondFactorOK, audit.Success, "")
	e.Detail["roles"], e.Detail["unit"] = joinRoles(rec.Roles), rec.Unit.Code
	if err := s.audit.Record(ctx, e); err != nil {
		return Principal{}, err
	}
	return rec.Principal(req.Session), nil
}

// SessionPrincipal returns the Principal of a signed-in session, loading
// the member afresh so that a disabled member or a changed role takes
// effect on the next request. ErrUnauthenticated when the member is gone or
// disabled.
func (s *Service) SessionPrincipal(ctx context.Context, memberID, session string) (Principal, error) {
	st, err := s.members()
	if err != nil {
		return Principal{}, err
	}
	r, err := st.MemberByID(ctx, memberID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Principal{}, ErrUnauthenticated
	case err != nil:
		return Principal{}, fmt.Errorf("staff: load member: %w", err)
	case r.Disabled:
		return Principal{}, ErrUnauthenticated
	}
	return r.Principal(session), nil
}

// PrincipalForToken returns the Principal an officer API credential
// (ddo_…) acts for: the credential's OfficerID is a member id. The member
// must exist and be enabled; ErrUnauthenticated otherwise (also for
// credentials issued to an officer id that names no member).
func (s *Service) PrincipalForToken(ctx context.Context, token string) (Principal, error) {
	_, p, err := s.AuthenticateMember(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if p == nil {
		return Principal{}, ErrUnauthenticated
	}
	return *p, nil
}

// AuthenticateMember is Authenticate that also knows staff members: when
// the credential's officer id names a member, that member must be enabled
// (ErrUnauthenticated otherwise: disabling a member ends their
// credentials too) and their Principal is returned; for a credential of an
// officer id that names no member (issued before staff members existed),
// the Principal is nil.
func (s *Service) AuthenticateMember(ctx context.Context, token string) (Credential, *Principal, error) {
	c, err := s.Authenticate(ctx, token)
	if err != nil || s.memberStore == nil || s.totp == nil {
		return c, nil, err
	}
	if _, perr := uuid.Parse(c.OfficerID); perr != nil {
		return c, nil, nil
	}
	r, err := s.memberStore.MemberByID(ctx, c.OfficerID)
	switch {
	case errors.Is(err, ErrNotFound):
		return c, nil, nil
	case err != nil:
		return Credential{}, nil, fmt.Errorf("staff: load member: %w", err)
	case r.Disabled:
		return Credential{}, nil, ErrUnauthenticated
	}
	p := r.Principal("credential:" + c.ID)
	return c, &p, nil
}

// SignOut records the end of a staff sign-in session.
func (s *Service) SignOut(ctx context.Context, by Actor) error {
	e := signInEvent(audit.SignedOut, by.Principal.MemberID, audit.Success, "", by.IP, by.UserAgent, by.RequestID)
	e.Detail["session"] = by.Principal.Session
	return s.audit.Record(ctx, e)
}

// TOTPCode is the code of a base32 secret at t, for tests and demo notes.
func TOTPCode(secret string, t time.Time) (string, error) { return accounts.TOTPCode(secret, t) }

// Purge deletes sign-in throttles left alone for the lockout policy's
// StrikeMemory (a periodic job).
func (s *Service) Purge(ctx context.Context) (int64, error) {
	st, err := s.members()
	if err != nil {
		return 0, err
	}
	return st.PurgeThrottles(ctx, s.now().Add(-s.lockout.StrikeMemory))
}

// SessionMember is SessionPrincipal's member, for the console, which also
// needs MustChangePassword. ErrUnauthenticated when gone or disabled.
func (s *Service) SessionMember(ctx context.Context, memberID string) (Member, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, err
	}
	r, err := st.MemberByID(ctx, memberID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Member{}, ErrUnauthenticated
	case err != nil:
		return Member{}, fmt.Errorf("staff: load member: %w", err)
	case r.Disabled:
		return Member{}, ErrUnauthenticated
	}
	return r.Member, nil
}

// ChangePassword sets the signed-in member's own password after checking
// the current one (ErrBadCredentials; failures count on the sign-in
// throttle of the member and address) and the password rules (ErrInvalid;
// the new one must differ). It clears MustChangePassword. Audited as
// PasswordChanged by the member.
func (s *Service) ChangePassword(ctx context.Context, by Actor, current, next string) error {
	st, err := s.members()
	if err != nil {
		return err
	}
	if err := accounts.CheckPasswordRules(next); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if next == current {
		return fmt.Errorf("%w: choose a password other than the current one", ErrInvalid)
	}
	if s.hashing != nil {
		release, err := s.hashing.Acquire(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	now := s.now().UTC()
	ip := addressKey(by.IP)
	pair := limitedKey{"pwd-change " + by.Principal.MemberID + " " + ip, s.lockout.PairFailures}
	if lock, err := s.lockedOut(ctx, st, now, pair); err != nil {
		return fmt.Errorf("staff: change password: %w", err)
	} else if lock != nil {
		return lock
	}
	hash, err := accounts.HashPassword(next, s.params)
	if err != nil {
		return err
	}
	wrong := false
	_, err = st.UpdateMember(ctx, by.Principal.MemberID, func(r *Record) error {
		ok, _, err := accounts.VerifyPassword(current, r.PasswordHash, s.params)
		if err != nil || !ok {
			wrong = true
			return nil
		}
		// Every other sign-in of the member ends; the console renews the
		// one that changed the password.
		r.PasswordHash, r.MustChangePassword, r.UpdatedAt, r.SessionsValidFrom = hash, false, now, now
		e := audit.Event{Type: audit.PasswordChanged, ActorKind: ActorKind, ActorID: r.ID, Outcome: audit.Success,
			IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID, Detail: map[string]string{"session": by.Principal.Session}}
		return s.audit.Record(ctx, e)
	})
	if err != nil {
		return fmt.Errorf("staff: change password: %w", err)
	}
	if wrong {
		lock, err := s.countFailure(ctx, st, now, pair)
		if err != nil {
			return fmt.Errorf("staff: change password: %w", err)
		}
		if lock != nil {
			return lock
		}
		return ErrBadCredentials
	}
	return nil
}
