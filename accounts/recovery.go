package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Errors of recovery (forgotten password) and of the citizen's own unlock.
var (
	// ErrRecoveryUnavailable: no account with a phone on record answers to
	// this personal id number. One error for "no account" and "no phone",
	// so the form tells no more than the sign-in page does.
	ErrRecoveryUnavailable = errors.New("accounts: no account with a phone on record for this personal id number")
	// ErrRecoveryExpired: the recovery was not finished in time, a step was
	// skipped, or its ticket was already used; start again.
	ErrRecoveryExpired = errors.New("accounts: recovery expired")
	// ErrWrongAnswers: the security answers (or the passcode) are wrong.
	ErrWrongAnswers = errors.New("accounts: wrong security answers")
	// ErrNotSelfLocked: the account is locked by an authority (or for too
	// many failures); only a counter officer can unlock it.
	ErrNotSelfLocked = errors.New("accounts: account locked by an authority, unlock at a counter")
	// ErrNotLocked: the account to unlock is not locked.
	ErrNotLocked = errors.New("accounts: account not locked")
	// ErrSamePassword: a change of password kept the current password.
	ErrSamePassword = fmt.Errorf("%w: choose a password other than the current one", ErrWeakPassword)
)

// SelfLockReasons are the lock reasons of a holder's own lock; only such a
// lock may be lifted by the holder (CompleteUnlock). The lock page's
// reasons begin with SelfLockPrefix.
var SelfLockReasons = []string{"holder_request", "lost_phone"}

// SelfLockPrefix begins the reasons the citizen's lock page records
// ("holder request: lost phone").
const SelfLockPrefix = "holder request:"

// RecoveryPurpose says what a recovery ends with.
type RecoveryPurpose string

// Recovery purposes.
const (
	PurposeRecovery RecoveryPurpose = "recovery" // a new password
	PurposeUnlock   RecoveryPurpose = "unlock"   // the end of a self-lock
	// PurposeDevice moves an active account to a new app device
	// (MoveDevice).
	PurposeDevice RecoveryPurpose = "device"
)

func (p RecoveryPurpose) valid() bool {
	return p == PurposeRecovery || p == PurposeUnlock || p == PurposeDevice
}

// recoveryTTL bounds the time from the SMS code to the last step.
const recoveryTTL = 15 * time.Minute

