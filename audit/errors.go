package audit

import "errors"

// Sentinel errors. Compare with errors.Is: they are always wrapped.
var (
	// ErrInvalidEvent is returned by Record for an event that cannot be
	// recorded (no type, a time out of range); the caller has a bug.
	ErrInvalidEvent = errors.New("audit: invalid event")
	// ErrClosed is returned by Record after Close.
	ErrClosed = errors.New("audit: recorder closed")
	// ErrHeadMoved is returned by Store.Append when the chain head is no
	// longer the one the entries were chained from (another writer appended
	// first). The writer reloads the head and chains again.
	ErrHeadMoved = errors.New("audit: chain head moved")
	// ErrHeadTampered is returned when the stored head was not sealed by
	// the audit key, was moved back, or does not match the stored chain:
	// someone changed the log behind the writers' back. The writer stops
	// (every Record fails) rather than fork the chain.
	ErrHeadTampered = errors.New("audit: chain head tampered with")
	// ErrNotFound is returned when a checkpoint or entry does not exist.
	ErrNotFound = errors.New("audit: not found")
	// ErrChainBroken is returned by operations that refuse to proceed on a
	// chain that does not verify (retention never drops unverified history).
	ErrChainBroken = errors.New("audit: chain does not verify")
	// ErrBadSignature is returned for a checkpoint whose signature or
	// payload does not check out.
	ErrBadSignature = errors.New("audit: bad checkpoint signature")
	// ErrUnknownKey is returned for a checkpoint signed by a key that is not
	// in the verifier's key set.
	ErrUnknownKey = errors.New("audit: checkpoint signed by an unknown key")
)
