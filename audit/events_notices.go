package audit

// Event types of the citizen's preferences.
const (
	// LanguageChanged: the citizen chose the language of their
	// notifications (detail: lang).
	LanguageChanged EventType = "account.language_changed"
)