// NormalizeAnswer is the form in which a security answer is hashed: Unicode
// NFC, lower case, runs of spaces and punctuation as one space, trimmed.
// Vietnamese diacritics are kept (they carry meaning: "Hà" is not "Hạ"),
// so "  Trường  Lê Lợi " and "trường lê lợi" agree, whichever way the
// keyboard composed the marks.
func NormalizeAnswer(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFC.String(s) {
		if unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '\'') {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// answerVersion is SecurityAnswer.Version of hashes of NormalizeAnswer.
// Version 0 (activations before it) hashed FoldText, which drops the
// diacritics; such a hash is checked with FoldText and replaced by one of
// NormalizeAnswer at its first correct use.
const answerVersion = 2

func answerForm(version int, answer string) string {
	if version >= answerVersion {
		return NormalizeAnswer(answer)
	}
	return FoldText(answer)
}

// RecoveryRequest is the first step of recovery or unlock.
type RecoveryRequest struct {
	PersonalID string
	Purpose    RecoveryPurpose
	Client
}

// RecoveryStarted says where the code went.
type RecoveryStarted struct {
	AccountID   string
	MaskedPhone string
	// Questions are the ids of the account's two security questions; empty
	// when none were set (then the passcode is asked, if any).
	Questions []string
	// Passcode: the account has a 6-digit passcode, which may stand in for
	// the answers.
	Passcode bool
}

// StartRecovery sends an SMS code to the phone on record of the account
// whose login is the personal id number, for a new password
// (PurposeRecovery) or the end of a self-lock (PurposeUnlock).
//
// An unknown number and an account with no phone both get
// ErrRecoveryUnavailable, counted against the client address (as a wrong
// sign-in would be), so the form is no better an oracle of who has an
// account than the sign-in page. Codes are limited as for activation.
// Audit: OTPSent with purpose recovery or unlock; PasswordChanged (or
// AccountUnlocked) with outcome failure for a refusal.
func (s *Service) StartRecovery(ctx context.Context, req RecoveryRequest) (RecoveryStarted, error) {
	if !req.Purpose.valid() {
		return RecoveryStarted{}, fmt.Errorf("%w: purpose %q", ErrInvalid, req.Purpose)
	}
	now := s.clock()
	pid := cleanCode(req.PersonalID)
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	if lock, _, err := s.lockedOut(ctx, now, ipK); err != nil {
		return RecoveryStarted{}, fmt.Errorf("accounts: start recovery: %w", err)
	} else if lock != nil {
		return RecoveryStarted{}, s.refuse(ctx, req.Client, "", req.Purpose.event(), string(lock.Scope)+"_locked_out", lock)
	}
	if _, err := personalid.Parse(pid); err != nil {
		return RecoveryStarted{}, fmt.Errorf("%w: personal id number", ErrInvalid)
	}
	rec, err := s.store.ByPersonalID(ctx, pid)
	switch {
	case errors.Is(err, ErrNotFound):
		return RecoveryStarted{}, s.failed(ctx, now, "start recovery",
			req.event(req.Purpose.event(), "", audit.Failure, "unknown_account"), ErrRecoveryUnavailable, ipK)
	case err != nil:
		return RecoveryStarted{}, fmt.Errorf("accounts: start recovery: %w", err)
	case rec.Phone == "":
		return RecoveryStarted{}, s.failed(ctx, now, "start recovery",
			req.event(req.Purpose.event(), rec.ID, audit.Failure, "no_phone"), ErrRecoveryUnavailable, ipK)
	}
	err = s.sendCode(ctx, req.Client, now, rec.ID, rec.Phone, string(req.Purpose), func(code string) error {
		c := SMSCode{ID: uuid.NewString(), AccountID: rec.ID, CreatedAt: now, ExpiresAt: now.Add(s.smsTTL)}
		c.Hash = codeHash(s.codeKey, c.ID, code)
		return s.store.CreateSMSCode(ctx, c)
	})
	if err != nil {
		return RecoveryStarted{}, err
	}
	out := RecoveryStarted{AccountID: rec.ID, MaskedPhone: MaskPhone(rec.Phone), Passcode: rec.PasscodeHash != ""}
	for _, sa := range rec.SecurityAnswers {
		out.Questions = append(out.Questions, sa.Question)
	}
	return out, nil
}

func (p RecoveryPurpose) event() audit.EventType {
	switch p {
	case PurposeUnlock:
		return audit.AccountUnlocked
	case PurposeDevice:
		return audit.DeviceChanged
	}
	return audit.PasswordChanged
}

// recoveryStage names what a ticket proves.
type recoveryStage string

const (
	stageCode    recoveryStage = "code"    // the SMS code
	stageAnswers recoveryStage = "answers" // the SMS code and the answers
)

// recoveryTicket is "unix seconds.MAC", the MAC an HMAC-SHA-256 under the
// code key of the purpose, stage, account id, time and a digest of the
// account's credentials and status: once the password changes or the
// account is unlocked, every ticket issued before is void, so a ticket
// cannot be replayed.
func (s *Service) recoveryTicket(p RecoveryPurpose, st recoveryStage, rec Record, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, s.codeKey)
	fmt.Fprintf(m, "recovery\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", p, st, rec.ID, ts, rec.PasswordHash, rec.Status, rec.LockReason)
	return ts + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) checkRecoveryTicket(p RecoveryPurpose, st recoveryStage, rec Record, ticket string, now time.Time) bool {
	ts, _, ok := strings.Cut(ticket, ".")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return false
	}
	at := time.Unix(sec, 0)
	if now.Before(at.Add(-time.Minute)) || now.Sub(at) > recoveryTTL {
		return false
	}
	return hmac.Equal([]byte(ticket), []byte(s.recoveryTicket(p, st, rec, at)))
}

// RecoveryCode is the SMS step of recovery or unlock.
type RecoveryCode struct {
	AccountID string
	Purpose   RecoveryPurpose
	Code      string
	Client
}

