package emulator

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// Card is a software eMRTD chip. It is safe for concurrent use, though a
// real reader sends one APDU at a time.
type Card struct {
	// WrongKeySW is the answer to MUTUAL AUTHENTICATE with a wrong key,
	// and to the last GENERAL AUTHENTICATE of PACE with a wrong password:
	// 0 means 6300, as most chips answer; vicc answers 6988.
	WrongKeySW uint16
	// MaxRead caps the bytes returned per READ BINARY whatever Le asks
	// (0: no cap), to exercise the reader's chunk loop.
	MaxRead int

	mu         sync.Mutex
	rand       io.Reader
	key        cardreader.Key
	keys       cardreader.BACKeys
	files      map[uint16][]byte
	protected  map[uint16]bool // files that answer 6982 even under BAC (EAC)
	selects    map[uint16]int
	app        bool
	challenge  []byte
	sm         *session
	current    uint16
	hasCurrent bool
	plainEF    bool // EF.CardAccess selected outside secure messaging

	can    string
	pace   *paceState // nil: the card does not offer PACE
	aaKey  crypto.Signer
	aaHash crypto.Hash

	removed   bool
	pullAfter int // APDUs left before the card is pulled; 0: never
}

// session is a secure messaging session: 3DES after BAC (8-byte SSC),
// AES after PACE (16-byte SSC, IV = E(KS_enc, SSC), CMAC).
type session struct {
	enc, mac []byte
	ssc      []byte
	aes      bool
}

// New returns a card whose BAC key is key and which holds files (by file
// identifier). rnd supplies RND.IC (8 bytes) then K.IC (16 bytes) on each
// authentication; nil means crypto/rand.
func New(key cardreader.Key, files map[uint16][]byte, rnd io.Reader) (*Card, error) {
	k, err := cardreader.DeriveBACKeys(key)
	if err != nil {
		return nil, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	c := &Card{rand: rnd, key: key, keys: k, files: map[uint16][]byte{}, protected: map[uint16]bool{}, selects: map[uint16]int{}}
	for fid, b := range files {
		c.files[fid] = bytes.Clone(b)
	}
	return c, nil
}

// NewCCCD returns a chip ID card for p: EF.COM listing DG1, DG2, DG3 and
// DG13; DG1 and DG13 from p; DG2 a placeholder; DG3 present but guarded by
// EAC (6982).
func NewCCCD(p Person) *Card {
	c, err := New(p.Key(), map[uint16][]byte{
		cardreader.FIDCOM:  EncodeCOM(0x61, 0x75, 0x63, 0x6D),
		cardreader.FIDDG1:  EncodeDG1(p.TD1()),
		cardreader.FIDDG2:  cardreader.TLV(0x75, []byte("placeholder, not a portrait")),
		cardreader.FIDDG3:  cardreader.TLV(0x63, []byte("placeholder, not fingerprints")),
		cardreader.FIDDG13: EncodeDG13(p.DG13Fields()),
	}, nil)
	if err != nil {
		panic("emulator: " + err.Error())
	}
	c.protected[cardreader.FIDDG3] = true
	return c
}

// SetFile replaces (or adds) a file; nil removes it.
func (c *Card) SetFile(fid uint16, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if data == nil {
		delete(c.files, fid)
		return
	}
	c.files[fid] = bytes.Clone(data)
}

// Selections returns how many times fid was selected under secure
// messaging, successfully or not.
func (c *Card) Selections(fid uint16) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.selects[fid]
}

// Transmit answers one command APDU.
func (c *Card) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pullAfter > 0 {
		c.pullAfter--
		if c.pullAfter == 0 {
			c.removed = true
		}
	}
	if c.removed {
		return nil, fmt.Errorf("emulator: %w", cardreader.ErrCardRemoved)
	}
	cmd, err := cardreader.ParseCommand(apdu)
	if err != nil {
		return sw(cardreader.SWWrongLength), nil
	}
	switch cmd.CLA {
	case 0x00, 0x10: // 10: command chaining, for GENERAL AUTHENTICATE
		if cmd.CLA == 0x10 && cmd.INS != cardreader.InsGeneralAuthenticate {
			return sw(cardreader.SWCLANotSupported), nil
		}
		return c.plain(cmd), nil
	case 0x0C:
		return c.protectedCommand(cmd), nil
	}
	return sw(cardreader.SWCLANotSupported), nil
}

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

