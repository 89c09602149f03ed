package emulator_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

func TestPACEReadChip(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	wrongKey := p.Key()
	wrongKey.ExpiryDate = "300518"
	for _, tc := range []struct {
		name  string
		curve string
		param int
		req   cardreader.Request
		err   error
	}{
		{"brainpoolP256r1, CAN", emulator.CurveBrainpoolP256r1, 13, cardreader.Request{CAN: "012345"}, nil},
		{"brainpoolP256r1, MRZ", emulator.CurveBrainpoolP256r1, 13, cardreader.Request{Key: p.Key()}, nil},
		{"P-256, CAN", emulator.CurveP256, 12, cardreader.Request{CAN: "012345"}, nil},
		{"P-256, MRZ", emulator.CurveP256, 12, cardreader.Request{Key: p.Key()}, nil},
		{"CAN preferred over the MRZ key", emulator.CurveP256, 12, cardreader.Request{CAN: "012345", Key: wrongKey}, nil},
		{"brainpoolP256r1, wrong CAN", emulator.CurveBrainpoolP256r1, 13, cardreader.Request{CAN: "012346"}, cardreader.ErrAccessDenied},
		{"brainpoolP256r1, wrong MRZ", emulator.CurveBrainpoolP256r1, 13, cardreader.Request{Key: wrongKey}, cardreader.ErrAccessDenied},
		{"P-256, wrong CAN", emulator.CurveP256, 12, cardreader.Request{CAN: "543210"}, cardreader.ErrAccessDenied},
		{"P-256, wrong MRZ", emulator.CurveP256, 12, cardreader.Request{Key: wrongKey}, cardreader.ErrAccessDenied},
		{"malformed CAN", emulator.CurveP256, 12, cardreader.Request{CAN: "12345"}, cardreader.ErrMRZ},
		{"no password at all", emulator.CurveP256, 12, cardreader.Request{}, cardreader.ErrMRZ},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := emulator.CCCDOptions(p)
			o.Curve = tc.curve
			card, err := emulator.NewCard(o)
			require.NoError(t, err)
			rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, tc.req)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, rd)
				require.Zero(t, card.Selections(cardreader.FIDDG1), "nothing read without access")
				return
			}
			require.NoError(t, err)
			require.Equal(t, cardreader.AccessPACE, rd.Chip.AccessControl)
			require.Equal(t, cardreader.EncodeCardAccess(tc.param), rd.Chip.CardAccess)
			require.Equal(t, p.PersonalID, rd.Card.PersonalID)
			require.Equal(t, p.FullName, rd.Card.FullName)
			require.Equal(t, emulator.EncodeDG1(p.TD1()), rd.Chip.DataGroups[1])
			require.Equal(t, emulator.EncodeDG13(p.DG13Fields()), rd.Chip.DataGroups[13])
			require.Len(t, rd.Chip.DataGroups, 2)
			require.Nil(t, rd.Chip.SOD, "this card has no EF.SOD")
			require.Nil(t, rd.Chip.Challenge, "no DG15: no active authentication")
			require.Nil(t, rd.Portrait)
			require.Zero(t, card.Selections(cardreader.FIDDG2))
			require.Zero(t, card.Selections(cardreader.FIDDG3))
		})
	}
}

func TestAccessControlChoice(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	noPACE := emulator.CCCDOptions(p)
	noPACE.PACE = false
	unsupported := emulator.CCCDOptions(p)
	unsupported.Files[cardreader.FIDCardAccess] = cardreader.EncodeCardAccess(15) // brainpoolP384r1
	garbage := emulator.CCCDOptions(p)
	garbage.Files[cardreader.FIDCardAccess] = []byte{0x31, 0x03, 0x30, 0x01, 0x00}
	for _, tc := range []struct {
		name       string
		opts       emulator.Options
		req        cardreader.Request
		access     string
		cardAccess bool
		err        error
	}{
		{"no EF.CardAccess: BAC", noPACE, cardreader.Request{Key: p.Key()}, cardreader.AccessBAC, false, nil},
		{"PACE variant not supported: BAC", unsupported, cardreader.Request{Key: p.Key()}, cardreader.AccessBAC, true, nil},
		{"malformed EF.CardAccess: BAC", garbage, cardreader.Request{Key: p.Key()}, cardreader.AccessBAC, true, nil},
		{"BAC card, CAN only", noPACE, cardreader.Request{CAN: "012345"}, "", false, cardreader.ErrMRZ},
		{"BAC card, wrong key", noPACE, cardreader.Request{Key: cardreader.Key{DocumentNumber: "090012345", BirthDate: "900517", ExpiryDate: "300518"}}, "", false, cardreader.ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			card, err := emulator.NewCard(tc.opts)
			require.NoError(t, err)
			rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, tc.req)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.access, rd.Chip.AccessControl)
			require.Equal(t, tc.cardAccess, rd.Chip.CardAccess != nil)
			require.Equal(t, p.PersonalID, rd.Card.PersonalID)
		})
	}
	t.Run("legacy BAC-only card", func(t *testing.T) {
		t.Parallel()
		rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), emulator.NewCCCD(p), cardreader.Request{Key: p.Key()})
		require.NoError(t, err)
		require.Equal(t, cardreader.AccessBAC, rd.Chip.AccessControl)
		require.Nil(t, rd.Chip.CardAccess)
	})
}