// VerifyRecoveryCode checks the code StartRecovery sent, under the rules of
// a sign-in's SMS code: single use (a replayed code is ErrCodeExpired), 5
// minutes, burnt after SMSMaxAttempts wrong guesses. Wrong codes count
// against the (personal id number, client address) pair and the address,
// never against the account as a whole, so a stranger's guesses do not lock
// the citizen out. Audit: SecondFactorOK, SecondFactorFailed,
// SignInLockedOut, with the purpose.
//
// It returns a ticket for VerifyRecoveryAnswers.
func (s *Service) VerifyRecoveryCode(ctx context.Context, req RecoveryCode) (string, error) {
	if !req.Purpose.valid() {
		return "", fmt.Errorf("%w: purpose %q", ErrInvalid, req.Purpose)
	}
	now := s.clock()
	rec, err := s.store.Get(ctx, req.AccountID)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery code: %w", err)
	}
	ev := func(t audit.EventType, o audit.Outcome, reason string) audit.Event {
		e := req.event(t, rec.ID, o, reason)
		e.Detail = map[string]string{"factor": string(FactorSMS), "purpose": string(req.Purpose)}
		return e
	}
	pairK := ThrottleKey{Scope: ScopeSecondFactor, Key: rec.PersonalID + " " + ipKey(req.IP)}
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	lock, seen, err := s.lockedOut(ctx, now, pairK, ipK)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery code: %w", err)
	}
	if lock != nil {
		if err := s.record(ctx, ev(audit.SignInLockedOut, audit.Denied, string(lock.Scope)+"_locked_out")); err != nil {
			return "", err
		}
		return "", lock
	}
	verr, reason, err := s.checkSMS(ctx, rec, cleanCode(req.Code), now)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery code: %w", err)
	}
	if verr != nil {
		return "", s.failed(ctx, now, "verify recovery code", ev(audit.SecondFactorFailed, audit.Failure, reason), verr, pairK, ipK)
	}
	if err := s.clearFailures(ctx, now, pairK, seen); err != nil {
		return "", fmt.Errorf("accounts: verify recovery code: %w", err)
	}
	if err := s.record(ctx, ev(audit.SecondFactorOK, audit.Success, "")); err != nil {
		return "", err
	}
	return s.recoveryTicket(req.Purpose, stageCode, rec, now), nil
}

// RecoveryAnswers is the knowledge step of recovery or unlock: the two
// security answers, in the order of RecoveryStarted.Questions, or the
// 6-digit passcode.
type RecoveryAnswers struct {
	AccountID string
	Purpose   RecoveryPurpose
	Ticket    string // from VerifyRecoveryCode
	Answers   [2]string
	Passcode  string // used when set, instead of Answers
	Client
}

// VerifyRecoveryAnswers checks the security answers (normalised by
// NormalizeAnswer, argon2id under the hashing limiter) or the passcode.
//
// Wrong answers are throttled like wrong passwords, under their own scope
// (ScopeAnswers) per (personal id number, client address) and per client
// address: AccountFailures wrong tries lock that pair out for LockFor,
// doubling up to MaxLock. They never lock the account: only the holder of
// the phone reaches this step (the ticket proves the SMS code), and the
// pair's lockout ends by itself. Audit: SecondFactorOK or
// SecondFactorFailed with factor "knowledge", SignInLockedOut.
//
// It returns a ticket for CompleteRecovery or CompleteUnlock.
func (s *Service) VerifyRecoveryAnswers(ctx context.Context, req RecoveryAnswers) (string, error) {
	now := s.clock()
	rec, err := s.store.Get(ctx, req.AccountID)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery answers: %w", err)
	}
	if !req.Purpose.valid() || !s.checkRecoveryTicket(req.Purpose, stageCode, rec, req.Ticket, now) {
		return "", ErrRecoveryExpired
	}
	factor := "security_answers"
	if req.Passcode != "" {
		factor = "passcode"
	}
	ev := func(t audit.EventType, o audit.Outcome, reason string) audit.Event {
		e := req.event(t, rec.ID, o, reason)
		e.Detail = map[string]string{"factor": factor, "purpose": string(req.Purpose)}
		return e
	}
	pairK := ThrottleKey{Scope: ScopeAnswers, Key: rec.PersonalID + " " + ipKey(req.IP)}
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	lock, seen, err := s.lockedOut(ctx, now, pairK, ipK)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery answers: %w", err)
	}
	if lock != nil {
		if err := s.record(ctx, ev(audit.SignInLockedOut, audit.Denied, string(lock.Scope)+"_locked_out")); err != nil {
			return "", err
		}
		return "", lock
	}
	ok, upgrade, err := s.checkKnowledge(ctx, rec, req)
	if err != nil {
		return "", fmt.Errorf("accounts: verify recovery answers: %w", err)
	}
	if !ok {
		return "", s.failed(ctx, now, "verify recovery answers", ev(audit.SecondFactorFailed, audit.Failure, "wrong_"+factor),
			ErrWrongAnswers, pairK, ipK)
	}
	if err := s.clearFailures(ctx, now, pairK, seen); err != nil {
		return "", fmt.Errorf("accounts: verify recovery answers: %w", err)
	}
	if upgrade != nil {
		// Answers hashed before NormalizeAnswer: store them in the new form
		// now that they are known. The ticket does not cover them.
		if _, err := s.store.Update(ctx, rec.ID, func(r *Record) error {
			r.SecurityAnswers, r.UpdatedAt = upgrade, now
			return nil
		}); err != nil {
			return "", fmt.Errorf("accounts: verify recovery answers: rehash: %w", err)
		}
	}
	if err := s.record(ctx, ev(audit.SecondFactorOK, audit.Success, "")); err != nil {
		return "", err
	}
	return s.recoveryTicket(req.Purpose, stageAnswers, rec, now), nil
}

