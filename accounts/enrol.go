package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
)

// ErrLevel: the account's level does not allow the enrolment (a level 2
// enrolment needs level 1 first), or it is at that level already.
var ErrLevel = errors.New("accounts: account level does not allow this enrolment")

// EnrolLevel1 raises a level 0 account (registered on the web, not yet
// identified) to level 1 after an officer checked the holder's chip ID card
// and took the portrait, which the app otherwise does by NFC and camera
// (MISSION "Level 1"). The portrait itself goes to package biometrics, not
// here. by names the officer (or the app's verification service, as
// audit.System). A locked account is refused (ErrLocked).
func (s *Service) EnrolLevel1(ctx context.Context, accountID string, by Actor) (Account, error) {
	return s.enrol(ctx, accountID, assurance.Level1, by)
}

// EnrolLevel2 raises a level 1 account to level 2 after an officer, at a
// police counter, checked the chip card, took the portrait and fingerprints,
// verified them against the ID card database and recorded the holder's
// consent (MISSION "Level 2"). The biometrics go to package biometrics; this
// records the level and the officer. A level 0 account must reach level 1
// first (ErrLevel); a locked account is refused (ErrLocked).
//
// Audit: OfficerAction with action "enrol_level2", the old and new level,
// actor the officer.
func (s *Service) EnrolLevel2(ctx context.Context, accountID string, by Actor) (Account, error) {
	return s.enrol(ctx, accountID, assurance.Level2, by)
}

func (s *Service) enrol(ctx context.Context, accountID string, to assurance.Level, by Actor) (Account, error) {
	if by.ID == "" {
		return Account{}, fmt.Errorf("%w: the enrolling officer must be named", ErrInvalid)
	}
	a, err := s.update(ctx, accountID, func(r *Record) (audit.Event, error) {
		switch {
		case r.Status == Locked:
			return audit.Event{}, ErrLocked
		case r.Level != to-1:
			return audit.Event{}, fmt.Errorf("%w: account is level %d, enrolment to level %d needs level %d", ErrLevel, r.Level, to, to-1)
		}
		from := r.Level
		r.Level = to
		e := by.event(audit.OfficerAction, r.ID, audit.Success)
		e.Reason = fmt.Sprintf("enrol_level%d", to)
		e.Detail = map[string]string{"action": e.Reason, "from_level": fmt.Sprint(int(from)), "to_level": fmt.Sprint(int(to))}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: enrol level %d: %w", to, err)
	}
	return a, nil
}
