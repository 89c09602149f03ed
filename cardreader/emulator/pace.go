package emulator

import (
	"bytes"
	"fmt"
	"io"
	"math/big"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// The chip's side of PACE Generic Mapping with ECDH and AES-128 (ICAO
// 9303-11 §4.4): MSE:Set AT chooses the password, then four GENERAL
// AUTHENTICATE steps, the first three chained (CLA 10).

type paceState struct {
	curve   *cardreader.Curve
	paramID int

	step       int  // the next GENERAL AUTHENTICATE expected, 1 to 4; 0: no MSE:Set AT
	ref        byte // password reference chosen
	s          []byte
	g          cardreader.Point // mapped generator
	sk         []byte
	pk, pkPCD  cardreader.Point
	ksEnc, mac []byte
}

func (p *paceState) reset() {
	*p = paceState{curve: p.curve, paramID: p.paramID}
}

// mseSetAT accepts id-PACE-ECDH-GM-AES-CBC-CMAC-128 with the MRZ or CAN
// password (tag 83) and, optionally, the card's domain parameter ID (84).
func (c *Card) mseSetAT(cmd cardreader.Command) []byte {
	if c.pace == nil {
		return sw(cardreader.SWINSNotSupported)
	}
	c.pace.reset()
	if cmd.P1 != 0xC1 || cmd.P2 != 0xA4 {
		return sw(cardreader.SWIncorrectP1P2)
	}
	var oid, ref, param []byte
	rest := cmd.Data
	for len(rest) > 0 {
		tag, _, val, next, ok := cutTLV(rest)
		if !ok {
			return sw(cardreader.SWWrongData)
		}
		switch tag {
		case 0x80:
			oid = val
		case 0x83:
			ref = val
		case 0x84:
			param = val
		}
		rest = next
	}
	if !bytes.Equal(oid, cardreader.OIDPACEECDHGMAES128) || len(ref) != 1 {
		return sw(cardreader.SWWrongData)
	}
	if param != nil && (len(param) != 1 || int(param[0]) != c.pace.paramID) {
		return sw(cardreader.SWWrongData)
	}
	switch ref[0] {
	case cardreader.PasswordMRZ:
	case cardreader.PasswordCAN:
		if c.can == "" {
			return sw(0x6A88) // referenced data not found
		}
	default:
		return sw(0x6A88)
	}
	c.pace.step, c.pace.ref = 1, ref[0]
	return sw(cardreader.SWOK)
}

func (c *Card) password() ([]byte, error) {
	if c.pace.ref == cardreader.PasswordCAN {
		return cardreader.CANPassword(c.can)
	}
	return cardreader.MRZPassword(c.key)
}

// generalAuthenticate runs one PACE step. Anything out of order or
// malformed ends the run; a terminal token that does not verify (the
// terminal used another password) is answered with WrongKeySW.
func (c *Card) generalAuthenticate(cmd cardreader.Command) []byte {
	p := c.pace
	if p == nil {
		return sw(cardreader.SWINSNotSupported)
	}
	if p.step == 0 {
		return sw(cardreader.SWConditionsNotSatisfied)
	}
	if (cmd.CLA == 0x10) != (p.step < 4) {
		p.reset()
		return sw(cardreader.SWConditionsNotSatisfied)
	}
	out, status := c.paceStep(cmd.Data)
	if status != cardreader.SWOK {
		p.reset()
		return sw(status)
	}
	p.step++
	return append(out, sw(cardreader.SWOK)...)
}

func (c *Card) paceStep(data []byte) ([]byte, uint16) {
	p := c.pace
	cv := p.curve
	oid := cardreader.OIDPACEECDHGMAES128
	switch p.step {
	case 1:
		if !bytes.Equal(data, []byte{0x7C, 0x00}) {
			return nil, cardreader.SWWrongData
		}
		pw, err := c.password()
		if err != nil {
			return nil, 0x6F00
		}
		p.s = make([]byte, 16)
		if _, err := io.ReadFull(c.rand, p.s); err != nil {
			return nil, 0x6F00
		}
		z, err := cardreader.EncryptNonce(cardreader.PasswordKey(pw), p.s)
		if err != nil {
			return nil, 0x6F00
		}
		return cardreader.DynamicAuthData(cardreader.TagEncryptedNonce, z), cardreader.SWOK
	case 2:
		pkPCDMap, ok := c.point(data, cardreader.TagMappingPCD)
		if !ok {
			return nil, cardreader.SWWrongData
		}
		skMap, err := scalar(cv, c.rand)
		if err != nil {
			return nil, 0x6F00
		}
		if p.g, err = cardreader.MapGenerator(cv, p.s, skMap, pkPCDMap); err != nil {
			return nil, cardreader.SWWrongData
		}
		return cardreader.DynamicAuthData(cardreader.TagMappingPICC, cv.Marshal(cv.ScalarBaseMult(skMap))), cardreader.SWOK
	case 3:
		pkPCD, ok := c.point(data, cardreader.TagEphemeralPCD)
		if !ok {
			return nil, cardreader.SWWrongData
		}
		sk, err := scalar(cv, c.rand)
		if err != nil {
			return nil, 0x6F00
		}
		p.sk, p.pk, p.pkPCD = sk, cv.ScalarMult(p.g, sk), pkPCD
		secret, err := cardreader.SharedSecret(cv, sk, p.pk, pkPCD)
		if err != nil {
			return nil, cardreader.SWWrongData
		}
		p.ksEnc, p.mac = cardreader.SessionKeysAES128(secret)
		return cardreader.DynamicAuthData(cardreader.TagEphemeralPICC, cv.Marshal(p.pk)), cardreader.SWOK
	case 4:
		token, err := cardreader.ParseDynamicAuthData(data, cardreader.TagAuthTokenPCD)
		if err != nil {
			return nil, cardreader.SWWrongData
		}
		if cardreader.VerifyAuthToken(cv, p.mac, oid, p.pk, token) != nil {
			wrong := c.WrongKeySW
			if wrong == 0 {
				wrong = cardreader.SWAuthenticationFailed
			}
			return nil, wrong
		}
		tPICC, err := cardreader.AuthToken(cv, p.mac, oid, p.pkPCD)
		if err != nil {
			return nil, 0x6F00
		}
		// Secure messaging starts with the SSC at zero (ICAO 9303-11
		// §9.8.2); the eMRTD application is selected next, under it.
		c.sm = &session{enc: p.ksEnc, mac: p.mac, ssc: make([]byte, 16), aes: true}
		c.app, c.hasCurrent = false, false
		return cardreader.DynamicAuthData(cardreader.TagAuthTokenPICC, tPICC), cardreader.SWOK
	}
	return nil, cardreader.SWConditionsNotSatisfied
}

func (c *Card) point(data []byte, tag byte) (cardreader.Point, bool) {
	b, err := cardreader.ParseDynamicAuthData(data, tag)
	if err != nil {
		return cardreader.Point{}, false
	}
	pt, err := c.pace.curve.Unmarshal(b)
	return pt, err == nil
}

// scalar draws a private key in [1, n−1].
func scalar(cv *cardreader.Curve, rnd io.Reader) ([]byte, error) {
	buf := make([]byte, (cv.N.BitLen()+7)/8)
	for range 64 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(buf)
		if k.Sign() > 0 && k.Cmp(cv.N) < 0 {
			return bytes.Clone(buf), nil
		}
	}
	return nil, fmt.Errorf("emulator: no scalar from the random source")
}
