package audit

// Event types of the guardianship capability (dependents). Each change is
// written twice: in the guardian's history (AccountID the guardian's
// account) and in the dependent's (AccountID the dependent's id), with
// Detail naming the other side.
const (
	// DependentRegistered: a guardian registered a child under 14 or a
	// ward; also each refusal (Outcome denied, Reason says why).
	DependentRegistered EventType = "guardianship.dependent_registered"
	// DependentEnded: the guardian's authority ended (Reason age_14 or
	// record_ended).
	DependentEnded EventType = "guardianship.dependent_ended"
	// DependentShareRevoked: in the guardian's history, a guardian revoked a
	// dependent's consent at a relying party (the dependent's history has
	// the consent.revoked event, with the guardian as actor).
	DependentShareRevoked EventType = "guardianship.share_revoked"
	// GuardianshipRecordEntered: an officer entered a guardianship record.
	GuardianshipRecordEntered EventType = "guardianship.record_entered"
	// GuardianshipRecordEnded: an officer set the end of a guardianship
	// record.
	GuardianshipRecordEnded EventType = "guardianship.record_ended"
)