// checkKnowledge verifies the passcode or both answers (both are always
// hashed, so the time says nothing about which one was wrong). upgrade,
// when not nil, is the answers rehashed in the current form.
func (s *Service) checkKnowledge(ctx context.Context, rec Record, req RecoveryAnswers) (ok bool, upgrade []SecurityAnswer, err error) {
	if req.Passcode != "" {
		if rec.PasscodeHash == "" {
			_, _, err = s.verifySecret(ctx, req.Passcode, s.dummyHash)
			return false, nil, err
		}
		ok, _, err = s.verifySecret(ctx, strings.TrimSpace(req.Passcode), rec.PasscodeHash)
		return ok, nil, err
	}
	if len(rec.SecurityAnswers) != 2 {
		_, _, err = s.verifySecret(ctx, req.Answers[0], s.dummyHash)
		return false, nil, err
	}
	ok, stale := true, false
	for i, sa := range rec.SecurityAnswers {
		a := answerForm(sa.Version, req.Answers[i])
		good, _, err := s.verifySecret(ctx, a, sa.Hash)
		if err != nil {
			return false, nil, err
		}
		ok = ok && good && a != ""
		stale = stale || sa.Version < answerVersion
	}
	if !ok || !stale {
		return ok, nil, nil
	}
	upgrade = make([]SecurityAnswer, 2)
	for i, sa := range rec.SecurityAnswers {
		h, err := s.hashSecret(ctx, NormalizeAnswer(req.Answers[i]))
		if err != nil {
			return false, nil, err
		}
		upgrade[i] = SecurityAnswer{Question: sa.Question, Hash: h, Version: answerVersion}
	}
	return true, upgrade, nil
}

// NewPassword is the last step of recovery.
type NewPassword struct {
	AccountID string
	Ticket    string // from VerifyRecoveryAnswers
	Password  string
	Client
}

// CompleteRecovery sets a new password (CheckPasswordRules) after the SMS
// code and the answers, and ends everything the account held, as a lock's
// cascade does but without locking: every browser sign-in made before now,
// every token and grant at every relying party, back-channel logout. A
// locked account is refused (ErrLocked): a self-lock is lifted with
// CompleteUnlock first, an authority's lock at the counter. The ticket is
// void once the password changed, so a replay fails (ErrRecoveryExpired).
// Audit: PasswordChanged with detail method=recovery. The citizen is told
// (NoticeRecovery).
func (s *Service) CompleteRecovery(ctx context.Context, in NewPassword) (Account, error) {
	if s.tokens == nil || s.logout == nil {
		return Account{}, ErrNoLockCascade
	}
	now := s.clock()
	rec, err := s.store.Get(ctx, in.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete recovery: %w", err)
	}
	if !s.checkRecoveryTicket(PurposeRecovery, stageAnswers, rec, in.Ticket, now) {
		return Account{}, ErrRecoveryExpired
	}
	if rec.Status == Locked {
		return Account{}, s.refuse(ctx, in.Client, rec.ID, audit.PasswordChanged, "account_locked", ErrLocked)
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return Account{}, err
	}
	a, err := s.update(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		// Re-checked on the locked row: a second use of the ticket waits here
		// and finds the password changed.
		if !s.checkRecoveryTicket(PurposeRecovery, stageAnswers, *r, in.Ticket, now) {
			return audit.Event{}, ErrRecoveryExpired
		}
		r.PasswordHash = hash
		r.SignInsEndedAt = &now
		e := in.event(audit.PasswordChanged, r.ID, audit.Success, "")
		e.Detail = map[string]string{"method": "recovery", "sessions": "ended"}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete recovery: %w", err)
	}
	if err := s.endEverything(ctx, a.ID); err != nil {
		return a, fmt.Errorf("accounts: complete recovery: %w", err)
	}
	s.notice(ctx, a, NoticeRecovery, map[string]string{"sessions": "0"}, in.RequestID)
	return a, nil
}

