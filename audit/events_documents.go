package audit

// Event types of the citizen's document wallet (package attributes).
const (
	// DocumentIntegrated: the citizen integrated a registry's document
	// into their account (detail: kind; never the number).
	DocumentIntegrated EventType = "document.integrated"
	// DocumentRemoved: the citizen took an integrated document out of
	// what is shared (detail: kind).
	DocumentRemoved EventType = "document.removed"
)
