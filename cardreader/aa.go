package cardreader

import (
	"context"
	"fmt"
)

// InsInternalAuthenticate is INTERNAL AUTHENTICATE, the command of Active
// Authentication (ICAO 9303-11 §6.1).
const InsInternalAuthenticate byte = 0x88

// ChallengeSize is the length of the Active Authentication challenge.
const ChallengeSize = 8

// InternalAuthenticate sends the 8-byte challenge in INTERNAL AUTHENTICATE
// under secure messaging and returns the chip's signature, as is: an ISO/IEC
// 9796-2 signature for an RSA key, a plain r‖s for an ECDSA key (the DG15
// key, BSI TR-03111 §5.2.1). Checking it against DG15 is the verifier's
// business, not the reader's; a counter's reader cannot be trusted with it.
//
// The answer must fit one short response APDU under secure messaging: an
// RSA key of up to 1024 bits, or an EC key. A 2048-bit RSA signature needs
// extended length, which this package does not send.
func (s *Session) InternalAuthenticate(ctx context.Context, challenge []byte) ([]byte, error) {
	if len(challenge) != ChallengeSize {
		return nil, fmt.Errorf("%w: an active authentication challenge has %d bytes, got %d", ErrAPDU, ChallengeSize, len(challenge))
	}
	r, err := s.sm.Transmit(ctx, s.t, Command{INS: InsInternalAuthenticate, Data: challenge, Ne: maxShortNe})
	if err != nil {
		return nil, fmt.Errorf("cardreader: internal authenticate: %w", err)
	}
	if err := statusErr("internal authenticate", r); err != nil {
		return nil, err
	}
	if len(r.Data) == 0 {
		return nil, fmt.Errorf("%w: internal authenticate returned no signature", ErrAPDU)
	}
	return r.Data, nil
}
