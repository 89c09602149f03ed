package accounts

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Errors of self-registration.
var (
	// ErrIdentityMismatch: the population registry has no person with this
	// personal id number, or the name, date of birth or gender differ from
	// the record. One error for both, so that a caller who knows only a
	// number cannot learn whether it is registered.
	ErrIdentityMismatch = errors.New("accounts: details do not match the population registry")
	// ErrUnderage: the person is under 14; children and wards are
	// registered under a parent's or guardian's account.
	ErrUnderage = fmt.Errorf("%w: under 14, registered under a parent's or guardian's account", ErrInvalid)
	// ErrAlreadyRegistered: the personal id number has an account already.
	ErrAlreadyRegistered = fmt.Errorf("%w: personal id number already registered", ErrAlreadyExists)
	// ErrPhoneTaken: another account holds the phone number (one phone, one
	// account).
	ErrPhoneTaken = fmt.Errorf("%w: phone number held by another account", ErrAlreadyExists)
	// ErrRegistrationExpired: the registration is unknown, finished, or was
	// not completed in time; start again.
	ErrRegistrationExpired = errors.New("accounts: registration expired")
	// ErrPhoneNotConfirmed: the password step came before the SMS code.
	ErrPhoneNotConfirmed = errors.New("accounts: phone number not confirmed")
	// ErrInvalidPhone: the phone number cannot be read as a Vietnamese or
	// E.164 number.
	ErrInvalidPhone = fmt.Errorf("%w: phone number must be a Vietnamese mobile number or E.164 (+84...)", ErrInvalid)
	// ErrNoRegistrations: the service was built without a RegistrationStore.
	ErrNoRegistrations = errors.New("accounts: self-registration not configured")
)

// MinAge is the age from which a person holds an account of their own
// (Decree 69/2024 art. 11: younger children and wards are registered under a
// parent's or guardian's account).
const MinAge = 14

// registrationTTL bounds a whole registration, from the first step to the
// password.
const registrationTTL = 30 * time.Minute

// Registration is a self-registration in progress, as stored: the identity
// was checked against the population registry and a code went to Phone.
type Registration struct {
	ID         string
	PersonalID string
	// Phone (E.164) or Email is where the code went: exactly one is set.
	Phone string
	Email string
	// Lang is the registration page's language, the account's (LangVI or
	// LangEN).
	Lang string
	// CodeHash is HMAC-SHA-256(code key, ID ":" code).
	CodeHash    []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time // of the code
	Attempts    int       // wrong codes so far
	Burnt       bool      // too many wrong codes, or the code expired
	ConfirmedAt *time.Time
	CompletedAt *time.Time // the account was created
}

// RegistrationStore keeps self-registrations in progress. Implementations
// translate a missing row to ErrNotFound; times are UTC.
type RegistrationStore interface {
	CreateRegistration(ctx context.Context, g Registration) error
	// UpdateRegistration locks the registration, calls fn with it and
	// writes back Attempts, Burnt, ConfirmedAt and CompletedAt, in one
	// transaction. An error from fn rolls back and is returned (wrapped).
	UpdateRegistration(ctx context.Context, id string, fn func(*Registration) error) (Registration, error)
	// PhoneInUse reports whether an account holds phone.
	PhoneInUse(ctx context.Context, phone string) (bool, error)
	// PurgeRegistrations deletes registrations created before before.
	PurgeRegistrations(ctx context.Context, before time.Time) (int64, error)
}

// Client is where a request of a citizen who has not signed in comes from.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

func (c Client) event(t audit.EventType, accountID string, o audit.Outcome, reason string) audit.Event {
	return audit.Event{Type: t, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID, Outcome: o,
		Reason: reason, IP: c.IP, UserAgent: c.UserAgent, RequestID: c.RequestID}
}

// RegistrationRequest is the first step of a self-registration: what the
// citizen typed, or what the chip ID card's QR code said.
type RegistrationRequest struct {
	PersonalID string
	FullName   string
	BirthDate  time.Time // a date; its calendar day in its own location counts
	Gender     attributes.Gender
	Phone      string // E.164 or a Vietnamese number (09x..., 84...)
	// Email is the contact instead of Phone, for a citizen with no phone:
	// the code goes there by e-mail. Exactly one of Phone and Email.
	Email string
	// Lang is the page's language (LangVI or LangEN), kept as the
	// account's.
	Lang string
	Client
}

