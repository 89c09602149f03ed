package cardreader

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// SecureMessaging is a 3DES secure messaging session established by BAC
// (ICAO 9303-11 §9.8): session keys KS_enc and KS_mac and the send
// sequence counter, incremented before each command and each response. It
// is not safe for concurrent use: APDUs of one session are strictly
// sequential anyway.
type SecureMessaging struct {
	enc, mac []byte
	ssc      uint64
	broken   bool
}

// NewSecureMessaging derives KS_enc and KS_mac from KS_seed and sets
// SSC = the last 4 bytes of RND.IC ‖ the last 4 bytes of RND.IFD (ICAO
// 9303-11 §9.7.4, §9.8.2).
func NewSecureMessaging(seed, rndIC, rndIFD []byte) *SecureMessaging {
	ssc := make([]byte, 0, 8)
	ssc = append(append(ssc, rndIC[4:8]...), rndIFD[4:8]...)
	return &SecureMessaging{
		enc: DeriveKey(seed, 1),
		mac: DeriveKey(seed, 2),
		ssc: binary.BigEndian.Uint64(ssc),
	}
}

// EncKey returns a copy of KS_enc.
func (s *SecureMessaging) EncKey() []byte { return bytes.Clone(s.enc) }

// MACKey returns a copy of KS_mac.
func (s *SecureMessaging) MACKey() []byte { return bytes.Clone(s.mac) }

// SSC returns the current send sequence counter.
func (s *SecureMessaging) SSC() []byte { return binary.BigEndian.AppendUint64(nil, s.ssc) }

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
	s.ssc++
	header := Pad([]byte{c.CLA | 0x0C, c.INS, c.P1, c.P2})
	var body []byte
	if len(c.Data) > 0 {
		ct, err := EncryptTDES(s.enc, Pad(c.Data))
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
	m, err := MAC(s.mac, bytes.Join([][]byte{s.SSC(), header, body}, nil))
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
	s.ssc++
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
	macIn := s.SSC()
	if do87 != nil {
		macIn = append(macIn, do87.raw...)
	}
	macIn = append(macIn, do99.raw...)
	if !VerifyMAC(s.mac, macIn, do8E.value) {
		s.broken = true
		return Response{}, fmt.Errorf("%w: response mac", ErrSecureMessaging)
	}
	out := Response{SW: binary.BigEndian.Uint16(do99.value)}
	if do87 != nil {
		v := do87.value
		if len(v) < 1+blockSize || v[0] != 0x01 || (len(v)-1)%blockSize != 0 {
			s.broken = true
			return Response{}, fmt.Errorf("%w: malformed DO87", ErrSecureMessaging)
		}
		pt, err := DecryptTDES(s.enc, v[1:])
		if err != nil {
			s.broken = true
			return Response{}, fmt.Errorf("%w: %w", ErrSecureMessaging, err)
		}
		if out.Data, err = Unpad(pt); err != nil {
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