// verifyAA checks an Active Authentication answer against DG15, as a
// verifier would (ICAO 9303-11 §6.1): ISO/IEC 9796-2 scheme 1 for RSA,
// plain ECDSA for EC keys.
func verifyAA(t *testing.T, dg15, challenge, sig []byte) error {
	t.Helper()
	require.Equal(t, byte(0x6F), dg15[0])
	spki := dg15[2:]
	if dg15[1] == 0x81 {
		spki = dg15[3:]
	} else if dg15[1] == 0x82 {
		spki = dg15[4:]
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	require.NoError(t, err)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		j := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(k.E)), k.N)
		f := j.FillBytes(make([]byte, k.Size()))
		if f[0] != 0x6A { // ISO/IEC 9796-2 lets the signer send min(s, n-s)
			f = new(big.Int).Sub(k.N, j).FillBytes(make([]byte, k.Size()))
		}
		if f[0] != 0x6A {
			return errors.New("bad header")
		}
		h, tl := crypto.SHA1, 1
		if f[len(f)-1] == 0xCC && f[len(f)-2] == 0x34 {
			h, tl = crypto.SHA256, 2
		} else if f[len(f)-1] != 0xBC {
			return errors.New("bad trailer")
		}
		m1 := f[1 : len(f)-tl-h.Size()]
		d := h.New()
		d.Write(m1)
		d.Write(challenge)
		if !bytes.Equal(d.Sum(nil), f[len(f)-tl-h.Size():len(f)-tl]) {
			return errors.New("hash mismatch")
		}
		return nil
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		d := crypto.SHA256.New()
		d.Write(challenge)
		if !ecdsa.Verify(k, d.Sum(nil), new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			return errors.New("ecdsa signature does not verify")
		}
		return nil
	}
	return errors.New("unknown key")
}

func TestActiveAuthentication(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherDG15, err := emulator.EncodeDG15(otherEC.Public())
	require.NoError(t, err)
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name      string
		key       crypto.Signer
		hash      crypto.Hash
		dg15      []byte // nil: from key
		challenge []byte
		good      bool
	}{
		{"RSA, ISO 9796-2 with SHA-1", rsaKey, 0, nil, challenge, true},
		{"RSA, ISO 9796-2 with SHA-256", rsaKey, crypto.SHA256, nil, challenge, true},
		{"ECDSA P-256, plain r||s", ecKey, 0, nil, challenge, true},
		{"reader draws the challenge", ecKey, 0, nil, nil, true},
		{"cloned chip: the key is not DG15's", ecKey, 0, otherDG15, challenge, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := emulator.CCCDOptions(p)
			o.AAKey, o.AAHash = tc.key, tc.hash
			if tc.dg15 != nil {
				o.Files[cardreader.FIDDG15] = tc.dg15
			}
			card, err := emulator.NewCard(o)
			require.NoError(t, err)
			rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{CAN: "012345", Challenge: tc.challenge})
			require.NoError(t, err)
			dg15 := rd.Chip.DataGroups[15]
			require.NotNil(t, dg15)
			require.Len(t, rd.Chip.Challenge, 8)
			if tc.challenge != nil {
				require.Equal(t, tc.challenge, rd.Chip.Challenge)
			}
			require.NotEmpty(t, rd.Chip.ActiveAuthSignature)
			err = verifyAA(t, dg15, rd.Chip.Challenge, rd.Chip.ActiveAuthSignature)
			if tc.good {
				require.NoError(t, err)
				wrong := bytes.Clone(rd.Chip.Challenge)
				wrong[0] ^= 1
				require.Error(t, verifyAA(t, dg15, wrong, rd.Chip.ActiveAuthSignature), "the signature covers the challenge")
			} else {
				require.Error(t, err)
			}
		})
	}
	t.Run("challenge of the wrong size", func(t *testing.T) {
		t.Parallel()
		card, err := emulator.NewCard(emulator.CCCDOptions(p))
		require.NoError(t, err)
		_, err = (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{CAN: "012345", Challenge: []byte{1}})
		require.ErrorIs(t, err, cardreader.ErrAPDU)
	})
	t.Run("RSA key behind an opaque Signer is refused", func(t *testing.T) {
		t.Parallel()
		o := emulator.CCCDOptions(p)
		o.AAKey = opaque{rsaKey}
		_, err := emulator.NewCard(o)
		require.Error(t, err)
	})
}

