package emulator

import (
	"crypto"
	"fmt"
	"io"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// Curve names of Options.Curve.
const (
	CurveBrainpoolP256r1 = "brainpoolP256r1"
	CurveP256            = "P-256"
)

// Options describe a software chip for NewCard.
type Options struct {
	// Key is the MRZ key: the BAC key, and the PACE password with
	// reference MRZ. Required.
	Key cardreader.Key
	// CAN is the card access number accepted as a PACE password; "" makes
	// the card refuse the CAN reference.
	CAN string
	// PACE makes the card serve EF.CardAccess (unless Files has one) and
	// PACE Generic Mapping with AES-128. BAC stays available, as on a
	// CCCD.
	PACE bool
	// Curve is CurveBrainpoolP256r1 (the default, the CCCD's) or CurveP256.
	Curve string
	// AAKey is the Active Authentication key: INTERNAL AUTHENTICATE is
	// served, and DG15 is built from its public key unless Files has one.
	// RSA keys must be *rsa.PrivateKey (see SignActiveAuth); nil: no AA.
	AAKey crypto.Signer
	// AAHash is the hash of the AA signature; 0: SHA-1 for RSA, SHA-256
	// for ECDSA.
	AAHash crypto.Hash
	// Files by file identifier (EF.SOD, DG14, DG2, ...). EF.COM is built
	// from the data groups present unless given.
	Files map[uint16][]byte
	// Protected files answer 6982 even under secure messaging (DG3 needs
	// Extended Access Control).
	Protected []uint16
	// Rand supplies the card's nonces and keys; nil means crypto/rand.
	Rand io.Reader
}

// NewCard returns a card built from o.
func NewCard(o Options) (*Card, error) {
	files := map[uint16][]byte{}
	for fid, b := range o.Files {
		files[fid] = b
	}
	c, err := New(o.Key, nil, o.Rand)
	if err != nil {
		return nil, err
	}
	if o.CAN != "" {
		if _, err := cardreader.CANPassword(o.CAN); err != nil {
			return nil, err
		}
		c.can = o.CAN
	}
	if o.PACE {
		var param int
		switch o.Curve {
		case "", CurveBrainpoolP256r1:
			param = cardreader.ParamBrainpoolP256r1
		case CurveP256:
			param = cardreader.ParamNISTP256
		default:
			return nil, fmt.Errorf("emulator: curve %q is not supported", o.Curve)
		}
		c.pace = &paceState{curve: cardreader.PACECurve(param), paramID: param}
		if _, ok := files[cardreader.FIDCardAccess]; !ok {
			files[cardreader.FIDCardAccess] = cardreader.EncodeCardAccess(param)
		}
	}
	if o.AAKey != nil {
		if _, err := SignActiveAuth(o.AAKey, o.AAHash, make([]byte, cardreader.ChallengeSize), c.rand); err != nil {
			return nil, err
		}
		c.aaKey, c.aaHash = o.AAKey, o.AAHash
		if _, ok := files[cardreader.FIDDG15]; !ok {
			dg15, err := EncodeDG15(o.AAKey.Public())
			if err != nil {
				return nil, err
			}
			files[cardreader.FIDDG15] = dg15
		}
	}
	if _, ok := files[cardreader.FIDCOM]; !ok {
		var tags []byte
		for n := 1; n <= 16; n++ {
			if _, ok := files[0x0100+uint16(n)]; ok {
				tags = append(tags, dgTags[n-1])
			}
		}
		files[cardreader.FIDCOM] = EncodeCOM(tags...)
	}
	for fid, b := range files {
		c.SetFile(fid, b)
	}
	for _, fid := range o.Protected {
		c.protected[fid] = true
	}
	return c, nil
}

// dgTags are the tags of DG1 to DG16 (ICAO 9303-10 §4.6.1), as EF.COM
// lists them.
var dgTags = []byte{0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70}

// CCCDOptions returns the options of a chip ID card for p, as issued: PACE
// on brainpoolP256r1 with the CAN (the last 6 digits of the ID) or the MRZ,
// BAC, DG1 and DG13 from p, DG2 a placeholder, DG3 a placeholder guarded
// by EAC. Add AAKey, EF.SOD and DG14 as the test needs.
func CCCDOptions(p Person) Options {
	return Options{
		Key:   p.Key(),
		CAN:   p.PersonalID[6:],
		PACE:  true,
		Curve: CurveBrainpoolP256r1,
		Files: map[uint16][]byte{
			cardreader.FIDDG1:  EncodeDG1(p.TD1()),
			cardreader.FIDDG2:  cardreader.TLV(0x75, []byte("placeholder, not a portrait")),
			cardreader.FIDDG3:  cardreader.TLV(0x63, []byte("placeholder, not fingerprints")),
			cardreader.FIDDG13: EncodeDG13(p.DG13Fields()),
		},
		Protected: []uint16{cardreader.FIDDG3},
	}
}

// Remove pulls the card from the reader: every later APDU fails with an
// error wrapping cardreader.ErrCardRemoved, as package pcsc reports it.
func (c *Card) Remove() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removed = true
}

// PullAfter lets n more APDUs through, then removes the card (n > 0), to
// pull it mid-read.
func (c *Card) PullAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pullAfter = n + 1
}
