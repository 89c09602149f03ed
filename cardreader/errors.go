package cardreader

import "errors"

// Sentinel errors of the chip read path. Errors returned by Reader wrap one
// of these (or a *StatusError), so callers can use errors.Is. None of them
// carries personal data: a message never repeats an ID number, a name or a
// date read from the card.
var (
	// ErrAPDU: a malformed command or response APDU.
	ErrAPDU = errors.New("cardreader: malformed apdu")
	// ErrNotEMRTD: the card has no ICAO eMRTD application.
	ErrNotEMRTD = errors.New("cardreader: not an ICAO eMRTD chip")
	// ErrAccessDenied: access control failed: the MRZ key (document
	// number, date of birth, expiry) or the CAN does not match the card,
	// under BAC or PACE.
	ErrAccessDenied = errors.New("cardreader: access control failed, wrong access key")
	// ErrSecureMessaging: a response failed the secure messaging checks
	// (missing data objects, wrong MAC, bad padding). The session is unusable.
	ErrSecureMessaging = errors.New("cardreader: secure messaging check failed")
	// ErrFileNotFound: the card answered 6A82.
	ErrFileNotFound = errors.New("cardreader: file not found on the card")
	// ErrSecurityStatus: the card answered 6982.
	ErrSecurityStatus = errors.New("cardreader: security status not satisfied")
	// ErrMRZ: a malformed or inconsistent machine readable zone (DG1 or a key).
	ErrMRZ = errors.New("cardreader: invalid machine readable zone")
	// ErrDataGroup: a data group, EF.COM or EF.CardAccess does not decode.
	ErrDataGroup = errors.New("cardreader: malformed data group")
	// ErrMismatch: two sources on the same card (DG1, DG13, the QR code) or
	// the personal identification number's rules disagree.
	ErrMismatch = errors.New("cardreader: card data disagree")
	// ErrPACE: a PACE step failed: an invalid point or nonce, a malformed
	// data object, or an authentication token that does not verify.
	ErrPACE = errors.New("cardreader: password authenticated connection establishment failed")
	// ErrCardRemoved: the card left the reader (or was reset) during the
	// read. A Transport reports it by wrapping this error (package
	// cardreader/pcsc does for SCARD_W_REMOVED_CARD and friends); the
	// read is lost and must start again.
	ErrCardRemoved = errors.New("cardreader: card removed during the read")
)
