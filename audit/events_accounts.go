package audit

// Event types of the accounts capability beyond those in event.go.
const (
	// PhoneChanged: the account's phone number (its SMS factor and contact)
	// was set or replaced.
	PhoneChanged EventType = "account.phone_changed"
)
