package accounts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// LockoutPolicy says how many failures slow down or lock what, and for how
// long. The sign-in policy (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2)
// throttles the pair a failure came from, never the citizen elsewhere:
//
//   - per (account, client address), or per (account, known device) when
//     the browser holds a device cookie earned by an earlier sign-in of that
//     account: AccountFailures wrong passwords (or, separately, wrong
//     second-factor codes) within Window make that pair wait LockFor,
//     doubling up to MaxLock;
//   - per client address across accounts (unknown devices only):
//     IPFailures within Window block the address the same way;
//   - per account as a whole, unknown devices only: after AccountDelayAfter
//     failures each further one makes unknown devices wait AccountDelay,
//     doubling up to AccountMaxDelay (progressive delay, not a lock). Known
//     devices keep their normal path;
//   - everywhere: GlobalFailures failures from unknown devices within a
//     minute mean spraying; unknown devices then wait GlobalWait once per
//     (account, address) before their password is checked;
//   - HardLockFailures consecutive wrong passwords and codes on one account
//     (from anywhere, forgotten after a correct second factor or a quiet
//     StrikeMemory) lock it through Service.Lock, with an SMS to the
//     citizen and an audit row. The delays above keep a stranger far below
//     it for days.
type LockoutPolicy struct {
	// AccountFailures wrong passwords (or, separately, wrong second-factor
	// codes) from one (account, address) or (account, known device) within
	// Window make that pair wait.
	AccountFailures int
	// IPFailures wrong attempts of any kind from one client address within
	// Window block that address (unknown devices only).
	IPFailures int
	Window     time.Duration
	// LockFor is the first lockout; each further one doubles, up to MaxLock.
	LockFor time.Duration
	MaxLock time.Duration
	// AccountDelayAfter failures from unknown devices on one account are
	// free; each further one makes unknown devices wait AccountDelay,
	// doubling up to AccountMaxDelay.
	AccountDelayAfter int
	AccountDelay      time.Duration
	AccountMaxDelay   time.Duration
	// HardLockFailures consecutive failures lock the account (Service.Lock).
	HardLockFailures int
	// GlobalFailures failures from unknown devices per minute switch unknown
	// devices to the slower path: wait GlobalWait, then try within
	// GlobalTicket.
	GlobalFailures int
	GlobalWait     time.Duration
	GlobalTicket   time.Duration
	// StrikeMemory: a key that stayed out of trouble this long after its
	// last lockout starts again from LockFor.
	StrikeMemory time.Duration
	// SMSPerHour caps the SMS codes sent to one account (or, while
	// registering, one phone number) per hour.
	SMSPerHour int
	// SMSPerAddressHour caps the registration and activation codes sent at
	// the request of one client address per hour. It is higher than
	// SMSPerHour: many subscribers share a mobile carrier's address.
	SMSPerAddressHour int
	// RegistryBatchesPerHour caps the batches one registry push credential
	// may push per hour (ScopeRegistryCredential): generous, a runaway
	// sender's brake, not a quota. Failed pushes per client address
	// (ScopeRegistryAddress) use IPFailures, Window and LockFor; unknown
	// document numbers a citizen tries in the wallet (ScopeWallet) use
	// AccountFailures, Window and LockFor.
	RegistryBatchesPerHour int
}

