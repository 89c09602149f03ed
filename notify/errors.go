package notify

import "errors"

// Sentinel errors, compared with errors.Is.
var (
	// ErrNotFound: no such notification.
	ErrNotFound = errors.New("notify: not found")
	// ErrAlreadyExists: a notification with that id is already queued.
	ErrAlreadyExists = errors.New("notify: notification already exists")
	// ErrInvalid: the notification is malformed (address, language,
	// parameters).
	ErrInvalid = errors.New("notify: invalid notification")
	// ErrKindNotAllowed: the kind is not on the allow-list (Kinds). One-time
	// codes in particular are refused: they never enter the outbox.
	ErrKindNotAllowed = errors.New("notify: kind not allowed in the outbox")
	// ErrNoChannel: no channel is configured for the notification's
	// channel name.
	ErrNoChannel = errors.New("notify: no channel configured")
)
