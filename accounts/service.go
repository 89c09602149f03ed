package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Config is what a Service is built from.
type Config struct {
	Store Store
	// Registrations keeps self-registrations in progress; when nil, Store is
	// used if it implements RegistrationStore (accounts/postgres does).
	Registrations RegistrationStore
	// Registry is the population registry: an account is only created for a
	// person it knows, whose personal id number agrees with their record.
	Registry attributes.Registry
	// Foreigners is the foreigners' registry that registration from
	// passport data is checked against; nil refuses it
	// (ErrNoRegistrations).
	Foreigners ForeignerRegistry
	// Audit records every sign-in attempt and state change; when it fails,
	// the action fails.
	Audit  audit.Recorder
	Sender Sender
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Argon2Params for new password hashes; DefaultArgon2Params when zero.
	// Hashes made with other parameters are rehashed at the next sign-in.
	Argon2Params Argon2Params
	// TOTPKey (32 bytes) seals TOTP secrets with AES-256-GCM.
	TOTPKey []byte
	// CodeKey (at least 32 bytes) keys the HMAC-SHA-256 of SMS codes.
	CodeKey []byte
	// Issuer labels TOTP enrolments in authenticator apps.
	Issuer string
	// Lockout policy; zero fields take DefaultLockoutPolicy's values.
	Lockout LockoutPolicy
	// SMSCodeTTL defaults to 5 minutes, SMSMaxAttempts (wrong guesses before
	// a code is burnt) to 5.
	SMSCodeTTL     time.Duration
	SMSMaxAttempts int
	// Tokens and Logout end what a locked account holds beyond its own row
	// (see Lock); Lock refuses to run without them.
	Tokens TokenRevoker
	Logout LogoutNotifier
	// DeviceKey (at least 32 bytes) signs known-device tokens
	// (DeviceToken); without it no browser is a known device.
	DeviceKey []byte
	// Hashing bounds the argon2id work of request paths (sign-in,
	// activation, registration, passcodes, security answers); nil means no
	// bound (operator commands, imports).
	Hashing *HashLimiter
	// Passkeys enables passkeys as a second factor; nil leaves them off.
	Passkeys *PasskeyConfig
	// PasskeyStore keeps passkeys; when nil, Store is used if it implements
	// PasskeyStore (accounts/postgres does).
	PasskeyStore PasskeyStore
	// Notices queues what the citizen is told of changes to their account
	// (results of registration and activation, recovery, change of
	// password, lock and unlock); nil drops them.
	Notices Notifier
	// BrowserSessions keeps browser sessions; when nil, Store is used if it
	// implements BrowserSessionStore (accounts/postgres does).
	BrowserSessions BrowserSessionStore
	// Email sends e-mail with one-time codes (a registration whose contact
	// is an e-mail address, the change of e-mail address); nil refuses
	// such registrations (ErrNoEmail) and leaves that change off.
	Email EmailSender
	// AccountIDs, when set, offers the id a new account takes (Create and
	// CompleteRegistration): a child registered under a guardian keeps its
	// dependent id at 14, so that the pairwise subjects relying parties
	// know continue. nil: always a new id.
	AccountIDs AccountIDs
}

// AccountIDs offers an existing subject id for a new account of a person
// (package guardianship implements it). "" means none: a new one is drawn.
type AccountIDs interface {
	AccountIDFor(ctx context.Context, personalID string) (string, error)
}

// Service is the accounts capability: lifecycle, credentials and sign-in.
type Service struct {
	store       Store
	regs        RegistrationStore
	registry    attributes.Registry
	foreigners  ForeignerRegistry
	audit       audit.Recorder
	sender      Sender
	logger      *slog.Logger
	now         func() time.Time
	params      Argon2Params
	totp        *totpCipher
	codeKey     []byte
	issuer      string
	lockout     LockoutPolicy
	smsTTL      time.Duration
	smsAttempts int
	dummyHash   string
	tokens      TokenRevoker
	logout      LogoutNotifier
	hashing     *HashLimiter
	deviceKey   []byte
	webauthn    *webauthn.WebAuthn
	passkeys    PasskeyStore
	notices     Notifier
	sessions    BrowserSessionStore
	email       EmailSender
	ids         AccountIDs
}

