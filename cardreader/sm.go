package cardreader

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// SecureMessaging is a secure messaging session (ICAO 9303-11 §9.8): the
// session keys KS_enc and KS_mac and the send sequence counter,
// incremented before each command and each response. BAC opens one with
// 3DES and an 8-byte SSC (NewSecureMessaging), PACE one with AES, CMAC and
// a 16-byte SSC starting at zero (NewAESSecureMessaging); the data objects
// (DO87, DO97, DO99, DO8E) are the same for both, so a Session uses either
// through the same methods. It is not safe for concurrent use: APDUs of
// one session are strictly sequential anyway.
type SecureMessaging struct {
	cipher   smCipher
	enc, mac []byte
	ssc      []byte
	broken   bool
}

// smCipher is the part of secure messaging that depends on the block
// cipher: 3DES with a zero IV and the retail MAC (§9.8.6.1 for BAC), or
// AES with IV = E(KS_enc, SSC) and CMAC (§9.8.6.2 for PACE).
type smCipher interface {
	blockSize() int
	// encrypt encrypts padded data for the message counted by ssc.
	encrypt(key, ssc, data []byte) ([]byte, error)
	decrypt(key, ssc, data []byte) ([]byte, error)
	// mac returns the 8-byte MAC of msg, which it pads itself.
	mac(key, msg []byte) ([]byte, error)
}

type tdesSM struct{}

func (tdesSM) blockSize() int { return blockSize }
func (tdesSM) encrypt(key, _, data []byte) ([]byte, error) {
	return EncryptTDES(key, data)
}
func (tdesSM) decrypt(key, _, data []byte) ([]byte, error) {
	return DecryptTDES(key, data)
}
func (tdesSM) mac(key, msg []byte) ([]byte, error) { return MAC(key, msg) }

type aesSM struct{}

func (aesSM) blockSize() int { return aes.BlockSize }

// iv is E(KS_enc, SSC) (ICAO 9303-11 §9.8.6.2).
func (aesSM) iv(key, ssc []byte) (cipher.Block, []byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSecureMessaging, err)
	}
	iv := make([]byte, aes.BlockSize)
	c.Encrypt(iv, ssc)
	return c, iv, nil
}

