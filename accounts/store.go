package accounts

import (
	"context"
	"time"
)

// Store keeps accounts, their credentials, SMS codes and sign-in throttles.
// Implementations translate their driver's errors: a missing row is
// ErrNotFound, a duplicate personal id number or phone is ErrAlreadyExists.
// Every time they return is UTC.
type Store interface {
	// Create inserts a new account and then, when fn is not nil, calls fn
	// in the same transaction: an error from fn rolls the insert back and is
	// returned (wrapped). fn is not called when the insert is refused
	// (ErrAlreadyExists), so it can record the creation as done.
	Create(ctx context.Context, r Record, fn func() error) error
	// Get returns the account with id.
	Get(ctx context.Context, id string) (Record, error)
	// ByPersonalID returns the account whose login is personalID.
	ByPersonalID(ctx context.Context, personalID string) (Record, error)
	// Update locks the account's row, calls fn with it and writes back what
	// fn changed (everything but ID, PersonalID and CreatedAt), in one
	// transaction. An error from fn rolls back and is returned (wrapped, so
	// errors.Is finds it).
	Update(ctx context.Context, id string, fn func(*Record) error) (Record, error)
	// MarkFirstSignIn sets the account's FirstSignInAt to at unless it is
	// set already (then it writes nothing).
	MarkFirstSignIn(ctx context.Context, id string, at time.Time) error

	// EvidenceOf returns the account's enrolment evidence, newest first,
	// revoked or not.
	EvidenceOf(ctx context.Context, accountID string) ([]Evidence, error)
	// RevokeEvidence marks one evidence record of the account revoked (once;
	// ErrNotFound otherwise), then calls fn with the locked account and the
	// evidence still valid, newest first, and writes back its Level,
	// EvidenceID and UpdatedAt, all in one transaction.
	RevokeEvidence(ctx context.Context, accountID, evidenceID string, at time.Time, reason string,
		fn func(r *Record, valid []Evidence) error) (Record, error)

	// CreateSMSCode stores a new code and retires every earlier unused code
	// of the same account, atomically.
	CreateSMSCode(ctx context.Context, c SMSCode) error
	// UpdateSMSCode locks the account's newest live code (not used, not
	// burnt, expired or not), calls fn with it and writes back Attempts,
	// UsedAt and Burnt, in one transaction. ErrNotFound when there is none.
	// An error from fn rolls back: to keep a failed attempt, record it in
	// the code and return nil.
	UpdateSMSCode(ctx context.Context, accountID string, fn func(*SMSCode) error) error

	// Throttles returns the throttles for keys that exist.
	Throttles(ctx context.Context, keys ...ThrottleKey) ([]Throttle, error)
	// UpdateThrottle locks (creating if needed) the throttle for key, calls
	// fn and writes back its counters, in one transaction. An error from fn
	// rolls back and is returned (wrapped).
	UpdateThrottle(ctx context.Context, key ThrottleKey, fn func(*Throttle) error) (Throttle, error)

	// Purge deletes SMS codes that expired before before, and throttles not
	// touched since before that hold no running lock.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

// SMSCode is a one-time code sent by SMS, as stored: only its keyed hash.
type SMSCode struct {
	ID        string
	AccountID string
	// Hash is HMAC-SHA-256(code key, ID ":" code); the code itself is never
	// stored.
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int // wrong guesses so far
	UsedAt    *time.Time
	Burnt     bool // too many wrong guesses, or replaced by a newer code
}

// ThrottleKey names a counter of failed attempts.
type ThrottleKey struct {
	Scope Scope
	Key   string // personal id number, client address or account id
}

// Throttle counts failures in a window and remembers lockouts.
type Throttle struct {
	ThrottleKey
	Failures    int
	WindowStart time.Time // start of the current counting window; zero when none
	LockedUntil time.Time // zero when never locked
	Strikes     int       // lockouts so far; each lockout lasts twice the previous one
	UpdatedAt   time.Time
}