// New checks cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if cfg.Audit == nil {
		errs = append(errs, errors.New("Audit is required"))
	}
	if cfg.Sender == nil {
		errs = append(errs, errors.New("Sender is required"))
	}
	if cfg.DeviceKey != nil && len(cfg.DeviceKey) < 32 {
		errs = append(errs, errors.New("DeviceKey must have at least 32 bytes"))
	}
	if len(cfg.CodeKey) < 32 {
		errs = append(errs, errors.New("CodeKey must have at least 32 bytes"))
	}
	tc, err := newTOTPCipher(cfg.TOTPKey)
	if err != nil {
		errs = append(errs, err)
	}
	wa, err := newPasskeys(cfg.Passkeys, cfg.Issuer)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("accounts: config: %w", errors.Join(errs...))
	}
	s := &Service{
		store: cfg.Store, registry: cfg.Registry, foreigners: cfg.Foreigners, audit: cfg.Audit, sender: cfg.Sender,
		logger: cfg.Logger, now: cfg.Now, params: cfg.Argon2Params, totp: tc,
		codeKey: cfg.CodeKey, issuer: cfg.Issuer, lockout: cfg.Lockout.withDefaults(),
		smsTTL: cfg.SMSCodeTTL, smsAttempts: cfg.SMSMaxAttempts, regs: cfg.Registrations,
		tokens: cfg.Tokens, logout: cfg.Logout, hashing: cfg.Hashing,
		deviceKey: cfg.DeviceKey, webauthn: wa, passkeys: cfg.PasskeyStore, sessions: cfg.BrowserSessions,
		notices: cfg.Notices, email: cfg.Email, ids: cfg.AccountIDs,
	}
	if bs, ok := cfg.Store.(BrowserSessionStore); ok && s.sessions == nil {
		s.sessions = bs
	}
	if ps, ok := cfg.Store.(PasskeyStore); ok && s.passkeys == nil {
		s.passkeys = ps
	}
	if rs, ok := cfg.Store.(RegistrationStore); ok && s.regs == nil {
		s.regs = rs
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.params == (Argon2Params{}) {
		s.params = DefaultArgon2Params
	}
	if s.issuer == "" {
		s.issuer = "Dinh danh dien tu"
	}
	if s.smsTTL <= 0 {
		s.smsTTL = 5 * time.Minute
	}
	if s.smsAttempts <= 0 {
		s.smsAttempts = 5
	}
	// A hash of a random password, verified when the personal id number is
	// unknown so that such answers take as long as a wrong password.
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	if s.dummyHash, err = HashPassword(base64.RawURLEncoding.EncodeToString(pw[:]), s.params); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// Actor is who performs a lifecycle action, and from where.
type Actor struct {
	Kind      audit.ActorKind
	ID        string
	IP        string
	UserAgent string
	RequestID string
}

func (s *Service) record(ctx context.Context, e audit.Event) error {
	if e.Time.IsZero() {
		e.Time = s.clock()
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("accounts: audit %s: %w", e.Type, err)
	}
	return nil
}

func (a Actor) event(t audit.EventType, accountID string, o audit.Outcome) audit.Event {
	return audit.Event{Type: t, ActorKind: a.Kind, ActorID: a.ID, AccountID: accountID, Outcome: o,
		IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID}
}

// ---- lifecycle ----

// NewAccount is what Create needs.
type NewAccount struct {
	PersonalID string
	Level      assurance.Level
	Status     Status // Pending when empty
	Phone      string // E.164, optional
	Email      string
	Lang       string // LangVI (when empty) or LangEN
	Password   string // optional; set later with SetPassword
	// Evidence is what a level above 0 rests on (required then, and for
	// that level): for accounts created by an import, ImportedEvidence.
	Evidence *Evidence
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// ValidPhone reports whether phone is an E.164 number (ITU-T E.164 §6: at
// most 15 digits, with the country code).
func ValidPhone(phone string) bool { return e164.MatchString(phone) }

// Create registers an account for a person of the population registry aged
// 14 or more (younger children and wards are registered under a guardian's
// account, Decree 69/2024 art. 11), after checking that the personal id
// number agrees with the person's date of birth and gender.
func (s *Service) Create(ctx context.Context, in NewAccount, by Actor) (Account, error) {
	now := s.clock()
	if _, err := personalid.Parse(in.PersonalID); err != nil {
		return Account{}, err
	}
	if s.registry == nil {
		return Account{}, errors.New("accounts: create: no population registry configured")
	}
	person, err := s.registry.Person(ctx, in.PersonalID)
	if errors.Is(err, attributes.ErrNotFound) {
		return Account{}, fmt.Errorf("%w: no population record for this personal id number", ErrInvalid)
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: create: %w", err)
	}
	if err := personalid.Validate(in.PersonalID, person.BirthDate, person.Gender); err != nil {
		return Account{}, err
	}
	if Age(person.BirthDate, now) < 14 {
		return Account{}, fmt.Errorf("%w: under 14, register under a guardian's account", ErrInvalid)
	}
	rec, err := s.NewRecord(in, now)
	if err != nil {
		return Account{}, err
	}
	if err := s.reuseID(ctx, &rec); err != nil {
		return Account{}, fmt.Errorf("accounts: create: %w", err)
	}
	e := by.event(audit.AccountRegistered, rec.ID, audit.Success)
	e.Detail = map[string]string{"level": fmt.Sprint(int(rec.Level)), "status": string(rec.Status)}
	// Recorded before the insert commits, as update does: an account whose
	// creation cannot be audited is not created.
	if err := s.store.Create(ctx, rec, func() error { return s.record(ctx, e) }); err != nil {
		return Account{}, fmt.Errorf("accounts: create: %w", err)
	}
	return rec.Account, nil
}

// reuseID gives rec the id AccountIDs offers for its person, if any.
func (s *Service) reuseID(ctx context.Context, rec *Record) error {
	if s.ids == nil {
		return nil
	}
	id, err := s.ids.AccountIDFor(ctx, rec.PersonalID)
	if err != nil || id == "" {
		return err
	}
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("account id offered for the person is not a UUID: %w", err)
	}
	rec.ID = id
	if rec.Enrolment != nil {
		rec.Enrolment.AccountID = id
	}
	return nil
}

// NewRecord checks in and builds the record Create would store, with a new
// id and the password hashed. The importer uses it for bulk loads.
func (s *Service) NewRecord(in NewAccount, now time.Time) (Record, error) {
	if _, err := personalid.Parse(in.PersonalID); err != nil {
		return Record{}, err
	}
	if !in.Level.Valid() {
		return Record{}, fmt.Errorf("%w: level %d", ErrInvalid, in.Level)
	}
	if in.Status == "" {
		in.Status = Pending
	}
	if !in.Status.Valid() {
		return Record{}, fmt.Errorf("%w: status %q", ErrInvalid, in.Status)
	}
	if in.Phone != "" && !ValidPhone(in.Phone) {
		return Record{}, fmt.Errorf("%w: phone number must be E.164 (+84...)", ErrInvalid)
	}
	now = now.UTC()
	rec := Record{Account: Account{
		ID: uuid.NewString(), PersonalID: in.PersonalID, Level: in.Level, Status: in.Status,
		Phone: in.Phone, Email: in.Email, Lang: NormalizeLang(in.Lang), CreatedAt: now, UpdatedAt: now,
	}}
	switch {
	case in.Level == assurance.None && in.Evidence != nil:
		return Record{}, fmt.Errorf("%w: evidence given for a level 0 account", ErrInvalid)
	case in.Level != assurance.None && (in.Evidence == nil || in.Evidence.Level != in.Level):
		return Record{}, fmt.Errorf("%w: a level %d account needs enrolment evidence for that level", ErrInvalid, in.Level)
	case in.Evidence != nil:
		ev := *in.Evidence
		ev.ID, ev.AccountID, ev.CreatedAt, ev.RevokedAt, ev.RevokedReason = uuid.NewString(), rec.ID, now, nil, ""
		if err := ev.validate(); err != nil {
			return Record{}, err
		}
		rec.EvidenceID, rec.Enrolment = ev.ID, &ev
	}
	if in.Status == Active {
		rec.ActivatedAt = &now
	}
	if in.Password != "" {
		h, err := s.HashPassword(in.Password)
		if err != nil {
			return Record{}, err
		}
		rec.PasswordHash = h
	}
	return rec, nil
}

// HashPassword checks the password rules and hashes pw with the service's
// parameters.
func (s *Service) HashPassword(pw string) (string, error) {
	if err := CheckPasswordRules(pw); err != nil {
		return "", err
	}
	return HashPassword(pw, s.params)
}

// SealTOTPSecret normalises a base32 secret and seals it for accountID: for
// importing known secrets (demo data).
func (s *Service) SealTOTPSecret(accountID, secret string) ([]byte, error) {
	secret, err := NormalizeTOTPSecret(secret)
	if err != nil {
		return nil, err
	}
	return s.totp.seal(accountID, secret)
}

// Age is the age in whole years at now of someone born on birth.
func Age(birth, now time.Time) int {
	birth, now = birth.UTC(), now.UTC()
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		age--
	}
	return age
}

