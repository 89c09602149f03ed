package accounts

import (
	"context"
	"time"
)

// ThrottleStore is the part of Store that keeps the throttles.
type ThrottleStore interface {
	Throttles(ctx context.Context, keys ...ThrottleKey) ([]Throttle, error)
	UpdateThrottle(ctx context.Context, key ThrottleKey, fn func(*Throttle) error) (Throttle, error)
}

// Limiter is the sign-in throttle machinery (the signin_throttles rows,
// the LockoutPolicy's windows, doubling locks and hourly caps) lent to
// other endpoints, so that every replica sees one count. The sign-in
// itself uses it too. Keys choose the rule: ScopeRegistryAddress counts
// failures per client address and locks the address; ScopeRegistryCredential
// caps accepted batches per credential and hour.
type Limiter struct {
	store  ThrottleStore
	policy LockoutPolicy
	now    func() time.Time
}

// NewLimiter returns a Limiter on store under policy (zero fields take
// DefaultLockoutPolicy's); now nil is time.Now.
func NewLimiter(store ThrottleStore, policy LockoutPolicy, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: store, policy: policy.withDefaults(), now: now}
}

// Limiter is the service's own throttles and policy, for other endpoints.
func (s *Service) Limiter() *Limiter {
	return &Limiter{store: s.store, policy: s.lockout, now: s.clock}
}

// AddressKey is the throttle key of a client address in scope: the address
// for IPv4, its /64 for IPv6 (one subscriber usually holds a whole /64).
func AddressKey(scope Scope, ip string) ThrottleKey {
	return ThrottleKey{Scope: scope, Key: ipKey(ip)}
}

// Locked returns the longest lock running on keys, nil when none.
func (l *Limiter) Locked(ctx context.Context, keys ...ThrottleKey) (*LockoutError, error) {
	le, _, err := l.lockedOut(ctx, l.now(), keys...)
	return le, err
}

// Count counts one event against each key (a failure, or for an hourly cap
// a use) and returns the longest lock it caused or found, nil when none. A
// use refused by an hourly cap is not counted.
func (l *Limiter) Count(ctx context.Context, keys ...ThrottleKey) (*LockoutError, error) {
	return l.count(ctx, l.now(), keys...)
}

func (l *Limiter) lockedOut(ctx context.Context, now time.Time, keys ...ThrottleKey) (*LockoutError, []Throttle, error) {
	ts, err := l.store.Throttles(ctx, keys...)
	if err != nil {
		return nil, nil, err
	}
	var worst *LockoutError
	for _, t := range ts {
		if now.Before(t.LockedUntil) {
			d := t.LockedUntil.Sub(now)
			if worst == nil || d > worst.RetryAfter {
				worst = &LockoutError{Scope: t.Scope, RetryAfter: d}
			}
		}
	}
	return worst, ts, nil
}

func (l *Limiter) count(ctx context.Context, now time.Time, keys ...ThrottleKey) (*LockoutError, error) {
	var worst *LockoutError
	for _, k := range keys {
		if k.Key == "" {
			continue
		}
		var until time.Time
		var locked bool
		_, err := l.store.UpdateThrottle(ctx, k, func(t *Throttle) error {
			until, locked = l.policy.fail(t, now)
			t.UpdatedAt = now
			return nil
		})
		if err != nil {
			return nil, err
		}
		if locked {
			d := until.Sub(now)
			if worst == nil || d > worst.RetryAfter {
				worst = &LockoutError{Scope: k.Scope, RetryAfter: d}
			}
		}
	}
	return worst, nil
}
