package accounts

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/audit"
)

// SecondFactors is what the account page shows of the account's second
// factors: the masked phone of SMS codes, whether an authenticator app
// (TOTP) is set up, how many passkeys.
type SecondFactors struct {
	MaskedPhone string
	TOTP        bool
	Passkeys    int
}

// SecondFactorsOf returns the account's second factors.
func (s *Service) SecondFactorsOf(ctx context.Context, accountID string) (SecondFactors, error) {
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return SecondFactors{}, fmt.Errorf("accounts: second factors: %w", err)
	}
	out := SecondFactors{TOTP: rec.TOTP.Confirmed && len(rec.TOTP.Secret) > 0}
	if rec.Phone != "" {
		out.MaskedPhone = MaskPhone(rec.Phone)
	}
	keys, err := s.Passkeys(ctx, accountID)
	if err != nil {
		return SecondFactors{}, err
	}
	out.Passkeys = len(keys)
	return out, nil
}

// BeginTOTPChange starts setting up (or replacing) the authenticator app
// of a holder signed in with password and second factor within
// ReauthWindow (ErrReauthRequired). The current authenticator keeps
// working until FinishTOTPChange: the new secret is returned sealed
// (pending) for the caller to keep, with the enrolment to show once.
func (s *Service) BeginTOTPChange(ctx context.Context, by SignedIn) (TOTPEnrolment, []byte, error) {
	if !s.Reauthenticated(by) {
		return TOTPEnrolment{}, nil, ErrReauthRequired
	}
	rec, err := s.store.Get(ctx, by.AccountID)
	if err != nil {
		return TOTPEnrolment{}, nil, fmt.Errorf("accounts: begin TOTP change: %w", err)
	}
	if rec.Status == Locked {
		return TOTPEnrolment{}, nil, ErrLocked
	}
	enr, err := generateTOTP(s.issuer, rec.PersonalID)
	if err != nil {
		return TOTPEnrolment{}, nil, err
	}
	sealed, err := s.totp.seal(rec.ID, enr.Secret)
	if err != nil {
		return TOTPEnrolment{}, nil, err
	}
	return enr, sealed, nil
}

// FinishTOTPChange makes the pending secret of BeginTOTPChange the
// account's authenticator once code, from the new app, matches it; the
// holder must still be re-authenticated (ErrReauthRequired). Wrong codes
// count against the (personal id number, client address) pair and the
// address (ErrInvalidCode, then a lockout), never the account. Audit:
// FactorChanged with detail factor=otp, change=replaced (or enrolled).
func (s *Service) FinishTOTPChange(ctx context.Context, by SignedIn, pending []byte, code string, c Client) error {
	if !s.Reauthenticated(by) {
		return s.refuse(ctx, c, by.AccountID, audit.FactorChanged, "reauth_required", ErrReauthRequired)
	}
	now := s.clock()
	const op = "finish TOTP change"
	rec, g, err := s.openChange(ctx, now, by.AccountID, c, audit.FactorChanged, op)
	if err != nil {
		return err
	}
	secret, err := s.totp.open(rec.ID, pending)
	if err != nil {
		return ErrCodeExpired // not a secret sealed for this account
	}
	step, ok := matchTOTP(secret, cleanCode(code), now)
	if !ok {
		return s.miss(ctx, now, op, g, c.event(audit.FactorChanged, rec.ID, audit.Failure, "wrong_code"), ErrInvalidCode)
	}
	if err := s.passed(ctx, now, op, g); err != nil {
		return err
	}
	_, err = s.update(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		change := "enrolled"
		if r.TOTP.Confirmed {
			change = "replaced"
		}
		r.TOTP = TOTPState{Secret: pending, Confirmed: true, LastStep: step}
		e := c.event(audit.FactorChanged, r.ID, audit.Success, "")
		e.Detail = map[string]string{"factor": string(FactorTOTP), "change": change, "method": "self_service"}
		return e, nil
	})
	if err != nil {
		return fmt.Errorf("accounts: finish TOTP change: %w", err)
	}
	return nil
}