// Get returns the account with id.
func (s *Service) Get(ctx context.Context, id string) (Account, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: get: %w", err)
	}
	return r.Account, nil
}

// ByPersonalID returns the account whose login is pid.
func (s *Service) ByPersonalID(ctx context.Context, pid string) (Account, error) {
	r, err := s.store.ByPersonalID(ctx, pid)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: by personal id: %w", err)
	}
	return r.Account, nil
}

// ErrAlreadyActive: the account was activated before.
var ErrAlreadyActive = errors.New("accounts: account already activated")

// update runs fn under the row lock and records the event it returns
// before the change commits: when the audit log cannot take the event, the
// account stays as it was (no unaudited lock or password change, and a
// failed lock can simply be asked for again). A write that fails after the
// event was recorded (the database going away between the two) leaves an
// event for a change that did not happen, the safer of the two errors.
func (s *Service) update(ctx context.Context, id string, fn func(*Record) (audit.Event, error)) (Account, error) {
	r, err := s.store.Update(ctx, id, func(r *Record) error {
		e, err := fn(r)
		if err != nil {
			return err
		}
		r.UpdatedAt = s.clock()
		return s.record(ctx, e)
	})
	if err != nil {
		return Account{}, err
	}
	return r.Account, nil
}

// updateThenRecord is update for changes the write itself may refuse (a
// unique phone number): the event is recorded after the commit, so that a
// refused change is not reported as made.
func (s *Service) updateThenRecord(ctx context.Context, id string, fn func(*Record) (audit.Event, error)) (Account, error) {
	var e audit.Event
	r, err := s.store.Update(ctx, id, func(r *Record) error {
		var err error
		e, err = fn(r)
		r.UpdatedAt = s.clock()
		return err
	})
	if err != nil {
		return Account{}, err
	}
	if err := s.record(ctx, e); err != nil {
		return Account{}, err
	}
	return r.Account, nil
}