func (c *Card) plain(cmd cardreader.Command) []byte {
	// A plain command ends any secure messaging session (ICAO 9303-11
	// §9.8.4).
	c.sm = nil
	if cmd.INS != cardreader.InsReadBinary {
		c.plainEF = false
	}
	if cmd.INS != cardreader.InsGeneralAuthenticate && c.pace != nil {
		c.pace.reset()
	}
	switch {
	case cmd.INS == cardreader.InsSelect && cmd.P1 == 0x02 && bytes.Equal(cmd.Data, []byte{0x01, 0x1C}):
		// EF.CardAccess is readable by anyone (ICAO 9303-11 §3.11.1).
		if _, ok := c.files[cardreader.FIDCardAccess]; !ok {
			return sw(cardreader.SWFileNotFound)
		}
		c.plainEF = true
		return sw(cardreader.SWOK)
	case cmd.INS == cardreader.InsReadBinary && c.plainEF:
		data, status := c.readBinary(c.files[cardreader.FIDCardAccess], cmd, false)
		return append(bytes.Clone(data), sw(status)...)
	case cmd.INS == cardreader.InsMSE:
		return c.mseSetAT(cmd)
	case cmd.INS == cardreader.InsGeneralAuthenticate:
		return c.generalAuthenticate(cmd)
	case cmd.INS == cardreader.InsSelect && cmd.P1 == 0x04:
		if !bytes.Equal(cmd.Data, cardreader.AIDeMRTD) {
			return sw(cardreader.SWFileNotFound)
		}
		c.app, c.hasCurrent, c.challenge = true, false, nil
		return sw(cardreader.SWOK)
	case cmd.INS == cardreader.InsSelect && cmd.P1 == 0x00:
		return sw(cardreader.SWINSNotSupported) // as CCCDs answer SELECT MF
	case cmd.INS == cardreader.InsSelect, cmd.INS == cardreader.InsReadBinary:
		return sw(cardreader.SWSecurityNotSatisfied) // the LDS needs BAC
	case cmd.INS == cardreader.InsGetChallenge:
		if !c.app {
			return sw(cardreader.SWConditionsNotSatisfied)
		}
		if cmd.Ne != 8 {
			return sw(cardreader.SWWrongLength)
		}
		c.challenge = make([]byte, 8)
		if _, err := io.ReadFull(c.rand, c.challenge); err != nil {
			return sw(0x6F00)
		}
		return append(bytes.Clone(c.challenge), sw(cardreader.SWOK)...)
	case cmd.INS == cardreader.InsMutualAuth:
		return c.mutualAuth(cmd)
	}
	return sw(cardreader.SWINSNotSupported)
}

func (c *Card) mutualAuth(cmd cardreader.Command) []byte {
	rndIC := c.challenge
	c.challenge = nil // one attempt per challenge
	if rndIC == nil {
		return sw(cardreader.SWConditionsNotSatisfied)
	}
	if len(cmd.Data) != 40 {
		return sw(cardreader.SWWrongLength)
	}
	wrong := c.WrongKeySW
	if wrong == 0 {
		wrong = cardreader.SWAuthenticationFailed
	}
	e, m := cmd.Data[:32], cmd.Data[32:]
	if !cardreader.VerifyMAC(c.keys.MAC, e, m) {
		return sw(wrong)
	}
	s, err := cardreader.DecryptTDES(c.keys.Enc, e)
	if err != nil || subtle.ConstantTimeCompare(s[8:16], rndIC) != 1 {
		return sw(wrong)
	}
	rndIFD, kIFD := s[:8], s[16:32]
	kIC := make([]byte, 16)
	if _, err := io.ReadFull(c.rand, kIC); err != nil {
		return sw(0x6F00)
	}
	r := append(append(append([]byte{}, rndIC...), rndIFD...), kIC...)
	eIC, err := cardreader.EncryptTDES(c.keys.Enc, r)
	if err != nil {
		return sw(0x6F00)
	}
	mIC, err := cardreader.MAC(c.keys.MAC, eIC)
	if err != nil {
		return sw(0x6F00)
	}
	seed := cardreader.SessionSeed(kIFD, kIC)
	ssc := append(append([]byte{}, rndIC[4:]...), rndIFD[4:]...)
	c.sm = &session{
		enc: cardreader.DeriveKey(seed, 1),
		mac: cardreader.DeriveKey(seed, 2),
		ssc: ssc,
	}
	return append(append(eIC, mIC...), sw(cardreader.SWOK)...)
}

// protectedCommand checks and unwraps a protected command (ICAO 9303-11
// §9.8.6.1), runs it and wraps the answer. Any SM error ends the session
// with a plain 6988.
func (c *Card) protectedCommand(cmd cardreader.Command) []byte {
	s := c.sm
	if s == nil {
		return sw(cardreader.SWSMObjectsIncorrect)
	}
	fail := func() []byte { c.sm = nil; return sw(cardreader.SWSMObjectsIncorrect) }
	s.inc()
	var do87, do97, do8E []byte
	rest := cmd.Data
	for len(rest) > 0 {
		tag, raw, val, next, ok := cutTLV(rest)
		if !ok {
			return fail()
		}
		switch {
		case tag == 0x87 && do87 == nil && do97 == nil:
			do87 = raw
		case tag == 0x97 && do97 == nil && len(val) == 1:
			do97 = raw
		case tag == 0x8E && len(next) == 0 && len(val) == 8:
			do8E = val
		default:
			return fail()
		}
		rest = next
	}
	if do8E == nil {
		return fail()
	}
	in := bytes.Clone(s.ssc)
	in = append(in, pad([]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}, s.blockSize())...)
	in = append(append(in, do87...), do97...)
	if m, err := s.macOf(in); err != nil || subtle.ConstantTimeCompare(m, do8E) != 1 {
		return fail()
	}
	inner := cardreader.Command{CLA: 0x00, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2}
	if do87 != nil {
		_, _, val, _, _ := cutTLV(do87)
		if len(val) < 1+s.blockSize() || val[0] != 0x01 {
			return fail()
		}
		pt, err := s.crypt(val[1:], false)
		if err != nil {
			return fail()
		}
		if inner.Data, err = unpad(pt, s.blockSize()); err != nil {
			return fail()
		}
	}
	if do97 != nil {
		inner.Ne = int(do97[2])
		if inner.Ne == 0 {
			inner.Ne = 256
		}
	}
	data, status := c.execute(inner)
	return c.wrap(data, status)
}

