package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// globalWindow is the window of the global failure rate.
const globalWindow = time.Minute

// hardLockReason is the lock reason of the hard lock.
const hardLockReason = "too_many_failures"

// attemptKeys are the throttles one password attempt is checked against
// and counted on (see LockoutPolicy). Empty keys are skipped.
type attemptKeys struct {
	known bool
	// pair is (account, address) for an unknown device, (account, device)
	// for a known one: it locks after AccountFailures.
	pair ThrottleKey
	// ip (unknown devices) locks after IPFailures across accounts.
	ip ThrottleKey
	// account (unknown devices) is the account-wide progressive delay.
	account ThrottleKey
	// hard counts consecutive failures of the account from anywhere.
	hard ThrottleKey
	// global and wait (unknown devices) are the spraying rate and the
	// slower path's wait.
	global, wait ThrottleKey
}

func (s *Service) passwordKeys(pid string, validPID bool, ip, device string) attemptKeys {
	ip = ipKey(ip)
	var k attemptKeys
	if validPID {
		k.hard = ThrottleKey{Scope: ScopeHardLock, Key: pid}
	}
	if device != "" {
		k.known = true
		k.pair = ThrottleKey{Scope: ScopeDevice, Key: pid + " " + device}
		return k
	}
	k.ip = ThrottleKey{Scope: ScopeIP, Key: ip}
	k.global = ThrottleKey{Scope: ScopeGlobal, Key: "*"}
	if validPID {
		k.pair = ThrottleKey{Scope: ScopeAccountAddress, Key: pid + " " + ip}
		k.account = ThrottleKey{Scope: ScopeAccount, Key: pid}
		k.wait = ThrottleKey{Scope: ScopeWait, Key: pid + " " + ip}
	}
	return k
}

// checked are the keys whose running lock refuses the attempt, and the
// global rate; the hard-lock count shows as the account's status instead.
func (k attemptKeys) checked() []ThrottleKey {
	return nonEmpty(k.pair, k.ip, k.account, k.wait, k.global)
}

func nonEmpty(keys ...ThrottleKey) []ThrottleKey {
	out := keys[:0:0]
	for _, k := range keys {
		if k.Key != "" {
			out = append(out, k)
		}
	}
	return out
}

func find(seen []Throttle, k ThrottleKey) (Throttle, bool) {
	for _, t := range seen {
		if t.ThrottleKey == k {
			return t, true
		}
	}
	return Throttle{}, false
}

// progressive counts one failure on t: the first free ones cost nothing,
// each further one makes the key wait base, doubling up to maxD. A key
// quiet for forget starts again. It returns the wait imposed (0: none).
func progressive(t *Throttle, now time.Time, free int, base, maxD, forget time.Duration) time.Duration {
	if !t.UpdatedAt.IsZero() && now.Sub(t.UpdatedAt) >= forget {
		t.Failures = 0
	}
	t.Failures++
	if t.Failures <= free {
		return 0
	}
	d := base
	for i := free + 1; i < t.Failures && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	t.LockedUntil = now.Add(d)
	return d
}

// spraying reports whether the global failure rate of unknown devices is
// over the policy's limit.
func (s *Service) spraying(seen []Throttle, k attemptKeys, now time.Time) bool {
	if k.known || k.global.Key == "" {
		return false
	}
	g, ok := find(seen, k.global)
	return ok && now.Sub(g.WindowStart) < globalWindow && g.Failures >= s.lockout.GlobalFailures
}

