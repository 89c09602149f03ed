package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

// ForeignerRegistry is the foreigners' registry as registration from
// passport data reads it (foreigners/postgres.Store satisfies it).
type ForeignerRegistry interface {
	ByPassport(ctx context.Context, issuingCountry, passportNo string) (foreigners.Resident, error)
}

// Errors of registration from passport data.
var (
	// ErrInvalidPassport: the passport number, a country code, a name or
	// the sex cannot be read. It depends on the input alone.
	ErrInvalidPassport = fmt.Errorf("%w: passport data cannot be read", ErrInvalid)
	// ErrPermitExpired: the details matched the foreigners' registry, but
	// the visa or residence card has expired (no account for a stay that
	// ended).
	ErrPermitExpired = errors.New("accounts: residence permit expired")
	// ErrPassportExpired: the details matched, but the passport has
	// expired.
	ErrPassportExpired = errors.New("accounts: passport expired")
)

// ForeignerRegistrationRequest is the first step of a foreigner's
// self-registration: their passport as its MRZ prints it and the visa or
// residence card that lets them stay.
type ForeignerRegistrationRequest struct {
	PassportNo string
	// IssuingCountry and Nationality: ISO 3166-1 alpha-3 as in the MRZ
	// ("KOR"), or alpha-2 ("KR").
	IssuingCountry string
	Nationality    string
	// PrimaryName (surname) and SecondaryName (given names) as in the
	// passport: compared in MRZ form (foreigners.MRZName), so case,
	// diacritics, hyphens and '<' fillers do not matter.
	PrimaryName    string
	SecondaryName  string
	BirthDate      time.Time // a date
	Sex            string    // M, F or X
	PassportExpiry time.Time // a date
	PermitNumber   string    // visa or residence card number
	PermitExpiry   time.Time // a date
	Phone          string
	Email          string
	Lang           string
	Client
}

// StartForeignerRegistration checks a foreigner's passport data against
// the foreigners' registry and sends a code to the phone (or e-mail
// address); the registration then goes on as a citizen's
// (ConfirmRegistration, CompleteRegistration), and the account's login
// is the identification number the registry assigned to the foreigner
// (the account's PersonalID, shown to them once the account exists).
//
// Checks, in this order, so that each answer tells no more than the caller
// has shown they know:
//   - the phone or e-mail address and the passport data read as such
//     (ErrInvalidPhone, ErrInvalidPassport); these depend on the input
//     alone;
//   - the registry holds a resident with that passport, and every field
//     agrees: nationality, both names, date of birth, sex, passport expiry,
//     permit number and expiry (ErrIdentityMismatch, the same answer for an
//     unknown passport and for any field that differs, so that the form
//     cannot be used to learn a field of someone else's record one at a
//     time; the audit row names the differing fields, never their values);
//   - only then: the permit and the passport still valid (ErrPermitExpired,
//     ErrPassportExpired), aged 14 or more (ErrUnderage), no account yet
//     for the assigned number (ErrAlreadyRegistered).
//
// Mismatches count against the client address like a wrong password, and
// the code limits are the citizen's.
func (s *Service) StartForeignerRegistration(ctx context.Context, req ForeignerRegistrationRequest) (RegistrationStarted, error) {
	if s.regs == nil || s.foreigners == nil {
		return RegistrationStarted{}, ErrNoRegistrations
	}
	now := s.clock()
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	if lock, _, err := s.lockedOut(ctx, now, ipK); err != nil {
		return RegistrationStarted{}, fmt.Errorf("accounts: start foreigner registration: %w", err)
	} else if lock != nil {
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, string(lock.Scope)+"_locked_out", lock)
	}
	phone, email, err := s.registrationContact(req.Phone, req.Email)
	if err != nil {
		return RegistrationStarted{}, err
	}
	passportNo, err := foreigners.PassportNumber(req.PassportNo)
	if err != nil {
		return RegistrationStarted{}, ErrInvalidPassport
	}
	issuing, err := foreigners.CountryCode(req.IssuingCountry)
	if err != nil {
		return RegistrationStarted{}, ErrInvalidPassport
	}
	nationality, err := foreigners.CountryCode(req.Nationality)
	if err != nil {
		return RegistrationStarted{}, ErrInvalidPassport
	}
	primary, secondary := foreigners.MRZName(req.PrimaryName), foreigners.MRZName(req.SecondaryName)
	sex := strings.ToUpper(strings.TrimSpace(req.Sex))
	if primary == "" || len(primary) > 100 || len(secondary) > 100 ||
		(sex != foreigners.SexMale && sex != foreigners.SexFemale && sex != foreigners.SexUnspecified) {
		return RegistrationStarted{}, ErrInvalidPassport
	}
	r, err := s.foreigners.ByPassport(ctx, issuing, passportNo)
	switch {
	case errors.Is(err, foreigners.ErrNotFound):
		return RegistrationStarted{}, s.mismatch(ctx, req.Client, now, ipK, "", "unknown_passport")
	case err != nil:
		return RegistrationStarted{}, fmt.Errorf("accounts: start foreigner registration: %w", err)
	}
	var differ []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"nationality", r.Nationality == nationality},
		{"primary_name", r.PrimaryName == primary},
		{"secondary_name", r.SecondaryName == secondary},
		{"birth_date", sameDay(r.BirthDate, req.BirthDate)},
		{"sex", r.Sex == sex},
		{"passport_expiry", sameDay(r.PassportExpiry, req.PassportExpiry)},
		{"permit_number", r.PermitNumber == strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(req.PermitNumber), " ", ""))},
		{"permit_expiry", sameDay(r.PermitExpiry, req.PermitExpiry)},
	} {
		if !f.same {
			differ = append(differ, f.name)
		}
	}
	if len(differ) > 0 {
		e := req.event(audit.AccountRegistered, "", audit.Failure, "registry_mismatch")
		e.Detail = map[string]string{"channel": "foreigner", "differs": strings.Join(differ, ",")}
		return RegistrationStarted{}, s.failed(ctx, now, "registration", e, ErrIdentityMismatch, ipK)
	}
	switch {
	case r.PermitExpired(now):
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "permit_expired", ErrPermitExpired)
	case !sameDayOrAfter(r.PassportExpiry, now):
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "passport_expired", ErrPassportExpired)
	case Age(r.BirthDate, now) < MinAge:
		return RegistrationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountRegistered, "under_14", ErrUnderage)
	}
	return s.startCode(ctx, req.Client, now, r.ID, phone, email, req.Lang)
}

// sameDayOrAfter reports whether the date d is the day of now or later.
func sameDayOrAfter(d, now time.Time) bool {
	n := now.UTC()
	return !time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Before(time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC))
}

// registrationContact reads the contact of a registration: the phone, or
// the e-mail address when only that is given.
func (s *Service) registrationContact(phone, email string) (string, string, error) {
	if strings.TrimSpace(email) != "" && strings.TrimSpace(phone) == "" {
		if s.email == nil {
			return "", "", ErrNoEmail
		}
		e, err := NormalizeEmail(email)
		return "", e, err
	}
	p, err := NormalizePhone(phone)
	return p, "", err
}
