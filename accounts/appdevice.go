package accounts

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/audit"
)

// The citizen's app holds one device key: an EC P-256 key pair made on the
// phone, whose private part never leaves it. The public key is bound to one
// account at activation (the decree: "one phone holds one account;
// activating on a new phone moves it"); the app signs in by signing a server
// challenge with it (ES256) and typing the 6-digit passcode.

// Errors of the app's device binding and sign-in.
var (
	// ErrDeviceKey: the device key is not an EC P-256 public key as a JWK
	// (another key type or curve, a private part, or malformed).
	ErrDeviceKey = errors.New("accounts: the device key must be an EC P-256 public key (JWK, kty EC, crv P-256) without its private part")
	// ErrDeviceSignature: the device's signature (compact JWS, ES256) is
	// malformed, does not verify under the device key, or its iat is off.
	ErrDeviceSignature = errors.New("accounts: the device signature does not verify")
	// ErrDeviceBoundElsewhere: the device key is bound to another account;
	// one device holds one account.
	ErrDeviceBoundElsewhere = errors.New("accounts: this device is bound to another account")
	// ErrUnknownDevice: no account is bound to this device (never bound,
	// unbound, or the binding moved to another device).
	ErrUnknownDevice = errors.New("accounts: no account is bound to this device")
	// ErrNoDevice: the account has no bound device.
	ErrNoDevice = errors.New("accounts: no device is bound to this account")
	// ErrChallenge: the sign-in challenge is unknown, for another device, or
	// already used.
	ErrChallenge = errors.New("accounts: unknown or used sign-in challenge")
	// ErrChallengeExpired: the sign-in challenge expired; ask for another.
	ErrChallengeExpired = errors.New("accounts: sign-in challenge expired")
	// ErrWrongPasscode: the app's 6-digit passcode is wrong.
	ErrWrongPasscode = errors.New("accounts: wrong passcode")
	// ErrAppSession: the app session token is unknown, expired or ended (the
	// account was locked, its sign-ins ended, or the device unbound).
	ErrAppSession = errors.New("accounts: app session unknown or ended")
)

// Device binding parameters.
const (
	// AppChallengeTTL is how long a sign-in challenge may be answered.
	AppChallengeTTL = 2 * time.Minute
	// AppSessionTTL is an app session's fixed lifetime from sign-in (not
	// extended by use): the app signs in again afterwards.
	AppSessionTTL = 30 * 24 * time.Hour
	// deviceProofSkew bounds how far a proof's iat may be from now.
	deviceProofSkew = 5 * time.Minute
	// maxDeviceJWK and maxDeviceProof bound the outside input parsed.
	maxDeviceJWK   = 2048
	maxDeviceProof = 4096
	// appSessionPrefix begins every app session token.
	appSessionPrefix = "dda_"
)

// AppDevice is the app device bound to an account, as stored: its public
// key only.
type AppDevice struct {
	// ID is the key's JWK thumbprint (RFC 7638, SHA-256, base64url).
	ID        string
	AccountID string
	// PublicJWK is the public key as a JWK (kty, crv, x, y only).
	PublicJWK []byte
	// Name and Model are what the app says of the phone, for the citizen.
	Name         string
	Model        string
	BoundAt      time.Time
	LastSignInAt *time.Time
}

