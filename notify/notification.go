package notify

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// ChannelName names the way a notification reaches the citizen.
type ChannelName string

// Channels.
const (
	SMS   ChannelName = "sms"
	Email ChannelName = "email"
)

// Lang is the language a notification is written in.
type Lang string

// Languages (the citizen's language; Vietnamese unless they chose English).
const (
	VI Lang = "vi"
	EN Lang = "en"
)

// State is where a notification is in the outbox.
type State string

// States. A pending notification is due at NextAttemptAt; sent and failed
// are final.
const (
	Pending State = "pending"
	Sent    State = "sent"
	Failed  State = "failed"
)

// Kind says what the notification tells; it selects the template.
type Kind string

// Kinds of notification: the allow-list of the outbox. There is no kind for
// one-time codes, and there must never be one (see the package comment).
const (
	// RegistrationResult: a registration was accepted or refused.
	// Parameters: approved ("true"/"false"), reason (optional).
	RegistrationResult Kind = "registration_result"
	// ActivationResult: the account was activated, or activation failed.
	// Parameters: approved, reason (optional).
	ActivationResult Kind = "activation_result"
	// Recovery: the password was reset through recovery. Parameters:
	// sessions (how many sign-ins the recovery ended, a number).
	Recovery Kind = "recovery"
	// PasswordChanged: the holder changed the password, signed in. No
	// parameters.
	PasswordChanged Kind = "password_changed"
	// DeviceChanged: the account moved to another device. Parameters:
	// device (its name, optional).
	DeviceChanged Kind = "device_changed"
	// EmailChanged: the holder changed the account's e-mail address. No
	// parameters (the new address is not repeated).
	EmailChanged Kind = "email_changed"
	// Locked: the account was locked. Parameters: reason (optional code).
	Locked Kind = "locked"
	// Unlocked: the account was unlocked. No parameters.
	Unlocked Kind = "unlocked"
	// ServiceConnected: a relying party now receives the citizen's data.
	// Parameters: service (its name), claims (how many, a number).
	ServiceConnected Kind = "service_connected"
	// EnrolmentResult: an identity proofing (enrolment) was approved or
	// refused. Parameters: level (a number), approved, reason (optional).
	EnrolmentResult Kind = "enrolment_result"
	// PermitExpiring: a foreigner's visa or residence card ends soon and
	// the account will lock then. Parameters: days (a number), expiry
	// (YYYY-MM-DD).
	PermitExpiring Kind = "permit_expiring"
)

// paramSpec is what a kind accepts: required and optional parameters, and
// which of them are numbers or booleans.
type paramSpec struct {
	required, optional []string
	numbers, booleans  []string
	// dates are YYYY-MM-DD, nothing else.
	dates []string
}

// kinds is the allow-list. Parameter names are an allow-list too, so
// nobody can smuggle a code into an allowed kind's parameters.
var kinds = map[Kind]paramSpec{
	RegistrationResult: {required: []string{"approved"}, optional: []string{"reason"}, booleans: []string{"approved"}},
	ActivationResult:   {required: []string{"approved"}, optional: []string{"reason"}, booleans: []string{"approved"}},
	Recovery:           {required: []string{"sessions"}, numbers: []string{"sessions"}},
	PasswordChanged:    {},
	EmailChanged:       {},
	DeviceChanged:      {optional: []string{"device"}},
	Locked:             {optional: []string{"reason"}},
	Unlocked:           {},
	ServiceConnected:   {required: []string{"service", "claims"}, numbers: []string{"claims"}},
	EnrolmentResult:    {required: []string{"level", "approved"}, optional: []string{"reason"}, numbers: []string{"level"}, booleans: []string{"approved"}},
	PermitExpiring:     {required: []string{"days", "expiry"}, numbers: []string{"days"}, dates: []string{"expiry"}},
}

// Kinds returns the allowed kinds, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Notification is one message in the outbox and the record of its attempts.
type Notification struct {
	ID string
	// AccountID is the citizen's account; empty when the notification goes
	// to an address with no account yet (a refused registration).
	AccountID string
	Channel   ChannelName
	// Address is an E.164 phone number (SMS) or an e-mail address.
	Address string
	Kind    Kind
	Lang    Lang
	// Params fill the kind's template; only the kind's own names are
	// accepted.
	Params map[string]string
	State  State
	// Attempts counts the attempts started, including one under way.
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	// SentAt is set once sent; FailedAt once the attempts ran out.
	SentAt   time.Time
	FailedAt time.Time
}

// e164 is an international phone number (ITU-T E.164: at most 15 digits).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// maxParamLen bounds each parameter (a service's name, a reason).
const maxParamLen = 200

// Validate checks what a caller supplies: an allowed kind, a known
// channel and language, an address of the channel's form, and the kind's
// parameters and no others.
func (n Notification) Validate() error {
	spec, ok := kinds[n.Kind]
	if !ok {
		return fmt.Errorf("%w: %q", ErrKindNotAllowed, n.Kind)
	}
	switch n.Lang {
	case VI, EN:
	default:
		return fmt.Errorf("%w: language %q", ErrInvalid, n.Lang)
	}
	switch n.Channel {
	case SMS:
		if !e164.MatchString(n.Address) {
			return fmt.Errorf("%w: %q is not an E.164 phone number", ErrInvalid, n.Address)
		}
	case Email:
		a, err := mail.ParseAddress(n.Address)
		if err != nil || a.Address != n.Address || a.Name != "" {
			return fmt.Errorf("%w: %q is not a bare e-mail address", ErrInvalid, n.Address)
		}
	default:
		return fmt.Errorf("%w: channel %q", ErrInvalid, n.Channel)
	}
	for name, v := range n.Params {
		if !slices.Contains(spec.required, name) && !slices.Contains(spec.optional, name) {
			return fmt.Errorf("%w: %s takes no parameter %q", ErrInvalid, n.Kind, name)
		}
		if len(v) > maxParamLen {
			return fmt.Errorf("%w: parameter %q is longer than %d bytes", ErrInvalid, name, maxParamLen)
		}
		if slices.Contains(spec.numbers, name) {
			if i, err := strconv.Atoi(v); err != nil || i < 0 {
				return fmt.Errorf("%w: parameter %q must be a number, got %q", ErrInvalid, name, v)
			}
		}
		if slices.Contains(spec.dates, name) {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return fmt.Errorf("%w: parameter %q must be a date (YYYY-MM-DD), got %q", ErrInvalid, name, v)
			}
		}
		if slices.Contains(spec.booleans, name) && v != "true" && v != "false" {
			return fmt.Errorf("%w: parameter %q must be true or false, got %q", ErrInvalid, name, v)
		}
	}
	for _, name := range spec.required {
		if _, ok := n.Params[name]; !ok {
			return fmt.Errorf("%w: %s needs parameter %q", ErrInvalid, n.Kind, name)
		}
	}
	return nil
}
