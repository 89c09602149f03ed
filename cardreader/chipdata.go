package cardreader

// ChipData is what a read brings back from the chip, byte for byte, so that
// a verifier that does not trust the reader (the gateway, for a counter's
// reader or a citizen's phone) can check it again: the files exactly as
// read and the chip's answer to a challenge the verifier chose. Its JSON
// form is the wire format of the counter and app APIs: byte slices are
// standard base64, data group numbers are object keys ("1", "13", ...).
//
// It never holds DG2 (portrait) or DG3 (fingerprints).
type ChipData struct {
	// AccessControl is how the session was opened: "PACE" or "BAC".
	AccessControl string `json:"access_control"`
	// CardAccess is EF.CardAccess (011C) when the card has it.
	CardAccess []byte `json:"card_access,omitempty"`
	// SOD is EF.SOD (011D), the issuer's signed hashes of the data groups.
	SOD []byte `json:"sod"`
	// DataGroups holds the data groups read, by number: 1 and 13 always,
	// 14 and 15 when the card lists them.
	DataGroups map[int][]byte `json:"data_groups"`
	// Challenge is the 8 bytes sent to the chip in INTERNAL AUTHENTICATE
	// (chosen by the verifier), and ActiveAuthSignature the chip's answer
	// signed with its DG15 key; both empty when the card has no DG15.
	Challenge           []byte `json:"challenge,omitempty"`
	ActiveAuthSignature []byte `json:"active_auth_signature,omitempty"`
}