// RegistrationStarted says where the code went: MaskedPhone, or MaskedEmail
// for an e-mail registration.
type RegistrationStarted struct {
	ID          string
	MaskedPhone string
	MaskedEmail string
}

// NormalizePhone reads a Vietnamese mobile number as written by its holder
// ("0901 000 004", "84901000004", "+84 901-000-004") or any E.164 number,
// and returns it in E.164.
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", ErrInvalidPhone
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "+"):
	case strings.HasPrefix(p, "0") && len(p) == 10:
		p = "+84" + p[1:]
	case strings.HasPrefix(p, "84") && len(p) == 11:
		p = "+" + p
	default:
		return "", ErrInvalidPhone
	}
	if !ValidPhone(p) {
		return "", ErrInvalidPhone
	}
	return p, nil
}

// FoldText folds a name or a security answer for comparison: decomposed
// (Unicode NFD) with the combining marks dropped, so "Cường" and "Cuong"
// agree; đ read as d; lower case; punctuation read as space; runs of white
// space made one space; trimmed.
func FoldText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}

// StartRegistration checks a self-registration against the population
// registry and sends a code to the phone (MISSION "Level 1": enter ID
// number and phone, or scan the card's QR code; the data is checked against
// the national population database; an SMS OTP confirms the phone).
//
// Checks, in this order, so that each answer tells no more than the caller
// has shown they know:
//   - the phone number reads as one (ErrInvalidPhone), the personal id
//     number's rules and its agreement with the date of birth and gender
//     entered (the personalid errors); these depend only on the input;
//   - the registry holds the person with that name (diacritics, case and
//     spacing aside), date of birth and gender (ErrIdentityMismatch, the
//     same for an unknown number);
//   - only then: aged 14 or more (ErrUnderage) and no account yet
//     (ErrAlreadyRegistered).
//
// Whether another account holds the phone is told only after the code
// proved the caller holds it (ConfirmRegistration), so the form cannot be
// used to find out which numbers have accounts.
//
// A mismatch counts against the client address like a wrong password. At
// most SMSPerHour codes go to one phone and SMSPerAddressHour codes to one
// client address per hour (*LockoutError beyond).
func (s *Service) StartRegistration(ctx context.Context, req RegistrationRequest) (RegistrationStarted, error) {
	if s.regs == nil || s.registry == nil {
		return RegistrationStarted{}, ErrNoRegistrations
	}
	now := s.clock()
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	if lock, _, err := s.lockedOut(ctx, now, ipK); err != nil {
		return RegistrationStarted{}, fmt.Errorf("accounts: start registration: %w", err)
	} else if lock != nil {
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, string(lock.Scope)+"_locked_out", lock)
	}
	phone, email, err := s.registrationContact(req.Phone, req.Email)
	if err != nil {
		return RegistrationStarted{}, err
	}
	pid := strings.TrimSpace(req.PersonalID)
	if err := personalid.Validate(pid, req.BirthDate, req.Gender); err != nil {
		return RegistrationStarted{}, err
	}
	person, err := s.registry.Person(ctx, pid)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		return RegistrationStarted{}, s.mismatch(ctx, req.Client, now, ipK, "", "unknown_person")
	case err != nil:
		return RegistrationStarted{}, fmt.Errorf("accounts: start registration: %w", err)
	}
	if FoldText(person.FullName) != FoldText(req.FullName) || !sameDay(person.BirthDate, req.BirthDate) || person.Gender != req.Gender {
		return RegistrationStarted{}, s.mismatch(ctx, req.Client, now, ipK, "", "registry_mismatch")
	}
	if Age(person.BirthDate, now) < MinAge {
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "under_14", ErrUnderage)
	}
	return s.startCode(ctx, req.Client, now, pid, phone, email, req.Lang)
}

