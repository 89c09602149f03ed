package audit

// Event types of sender-constrained (DPoP) tokens.
const (
	// TokenKeyMismatch: a DPoP-bound grant or access token was presented
	// without a proof by its key (another key's proof, none, or as a
	// bearer token): what a thief of the token does. Reason names the
	// endpoint, Detail["presented"] what came instead.
	TokenKeyMismatch EventType = "token.dpop_key_mismatch"
)
