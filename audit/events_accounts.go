package audit

// Event types of the accounts capability beyond those in event.go.
const (
	// PhoneChanged: the account's phone number (its SMS factor and contact)
	// was set or replaced.
	PhoneChanged EventType = "account.phone_changed"
	// EmailChanged: the account's e-mail address was set or replaced.
	EmailChanged EventType = "account.email_changed"
)
