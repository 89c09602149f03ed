package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

// NoticePermitExpiring: a foreigner's visa or residence card ends soon and
// the account will lock then; params days (a number) and expiry
// (YYYY-MM-DD).
const NoticePermitExpiring NoticeKind = "permit_expiring"

// LockPermitExpired is the lock reason of an account whose holder's visa
// or residence card has expired.
const LockPermitExpired = "permit_expired"

// Steps of the permit sweep, each taken once per permit.
const (
	PermitNotice30 = "notice_30d"
	PermitNotice7  = "notice_7d"
	PermitLocked   = "locked"
	PermitLifted   = "lifted"
)

// PermitRegistry is what the permit sweep reads and records
// (foreigners/postgres.Store satisfies it).
type PermitRegistry interface {
	// PermitsEndingBy lists the residents whose permit ends on or before
	// the day last.
	PermitsEndingBy(ctx context.Context, last time.Time) ([]foreigners.Resident, error)
	// RecordPermitStep records step for the permit ending on expiry; false
	// when it was recorded before.
	RecordPermitStep(ctx context.Context, id string, expiry time.Time, step string, at time.Time) (bool, error)
	// RenewedAfterLock lists the residents locked for an expired permit
	// (not lifted) whose record now holds a later permit valid on today,
	// with the expiry the lock was for.
	RenewedAfterLock(ctx context.Context, today time.Time) (map[string]time.Time, error)
}

// PermitSweepReport counts what a sweep did.
type PermitSweepReport struct {
	Notices, Locked, Lifted int
}

// permitSweeper is the actor of the sweep's locks and unlocks.
var permitSweeper = Actor{Kind: audit.System, ID: "permit_sweep"}

// SweepPermits applies the rule "a foreigner's account locks itself when
// the residence permit expires, and the holder is told beforehand":
//
//   - 30 days before the permit's last day, and again 7 days before, the
//     holder is told (NoticePermitExpiring, by SMS or e-mail as their other
//     notices), once each per permit: a sweep that first runs 5 days
//     before sends only the 7-day notice;
//   - the day after the last day, the account is locked through Lock
//     (reason LockPermitExpired, actor system/permit_sweep: audited, the
//     holder told, tokens, sessions and relying parties ended);
//   - decided: a renewal lifts that lock. When an import later gives the
//     resident a permit with a later expiry that is valid today, the next
//     sweep unlocks an account still locked for LockPermitExpired (Unlock,
//     audited as the same actor; sign-ins the lock ended stay ended). A
//     lock for any other reason is never lifted here.
//
// Residents without an account are skipped. It is idempotent and safe on
// every replica: each step is recorded once (RecordPermitStep) before it
// is taken.
func (s *Service) SweepPermits(ctx context.Context, reg PermitRegistry) (PermitSweepReport, error) {
	var rep PermitSweepReport
	now := s.clock()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	residents, err := reg.PermitsEndingBy(ctx, today.AddDate(0, 0, 30))
	if err != nil {
		return rep, fmt.Errorf("accounts: permit sweep: %w", err)
	}
	var errs []error
	for _, r := range residents {
		a, err := s.store.ByPersonalID(ctx, r.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r.PermitExpired(now) {
			if a.Status == Locked {
				continue
			}
			first, err := reg.RecordPermitStep(ctx, r.ID, r.PermitExpiry, PermitLocked, now)
			if err != nil || !first {
				errs = append(errs, err)
				continue
			}
			if _, err := s.Lock(ctx, a.ID, LockPermitExpired, permitSweeper); err != nil {
				errs = append(errs, err)
				continue
			}
			rep.Locked++
			continue
		}
		days := int(r.PermitExpiry.Sub(today).Hours() / 24)
		step := PermitNotice30
		if days <= 7 {
			step = PermitNotice7
		}
		if a.Status == Locked {
			continue
		}
		first, err := reg.RecordPermitStep(ctx, r.ID, r.PermitExpiry, step, now)
		if err != nil || !first {
			errs = append(errs, err)
			continue
		}
		s.notice(ctx, a.Account, NoticePermitExpiring, map[string]string{
			"days": strconv.Itoa(days), "expiry": r.PermitExpiry.Format(time.DateOnly),
		}, "")
		rep.Notices++
	}
	renewed, err := reg.RenewedAfterLock(ctx, today)
	if err != nil {
		errs = append(errs, err)
	}
	for id, oldExpiry := range renewed {
		a, err := s.store.ByPersonalID(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		if err == nil && a.Status == Locked && a.LockReason == LockPermitExpired {
			if _, err := s.Unlock(ctx, a.ID, permitSweeper); err != nil {
				errs = append(errs, err)
				continue
			}
			rep.Lifted++
		}
		if _, err := reg.RecordPermitStep(ctx, id, oldExpiry, PermitLifted, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("accounts: permit sweep: %w", err)
	}
	return rep, nil
}