func (a aesSM) encrypt(key, ssc, data []byte) ([]byte, error) {
	c, iv, err := a.iv(key, ssc)
	if err != nil {
		return nil, err
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: aes input of %d bytes is not block aligned", ErrSecureMessaging, len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, data)
	return out, nil
}

func (a aesSM) decrypt(key, ssc, data []byte) ([]byte, error) {
	c, iv, err := a.iv(key, ssc)
	if err != nil {
		return nil, err
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: aes input of %d bytes is not block aligned", ErrSecureMessaging, len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(out, data)
	return out, nil
}

// mac pads msg to the AES block size with method 2 before the CMAC, as
// ICAO 9303-11 §9.8.6.2 pads every MAC input, and keeps 8 bytes.
func (aesSM) mac(key, msg []byte) ([]byte, error) {
	return MAC8(key, padBlock(msg, aes.BlockSize))
}

// NewSecureMessaging derives KS_enc and KS_mac from KS_seed and sets
// SSC = the last 4 bytes of RND.IC ‖ the last 4 bytes of RND.IFD (ICAO
// 9303-11 §9.7.4, §9.8.2): 3DES secure messaging after BAC.
func NewSecureMessaging(seed, rndIC, rndIFD []byte) *SecureMessaging {
	ssc := make([]byte, 0, 8)
	ssc = append(append(ssc, rndIC[4:8]...), rndIFD[4:8]...)
	return &SecureMessaging{
		cipher: tdesSM{},
		enc:    DeriveKey(seed, 1),
		mac:    DeriveKey(seed, 2),
		ssc:    ssc,
	}
}

// NewAESSecureMessaging starts AES secure messaging with the session keys
// of PACE (ICAO 9303-11 §9.8.2: the SSC is 16 bytes and starts at zero).
// The keys have 16, 24 or 32 bytes; PACE with AES-128 gives 16.
func NewAESSecureMessaging(ksEnc, ksMAC []byte) (*SecureMessaging, error) {
	for _, k := range [][]byte{ksEnc, ksMAC} {
		switch len(k) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("%w: aes session key of %d bytes", ErrSecureMessaging, len(k))
		}
	}
	return &SecureMessaging{
		cipher: aesSM{},
		enc:    bytes.Clone(ksEnc),
		mac:    bytes.Clone(ksMAC),
		ssc:    make([]byte, aes.BlockSize),
	}, nil
}

// SetSSC replaces the send sequence counter, which must keep its length
// (8 bytes for 3DES, 16 for AES). Only tests replaying a recorded session
// need it.
func (s *SecureMessaging) SetSSC(ssc []byte) error {
	if len(ssc) != len(s.ssc) {
		return fmt.Errorf("%w: ssc of %d bytes, want %d", ErrSecureMessaging, len(ssc), len(s.ssc))
	}
	s.ssc = bytes.Clone(ssc)
	return nil
}

// EncKey returns a copy of KS_enc.
func (s *SecureMessaging) EncKey() []byte { return bytes.Clone(s.enc) }

// MACKey returns a copy of KS_mac.
func (s *SecureMessaging) MACKey() []byte { return bytes.Clone(s.mac) }

// SSC returns the current send sequence counter.
func (s *SecureMessaging) SSC() []byte { return bytes.Clone(s.ssc) }

func (s *SecureMessaging) incSSC() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

// Protect increments the SSC and wraps c (ICAO 9303-11 §9.8.6.1): the
// data, if any, padded and encrypted in DO87; Le, if any, in DO97; the MAC
// over SSC ‖ padded masked header ‖ DO87 ‖ DO97 in DO8E. The protected
// command has CLA|0C and Le = 00.
func (s *SecureMessaging) Protect(c Command) ([]byte, error) {
	if s.broken {
		return nil, fmt.Errorf("%w: session ended by an earlier error", ErrSecureMessaging)
	}
	if c.CLA&0x0C != 0 {
		return nil, fmt.Errorf("%w: command is already protected", ErrAPDU)
	}
	s.incSSC()
	bs := s.cipher.blockSize()
	header := padBlock([]byte{c.CLA | 0x0C, c.INS, c.P1, c.P2}, bs)
	var body []byte
	if len(c.Data) > 0 {
		ct, err := s.cipher.encrypt(s.enc, s.ssc, padBlock(c.Data, bs))
		if err != nil {
			return nil, err
		}
		body = AppendTLV(body, 0x87, append([]byte{0x01}, ct...))
	}
	if c.Ne > 0 {
		if c.Ne > maxShortNe {
			return nil, fmt.Errorf("%w: Ne %d needs extended length", ErrAPDU, c.Ne)
		}
		body = AppendTLV(body, 0x97, []byte{byte(c.Ne)})
	}
	m, err := s.cipher.mac(s.mac, bytes.Join([][]byte{s.ssc, header, body}, nil))
	if err != nil {
		return nil, err
	}
	body = AppendTLV(body, 0x8E, m)
	return Command{CLA: c.CLA | 0x0C, INS: c.INS, P1: c.P1, P2: c.P2, Data: body, Ne: maxShortNe}.Bytes()
}

// Unprotect increments the SSC and checks and unwraps a protected response
// (ICAO 9303-11 §9.8.6.2): DO99 (the status word) and DO8E (MAC over SSC ‖
// DO87 ‖ DO99) are mandatory, DO87 holds the encrypted data. An
// unprotected error status (the card gives up on SM, e.g. 6987/6988) is
// returned as is and ends the session.
func (s *SecureMessaging) Unprotect(raw []byte) (Response, error) {
	if s.broken {
		return Response{}, fmt.Errorf("%w: session ended by an earlier error", ErrSecureMessaging)
	}
	s.incSSC()
	r, err := ParseResponse(raw)
	if err != nil {
		return Response{}, err
	}
	if len(r.Data) == 0 && !r.OK() {
		s.broken = true
		return r, nil
	}
	dos, err := parseTLVs(r.Data)
	if err != nil {
		s.broken = true
		return Response{}, fmt.Errorf("%w: %w", ErrSecureMessaging, err)
	}
	var do87, do99, do8E *tlv
	for i := range dos {
		d := &dos[i]
		switch {
		case d.tag == 0x87 && do87 == nil && do99 == nil && do8E == nil:
			do87 = d
		case d.tag == 0x99 && do99 == nil && do8E == nil:
			do99 = d
		case d.tag == 0x8E && do8E == nil && i == len(dos)-1:
			do8E = d
		default:
			s.broken = true
			return Response{}, fmt.Errorf("%w: unexpected data object %X", ErrSecureMessaging, d.tag)
		}
	}
	if do99 == nil || do8E == nil || len(do99.value) != 2 || len(do8E.value) != 8 {
		s.broken = true
		return Response{}, fmt.Errorf("%w: DO99 and DO8E are mandatory", ErrSecureMessaging)
	}
	macIn := bytes.Clone(s.ssc)
	if do87 != nil {
		macIn = append(macIn, do87.raw...)
	}
	macIn = append(macIn, do99.raw...)
	want, err := s.cipher.mac(s.mac, macIn)
	if err != nil || !constantTimeEqual(want, do8E.value) {
		s.broken = true
		return Response{}, fmt.Errorf("%w: response mac", ErrSecureMessaging)
	}
	out := Response{SW: binary.BigEndian.Uint16(do99.value)}
	if do87 != nil {
		bs := s.cipher.blockSize()
		v := do87.value
		if len(v) < 1+bs || v[0] != 0x01 || (len(v)-1)%bs != 0 {
			s.broken = true
			return Response{}, fmt.Errorf("%w: malformed DO87", ErrSecureMessaging)
		}
		pt, err := s.cipher.decrypt(s.enc, s.ssc, v[1:])
		if err != nil {
			s.broken = true
			return Response{}, fmt.Errorf("%w: %w", ErrSecureMessaging, err)
		}
		if out.Data, err = unpadBlock(pt, bs); err != nil {
			s.broken = true
			return Response{}, err
		}
	}
	return out, nil
}

// Transmit protects c, sends it over t and unprotects the answer.
func (s *SecureMessaging) Transmit(ctx context.Context, t Transport, c Command) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	b, err := s.Protect(c)
	if err != nil {
		return Response{}, err
	}
	raw, err := t.Transmit(ctx, b)
	if err != nil {
		s.broken = true // the SSC no longer agrees with the card's
		return Response{}, err
	}
	return s.Unprotect(raw)
}
