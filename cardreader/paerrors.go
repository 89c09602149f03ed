package cardreader

import "errors"

// Sentinel errors of passive and active authentication (Verify) and of the
// trust material it relies on. Like the read path's errors they never carry
// a value read from the card.
var (
	// ErrSOD: EF.SOD is malformed (not a CMS SignedData over an
	// LDSSecurityObject), or its signature or message digest does not verify
	// with the document signer certificate it names.
	ErrSOD = errors.New("cardreader: invalid document security object")
	// ErrUnknownSigner: the document signer certificate is missing from the
	// SOD or does not chain to a trusted CSCA.
	ErrUnknownSigner = errors.New("cardreader: document signer not trusted")
	// ErrSignerExpired: the document signer or its CSCA certificate is not
	// valid at the time of verification.
	ErrSignerExpired = errors.New("cardreader: document signer certificate expired or not yet valid")
	// ErrRevoked: the document signer certificate is on its CSCA's CRL.
	ErrRevoked = errors.New("cardreader: document signer certificate revoked")
	// ErrDataGroupHash: a data group read does not match its hash in the SOD,
	// or has no hash there: the data was altered after issue.
	ErrDataGroupHash = errors.New("cardreader: data group does not match the document security object")
	// ErrClone: the chip holds a DG15 (active authentication key) but its
	// answer to the verifier's challenge is missing or does not verify, so
	// the data may come from a copy of the chip.
	ErrClone = errors.New("cardreader: chip authentication failed (possible clone)")
	// ErrTrust: a master list, certificate or CRL given as trust material
	// does not decode or does not verify.
	ErrTrust = errors.New("cardreader: invalid trust material")
)