// startCode is the end of a registration's first step, once the identity
// matched the registry: no account yet for pid (ErrAlreadyRegistered), no
// second-factor lock on it, then a registration and a code to the phone or
// e-mail address.
func (s *Service) startCode(ctx context.Context, c Client, now time.Time, pid, phone, email, lang string) (RegistrationStarted, error) {
	switch existing, err := s.store.ByPersonalID(ctx, pid); {
	case err == nil:
		// In the holder's history: someone who knew their card's details
		// tried to register again.
		return RegistrationStarted{}, s.refuse(ctx, c, existing.ID, audit.AccountRegistered, "already_registered", ErrAlreadyRegistered)
	case !errors.Is(err, ErrNotFound):
		return RegistrationStarted{}, fmt.Errorf("accounts: start registration: %w", err)
	}

	// Too many wrong codes for this number lately: no new code before the
	// lock runs out.
	if lock, _, err := s.lockedOut(ctx, now, ThrottleKey{Scope: ScopeSecondFactor, Key: pid}); err != nil {
		return RegistrationStarted{}, fmt.Errorf("accounts: start registration: %w", err)
	} else if lock != nil {
		return RegistrationStarted{}, s.refuse(ctx, c, "", audit.AccountRegistered, string(lock.Scope)+"_locked_out", lock)
	}
	g := Registration{ID: uuid.NewString(), PersonalID: pid, Phone: phone, Email: email, Lang: NormalizeLang(lang),
		CreatedAt: now, ExpiresAt: now.Add(s.smsTTL)}
	to := contact{channel: "sms", address: phone, lang: g.Lang}
	if email != "" {
		to = contact{channel: "email", address: email, lang: g.Lang}
	}
	if err := s.sendCodeTo(ctx, c, now, "", to, "registration", nil, func(code string) error {
		g.CodeHash = codeHash(s.codeKey, g.ID, code)
		return s.regs.CreateRegistration(ctx, g)
	}); err != nil {
		return RegistrationStarted{}, err
	}
	if email != "" {
		return RegistrationStarted{ID: g.ID, MaskedEmail: MaskEmail(email)}, nil
	}
	return RegistrationStarted{ID: g.ID, MaskedPhone: MaskPhone(phone)}, nil
}

// mismatch counts a failed identity check against the client address.
func (s *Service) mismatch(ctx context.Context, c Client, now time.Time, ipK ThrottleKey, accountID, reason string) error {
	return s.failed(ctx, now, "registration", c.event(audit.AccountRegistered, accountID, audit.Failure, reason), ErrIdentityMismatch, ipK)
}

// refuse records a refusal of type t and returns verdict.
func (s *Service) refuse(ctx context.Context, c Client, accountID string, t audit.EventType, reason string, verdict error) error {
	if err := s.record(ctx, c.event(t, accountID, audit.Denied, reason)); err != nil {
		return err
	}
	return verdict
}

// sendCode draws a code, lets store keep its hash, and sends it to phone,
// within the hourly limits per destination (ScopeSMS, keyed by the account
// or, before there is one, by the number) and per client address. purpose
// is named in the OTPSent event.
func (s *Service) sendCode(ctx context.Context, c Client, now time.Time, accountID, phone, purpose string, store func(code string) error) error {
	return s.sendCodeTo(ctx, c, now, accountID, contact{channel: "sms", address: phone}, purpose, nil, store)
}

// sendCodeFrom is sendCode with the code made by gen (nil: a random one).
func (s *Service) sendCodeFrom(ctx context.Context, c Client, now time.Time, accountID, phone, purpose string, gen func() string, store func(code string) error) error {
	return s.sendCodeTo(ctx, c, now, accountID, contact{channel: "sms", address: phone}, purpose, gen, store)
}

// contact is where a code goes: an SMS to a phone or an e-mail to an
// address, written in lang (e-mail only; SMS codes are plain ASCII
// Vietnamese).
type contact struct {
	channel, address, lang string
}

