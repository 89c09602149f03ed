package consent

import "errors"

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNotFound: no consent was ever granted for that citizen and client.
	ErrNotFound = errors.New("consent: not found")
	// ErrRevoked: the consent was revoked (and not granted again since).
	ErrRevoked = errors.New("consent: revoked")
	// ErrConsentRequired: the request needs the consent screen but the
	// relying party asked for prompt=none (OpenID Connect Core §3.1.2.6,
	// error consent_required).
	ErrConsentRequired = errors.New("consent: consent required")
	// ErrInvalid: a change or request is malformed (missing ids, a grant
	// without scopes, an expiry before the grant).
	ErrInvalid = errors.New("consent: invalid input")
)