// DefaultLockoutPolicy: 5 wrong passwords per (account, address) or
// (account, known device), or 20 per address, in 15 minutes make that pair
// (or address) wait 15 minutes, then 30, 60, … up to 24 hours. Unknown
// devices as a whole get 10 free failures per account, then wait 30 s, 1
// min, … up to 1 hour after each: about 16 failures in the first hour and 1
// an hour after, so a stranger needs days to reach the hard lock at 100
// consecutive failures (NIST SP 800-63B §5.2.2's ceiling). 300 failures a
// minute from unknown devices across the deployment is spraying: unknown
// devices then wait 30 s before a try. 5 SMS codes per account per hour.
var DefaultLockoutPolicy = LockoutPolicy{
	AccountFailures:   5,
	IPFailures:        20,
	Window:            15 * time.Minute,
	LockFor:           15 * time.Minute,
	MaxLock:           24 * time.Hour,
	AccountDelayAfter: 10,
	AccountDelay:      30 * time.Second,
	AccountMaxDelay:   time.Hour,
	HardLockFailures:  100,
	GlobalFailures:    300,
	GlobalWait:        30 * time.Second,
	GlobalTicket:      10 * time.Minute,
	StrikeMemory:      24 * time.Hour,
	SMSPerHour:        5,
	SMSPerAddressHour: 30,
	// 3600 batches of up to attributes.MaxFeedEntries entries: 36 million
	// entries an hour.
	RegistryBatchesPerHour: 3600,
}

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	d := DefaultLockoutPolicy
	if p.AccountFailures > 0 {
		d.AccountFailures = p.AccountFailures
	}
	if p.IPFailures > 0 {
		d.IPFailures = p.IPFailures
	}
	if p.Window > 0 {
		d.Window = p.Window
	}
	if p.LockFor > 0 {
		d.LockFor = p.LockFor
	}
	if p.MaxLock > 0 {
		d.MaxLock = p.MaxLock
	}
	if p.StrikeMemory > 0 {
		d.StrikeMemory = p.StrikeMemory
	}
	if p.SMSPerHour > 0 {
		d.SMSPerHour = p.SMSPerHour
	}
	if p.AccountDelayAfter > 0 {
		d.AccountDelayAfter = p.AccountDelayAfter
	}
	if p.AccountDelay > 0 {
		d.AccountDelay = p.AccountDelay
	}
	if p.AccountMaxDelay > 0 {
		d.AccountMaxDelay = p.AccountMaxDelay
	}
	if p.HardLockFailures > 0 {
		d.HardLockFailures = p.HardLockFailures
	}
	if p.GlobalFailures > 0 {
		d.GlobalFailures = p.GlobalFailures
	}
	if p.GlobalWait > 0 {
		d.GlobalWait = p.GlobalWait
	}
	if p.GlobalTicket > 0 {
		d.GlobalTicket = p.GlobalTicket
	}
	if p.SMSPerAddressHour > 0 {
		d.SMSPerAddressHour = p.SMSPerAddressHour
	}
	if p.RegistryBatchesPerHour > 0 {
		d.RegistryBatchesPerHour = p.RegistryBatchesPerHour
	}
	return d
}

func (p LockoutPolicy) limit(s Scope) int {
	if s == ScopeIP || s == ScopeAppAddress || s == ScopeRegistryAddress {
		return p.IPFailures
	}
	return p.AccountFailures
}

func (p LockoutPolicy) window(s Scope) time.Duration {
	if s == ScopeSMS || s == ScopeSMSAddress || s == ScopeRegistryCredential {
		return time.Hour
	}
	return p.Window
}

// sends returns the hourly limit of a scope that counts codes sent.
func (p LockoutPolicy) sends(s Scope) (int, bool) {
	switch s {
	case ScopeSMS:
		return p.SMSPerHour, true
	case ScopeSMSAddress:
		return p.SMSPerAddressHour, true
	case ScopeRegistryCredential:
		return p.RegistryBatchesPerHour, true
	}
	return 0, false
}

// fail counts one failure on t at now and reports whether t is locked
// afterwards, and until when. The failure that reaches the limit locks. For
// ScopeSMS and ScopeSMSAddress the "failures" are codes sent: the limit-th
// code goes out and the next one is refused until the hour is over.
func (p LockoutPolicy) fail(t *Throttle, now time.Time) (until time.Time, locked bool) {
	if now.Before(t.LockedUntil) {
		return t.LockedUntil, true
	}
	if !t.LockedUntil.IsZero() && now.Sub(t.LockedUntil) > p.StrikeMemory {
		t.Strikes = 0
	}
	if t.WindowStart.IsZero() || now.Sub(t.WindowStart) >= p.window(t.Scope) {
		t.Failures, t.WindowStart = 0, now
	}
	t.Failures++
	if limit, ok := p.sends(t.Scope); ok {
		if t.Failures <= limit {
			return time.Time{}, false
		}
		t.Failures--
		t.LockedUntil = t.WindowStart.Add(time.Hour)
		return t.LockedUntil, true
	}
	if t.Failures < p.limit(t.Scope) {
		return time.Time{}, false
	}
	d := p.LockFor
	for i := 0; i < t.Strikes && d < p.MaxLock; i++ {
		d *= 2
	}
	d = min(d, p.MaxLock)
	t.Strikes++
	t.Failures, t.WindowStart = 0, time.Time{}
	t.LockedUntil = now.Add(d)
	return t.LockedUntil, true
}

