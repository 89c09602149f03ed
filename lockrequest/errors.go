package lockrequest

import "errors"

// Errors of the lock request domain.
var (
	// ErrNotFound: no such request (or no account for the personal id
	// number).
	ErrNotFound = errors.New("lockrequest: not found")
	// ErrForbidden: the staff member may not take this step (wrong role,
	// another unit, their own request).
	ErrForbidden = errors.New("lockrequest: not allowed")
	// ErrInvalid: input fails validation.
	ErrInvalid = errors.New("lockrequest: invalid input")
	// ErrNotPending: the request was already approved, refused or
	// withdrawn.
	ErrNotPending = errors.New("lockrequest: request is no longer pending")
	// ErrAlreadyPending: a request for this account is already pending.
	ErrAlreadyPending = errors.New("lockrequest: a request for this account is already pending")
	// ErrNotLocked: the account to unlock is not locked.
	ErrNotLocked = errors.New("lockrequest: account is not locked")
	// ErrNoVerifiedRead: the chip read named is not a verified read of
	// this citizen's card.
	ErrNoVerifiedRead = errors.New("lockrequest: no verified chip read of this citizen")
	// ErrLockCascade: the account is locked, but ending its tokens or
	// telling its relying parties failed (accounts.Service.Lock); the
	// locked status alone already refuses every token and sign-in.
	ErrLockCascade = errors.New("lockrequest: account locked, but ending its tokens or sessions failed")
)
