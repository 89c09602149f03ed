package accounts

import (
	"context"
	"errors"
	"time"
)

// ErrBusy: every password-hashing slot is taken and the short queue is
// full or its wait ran out. Nothing was checked or changed; the web layer
// answers 503 with Retry-After (RFC 9110 §15.6.4).
var ErrBusy = errors.New("accounts: too busy to check a password now, retry shortly")

// HashLimiter is admission control for argon2id: at most Slots hashes run
// at once, at most Queue more wait for a slot, each for at most Wait.
// Argon2id is memory-hard by design (19 MiB per hash by default), so
// without a bound a burst of wrong passwords turns into gigabytes and
// seconds of latency for everyone; with one it turns into fast 503s.
// Password, passcode and security-answer hashing goes through it; the
// password step of a sign-in holds its slot for the whole step (throttle
// rows, hash, audit), so queued or refused sign-ins hold no database
// connection either. Token, JWKS, discovery and userinfo never wait here.
type HashLimiter struct {
	slots chan struct{}
	queue chan struct{}
	wait  time.Duration
}

// DefaultHashQueueWait is how long a hash waits for a slot before ErrBusy:
// short, because a citizen waiting longer than this is better served by a
// page that says "try again in a moment".
const DefaultHashQueueWait = time.Second

// HashSlots sizes the pool from memory: budget / argon2 memory, at least 1.
func HashSlots(budgetKiB uint64, p Argon2Params) int {
	m := uint64(p.Memory)
	if m == 0 {
		m = uint64(DefaultArgon2Params.Memory)
	}
	return int(max(1, budgetKiB/m))
}

// NewHashLimiter bounds hashing to slots at once (at least 1) with a queue
// of queue (0: refuse at once when full) waiting at most wait (0:
// DefaultHashQueueWait).
func NewHashLimiter(slots, queue int, wait time.Duration) *HashLimiter {
	if wait <= 0 {
		wait = DefaultHashQueueWait
	}
	return &HashLimiter{
		slots: make(chan struct{}, max(1, slots)),
		queue: make(chan struct{}, max(0, queue)),
		wait:  wait,
	}
}

// Acquire takes a slot, waiting in the queue if there is room, and returns
// its release. ErrBusy when the queue is full or the wait ran out; ctx's
// error when it ends first. Exported so that tests (and benchmarks) can
// hold slots deterministically.
func (l *HashLimiter) Acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case l.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-l.queue }()
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Slots is the number of hashes that may run at once.
func (l *HashLimiter) Slots() int { return cap(l.slots) }

// hashPassword checks the rules and hashes pw under admission control.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	if err := CheckPasswordRules(pw); err != nil {
		return "", err
	}
	return s.hashSecret(ctx, pw)
}

// hashSecret hashes v (a password, passcode or folded answer) under
// admission control.
func (s *Service) hashSecret(ctx context.Context, v string) (string, error) {
	release, err := s.hashing.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(v, s.params)
}

// verifySecret is VerifyPassword under admission control.
func (s *Service) verifySecret(ctx context.Context, v, encoded string) (ok, rehash bool, err error) {
	release, err := s.hashing.Acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	return VerifyPassword(v, encoded, s.params)
}