// sendCodeTo is sendCode to a phone or an e-mail address, with the code
// made by gen (nil: a random one). The limits are
// the same for both and shared: per destination (ScopeSMS keyed by the
// account, or before there is one by "phone:<number>" or
// "email:<address>") and per client address, so that a stranger cannot use
// up the citizen's codes from elsewhere without being stopped first.
func (s *Service) sendCodeTo(ctx context.Context, c Client, now time.Time, accountID string, to contact, purpose string, gen func() string, store func(code string) error) error {
	ev := c.event(audit.OTPSent, accountID, audit.Success, "")
	ev.Detail = map[string]string{"channel": to.channel, "purpose": purpose}
	dest := ThrottleKey{Scope: ScopeSMS, Key: accountID}
	if accountID == "" {
		dest.Key = "phone:" + to.address
		if to.channel == "email" {
			dest.Key = "email:" + strings.ToLower(to.address)
		}
	}
	lock, err := s.countFailure(ctx, now, dest, ThrottleKey{Scope: ScopeSMSAddress, Key: ipKey(c.IP)})
	if err != nil {
		return fmt.Errorf("accounts: send code: %w", err)
	}
	if lock != nil {
		ev.Outcome, ev.Reason = audit.Denied, "sms_rate_limited"
		if err := s.record(ctx, ev); err != nil {
			return err
		}
		return lock
	}
	code := ""
	if gen != nil {
		code = gen()
	} else if code, err = newSMSCode(); err != nil {
		return err
	}
	if err := store(code); err != nil {
		return fmt.Errorf("accounts: send code: %w", err)
	}
	if to.channel == "email" {
		subject, text := emailCode(to.lang, code, s.smsTTL)
		err = s.email.SendEmail(ctx, to.address, subject, text)
	} else {
		err = s.sender.Send(ctx, to.address, smsMessage(code, s.smsTTL))
	}
	if err != nil {
		ev.Outcome, ev.Reason = audit.Failure, "send_failed"
		_ = s.record(ctx, ev)
		return fmt.Errorf("accounts: send code: %w", err)
	}
	return s.record(ctx, ev)
}

// RegistrationCode is the second step: the code sent by StartRegistration.
type RegistrationCode struct {
	ID   string
	Code string
	Client
}

// ConfirmRegistration checks the code sent to the registration's phone. A
// code is single use, expires after the SMS code lifetime and is burnt after
// SMSMaxAttempts wrong guesses (ErrCodeExpired; start again). Wrong codes
// count against the personal id number's second-factor throttle and the
// client address (*LockoutError).
//
// Once the phone is confirmed, ErrPhoneTaken says that another account holds
// it: only the holder of the phone learns that.
func (s *Service) ConfirmRegistration(ctx context.Context, req RegistrationCode) error {
	if s.regs == nil {
		return ErrNoRegistrations
	}
	now := s.clock()
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	code := strings.TrimSpace(req.Code)
	var verr error
	var reason string
	var sfKey ThrottleKey
	g, err := s.regs.UpdateRegistration(ctx, req.ID, func(g *Registration) error {
		sfKey = ThrottleKey{Scope: ScopeSecondFactor, Key: g.PersonalID}
		lock, _, err := s.lockedOut(ctx, now, ipK, sfKey)
		if err != nil {
			return err
		}
		if lock != nil {
			return lock
		}
		match := hmac.Equal(g.CodeHash, codeHash(s.codeKey, g.ID, code))
		switch {
		case g.CompletedAt != nil || g.Burnt:
			verr, reason = ErrRegistrationExpired, "registration_expired"
		case g.ConfirmedAt != nil:
			// Confirmed before: the same code again (a resubmitted form) is
			// fine, any other is wrong; neither burns the registration.
			if !match {
				verr, reason = ErrInvalidCode, "bad_code"
			}
		case !now.Before(g.ExpiresAt):
			verr, reason = ErrCodeExpired, "expired_code"
			g.Burnt = true
		case match:
			g.ConfirmedAt = &now
		default:
			g.Attempts++
			verr, reason = ErrInvalidCode, "bad_code"
			if g.Attempts >= s.smsAttempts {
				g.Burnt = true
				verr, reason = ErrCodeExpired, "code_burnt"
			}
		}
		return nil
	})
	detail := map[string]string{"factor": string(FactorSMS), "purpose": "registration"}
	switch le, isLock := AsLockout(err); {
	case isLock:
		e := req.event(audit.SignInLockedOut, "", audit.Denied, string(le.Scope)+"_locked_out")
		e.Detail = detail
		if err := s.record(ctx, e); err != nil {
			return err
		}
		return le
	case errors.Is(err, ErrNotFound):
		return ErrRegistrationExpired
	case err != nil:
		return fmt.Errorf("accounts: confirm registration: %w", err)
	}
	if verr != nil {
		e := req.event(audit.SecondFactorFailed, "", audit.Failure, reason)
		e.Detail = detail
		if errors.Is(verr, ErrRegistrationExpired) {
			return verr
		}
		return s.failed(ctx, now, "confirm registration", e, verr, sfKey, ipK)
	}
	e := req.event(audit.SecondFactorOK, "", audit.Success, "")
	e.Detail = detail
	if err := s.record(ctx, e); err != nil {
		return err
	}
	if g.Phone == "" {
		return nil
	}
	used, err := s.regs.PhoneInUse(ctx, g.Phone)
	if err != nil {
		return fmt.Errorf("accounts: confirm registration: %w", err)
	}
	if used {
		return s.refuse(ctx, req.Client, "", audit.AccountRegistered, "phone_in_use", ErrPhoneTaken)
	}
	return nil
}

