package audit

// Event types of the vehicle-registry reconciliation (package reconcile)
// beyond its runs and undos, which are OperatorAction.
const (
	// ReconcileFindingsExported: an operator (in the staff console, or on
	// the command line) exported a run's findings, which hold vehicle
	// numbers and owners' ID numbers: recorded before the first byte is
	// written, so that no export goes unaudited (detail: run, rows; never
	// a number).
	ReconcileFindingsExported EventType = "reconcile.findings_exported"
)