// endEverything ends every token, grant and relying party sign-in of the
// account (Lock's cascade), on a context the caller cannot cancel.
func (s *Service) endEverything(ctx context.Context, accountID string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cascadeTimeout)
	defer cancel()
	if _, err := s.tokens.RevokeAccount(cctx, accountID); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	if err := s.logout.AccountLocked(cctx, accountID); err != nil {
		return fmt.Errorf("back-channel logout: %w", err)
	}
	return nil
}

// UnlockRequest is the last step of the citizen's own unlock.
type UnlockRequest struct {
	AccountID string
	Ticket    string // from VerifyRecoveryAnswers with PurposeUnlock
	Client
}

// CompleteUnlock lifts a lock the holder set themselves (SelfLockReasons),
// after the SMS code and the answers. A lock for any other reason (an
// officer's, a supervisor's, a revoked card, too many failures) is refused
// with ErrNotSelfLocked: the counter lifts those. Sign-ins ended by the
// lock stay ended. Audit: AccountUnlocked by the citizen with detail
// method=self_service; the citizen is told (a Notice).
func (s *Service) CompleteUnlock(ctx context.Context, in UnlockRequest) (Account, error) {
	now := s.clock()
	rec, err := s.store.Get(ctx, in.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete unlock: %w", err)
	}
	if !s.checkRecoveryTicket(PurposeUnlock, stageAnswers, rec, in.Ticket, now) {
		return Account{}, ErrRecoveryExpired
	}
	a, err := s.update(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		if !s.checkRecoveryTicket(PurposeUnlock, stageAnswers, *r, in.Ticket, now) {
			return audit.Event{}, ErrRecoveryExpired
		}
		switch {
		case r.Status != Locked:
			return audit.Event{}, ErrNotLocked
		case !selfLocked(r.LockReason):
			return audit.Event{}, ErrNotSelfLocked
		}
		e := in.event(audit.AccountUnlocked, r.ID, audit.Success, "")
		e.Detail = map[string]string{"method": "self_service", "lock_reason": r.LockReason}
		r.Status, r.LockReason = Pending, ""
		if r.ActivatedAt != nil {
			r.Status = Active
		}
		return e, nil
	})
	if errors.Is(err, ErrNotSelfLocked) || errors.Is(err, ErrNotLocked) {
		reason := "not_locked"
		if errors.Is(err, ErrNotSelfLocked) {
			reason = "authority_lock"
		}
		if rerr := s.record(ctx, in.event(audit.AccountUnlocked, rec.ID, audit.Denied, reason)); rerr != nil {
			return Account{}, rerr
		}
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete unlock: %w", err)
	}
	s.notice(ctx, a, NoticeUnlocked, nil, in.RequestID)
	return a, nil
}

func selfLocked(reason string) bool {
	return slices.Contains(SelfLockReasons, reason) || strings.HasPrefix(reason, SelfLockPrefix)
}

// PasswordChange is a change of password by its holder, signed in.
type PasswordChange struct {
	AccountID string
	// SignedIn is the browser's sign-in: it must be a complete one (password
	// and second factor) within ReauthWindow, so that a change of password
	// also needs the second factor.
	SignedIn SignedIn
	Current  string
	New      string
	Client
}

