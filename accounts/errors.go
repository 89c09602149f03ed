package accounts

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors.
var (
	ErrNotFound      = errors.New("accounts: not found")
	ErrAlreadyExists = errors.New("accounts: already exists")
	ErrLocked        = errors.New("accounts: account locked")
	// ErrBadCredentials is the one answer to a wrong personal id number or
	// password, whether or not the account exists.
	ErrBadCredentials = errors.New("accounts: wrong personal id number or password")
	// ErrNotActivated: the password was right but the account was never
	// activated.
	ErrNotActivated = errors.New("accounts: account not activated")
	// ErrInvalidCode: a second-factor code is wrong.
	ErrInvalidCode = errors.New("accounts: wrong code")
	// ErrCodeReplayed: a TOTP code (or an earlier one) was already used.
	ErrCodeReplayed = errors.New("accounts: code already used")
	// ErrCodeExpired: no usable SMS code: none sent, expired, used, or burnt
	// after too many wrong attempts.
	ErrCodeExpired = errors.New("accounts: code expired")
	// ErrFactorUnavailable: the account cannot use that second factor.
	ErrFactorUnavailable = errors.New("accounts: second factor not available")
	// ErrWeakPassword: a new password breaks the password rules.
	ErrWeakPassword = errors.New("accounts: password too weak")
	// ErrInvalid: input fails validation (level, status, phone number, age).
	ErrInvalid = errors.New("accounts: invalid input")
)

// Scope is what a lockout applies to.
type Scope string

// Lockout scopes.
const (
	// ScopeAccount: wrong passwords from unknown devices, keyed by personal
	// id number; a progressive delay for unknown devices, never a lock.
	ScopeAccount Scope = "account"
	// ScopeAccountAddress: wrong passwords keyed by personal id number and
	// client address (an unknown device).
	ScopeAccountAddress Scope = "account_ip"
	// ScopeDevice: wrong passwords keyed by personal id number and known
	// device.
	ScopeDevice Scope = "device"
	// ScopeSecondFactor: wrong codes, keyed by personal id number and the
	// client address or known device at sign-in (by personal id number
	// alone at registration and activation).
	ScopeSecondFactor Scope = "second_factor"
	// ScopeHardLock: consecutive wrong passwords and codes of an account
	// from anywhere, keyed by personal id number.
	ScopeHardLock Scope = "account_total"
	// ScopeGlobal: failures from unknown devices in the current minute,
	// one key; a high count means spraying.
	ScopeGlobal Scope = "global"
	// ScopeWait: the slower path's wait of one (account, address) while
	// spraying goes on.
	ScopeWait Scope = "wait"
	ScopeIP   Scope = "ip"  // every wrong attempt from unknown devices, keyed by client address
	ScopeSMS  Scope = "sms" // SMS codes sent, keyed by account id (or "phone:" and a number)
	// ScopeSMSAddress counts SMS codes sent at the request of one client
	// address (registration and activation, before anyone signed in).
	ScopeSMSAddress Scope = "sms_ip"
	// ScopeAnswers: wrong security answers or passcodes in recovery and
	// unlock, keyed by personal id number and client address.
	ScopeAnswers Scope = "answers"
	// ScopeAppDevice: wrong passcodes at the app's sign-in, keyed by the
	// device id (only the holder of the device key gets that far).
	ScopeAppDevice Scope = "app_device"
	// ScopeAppAddress: failed app sign-ins (wrong signature, challenge or
	// passcode), keyed by client address.
	ScopeAppAddress Scope = "app_ip"
	// ScopeRegistryAddress: failed pushes to the registries' endpoint (no
	// credential, an unknown, revoked or other registry's one), keyed by
	// client address; never by registry, so a stranger cannot lock a
	// registry out (Limiter).
	ScopeRegistryAddress Scope = "registry_ip"
	// ScopeRegistryCredential: batches accepted from one registry push
	// credential per hour, keyed by its id (Limiter).
	ScopeRegistryCredential Scope = "registry_credential"
	// ScopeWallet: document numbers a signed-in citizen tried that matched
	// none of their documents, keyed by account id (Limiter): only the
	// citizen's own tries count, so nobody else can lock them out.
	ScopeWallet Scope = "wallet"
)

// LockoutError says that sign-in is refused for a while. Pages show
// RetryAfter in minutes.
type LockoutError struct {
	Scope      Scope
	RetryAfter time.Duration
}

func (e *LockoutError) Error() string {
	return fmt.Sprintf("accounts: too many attempts (%s), retry after %s", e.Scope, e.RetryAfter.Round(time.Second))
}

// RetryMinutes is RetryAfter rounded up to whole minutes, at least 1.
func (e *LockoutError) RetryMinutes() int {
	m := int((e.RetryAfter + time.Minute - 1) / time.Minute)
	return max(m, 1)
}

// AsLockout returns the lockout in err's chain, if any.
func AsLockout(err error) (*LockoutError, bool) {
	var le *LockoutError
	ok := errors.As(err, &le)
	return le, ok
}