type opaque struct{ crypto.Signer }

func TestReadChipFiles(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	sod := cardreader.TLV(cardreader.TagSOD, []byte("not a real signed object"))
	dg14 := cardreader.TLV(0x6E, []byte{0x31, 0x00})
	o := emulator.CCCDOptions(p)
	o.Files[cardreader.FIDSOD] = sod
	o.Files[cardreader.FIDDG14] = dg14
	portrait := o.Files[cardreader.FIDDG2]
	for _, tc := range []struct {
		name     string
		portrait bool
	}{{"without portrait", false}, {"with portrait", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			card, err := emulator.NewCard(o)
			require.NoError(t, err)
			rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{CAN: "012345", Portrait: tc.portrait})
			require.NoError(t, err)
			require.Equal(t, sod, rd.Chip.SOD)
			require.Equal(t, dg14, rd.Chip.DataGroups[14])
			require.NotContains(t, rd.Chip.DataGroups, 2, "never DG2 in chip data")
			require.NotContains(t, rd.Chip.DataGroups, 3)
			require.Zero(t, card.Selections(cardreader.FIDDG3), "never DG3")
			if tc.portrait {
				require.Equal(t, portrait, rd.Portrait)
				require.Equal(t, 1, card.Selections(cardreader.FIDDG2))
			} else {
				require.Nil(t, rd.Portrait)
				require.Zero(t, card.Selections(cardreader.FIDDG2))
			}
			js, err := json.Marshal(rd.Chip)
			require.NoError(t, err)
			var back cardreader.ChipData
			require.NoError(t, json.Unmarshal(js, &back))
			require.Equal(t, rd.Chip, back)
		})
	}
}

func TestCardRemovedMidRead(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	// 0: at once; 3: during PACE; 8: during a file read; 12: later.
	for _, n := range []int{0, 3, 8, 12} {
		card, err := emulator.NewCard(emulator.CCCDOptions(p))
		require.NoError(t, err)
		if n == 0 {
			card.Remove()
		} else {
			card.PullAfter(n)
		}
		_, err = (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{CAN: "012345"})
		require.ErrorIs(t, err, cardreader.ErrCardRemoved, "after %d APDUs", n)
	}
}

// TestICAOCardSidePACE plays the terminal's side of ICAO 9303-11
// Appendix G.1 against the emulator holding the example's MRZ, with the
// example's nonce and chip keys: it must answer byte for byte, then speak
// AES secure messaging with the example's session keys.
func TestICAOCardSidePACE(t *testing.T) {
	t.Parallel()
	hx := func(s string) []byte { b, err := hex.DecodeString(s); require.NoError(t, err); return b }
	const (
		s         = "3F00C4D39D153F2B2A214A078D899B22"
		skPICCMap = "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560"
		skPICC    = "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A"
		pkPCDMap  = "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
		pkPICCMap = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
		pkPCD     = "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
		pkPICC    = "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
	)
	card, err := emulator.NewCard(emulator.Options{
		Key:   cardreader.Key{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"},
		PACE:  true,
		Files: map[uint16][]byte{cardreader.FIDCOM: emulator.EncodeCOM(0x61)},
		Rand:  bytes.NewReader(hx(s + skPICCMap + skPICC)),
	})
	require.NoError(t, err)
	for i, st := range [][2]string{
		{"00A4020C02011C", "9000"},
		{"00B0000004", "31143012" + "9000"},
		{"0022C1A40F800A04007F00070202040202830101", "9000"},
		{"10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000"},
		{"10860000457C438141" + pkPCDMap + "00", "7C438241" + pkPICCMap + "9000"},
		{"10860000457C438341" + pkPCD + "00", "7C438441" + pkPICC + "9000"},
		{"008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C089000"},
	} {
		got, err := card.Transmit(t.Context(), hx(st[0]))
		require.NoError(t, err)
		require.Equal(t, st[1], strings.ToUpper(hex.EncodeToString(got)), "step %d", i)
	}
	sm, err := cardreader.NewAESSecureMessaging(hx("F5F0E35C0D7161EE6724EE513A0D9A7F"), hx("FE251C7858B356B24514B3BD5F4297D1"))
	require.NoError(t, err)
	for _, c := range []cardreader.Command{
		{INS: cardreader.InsSelect, P1: 0x04, P2: 0x0C, Data: cardreader.AIDeMRTD},
		{INS: cardreader.InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x1E}},
	} {
		r, err := sm.Transmit(t.Context(), card, c)
		require.NoError(t, err)
		require.Equal(t, cardreader.SWOK, r.SW)
	}
	r, err := sm.Transmit(t.Context(), card, cardreader.Command{INS: cardreader.InsReadBinary, Ne: 0xDF})
	require.NoError(t, err)
	require.Equal(t, emulator.EncodeCOM(0x61), r.Data)
}