// Activate turns a pending account active.
func (s *Service) Activate(ctx context.Context, id string, by Actor) (Account, error) {
	a, err := s.update(ctx, id, func(r *Record) (audit.Event, error) {
		switch r.Status {
		case Active:
			return audit.Event{}, ErrAlreadyActive
		case Locked:
			return audit.Event{}, ErrLocked
		}
		now := s.clock()
		r.Status, r.ActivatedAt = Active, &now
		return by.event(audit.AccountActivated, r.ID, audit.Success), nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: activate: %w", err)
	}
	return a, nil
}

// SetPassword replaces the password.
func (s *Service) SetPassword(ctx context.Context, id, password string, by Actor) error {
	h, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, id, func(r *Record) (audit.Event, error) {
		r.PasswordHash = h
		return by.event(audit.PasswordChanged, r.ID, audit.Success), nil
	})
	if err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	return nil
}

// SetPhone sets the account's phone number; a number belongs to one account
// only (ErrAlreadyExists).
func (s *Service) SetPhone(ctx context.Context, id, phone string, by Actor) (Account, error) {
	if !ValidPhone(phone) {
		return Account{}, fmt.Errorf("%w: phone number must be E.164 (+84...)", ErrInvalid)
	}
	a, err := s.updateThenRecord(ctx, id, func(r *Record) (audit.Event, error) {
		r.Phone = phone
		return by.event(audit.PhoneChanged, r.ID, audit.Success), nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: set phone: %w", err)
	}
	return a, nil
}

// EnrollTOTP gives the account a new authenticator secret, unconfirmed until
// ConfirmTOTP sees a code from it. The enrolment is returned once.
func (s *Service) EnrollTOTP(ctx context.Context, id string, by Actor) (TOTPEnrolment, error) {
	rec, err := s.store.Get(ctx, id)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: enrol TOTP: %w", err)
	}
	enr, err := generateTOTP(s.issuer, rec.PersonalID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	sealed, err := s.totp.seal(id, enr.Secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	_, err = s.update(ctx, id, func(r *Record) (audit.Event, error) {
		r.TOTP = TOTPState{Secret: sealed}
		e := by.event(audit.FactorChanged, r.ID, audit.Success)
		e.Detail = map[string]string{"factor": string(FactorTOTP), "change": "enrolment_started"}
		return e, nil
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: enrol TOTP: %w", err)
	}
	return enr, nil
}

// ConfirmTOTP activates the enrolled secret once code matches it.
func (s *Service) ConfirmTOTP(ctx context.Context, id, code string, by Actor) error {
	_, err := s.update(ctx, id, func(r *Record) (audit.Event, error) {
		if len(r.TOTP.Secret) == 0 {
			return audit.Event{}, ErrFactorUnavailable
		}
		secret, err := s.totp.open(r.ID, r.TOTP.Secret)
		if err != nil {
			return audit.Event{}, err
		}
		step, ok := matchTOTP(secret, strings.TrimSpace(code), s.clock())
		if !ok {
			return audit.Event{}, ErrInvalidCode
		}
		r.TOTP.Confirmed, r.TOTP.LastStep = true, step
		e := by.event(audit.FactorChanged, r.ID, audit.Success)
		e.Detail = map[string]string{"factor": string(FactorTOTP), "change": "enrolled"}
		return e, nil
	})
	if err != nil {
		return fmt.Errorf("accounts: confirm TOTP: %w", err)
	}
	return nil
}

// ---- sign-in ----

// SignInRequest is a password step.
type SignInRequest struct {
	PersonalID string
	Password   string
	// Devices are the known-device tokens the browser presented (see
	// DeviceToken); one valid for the account takes the known-device path.
	Devices   []string
	IP        string
	UserAgent string
	RequestID string
}

// SignIn is a sign-in whose password was verified, waiting for a second
// factor.
type SignIn struct {
	Account Account
	// Factors the account can use, a passkey first, then TOTP; empty when
	// it has none.
	Factors []Factor
}

func (r SignInRequest) event(t audit.EventType, accountID string, o audit.Outcome, reason string) audit.Event {
	return audit.Event{Type: t, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID,
		Outcome: o, Reason: reason, IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID}
}

// SignIn verifies a personal id number and password.
//
// A wrong password and an unknown number get the same ErrBadCredentials, in
// about the same time (an unknown number still verifies a dummy hash), and
// count against the same throttles, so answers do not reveal which numbers
// have accounts. Failures are throttled per LockoutPolicy: per (account,
// address), or per (account, known device) when req.Devices holds a token
// earned by an earlier sign-in of this account, so that failures of
// strangers never slow down the citizen's own browser; a progressive delay
// for unknown devices on the account; a cap per address; a slower path for
// unknown devices while the global failure rate says spraying; and, at
// HardLockFailures consecutive failures, a lock of the account (Lock, with
// an SMS to the citizen). Refusals are *LockoutError, with the scope that
// refused. Only once the password is verified does a locked or
// never-activated account get its own error (ErrLocked, ErrNotActivated).
// ErrBusy when no password-hashing slot was free (nothing counted).
//
// Audit events: SignInLockedOut when refused by a throttle (reason
// "<scope>_locked_out"); SignInFailed with reason bad_password,
// unknown_account, account_locked or not_activated; AccountLocked by the
// system with reason too_many_failures at the hard lock; SignInSucceeded
// with reason password_ok when the password step passed (the second factor
// follows).
func (s *Service) SignIn(ctx context.Context, req SignInRequest) (*SignIn, error) {
	// The hashing slot is taken before any database work: a refused or
	// queued sign-in then holds no pool connection either, so a flood of
	// sign-ins cannot starve the token endpoint of connections.
	release, err := s.hashing.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	now := s.clock()
	pid := strings.TrimSpace(req.PersonalID)
	_, parseErr := personalid.Parse(pid)

	var rec Record
	exists, found := false, false
	if parseErr == nil {
		rec, err = s.store.ByPersonalID(ctx, pid)
		switch {
		case err == nil:
			exists, found = true, rec.PasswordHash != ""
		case !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("accounts: sign in: %w", err)
		}
	}
	device := ""
	if exists {
		device = s.knownDevice(req.Devices, rec.ID, now)
	}
	k := s.passwordKeys(pid, parseErr == nil, req.IP, device)
	lock, seen, err := s.lockedOut(ctx, now, k.checked()...)
	if err != nil {
		return nil, fmt.Errorf("accounts: sign in: %w", err)
	}
	if lock == nil && s.spraying(seen, k, now) {
		if lock, err = s.slowPath(ctx, now, seen, k); err != nil {
			return nil, fmt.Errorf("accounts: sign in: %w", err)
		}
	}
	if lock != nil {
		e := req.event(audit.SignInLockedOut, "", audit.Denied, string(lock.Scope)+"_locked_out")
		if err := s.record(ctx, e); err != nil {
			return nil, err
		}
		return nil, lock
	}

	hash := s.dummyHash
	if found {
		hash = rec.PasswordHash
	}
	ok, rehash, err := VerifyPassword(req.Password, hash, s.params) // under the slot taken above
	if err != nil {
		s.logger.ErrorContext(ctx, "stored password hash unreadable", "account_id", rec.ID, "error", err, "request_id", req.RequestID)
		ok = false
	}
	if !found || !ok {
		reason, id := "bad_password", rec.ID
		if !found {
			reason, id = "unknown_account", ""
		}
		hard, err := s.countExtra(ctx, now, k, exists)
		if err != nil {
			return nil, fmt.Errorf("accounts: sign in: %w", err)
		}
		verdict := s.signInFailed(ctx, req, now, id, reason, k.pair, k.ip)
		if hard {
			if err := s.hardLock(ctx, rec, Actor{IP: req.IP, UserAgent: req.UserAgent, RequestID: req.RequestID}); err != nil {
				return nil, err
			}
		}
		return nil, verdict
	}

	if rehash {
		if h, err := HashPassword(req.Password, s.params); err == nil {
			if _, err := s.store.Update(ctx, rec.ID, func(r *Record) error { r.PasswordHash = h; return nil }); err != nil {
				s.logger.WarnContext(ctx, "password rehash failed", "account_id", rec.ID, "error", err, "request_id", req.RequestID)
			}
		}
	}
	switch rec.Status {
	case Locked:
		if err := s.record(ctx, req.event(audit.SignInFailed, rec.ID, audit.Denied, "account_locked")); err != nil {
			return nil, err
		}
		return nil, ErrLocked
	case Pending:
		if err := s.record(ctx, req.event(audit.SignInFailed, rec.ID, audit.Denied, "not_activated")); err != nil {
			return nil, err
		}
		return nil, ErrNotActivated
	}
	for _, key := range nonEmpty(k.pair, k.account) {
		if err := s.clearFailures(ctx, now, key, seen); err != nil {
			return nil, fmt.Errorf("accounts: sign in: %w", err)
		}
	}
	e := req.event(audit.SignInSucceeded, rec.ID, audit.Success, "password_ok")
	e.Detail = map[string]string{"step": "password"}
	if err := s.record(ctx, e); err != nil {
		return nil, err
	}
	factors, err := s.factors(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("accounts: sign in: %w", err)
	}
	return &SignIn{Account: rec.Account, Factors: factors}, nil
}

func (s *Service) signInFailed(ctx context.Context, req SignInRequest, now time.Time, accountID, reason string, keys ...ThrottleKey) error {
	return s.failed(ctx, now, "sign in", req.event(audit.SignInFailed, accountID, audit.Failure, reason), ErrBadCredentials, keys...)
}

// SecondFactorRequest is a second-factor step of a sign-in whose password
// step returned AccountID.
type SecondFactorRequest struct {
	AccountID string
	Factor    Factor
	Code      string
	// PasskeyState and PasskeyResponse are, for FactorPasskey,
	// BeginPasskeySignIn's state and the authenticator's answer (JSON).
	PasskeyState, PasskeyResponse []byte
	Devices                       []string // as in SignInRequest
	IP                            string
	UserAgent                     string
	RequestID                     string
}

func (r SecondFactorRequest) event(t audit.EventType, o audit.Outcome, reason string) audit.Event {
	return audit.Event{Type: t, ActorKind: audit.Citizen, ActorID: r.AccountID, AccountID: r.AccountID,
		Outcome: o, Reason: reason, IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID,
		Detail: map[string]string{"factor": string(r.Factor)}}
}

// VerifySecondFactor checks a TOTP or SMS code, or a passkey's answer.
//
// A TOTP code is accepted for the current 30-second step or one either
// side, and only for a step later than the last one accepted: the check
// and the update of the last step happen under the account's row lock, so
// two concurrent uses of one code cannot both pass (RFC 6238 §5.2). An SMS
// code is single use, expires after 5 minutes and is burnt after 5 wrong
// guesses. A passkey's answer must verify against the ceremony's state
// with user verification, from one of the account's passkeys, with a
// signature counter that grew (W3C WebAuthn §7.2). Wrong codes and refused
// passkey answers count against the account's second-factor throttle and
// the client address.
//
// Errors: ErrInvalidCode, ErrCodeReplayed, ErrCodeExpired,
// ErrFactorUnavailable, ErrPasskeyFailed, ErrLocked, ErrNotActivated,
// *LockoutError. Audit events: SecondFactorOK, SecondFactorFailed (reasons
// bad_code, replayed_code, expired_code, code_burnt, bad_passkey),
// SignInLockedOut.
func (s *Service) VerifySecondFactor(ctx context.Context, req SecondFactorRequest) (Account, error) {
	now := s.clock()
	rec, err := s.store.Get(ctx, req.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: second factor: %w", err)
	}
	switch rec.Status {
	case Locked:
		return Account{}, ErrLocked
	case Pending:
		return Account{}, ErrNotActivated
	}
	// Wrong codes count per (account, address) or (account, known device),
	// never on the password step's keys: a stranger who has the password
	// cannot block the citizen's sign-in elsewhere by guessing codes.
	sfKey := ThrottleKey{Scope: ScopeSecondFactor, Key: rec.PersonalID + " " + ipKey(req.IP)}
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	if d := s.knownDevice(req.Devices, rec.ID, now); d != "" {
		sfKey.Key, ipK.Key = rec.PersonalID+" "+d, ""
	}
	lock, seen, err := s.lockedOut(ctx, now, nonEmpty(sfKey, ipK)...)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: second factor: %w", err)
	}
	if lock != nil {
		if err := s.record(ctx, req.event(audit.SignInLockedOut, audit.Denied, string(lock.Scope)+"_locked_out")); err != nil {
			return Account{}, err
		}
		return Account{}, lock
	}
	code := strings.TrimSpace(req.Code)

	var verr error
	var reason string
	switch req.Factor {
	case FactorTOTP:
		verr, reason, err = s.checkTOTP(ctx, rec, code, now)
	case FactorSMS:
		verr, reason, err = s.checkSMS(ctx, rec, code, now)
	case FactorPasskey:
		verr, reason, err = s.checkPasskey(ctx, rec, req, now)
	default:
		verr, reason = ErrFactorUnavailable, "factor_unavailable"
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: second factor: %w", err)
	}
	if verr != nil {
		if errors.Is(verr, ErrFactorUnavailable) {
			return Account{}, verr
		}
		hard, err := s.countExtra(ctx, now, attemptKeys{hard: ThrottleKey{Scope: ScopeHardLock, Key: rec.PersonalID}}, true)
		if err != nil {
			return Account{}, fmt.Errorf("accounts: second factor: %w", err)
		}
		verdict := s.failed(ctx, now, "second factor", req.event(audit.SecondFactorFailed, audit.Failure, reason), verr, sfKey, ipK)
		if hard {
			if err := s.hardLock(ctx, rec, Actor{IP: req.IP, UserAgent: req.UserAgent, RequestID: req.RequestID}); err != nil {
				return Account{}, err
			}
		}
		return Account{}, verdict
	}
	if err := s.clearFailures(ctx, now, sfKey, seen); err != nil {
		return Account{}, fmt.Errorf("accounts: second factor: %w", err)
	}
	if err := s.resetHard(ctx, now, rec.PersonalID); err != nil {
		return Account{}, fmt.Errorf("accounts: second factor: %w", err)
	}
	e := req.event(audit.SecondFactorOK, audit.Success, "")
	e.ACR = assurance.Of(rec.Level, assurance.Level2).ACR()
	if err := s.record(ctx, e); err != nil {
		return Account{}, err
	}
	s.firstSignIn(ctx, &rec, now)
	return rec.Account, nil
}

// checkTOTP returns the verdict (verr, reason) or an operational error.
func (s *Service) checkTOTP(ctx context.Context, rec Record, code string, now time.Time) (verr error, reason string, err error) {
	if !rec.TOTP.Confirmed || len(rec.TOTP.Secret) == 0 {
		return ErrFactorUnavailable, "factor_unavailable", nil
	}
	_, err = s.store.Update(ctx, rec.ID, func(r *Record) error {
		// Re-read under the row lock: the step another request just
		// accepted must be seen here.
		secret, err := s.totp.open(r.ID, r.TOTP.Secret)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, code, now)
		switch {
		case !ok:
			verr, reason = ErrInvalidCode, "bad_code"
		case step <= r.TOTP.LastStep:
			verr, reason = ErrCodeReplayed, "replayed_code"
		default:
			r.TOTP.LastStep = step
			return nil
		}
		return verr
	})
	if verr != nil {
		return verr, reason, nil
	}
	return nil, "", err
}

func (s *Service) checkSMS(ctx context.Context, rec Record, code string, now time.Time) (verr error, reason string, err error) {
	err = s.store.UpdateSMSCode(ctx, rec.ID, func(c *SMSCode) error {
		switch {
		case !now.Before(c.ExpiresAt):
			verr, reason = ErrCodeExpired, "expired_code"
			c.Burnt = true
		case hmac.Equal(c.Hash, codeHash(s.codeKey, c.ID, code)):
			c.UsedAt = &now
		default:
			c.Attempts++
			verr, reason = ErrInvalidCode, "bad_code"
			if c.Attempts >= s.smsAttempts {
				c.Burnt = true
				verr, reason = ErrCodeExpired, "code_burnt"
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return ErrCodeExpired, "expired_code", nil
	}
	return verr, reason, err
}

// SMSRequest asks for an SMS code for the sign-in of AccountID.
type SMSRequest struct {
	AccountID string
	IP        string
	UserAgent string
	RequestID string
}

// SendSMSCode sends a new 6-digit code to the account's phone (retiring any
// earlier one) and returns the masked number it went to. At most
// SMSPerHour codes go to one account per hour (*LockoutError beyond).
func (s *Service) SendSMSCode(ctx context.Context, req SMSRequest) (string, error) {
	now := s.clock()
	rec, err := s.store.Get(ctx, req.AccountID)
	if err != nil {
		return "", fmt.Errorf("accounts: send SMS code: %w", err)
	}
	switch {
	case rec.Status == Locked:
		return "", ErrLocked
	case rec.Status == Pending:
		return "", ErrNotActivated
	case rec.Phone == "":
		return "", ErrFactorUnavailable
	}
	ev := audit.Event{Type: audit.OTPSent, ActorKind: audit.Citizen, ActorID: rec.ID, AccountID: rec.ID,
		IP: req.IP, UserAgent: req.UserAgent, RequestID: req.RequestID, Detail: map[string]string{"channel": "sms"}}
	// The send itself counts as the "failure" of the SMS throttle: its
	// window is one hour and its limit SMSPerHour.
	if lock, err := s.countFailure(ctx, now, ThrottleKey{Scope: ScopeSMS, Key: rec.ID}); err != nil {
		return "", fmt.Errorf("accounts: send SMS code: %w", err)
	} else if lock != nil {
		ev.Outcome, ev.Reason = audit.Denied, "sms_rate_limited"
		if err := s.record(ctx, ev); err != nil {
			return "", err
		}
		return "", lock
	}
	code, err := newSMSCode()
	if err != nil {
		return "", err
	}
	c := SMSCode{ID: uuid.NewString(), AccountID: rec.ID, CreatedAt: now, ExpiresAt: now.Add(s.smsTTL)}
	c.Hash = codeHash(s.codeKey, c.ID, code)
	if err := s.store.CreateSMSCode(ctx, c); err != nil {
		return "", fmt.Errorf("accounts: send SMS code: %w", err)
	}
	if err := s.sender.Send(ctx, rec.Phone, smsMessage(code, s.smsTTL)); err != nil {
		ev.Outcome, ev.Reason = audit.Failure, "send_failed"
		_ = s.record(ctx, ev)
		return "", fmt.Errorf("accounts: send SMS code: %w", err)
	}
	ev.Outcome = audit.Success
	if err := s.record(ctx, ev); err != nil {
		return "", err
	}
	return MaskPhone(rec.Phone), nil
}

// SignedOut records that the holder signed out of a browser session.
func (s *Service) SignedOut(ctx context.Context, accountID string, by Actor) error {
	return s.record(ctx, by.event(audit.SignedOut, accountID, audit.Success))
}

// Purge deletes SMS codes that expired a day ago or more, throttles left
// alone for the lockout policy's StrikeMemory, and self-registrations
// started a day ago or more. Run it periodically (any replica; it is
// idempotent).
func (s *Service) Purge(ctx context.Context) (int64, error) {
	now := s.clock()
	before := now.Add(-s.lockout.StrikeMemory)
	if day := now.Add(-24 * time.Hour); day.Before(before) {
		before = day
	}
	n, err := s.store.Purge(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("accounts: purge: %w", err)
	}
	if s.regs != nil {
		m, err := s.regs.PurgeRegistrations(ctx, now.Add(-24*time.Hour))
		if err != nil {
			return n, fmt.Errorf("accounts: purge: %w", err)
		}
		n += m
	}
	// Browser sessions live at most as long as the scs lifetime (hours);
	// a month keeps the list honest with room to spare.
	m, err := s.purgeBrowserSessions(ctx, now.Add(-30*24*time.Hour))
	if err != nil {
		return n, fmt.Errorf("accounts: purge: %w", err)
	}
	return n + m, nil
}