// ipKey is the throttle key for a client address: the address itself for
// IPv4, its /64 for IPv6 (one subscriber usually holds a whole /64).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// lockedOut returns a LockoutError for the longest running lock among
// keys, and the throttles found.
func (s *Service) lockedOut(ctx context.Context, now time.Time, keys ...ThrottleKey) (*LockoutError, []Throttle, error) {
	return s.Limiter().lockedOut(ctx, now, keys...)
}

// countFailure records one failure against each key and returns the
// longest lockout it caused or found, if any.
func (s *Service) countFailure(ctx context.Context, now time.Time, keys ...ThrottleKey) (*LockoutError, error) {
	return s.Limiter().count(ctx, now, keys...)
}

// failed counts a failed attempt against keys and records fail. When that
// locks a key, it also records the lockout (fail as SignInLockedOut, with
// the scope as reason) and returns the *LockoutError; otherwise verdict. op
// names the action in an operational error.
func (s *Service) failed(ctx context.Context, now time.Time, op string, fail audit.Event, verdict error, keys ...ThrottleKey) error {
	lock, err := s.countFailure(ctx, now, keys...)
	if err != nil {
		return fmt.Errorf("accounts: %s: %w", op, err)
	}
	if err := s.record(ctx, fail); err != nil {
		return err
	}
	if lock == nil {
		return verdict
	}
	e := fail
	e.Type, e.Outcome, e.Reason = audit.SignInLockedOut, audit.Denied, string(lock.Scope)+"_locked_out"
	if err := s.record(ctx, e); err != nil {
		return err
	}
	return lock
}

// clearFailures forgets the failures (not the strikes) counted against
// key, if the throttles read before hold any.
func (s *Service) clearFailures(ctx context.Context, now time.Time, key ThrottleKey, seen []Throttle) error {
	for _, t := range seen {
		if t.ThrottleKey != key || t.Failures == 0 {
			continue
		}
		_, err := s.store.UpdateThrottle(ctx, key, func(t *Throttle) error {
			t.Failures, t.WindowStart, t.UpdatedAt = 0, time.Time{}, now
			return nil
		})
		return err
	}
	return nil
}

// codeGuard throttles the guesses of one code or answer: per (personal id
// number, client address) pair and per client address, never per account,
// so a stranger cannot lock the holder out.
type codeGuard struct {
	pair, ip ThrottleKey
	seen     []Throttle
}

// cleanCode is a typed code without surrounding blanks and inner spaces.
func cleanCode(code string) string { return strings.ReplaceAll(strings.TrimSpace(code), " ", "") }

// openChange starts checking the code of a change the signed-in holder
// asked for (e-mail, phone, authenticator): the account, refused when
// locked, and the guard of its guesses, refused (audited as t, with the
// lockout as the error) while locked out. op names the step in errors.
func (s *Service) openChange(ctx context.Context, now time.Time, accountID string, c Client, t audit.EventType, op string) (Record, codeGuard, error) {
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return Record{}, codeGuard{}, fmt.Errorf("accounts: %s: %w", op, err)
	}
	if rec.Status == Locked {
		return Record{}, codeGuard{}, ErrLocked
	}
	g := codeGuard{pair: ThrottleKey{Scope: ScopeSecondFactor, Key: rec.PersonalID + " " + ipKey(c.IP)},
		ip: ThrottleKey{Scope: ScopeIP, Key: ipKey(c.IP)}}
	lock, seen, err := s.lockedOut(ctx, now, g.pair, g.ip)
	if err != nil {
		return Record{}, codeGuard{}, fmt.Errorf("accounts: %s: %w", op, err)
	}
	if lock != nil {
		return Record{}, codeGuard{}, s.refuse(ctx, c, rec.ID, t, string(lock.Scope)+"_locked_out", lock)
	}
	g.seen = seen
	return rec, g, nil
}

// miss counts a wrong guess (audited as fail) and returns verdict, or the
// lockout it caused.
func (s *Service) miss(ctx context.Context, now time.Time, op string, g codeGuard, fail audit.Event, verdict error) error {
	return s.failed(ctx, now, op, fail, verdict, g.pair, g.ip)
}

// passed forgets the pair's failures after a right guess.
func (s *Service) passed(ctx context.Context, now time.Time, op string, g codeGuard) error {
	if err := s.clearFailures(ctx, now, g.pair, g.seen); err != nil {
		return fmt.Errorf("accounts: %s: %w", op, err)
	}
	return nil
}