// RegistrationCompletion is the last step: the password.
type RegistrationCompletion struct {
	ID       string
	Password string
	Client
}

// CompleteRegistration creates the account of a registration whose phone
// was confirmed: level 0 (registered, not yet identified) and pending. It
// becomes level 1 once the portrait and the chip are checked (in the app,
// or at a police counter: Service.Enrol with evidence), and can then be activated.
//
// Audit: AccountRegistered, by the citizen, with level, status, channel and
// contact (phone or email). The citizen is told (NoticeRegistration) at the
// contact they confirmed, in the registration's language.
func (s *Service) CompleteRegistration(ctx context.Context, req RegistrationCompletion) (Account, error) {
	if s.regs == nil {
		return Account{}, ErrNoRegistrations
	}
	hash, err := s.hashPassword(ctx, req.Password)
	if err != nil {
		return Account{}, err
	}
	now := s.clock()
	var acct Account
	_, err = s.regs.UpdateRegistration(ctx, req.ID, func(g *Registration) error {
		switch {
		case g.CompletedAt != nil || g.Burnt || !now.Before(g.CreatedAt.Add(registrationTTL)):
			return ErrRegistrationExpired
		case g.ConfirmedAt == nil:
			return ErrPhoneNotConfirmed
		}
		rec, err := s.NewRecord(NewAccount{PersonalID: g.PersonalID, Level: assurance.None, Status: Pending, Phone: g.Phone, Email: g.Email, Lang: g.Lang}, now)
		if err != nil {
			return err
		}
		rec.PasswordHash = hash
		if err := s.reuseID(ctx, &rec); err != nil {
			return err
		}
		e := req.event(audit.AccountRegistered, rec.ID, audit.Success, "")
		e.Detail = map[string]string{"level": "0", "status": string(Pending), "channel": "web", "contact": "phone"}
		if g.Email != "" {
			e.Detail["contact"] = "email"
		}
		// Recorded before the account's insert commits: an account whose
		// creation cannot be audited is not created, and the registration
		// stays open for another try.
		if err := s.store.Create(ctx, rec, func() error { return s.record(ctx, e) }); err != nil {
			if !errors.Is(err, ErrAlreadyExists) {
				return err
			}
			if _, err := s.store.ByPersonalID(ctx, g.PersonalID); err == nil {
				return ErrAlreadyRegistered
			}
			return ErrPhoneTaken
		}
		g.CompletedAt = &now
		acct = rec.Account
		return nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return Account{}, ErrRegistrationExpired
	case errors.Is(err, ErrAlreadyRegistered):
		return Account{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "already_registered", ErrAlreadyRegistered)
	case errors.Is(err, ErrPhoneTaken):
		return Account{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "phone_in_use", ErrPhoneTaken)
	case err != nil:
		return Account{}, fmt.Errorf("accounts: complete registration: %w", err)
	}
	s.notice(ctx, acct, NoticeRegistration, map[string]string{"approved": "true"}, req.RequestID)
	return acct, nil
}
