package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// internalAuthenticate signs the terminal's 8-byte challenge with the
// Active Authentication key (ICAO 9303-11 §6.1).
func (c *Card) internalAuthenticate(cmd cardreader.Command) ([]byte, uint16) {
	if c.aaKey == nil {
		return nil, cardreader.SWINSNotSupported
	}
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, cardreader.SWIncorrectP1P2
	}
	if len(cmd.Data) != cardreader.ChallengeSize {
		return nil, cardreader.SWWrongLength
	}
	sig, err := SignActiveAuth(c.aaKey, c.aaHash, cmd.Data, c.rand)
	if err != nil {
		return nil, 0x6F00
	}
	return sig, cardreader.SWOK
}

// SignActiveAuth makes a chip's answer to INTERNAL AUTHENTICATE over
// challenge (M2), as ICAO 9303-11 §6.1 and its ISO/IEC 9796-2 reference
// describe:
//
//   - an *rsa.PrivateKey (modulus a whole number of bytes) signs with
//     ISO/IEC 9796-2 digital signature scheme 1, partial recovery: a
//     random M1 filling the block, F = 6A ‖ M1 ‖ H(M1 ‖ M2) ‖ trailer
//     (BC for SHA-1, 34CC for SHA-256), signature F^d mod n. The raw RSA
//     operation needs the private key itself, not any crypto.Signer;
//   - an ECDSA key (any crypto.Signer with an *ecdsa.PublicKey) signs
//     H(M2) and returns the plain r ‖ s of BSI TR-03111 §5.2.1, each
//     as long as the group order.
//
// h is crypto.SHA1 or crypto.SHA256; 0 picks SHA-1 for RSA and SHA-256 for
// ECDSA.
func SignActiveAuth(key crypto.Signer, h crypto.Hash, challenge []byte, rnd io.Reader) ([]byte, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("emulator: ISO 9796-2 needs an *rsa.PrivateKey")
		}
		if h == 0 {
			h = crypto.SHA1
		}
		var trailer []byte
		switch h {
		case crypto.SHA1:
			trailer = []byte{0xBC}
		case crypto.SHA256:
			trailer = []byte{0x34, 0xCC}
		default:
			return nil, fmt.Errorf("emulator: hash %v for ISO 9796-2", h)
		}
		if k.N.BitLen()%8 != 0 {
			return nil, errors.New("emulator: modulus is not a whole number of bytes")
		}
		size := k.N.BitLen() / 8
		m1 := make([]byte, size-h.Size()-len(trailer)-1)
		if len(m1) < 1 {
			return nil, errors.New("emulator: modulus too small")
		}
		if _, err := io.ReadFull(rnd, m1); err != nil {
			return nil, err
		}
		d := h.New()
		d.Write(m1)
		d.Write(challenge)
		f := append(append(append([]byte{0x6A}, m1...), d.Sum(nil)...), trailer...)
		s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
		return s.FillBytes(make([]byte, size)), nil
	case *ecdsa.PublicKey:
		if h == 0 {
			h = crypto.SHA256
		}
		if h != crypto.SHA1 && h != crypto.SHA256 {
			return nil, fmt.Errorf("emulator: hash %v for ECDSA", h)
		}
		d := h.New()
		d.Write(challenge)
		der, err := key.Sign(rnd, d.Sum(nil), h)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, errors.New("emulator: malformed ECDSA signature")
		}
		n := (pub.Curve.Params().N.BitLen() + 7) / 8
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	}
	return nil, fmt.Errorf("emulator: unsupported active authentication key %T", key.Public())
}