// AppChallenge is a sign-in challenge as stored: a SHA-256 of its value.
type AppChallenge struct {
	Hash      []byte
	DeviceID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// AppSession is an app session as stored: a SHA-256 of its token.
type AppSession struct {
	Hash      []byte
	AccountID string
	DeviceID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AppDeviceStore keeps bound devices, sign-in challenges and app sessions.
// Implementations translate driver errors as Store does; every time they
// return is UTC. accounts/postgres implements it on its Store.
type AppDeviceStore interface {
	// BindDevice locks the account's row, removes its bound device (and,
	// with it, that device's challenges and sessions), inserts d and calls
	// fn with the device removed (nil when none), all in one transaction;
	// an error from fn rolls back. A device id bound to another account is
	// ErrAlreadyExists.
	BindDevice(ctx context.Context, d AppDevice, fn func(old *AppDevice) error) error
	// DeviceByID returns the device with id (ErrNotFound when none).
	DeviceByID(ctx context.Context, id string) (AppDevice, error)
	// DeviceOf returns the device bound to the account (ErrNotFound).
	DeviceOf(ctx context.Context, accountID string) (AppDevice, error)
	// UnbindDevice removes the account's device with its challenges and
	// sessions, and calls fn with it in the same transaction (ErrNotFound
	// when none).
	UnbindDevice(ctx context.Context, accountID string, fn func(AppDevice) error) error
	// CreateAppChallenge stores c.
	CreateAppChallenge(ctx context.Context, c AppChallenge) error
	// UseAppChallenge marks the challenge with hash used at at, once, and
	// returns it as it was before (UsedAt set when it was already used);
	// ErrNotFound when none.
	UseAppChallenge(ctx context.Context, hash []byte, at time.Time) (AppChallenge, error)
	// CreateAppSession stores sess and sets its device's last sign-in to
	// sess.CreatedAt, in one transaction. ErrNotFound when the device is
	// gone.
	CreateAppSession(ctx context.Context, sess AppSession) error
	// AppSession returns the session with hash (ErrNotFound when none).
	AppSession(ctx context.Context, hash []byte) (AppSession, error)
}

func (s *Service) devices() (AppDeviceStore, error) {
	ds, ok := s.store.(AppDeviceStore)
	if !ok {
		return nil, errors.New("accounts: the store keeps no app devices")
	}
	return ds, nil
}

// DeviceKey is a parsed device public key.
type DeviceKey struct {
	// ID is the RFC 7638 thumbprint (SHA-256, base64url).
	ID  string
	JWK []byte
	key *ecdsa.PublicKey
}

// ParseDeviceKey parses a device public key sent as a JWK: an EC key on
// P-256 with no private part ("d"). Anything else is ErrDeviceKey, with
// what was wrong.
func ParseDeviceKey(raw []byte) (DeviceKey, error) {
	if len(raw) == 0 || len(raw) > maxDeviceJWK {
		return DeviceKey{}, fmt.Errorf("%w: empty or larger than %d bytes", ErrDeviceKey, maxDeviceJWK)
	}
	var probe struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		D   string `json:"d"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return DeviceKey{}, fmt.Errorf("%w: not a JSON object", ErrDeviceKey)
	}
	switch {
	case probe.D != "":
		return DeviceKey{}, fmt.Errorf("%w: it holds a private part (d); send the public key only", ErrDeviceKey)
	case probe.Kty != "EC":
		return DeviceKey{}, fmt.Errorf("%w: key type %q", ErrDeviceKey, probe.Kty)
	case probe.Crv != "P-256":
		return DeviceKey{}, fmt.Errorf("%w: curve %q", ErrDeviceKey, probe.Crv)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return DeviceKey{}, fmt.Errorf("%w: %v", ErrDeviceKey, err)
	}
	pub, ok := jwk.Key.(*ecdsa.PublicKey)
	if !ok || !jwk.IsPublic() || pub.Curve != elliptic.P256() {
		return DeviceKey{}, fmt.Errorf("%w: not an EC P-256 public key", ErrDeviceKey)
	}
	clean := jose.JSONWebKey{Key: pub}
	tp, err := clean.Thumbprint(crypto.SHA256)
	if err != nil {
		return DeviceKey{}, fmt.Errorf("%w: %v", ErrDeviceKey, err)
	}
	out, err := clean.MarshalJSON()
	if err != nil {
		return DeviceKey{}, fmt.Errorf("%w: %v", ErrDeviceKey, err)
	}
	return DeviceKey{ID: base64.RawURLEncoding.EncodeToString(tp), JWK: out, key: pub}, nil
}

// deviceClaims is the payload a device signs.
type deviceClaims struct {
	Challenge string `json:"challenge"`
	IAT       int64  `json:"iat"`
}

// VerifyDeviceProof checks a compact JWS (ES256 only) by the device key and
// returns the challenge it signs. The payload is a JSON object with the
// challenge ("challenge") and the signing time ("iat", Unix seconds), which
// must be within 5 minutes of now. Anything else is ErrDeviceSignature.
func (k DeviceKey) VerifyDeviceProof(proof string, now time.Time) (string, error) {
	if k.key == nil {
		return "", ErrDeviceKey
	}
	if len(proof) == 0 || len(proof) > maxDeviceProof || strings.Count(proof, ".") != 2 {
		return "", fmt.Errorf("%w: not a compact JWS", ErrDeviceSignature)
	}
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDeviceSignature, err)
	}
	payload, err := jws.Verify(k.key)
	if err != nil {
		return "", ErrDeviceSignature
	}
	var c deviceClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Challenge == "" || !utf8.ValidString(c.Challenge) {
		return "", fmt.Errorf("%w: the payload needs a challenge and iat", ErrDeviceSignature)
	}
	iat := time.Unix(c.IAT, 0)
	if c.IAT <= 0 || iat.Before(now.Add(-deviceProofSkew)) || iat.After(now.Add(deviceProofSkew)) {
		return "", fmt.Errorf("%w: iat is not within 5 minutes of the server's time", ErrDeviceSignature)
	}
	return c.Challenge, nil
}

// DeviceBinding is what the app sends to bind its key: the public key, a
// proof that it holds the private one (a compact JWS by it over the
// server's ticket), and how the citizen will recognise the phone.
type DeviceBinding struct {
	PublicJWK []byte
	Proof     string
	Name      string
	Model     string
}

// checkBinding parses the key, verifies the proof over nonce, and refuses a
// key bound to an account other than accountID.
func (s *Service) checkBinding(ctx context.Context, ds AppDeviceStore, accountID string, b DeviceBinding, nonce string, now time.Time) (DeviceKey, error) {
	k, err := ParseDeviceKey(b.PublicJWK)
	if err != nil {
		return DeviceKey{}, err
	}
	got, err := k.VerifyDeviceProof(b.Proof, now)
	if err != nil {
		return DeviceKey{}, err
	}
	if got != nonce {
		return DeviceKey{}, fmt.Errorf("%w: it signs another challenge", ErrDeviceSignature)
	}
	if len(b.Name) > 100 || len(b.Model) > 100 || !utf8.ValidString(b.Name) || !utf8.ValidString(b.Model) {
		return DeviceKey{}, fmt.Errorf("%w: device name and model: at most 100 bytes of text", ErrInvalid)
	}
	d, err := ds.DeviceByID(ctx, k.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return DeviceKey{}, err
	case d.AccountID != accountID:
		return DeviceKey{}, ErrDeviceBoundElsewhere
	}
	return k, nil
}

// AppActivation is the app's last step of activation: the web's last step
// (CompleteActivation) and the device to bind. The proof signs the Ticket
// VerifyActivationCode returned.
type AppActivation struct {
	Activation
	Device DeviceBinding
}

// ActivateDevice finishes an activation from the app: it checks the device
// key and its proof over the activation ticket and that the key is bound to
// no other account (ErrDeviceBoundElsewhere), then runs CompleteActivation
// and binds the device. Audit: what CompleteActivation records, then
// DeviceChanged (action bound); a refused key, DeviceChanged denied.
func (s *Service) ActivateDevice(ctx context.Context, in AppActivation) (Account, AppDevice, error) {
	ds, err := s.devices()
	if err != nil {
		return Account{}, AppDevice{}, err
	}
	now := s.clock()
	if !s.checkActivationTicket(in.AccountID, in.Ticket, now) {
		return Account{}, AppDevice{}, ErrActivationExpired
	}
	k, err := s.checkBinding(ctx, ds, in.AccountID, in.Device, in.Ticket, now)
	if err != nil {
		return Account{}, AppDevice{}, s.bindRefused(ctx, in.Client, in.AccountID, err)
	}
	a, err := s.CompleteActivation(ctx, in.Activation)
	if err != nil {
		return Account{}, AppDevice{}, err
	}
	d, _, err := s.bind(ctx, ds, in.Client, a, k, in.Device, "activation")
	return a, d, err
}

// DeviceMove moves an active account to a new device: the ticket of the
// SMS step (VerifyRecoveryCode with PurposeDevice), then the knowledge step
// (the two security answers or the passcode) and the new device. The proof
// signs the Ticket.
type DeviceMove struct {
	AccountID string
	Ticket    string
	Answers   [2]string
	Passcode  string
	Device    DeviceBinding
	Client
}

// MoveDevice binds a new device to an account after its SMS code and the
// security answers or passcode (VerifyRecoveryAnswers, so wrong answers are
// throttled as in recovery). The old device's app sessions and challenges
// end at once (the device itself no longer signs in: ErrUnknownDevice) and
// the citizen is told by SMS. A ticket serves once: a device bound after it
// was issued voids it (ErrRecoveryExpired). A locked account is refused.
// Audit: the knowledge step's events, then DeviceChanged (action moved, or
// bound when the account had no device).
func (s *Service) MoveDevice(ctx context.Context, in DeviceMove) (Account, AppDevice, error) {
	ds, err := s.devices()
	if err != nil {
		return Account{}, AppDevice{}, err
	}
	now := s.clock()
	rec, err := s.store.Get(ctx, in.AccountID)
	if err != nil {
		return Account{}, AppDevice{}, fmt.Errorf("accounts: move device: %w", err)
	}
	if !s.checkRecoveryTicket(PurposeDevice, stageCode, rec, in.Ticket, now) {
		return Account{}, AppDevice{}, ErrRecoveryExpired
	}
	if cur, err := ds.DeviceOf(ctx, rec.ID); err == nil && !cur.BoundAt.Before(ticketTime(in.Ticket)) {
		return Account{}, AppDevice{}, ErrRecoveryExpired
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return Account{}, AppDevice{}, fmt.Errorf("accounts: move device: %w", err)
	}
	k, err := s.checkBinding(ctx, ds, rec.ID, in.Device, in.Ticket, now)
	if err != nil {
		return Account{}, AppDevice{}, s.bindRefused(ctx, in.Client, rec.ID, err)
	}
	switch rec.Status {
	case Locked:
		return Account{}, AppDevice{}, s.bindRefused(ctx, in.Client, rec.ID, ErrLocked)
	case Pending:
		return Account{}, AppDevice{}, s.bindRefused(ctx, in.Client, rec.ID, ErrNotActivated)
	}
	if _, err := s.VerifyRecoveryAnswers(ctx, RecoveryAnswers{AccountID: rec.ID, Purpose: PurposeDevice, Ticket: in.Ticket,
		Answers: in.Answers, Passcode: in.Passcode, Client: in.Client}); err != nil {
		return Account{}, AppDevice{}, err
	}
	d, moved, err := s.bind(ctx, ds, in.Client, rec.Account, k, in.Device, "move")
	if err != nil {
		return Account{}, AppDevice{}, err
	}
	if moved {
		s.notice(ctx, rec.Account, NoticeDeviceChanged, map[string]string{"device": d.Name}, in.RequestID)
	}
	return rec.Account, d, nil
}

// ticketTime is the issue time a ticket ("unix seconds.MAC") carries.
func ticketTime(ticket string) time.Time {
	ts, _, _ := strings.Cut(ticket, ".")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	return time.Unix(sec, 0).UTC()
}

func (s *Service) bindRefused(ctx context.Context, c Client, accountID string, err error) error {
	reason := ""
	switch {
	case errors.Is(err, ErrDeviceBoundElsewhere):
		reason = "device_bound_elsewhere"
	case errors.Is(err, ErrDeviceKey):
		reason = "invalid_device_key"
	case errors.Is(err, ErrDeviceSignature):
		reason = "bad_device_signature"
	case errors.Is(err, ErrLocked):
		reason = "account_locked"
	case errors.Is(err, ErrNotActivated):
		reason = "not_activated"
	default:
		return err
	}
	return s.refuse(ctx, c, accountID, audit.DeviceChanged, reason, err)
}

// bind stores the device for a and records it; moved says an older device
// was replaced.
func (s *Service) bind(ctx context.Context, ds AppDeviceStore, c Client, a Account, k DeviceKey, b DeviceBinding, via string) (AppDevice, bool, error) {
	d := AppDevice{ID: k.ID, AccountID: a.ID, PublicJWK: k.JWK, Name: strings.TrimSpace(b.Name),
		Model: strings.TrimSpace(b.Model), BoundAt: s.clock()}
	moved := false
	err := ds.BindDevice(ctx, d, func(old *AppDevice) error {
		e := c.event(audit.DeviceChanged, a.ID, audit.Success, "")
		e.Detail = map[string]string{"action": "bound", "via": via, "device": d.ID, "name": d.Name, "model": d.Model}
		if old != nil {
			moved = true
			e.Detail["action"], e.Detail["old_device"], e.Detail["sessions"] = "moved", old.ID, "ended"
		}
		return s.record(ctx, e)
	})
	if errors.Is(err, ErrAlreadyExists) {
		return AppDevice{}, false, s.bindRefused(ctx, c, a.ID, ErrDeviceBoundElsewhere)
	}
	if err != nil {
		return AppDevice{}, false, fmt.Errorf("accounts: bind device: %w", err)
	}
	return d, moved, nil
}

// BoundDevice returns the app device bound to the account, for the account
// page (ErrNoDevice when none).
func (s *Service) BoundDevice(ctx context.Context, accountID string) (AppDevice, error) {
	ds, err := s.devices()
	if err != nil {
		return AppDevice{}, err
	}
	d, err := ds.DeviceOf(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		return AppDevice{}, ErrNoDevice
	}
	if err != nil {
		return AppDevice{}, fmt.Errorf("accounts: bound device: %w", err)
	}
	return d, nil
}

// UnbindDevice removes the account's app device at its holder's request:
// its app sessions end at once and it no longer signs in. Audit:
// DeviceChanged with action unbound. ErrNoDevice when none is bound.
func (s *Service) UnbindDevice(ctx context.Context, accountID string, c Client) error {
	ds, err := s.devices()
	if err != nil {
		return err
	}
	err = ds.UnbindDevice(ctx, accountID, func(d AppDevice) error {
		e := c.event(audit.DeviceChanged, accountID, audit.Success, "")
		e.Detail = map[string]string{"action": "unbound", "device": d.ID, "name": d.Name, "sessions": "ended"}
		return s.record(ctx, e)
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNoDevice
	}
	if err != nil {
		return fmt.Errorf("accounts: unbind device: %w", err)
	}
	return nil
}

// IssuedChallenge is a sign-in challenge for the app to sign.
type IssuedChallenge struct {
	Challenge string
	ExpiresAt time.Time
}

func sha(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("accounts: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IssueAppChallenge draws a single-use challenge (32 random bytes) for a
// bound device, valid for AppChallengeTTL; only its SHA-256 is stored, in
// the database, so any replica can check the answer. ErrUnknownDevice when
// no account is bound to deviceID.
func (s *Service) IssueAppChallenge(ctx context.Context, deviceID string) (IssuedChallenge, error) {
	ds, err := s.devices()
	if err != nil {
		return IssuedChallenge{}, err
	}
	if deviceID == "" || len(deviceID) > 64 {
		return IssuedChallenge{}, ErrUnknownDevice
	}
	if _, err := ds.DeviceByID(ctx, deviceID); errors.Is(err, ErrNotFound) {
		return IssuedChallenge{}, ErrUnknownDevice
	} else if err != nil {
		return IssuedChallenge{}, fmt.Errorf("accounts: app challenge: %w", err)
	}
	v, err := randomToken(32)
	if err != nil {
		return IssuedChallenge{}, err
	}
	now := s.clock()
	c := AppChallenge{Hash: sha(v), DeviceID: deviceID, CreatedAt: now, ExpiresAt: now.Add(AppChallengeTTL)}
	if err := ds.CreateAppChallenge(ctx, c); err != nil {
		return IssuedChallenge{}, fmt.Errorf("accounts: app challenge: %w", err)
	}
	return IssuedChallenge{Challenge: v, ExpiresAt: c.ExpiresAt}, nil
}

// AppSignInRequest is the app's sign-in: the device, its signature over a
// challenge, and the passcode.
type AppSignInRequest struct {
	DeviceID string
	Proof    string
	Passcode string
	Client
}

// AppSignedIn is a new app session. Token is shown once; only its SHA-256
// is kept.
type AppSignedIn struct {
	Token     string
	ExpiresAt time.Time
	Account   Account
	Device    AppDevice
}

// AppSignIn signs the app in: possession (the device key's signature over
// a challenge from IssueAppChallenge, used once, within AppChallengeTTL)
// and knowledge (the passcode set at activation).
//
// Wrong passcodes count per device (ScopeAppDevice) and per client address
// (ScopeAppAddress), each locking out as wrong passwords do; wrong
// signatures count per address. None of them touches the web sign-in's
// throttles: only the holder of the device key reaches the passcode, and a
// stranger's failures never lock the citizen out of the web. Audit:
// SignInSucceeded (channel app), SignInFailed with reason unknown_device,
// bad_device_signature, invalid_challenge, challenge_expired,
// account_locked, not_activated or wrong_passcode; SignInLockedOut.
func (s *Service) AppSignIn(ctx context.Context, req AppSignInRequest) (AppSignedIn, error) {
	ds, err := s.devices()
	if err != nil {
		return AppSignedIn{}, err
	}
	now := s.clock()
	devK := ThrottleKey{Scope: ScopeAppDevice, Key: req.DeviceID}
	ipK := ThrottleKey{Scope: ScopeAppAddress, Key: ipKey(req.IP)}
	ev := func(t audit.EventType, accountID string, o audit.Outcome, reason string) audit.Event {
		e := req.event(t, accountID, o, reason)
		e.Detail = map[string]string{"channel": "app", "device": req.DeviceID}
		return e
	}
	keys := []ThrottleKey{ipK}
	if req.DeviceID != "" && len(req.DeviceID) <= 64 {
		keys = append(keys, devK)
	}
	lock, seen, err := s.lockedOut(ctx, now, keys...)
	if err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	}
	if lock != nil {
		if err := s.record(ctx, ev(audit.SignInLockedOut, "", audit.Denied, string(lock.Scope)+"_locked_out")); err != nil {
			return AppSignedIn{}, err
		}
		return AppSignedIn{}, lock
	}
	refuse := func(accountID, reason string, verdict error) (AppSignedIn, error) {
		return AppSignedIn{}, s.failed(ctx, now, "app sign-in", ev(audit.SignInFailed, accountID, audit.Failure, reason), verdict, ipK)
	}
	d, err := ds.DeviceByID(ctx, req.DeviceID)
	if errors.Is(err, ErrNotFound) || (err == nil && len(req.DeviceID) > 64) {
		return refuse("", "unknown_device", ErrUnknownDevice)
	} else if err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	}
	k, err := ParseDeviceKey(d.PublicJWK)
	if err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: stored key: %w", err)
	}
	challenge, err := k.VerifyDeviceProof(req.Proof, now)
	if err != nil {
		return refuse(d.AccountID, "bad_device_signature", err)
	}
	c, err := ds.UseAppChallenge(ctx, sha(challenge), now)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && (c.DeviceID != d.ID || c.UsedAt != nil):
		return refuse(d.AccountID, "invalid_challenge", ErrChallenge)
	case err != nil:
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	case !now.Before(c.ExpiresAt):
		return refuse(d.AccountID, "challenge_expired", ErrChallengeExpired)
	}
	rec, err := s.store.Get(ctx, d.AccountID)
	if err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	}
	switch {
	case rec.Status == Locked:
		return AppSignedIn{}, s.refuse(ctx, req.Client, rec.ID, audit.SignInFailed, "account_locked", ErrLocked)
	case rec.Status != Active || rec.PasscodeHash == "":
		return AppSignedIn{}, s.refuse(ctx, req.Client, rec.ID, audit.SignInFailed, "not_activated", ErrNotActivated)
	}
	ok, _, err := s.verifySecret(ctx, strings.TrimSpace(req.Passcode), rec.PasscodeHash)
	if err != nil {
		return AppSignedIn{}, err
	}
	if !ok {
		return AppSignedIn{}, s.failed(ctx, now, "app sign-in", ev(audit.SignInFailed, rec.ID, audit.Failure, "wrong_passcode"),
			ErrWrongPasscode, devK, ipK)
	}
	if err := s.clearFailures(ctx, now, devK, seen); err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	}
	tok, err := randomToken(32)
	if err != nil {
		return AppSignedIn{}, err
	}
	tok = appSessionPrefix + tok
	sess := AppSession{Hash: sha(tok), AccountID: rec.ID, DeviceID: d.ID, CreatedAt: now, ExpiresAt: now.Add(AppSessionTTL)}
	if err := ds.CreateAppSession(ctx, sess); errors.Is(err, ErrNotFound) {
		return refuse(rec.ID, "unknown_device", ErrUnknownDevice)
	} else if err != nil {
		return AppSignedIn{}, fmt.Errorf("accounts: app sign-in: %w", err)
	}
	e := ev(audit.SignInSucceeded, rec.ID, audit.Success, "device_key_and_passcode")
	if err := s.record(ctx, e); err != nil {
		return AppSignedIn{}, err
	}
	s.firstSignIn(ctx, &rec, now)
	d.LastSignInAt = &now
	return AppSignedIn{Token: tok, ExpiresAt: sess.ExpiresAt, Account: rec.Account, Device: d}, nil
}

func (r AppSignInRequest) event(t audit.EventType, accountID string, o audit.Outcome, reason string) audit.Event {
	return r.Client.event(t, accountID, o, reason)
}

// AppPrincipal is who an app session token stands for.
type AppPrincipal struct {
	Account   Account
	Device    AppDevice
	ExpiresAt time.Time
	// FullName is the population registry's name, when a registry is
	// configured.
	FullName string
}

// AppSessionOf resolves an app session token. It is ErrAppSession when
// the token is unknown or expired, its device is no longer bound (moved or
// unbound), the account is locked, or the account's sign-ins ended after it
// was issued (Account.SignInEnded: a lock, a recovery, "sign out
// everywhere").
func (s *Service) AppSessionOf(ctx context.Context, token string) (AppPrincipal, error) {
	ds, err := s.devices()
	if err != nil {
		return AppPrincipal{}, err
	}
	if !strings.HasPrefix(token, appSessionPrefix) || len(token) > 100 {
		return AppPrincipal{}, ErrAppSession
	}
	now := s.clock()
	sess, err := ds.AppSession(ctx, sha(token))
	if errors.Is(err, ErrNotFound) {
		return AppPrincipal{}, ErrAppSession
	} else if err != nil {
		return AppPrincipal{}, fmt.Errorf("accounts: app session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) {
		return AppPrincipal{}, ErrAppSession
	}
	d, err := ds.DeviceOf(ctx, sess.AccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && d.ID != sess.DeviceID) {
		return AppPrincipal{}, ErrAppSession
	} else if err != nil {
		return AppPrincipal{}, fmt.Errorf("accounts: app session: %w", err)
	}
	rec, err := s.store.Get(ctx, sess.AccountID)
	if err != nil {
		return AppPrincipal{}, fmt.Errorf("accounts: app session: %w", err)
	}
	if rec.Status != Active || rec.SignInEnded(sess.CreatedAt) {
		return AppPrincipal{}, ErrAppSession
	}
	p := AppPrincipal{Account: rec.Account, Device: d, ExpiresAt: sess.ExpiresAt}
	if s.registry != nil {
		if person, err := s.registry.Person(ctx, rec.PersonalID); err == nil {
			p.FullName = person.FullName
		}
	}
	return p, nil
}
