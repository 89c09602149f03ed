package audit

import (
	"context"
	"time"
)

// EventType names what happened. The set is stable: reports and the citizen's
// history page key on it.
type EventType string

// Event types.
const (
	SignInSucceeded    EventType = "signin.succeeded"
	SignInFailed       EventType = "signin.failed"
	SecondFactorOK     EventType = "signin.second_factor.succeeded"
	SecondFactorFailed EventType = "signin.second_factor.failed"
	SignInLockedOut    EventType = "signin.locked_out"
	SignedOut          EventType = "signout"
	OTPSent            EventType = "otp.sent"
	TokenIssued        EventType = "token.issued"
	TokenRefreshed     EventType = "token.refreshed"
	TokenRevoked       EventType = "token.revoked"
	RefreshReuse       EventType = "token.refresh_reuse_detected"
	UserinfoRead       EventType = "userinfo.read"
	Introspected       EventType = "token.introspected"
	AuthorizeDenied    EventType = "authorize.denied"
	ConsentGranted     EventType = "consent.granted"
	ConsentRefused     EventType = "consent.refused"
	ConsentRevoked     EventType = "consent.revoked"
	ReceiptDownloaded  EventType = "consent.receipt_downloaded"
	AccountRegistered  EventType = "account.registered"
	AccountActivated   EventType = "account.activated"
	AccountLocked      EventType = "account.locked"
	AccountUnlocked    EventType = "account.unlocked"
	PasswordChanged    EventType = "account.password_changed"
	DeviceChanged      EventType = "account.device_changed"
	FactorChanged      EventType = "account.factor_changed"
	HistoryViewed      EventType = "history.viewed_by_officer"
	OfficerAction      EventType = "officer.action"
	OperatorAction     EventType = "operator.action"
	RetentionApplied   EventType = "audit.retention_applied"
	ClientChanged      EventType = "client.changed"
	KeyRotated         EventType = "key.rotated"
)

// Outcome of the action.
type Outcome string

// Outcomes.
const (
	Success Outcome = "success"
	Failure Outcome = "failure"
	Denied  Outcome = "denied"
)

// ActorKind says who acted.
type ActorKind string

// Actor kinds.
const (
	Citizen  ActorKind = "citizen"
	Officer  ActorKind = "officer"
	Operator ActorKind = "operator"
	Client   ActorKind = "client"
	System   ActorKind = "system"
)

// Event is one use of an account (or an officer's or operator's action). It
// names attributes and scopes, never their values, and never a secret.
type Event struct {
	Time      time.Time // set by the recorder when zero; always UTC
	Type      EventType
	ActorKind ActorKind
	ActorID   string // account id, officer id, operator name or client id
	AccountID string // the citizen account concerned, if any (whose history it shows in)
	ClientID  string // relying party, if any
	Scopes    []string
	Claims    []string // claim names released, never values
	ACR       string
	Outcome   Outcome
	Reason    string // short machine-readable reason, e.g. "bad_password"
	IP        string
	UserAgent string
	RequestID string
	Detail    map[string]string // further names/ids; never values of attributes or secrets
}

// Recorder durably records events. Record returns only once the event is
// committed; when it returns an error the caller must fail the action it was
// recording, so that nothing acknowledged goes unaudited.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}