// slowPath answers an unknown device while spraying goes on: the first try
// of an (account, address) waits GlobalWait (a *LockoutError with scope
// ScopeGlobal); a try after the wait, within GlobalTicket, goes ahead and
// uses the wait up. Returns nil when the attempt may go ahead.
func (s *Service) slowPath(ctx context.Context, now time.Time, seen []Throttle, k attemptKeys) (*LockoutError, error) {
	if k.wait.Key == "" {
		// Not a login name: no password will match anyway; let it be
		// counted against the address.
		return nil, nil
	}
	w, ok := find(seen, k.wait)
	if ok && !w.LockedUntil.IsZero() && !now.Before(w.LockedUntil) && now.Sub(w.LockedUntil) < s.lockout.GlobalTicket {
		_, err := s.store.UpdateThrottle(ctx, k.wait, func(t *Throttle) error {
			t.LockedUntil, t.UpdatedAt = time.Time{}, now
			return nil
		})
		return nil, err
	}
	_, err := s.store.UpdateThrottle(ctx, k.wait, func(t *Throttle) error {
		t.LockedUntil, t.UpdatedAt = now.Add(s.lockout.GlobalWait), now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &LockoutError{Scope: ScopeGlobal, RetryAfter: s.lockout.GlobalWait}, nil
}

// countExtra counts a failure on the account-wide delay, the global rate
// and the hard-lock count, and reports whether the hard lock is due.
func (s *Service) countExtra(ctx context.Context, now time.Time, k attemptKeys, accountExists bool) (hardLock bool, err error) {
	p := s.lockout
	if k.account.Key != "" {
		if _, err := s.store.UpdateThrottle(ctx, k.account, func(t *Throttle) error {
			progressive(t, now, p.AccountDelayAfter, p.AccountDelay, p.AccountMaxDelay, p.StrikeMemory)
			t.UpdatedAt = now
			return nil
		}); err != nil {
			return false, err
		}
	}
	if k.global.Key != "" {
		if _, err := s.store.UpdateThrottle(ctx, k.global, func(t *Throttle) error {
			if t.WindowStart.IsZero() || now.Sub(t.WindowStart) >= globalWindow {
				t.Failures, t.WindowStart = 0, now
			}
			t.Failures++
			t.UpdatedAt = now
			return nil
		}); err != nil {
			return false, err
		}
	}
	if k.hard.Key != "" && accountExists {
		if _, err := s.store.UpdateThrottle(ctx, k.hard, func(t *Throttle) error {
			if !t.UpdatedAt.IsZero() && now.Sub(t.UpdatedAt) >= p.StrikeMemory {
				t.Failures = 0
			}
			t.Failures++
			if t.Failures >= p.HardLockFailures {
				hardLock, t.Failures = true, 0
			}
			t.UpdatedAt = now
			return nil
		}); err != nil {
			return false, err
		}
	}
	return hardLock, nil
}

// resetHard forgets the consecutive failures of the account: its holder
// just completed a sign-in.
func (s *Service) resetHard(ctx context.Context, now time.Time, pid string) error {
	k := ThrottleKey{Scope: ScopeHardLock, Key: pid}
	ts, err := s.store.Throttles(ctx, k)
	if err != nil || len(ts) == 0 || ts[0].Failures == 0 {
		return err
	}
	_, err = s.store.UpdateThrottle(ctx, k, func(t *Throttle) error {
		t.Failures, t.UpdatedAt = 0, now
		return nil
	})
	return err
}

// hardLock locks the account after HardLockFailures consecutive failures,
// through Lock (which ends its tokens, sessions and back-channel logout,
// and records AccountLocked with reason too_many_failures); Lock tells the
// citizen (NoticeLocked).
func (s *Service) hardLock(ctx context.Context, rec Record, by Actor) error {
	if rec.Status == Locked {
		return nil
	}
	by.Kind, by.ID = audit.System, ""
	if _, err := s.Lock(ctx, rec.ID, hardLockReason, by); err != nil {
		if errors.Is(err, ErrNoLockCascade) {
			s.logger.ErrorContext(ctx, "hard lock due but locking is not configured", "account_id", rec.ID, "request_id", by.RequestID)
			return nil
		}
		return fmt.Errorf("accounts: hard lock: %w", err)
	}
	return nil
}
