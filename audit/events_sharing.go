package audit

// Event types of the sharing capability (QR credentials).
const (
	// CredentialIssued: the citizen made a selective-disclosure credential to
	// show as a QR code. Claims names the attributes it discloses (never
	// their values); Detail carries its jti, expiry and whether it is bound
	// to a verifier's challenge.
	CredentialIssued EventType = "sharing.credential_issued"
)