// ChangePassword replaces the password of a signed-in holder who typed the
// current one again, signed in with password and second factor within
// ReauthWindow (ErrReauthRequired otherwise: sign in again). A wrong current password counts like a wrong sign-in
// password from this (account, address) pair (AccountFailures, then a
// lockout of that pair). On success every browser sign-in made before now
// ends, as do every token and grant at relying parties; the caller renews
// its own session (its sign-in time then follows the change). Audit:
// PasswordChanged with detail method=change; the citizen is told (a Notice).
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) (Account, error) {
	if s.tokens == nil || s.logout == nil {
		return Account{}, ErrNoLockCascade
	}
	now := s.clock()
	rec, err := s.store.Get(ctx, in.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: change password: %w", err)
	}
	if rec.Status == Locked {
		return Account{}, ErrLocked
	}
	if in.SignedIn.AccountID != rec.ID || !s.Reauthenticated(in.SignedIn) {
		return Account{}, s.refuse(ctx, in.Client, rec.ID, audit.PasswordChanged, "reauth_required", ErrReauthRequired)
	}
	pairK := ThrottleKey{Scope: ScopeAccountAddress, Key: rec.PersonalID + " " + ipKey(in.IP)}
	lock, seen, err := s.lockedOut(ctx, now, pairK)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: change password: %w", err)
	}
	if lock != nil {
		return Account{}, s.refuse(ctx, in.Client, rec.ID, audit.PasswordChanged, string(lock.Scope)+"_locked_out", lock)
	}
	if err := CheckPasswordRules(in.New); err != nil {
		return Account{}, err
	}
	if in.New == in.Current {
		return Account{}, ErrSamePassword
	}
	ok := false
	if rec.PasswordHash != "" {
		if ok, _, err = s.verifySecret(ctx, in.Current, rec.PasswordHash); err != nil {
			return Account{}, fmt.Errorf("accounts: change password: %w", err)
		}
	}
	if !ok {
		return Account{}, s.failed(ctx, now, "change password",
			in.event(audit.PasswordChanged, rec.ID, audit.Failure, "bad_password"), ErrBadCredentials, pairK)
	}
	if err := s.clearFailures(ctx, now, pairK, seen); err != nil {
		return Account{}, fmt.Errorf("accounts: change password: %w", err)
	}
	hash, err := s.hashPassword(ctx, in.New)
	if err != nil {
		return Account{}, err
	}
	a, err := s.update(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		if r.PasswordHash != rec.PasswordHash {
			return audit.Event{}, ErrBadCredentials
		}
		r.PasswordHash = hash
		r.SignInsEndedAt = &now
		e := in.event(audit.PasswordChanged, r.ID, audit.Success, "")
		e.Detail = map[string]string{"method": "change", "sessions": "ended"}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: change password: %w", err)
	}
	if err := s.endEverything(ctx, a.ID); err != nil {
		return a, fmt.Errorf("accounts: change password: %w", err)
	}
	s.notice(ctx, a, NoticePasswordChanged, nil, in.RequestID)
	return a, nil
}

// SetSecurityAnswers replaces the account's two security questions and
// answers (normalised with NormalizeAnswer, hashed with argon2id): for demo
// data and imports; a holder sets them at activation. Audit: FactorChanged
// naming the questions' ids, never the answers.
func (s *Service) SetSecurityAnswers(ctx context.Context, id string, answers [2]Answer, by Actor) error {
	q0, q1 := answers[0].Question, answers[1].Question
	a0, a1 := NormalizeAnswer(answers[0].Answer), NormalizeAnswer(answers[1].Answer)
	if q0 == q1 || !slices.Contains(SecurityQuestions, q0) || !slices.Contains(SecurityQuestions, q1) ||
		a0 == "" || a1 == "" || len(a0) > 256 || len(a1) > 256 {
		return ErrSecurityQuestions
	}
	h0, err := s.hashSecret(ctx, a0)
	if err != nil {
		return err
	}
	h1, err := s.hashSecret(ctx, a1)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, id, func(r *Record) (audit.Event, error) {
		r.SecurityAnswers = []SecurityAnswer{{Question: q0, Hash: h0, Version: answerVersion}, {Question: q1, Hash: h1, Version: answerVersion}}
		e := by.event(audit.FactorChanged, r.ID, audit.Success)
		e.Detail = map[string]string{"factor": "security_questions", "questions": q0 + "," + q1}
		return e, nil
	})
	if err != nil {
		return fmt.Errorf("accounts: set security answers: %w", err)
	}
	return nil
}
