package audit

// Event types of organisations' staff lists (package orgs). The operator's
// own event names no account; the per-citizen event names the account whose
// level was looked up, so it shows in the citizen's history, with the
// organisation's code and name in Detail and never the rest of the list.
const (
	// OrganisationCreated: an operator created an organisation.
	OrganisationCreated EventType = "organisation.created"
	// StaffListChecked: an operator uploaded an organisation's staff list;
	// Detail holds the organisation and the three groups' counts.
	StaffListChecked EventType = "organisation.staff_list_checked"
	// StaffLevelChecked: an organisation's staff list named this
	// citizen, and the gateway told the operator which of the three groups
	// their account is in.
	StaffLevelChecked EventType = "organisation.staff_level_checked"
)