func (c *Card) execute(cmd cardreader.Command) ([]byte, uint16) {
	switch {
	case cmd.INS == cardreader.InsSelect && cmd.P1 == 0x02:
		if len(cmd.Data) != 2 {
			return nil, cardreader.SWWrongLength
		}
		fid := binary.BigEndian.Uint16(cmd.Data)
		c.selects[fid]++
		if _, ok := c.files[fid]; !ok {
			return nil, cardreader.SWFileNotFound
		}
		if c.protected[fid] {
			return nil, cardreader.SWSecurityNotSatisfied
		}
		c.current, c.hasCurrent = fid, true
		return nil, cardreader.SWOK
	case cmd.INS == cardreader.InsSelect && cmd.P1 == 0x04:
		if !bytes.Equal(cmd.Data, cardreader.AIDeMRTD) {
			return nil, cardreader.SWFileNotFound
		}
		c.app, c.hasCurrent = true, false
		return nil, cardreader.SWOK
	case cmd.INS == cardreader.InsReadBinary:
		if !c.hasCurrent {
			return nil, 0x6986 // command not allowed: no current EF
		}
		return c.readBinary(c.files[c.current], cmd, true)
	case cmd.INS == cardreader.InsInternalAuthenticate:
		return c.internalAuthenticate(cmd)
	}
	return nil, cardreader.SWINSNotSupported
}

// readBinary answers READ BINARY on f; protected says the answer goes
// through secure messaging and must fit a short response once wrapped.
func (c *Card) readBinary(f []byte, cmd cardreader.Command, protected bool) ([]byte, uint16) {
	if cmd.P1&0x80 != 0 {
		return nil, cardreader.SWFunctionNotSupported // short EF identifiers not modelled
	}
	off := int(cmd.P1)<<8 | int(cmd.P2)
	if off >= len(f) {
		return nil, cardreader.SWWrongP1P2
	}
	n := min(cmd.Ne, len(f)-off)
	if c.MaxRead > 0 {
		n = min(n, c.MaxRead)
	}
	// The protected answer must fit a short response: DO87 (tag,
	// length up to 2 bytes, 01, padded data), DO99 (4), DO8E (10).
	if protected && 1+2+1+len(pad(make([]byte, n), c.sm.blockSize()))+4+10 > 256 {
		return nil, cardreader.SWWrongLength
	}
	status := cardreader.SWOK
	if off+n == len(f) && n < cmd.Ne && (c.MaxRead == 0 || n < c.MaxRead) {
		status = cardreader.SWEndOfFile
	}
	return f[off : off+n], status
}

// wrap builds the protected answer: DO87, DO99, DO8E over SSC ‖ DO87 ‖
// DO99 (ICAO 9303-11 §9.8.6.2).
func (c *Card) wrap(data []byte, status uint16) []byte {
	s := c.sm
	if s == nil {
		return sw(cardreader.SWSMObjectsIncorrect)
	}
	s.inc()
	var body []byte
	if len(data) > 0 {
		ct, err := s.crypt(pad(data, s.blockSize()), true)
		if err != nil {
			return sw(0x6F00)
		}
		body = cardreader.AppendTLV(body, 0x87, append([]byte{0x01}, ct...))
	}
	body = cardreader.AppendTLV(body, 0x99, sw(status))
	m, err := s.macOf(append(bytes.Clone(s.ssc), body...))
	if err != nil {
		return sw(0x6F00)
	}
	body = cardreader.AppendTLV(body, 0x8E, m)
	return append(body, sw(status)...)
}

// cutTLV splits one single-byte-tag TLV off b (SM data objects only use
// those).
func cutTLV(b []byte) (tag byte, raw, val, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, nil, false
	}
	n, h := int(b[1]), 2
	switch b[1] {
	case 0x81:
		if len(b) < 3 {
			return 0, nil, nil, nil, false
		}
		n, h = int(b[2]), 3
	case 0x82:
		if len(b) < 4 {
			return 0, nil, nil, nil, false
		}
		n, h = int(b[2])<<8|int(b[3]), 4
	default:
		if b[1] >= 0x80 {
			return 0, nil, nil, nil, false
		}
	}
	if len(b) < h+n {
		return 0, nil, nil, nil, false
	}
	return b[0], b[:h+n], b[h : h+n], b[h+n:], true
}
