package sharing

import "errors"

// Errors of Issue.
var (
	// ErrNotShareable: an attribute cannot be put in a credential (unknown,
	// not shareable, or above the level of the sign-in).
	ErrNotShareable = errors.New("sharing: attribute not shareable")
	// ErrNothingToShare: none of the chosen attributes has a value.
	ErrNothingToShare = errors.New("sharing: nothing to share")
	// ErrTooLarge: the credential would not fit in a QR code.
	ErrTooLarge = errors.New("sharing: credential too large for a QR code")
	// ErrChallenge: the verifier's challenge code is not 4 to 32 letters and
	// digits.
	ErrChallenge = errors.New("sharing: invalid challenge code")
	// ErrNotActive: the account is not active (pending or locked).
	ErrNotActive = errors.New("sharing: account not active")
)

// Errors of Verify. Each names what is wrong, for a verifier's screen.
var (
	// ErrMalformed: the text is not an SD-JWT of this gateway's shape.
	ErrMalformed = errors.New("sharing: malformed credential")
	// ErrUnsupported: a feature this verifier does not accept (a
	// key-binding JWT, another digest or signature algorithm).
	ErrUnsupported = errors.New("sharing: unsupported credential feature")
	// ErrType: the JWT is not a sharing credential (typ or vct).
	ErrType = errors.New("sharing: not a sharing credential")
	// ErrUnknownKey: no key of the JWKS has the credential's kid.
	ErrUnknownKey = errors.New("sharing: signing key not in the key set")
	// ErrSignature: the signature is missing or does not verify.
	ErrSignature = errors.New("sharing: invalid signature")
	// ErrExpired: the credential's exp has passed.
	ErrExpired = errors.New("sharing: credential expired")
	// ErrNotYetValid: the credential's iat is in the future.
	ErrNotYetValid = errors.New("sharing: credential issued in the future")
	// ErrIssuer: iss is not the expected issuer.
	ErrIssuer = errors.New("sharing: wrong issuer")
	// ErrDisclosure: a disclosure's digest is not in the credential (it was
	// altered or comes from another credential).
	ErrDisclosure = errors.New("sharing: disclosure not part of the credential")
	// ErrDuplicateDisclosure: a disclosure or attribute appears twice.
	ErrDuplicateDisclosure = errors.New("sharing: disclosure repeated")
	// ErrNonce: the credential was not made for the verifier's challenge.
	ErrNonce = errors.New("sharing: challenge code does not match")
)
