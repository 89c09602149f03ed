package cardreader_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// The worked example of ICAO Doc 9303-11 Appendix G.1 (ECDH Generic
// Mapping, brainpoolP256r1, AES-128): the fixed private keys and every
// intermediate value published there.
var g1 = struct {
	z, s                        string
	skPCDMap, skPICCMap         string
	pkPCDMap, pkPICCMap, hPoint string
	mapped                      string
	skPCD, skPICC               string
	pkPCD, pkPICC               string
	ksEnc, ksMAC, tPCD, tPICC   string
}{
	z:         "95A3A016522EE98D01E76CB6B98B42C3",
	s:         "3F00C4D39D153F2B2A214A078D899B22",
	skPCDMap:  "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99",
	skPICCMap: "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560",
	pkPCDMap:  "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D",
	pkPICCMap: "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
	hPoint:    "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD50840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181",
	mapped:    "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522",
	skPCD:     "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595",
	skPICC:    "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A",
	pkPCD:     "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462",
	pkPICC:    "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
	ksEnc:     "F5F0E35C0D7161EE6724EE513A0D9A7F",
	ksMAC:     "FE251C7858B356B24514B3BD5F4297D1",
	tPCD:      "C2B0BD78D94BA866",
	tPICC:     "3ABB9674BCE93C08",
}

func TestPACEGenericMappingG1(t *testing.T) {
	c := cardreader.BrainpoolP256r1
	oid := cardreader.OIDPACEECDHGMAES128
	pt := func(s string) cardreader.Point {
		p, err := c.Unmarshal(h(t, s))
		require.NoError(t, err)
		return p
	}
	pw, err := cardreader.MRZPassword(cardreader.Key{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"})
	require.NoError(t, err)
	kPi := cardreader.PasswordKey(pw)

	// Step 1: the chip's encrypted nonce, as the card sends it (7C 80).
	z, err := cardreader.ParseDynamicAuthData(h(t, "7C128010"+g1.z), cardreader.TagEncryptedNonce)
	require.NoError(t, err)
	s, err := cardreader.DecryptNonce(kPi, z)
	require.NoError(t, err)
	require.Equal(t, h(t, g1.s), s)
	back, err := cardreader.EncryptNonce(kPi, s)
	require.NoError(t, err)
	require.Equal(t, z, back)

	// Step 2: mapping keys and the mapped generator, from both sides.
	pkPCDMap := c.ScalarBaseMult(h(t, g1.skPCDMap))
	pkPICCMap := c.ScalarBaseMult(h(t, g1.skPICCMap))
	require.Equal(t, h(t, g1.pkPCDMap), c.Marshal(pkPCDMap))
	require.Equal(t, h(t, g1.pkPICCMap), c.Marshal(pkPICCMap))
	require.Equal(t, h(t, "7C438141"+g1.pkPCDMap), cardreader.DynamicAuthData(cardreader.TagMappingPCD, c.Marshal(pkPCDMap)))
	require.Equal(t, h(t, g1.hPoint), c.Marshal(c.ScalarMult(pkPICCMap, h(t, g1.skPCDMap))))
	gPCD, err := cardreader.MapGenerator(c, s, h(t, g1.skPCDMap), pt(g1.pkPICCMap))
	require.NoError(t, err)
	gPICC, err := cardreader.MapGenerator(c, s, h(t, g1.skPICCMap), pt(g1.pkPCDMap))
	require.NoError(t, err)
	require.Equal(t, h(t, g1.mapped), c.Marshal(gPCD))
	require.True(t, gPICC.Equal(gPCD))

	// Step 3: ephemeral keys on G' and the shared secret.
	pkPCD := c.ScalarMult(gPCD, h(t, g1.skPCD))
	pkPICC := c.ScalarMult(gPICC, h(t, g1.skPICC))
	require.Equal(t, h(t, g1.pkPCD), c.Marshal(pkPCD))
	require.Equal(t, h(t, g1.pkPICC), c.Marshal(pkPICC))
	kPCD, err := cardreader.SharedSecret(c, h(t, g1.skPCD), pkPCD, pkPICC)
	require.NoError(t, err)
	kPICC, err := cardreader.SharedSecret(c, h(t, g1.skPICC), pkPICC, pkPCD)
	require.NoError(t, err)
	require.Equal(t, kPCD, kPICC)
	_, err = cardreader.SharedSecret(c, h(t, g1.skPCD), pkPCD, pkPCD)
	require.ErrorIs(t, err, cardreader.ErrPACE, "an echoed key is refused")

	// Step 4: session keys and tokens.
	ksEnc, ksMAC := cardreader.SessionKeysAES128(kPCD)
	require.Equal(t, h(t, g1.ksEnc), ksEnc)
	require.Equal(t, h(t, g1.ksMAC), ksMAC)
	tPCD, err := cardreader.AuthToken(c, ksMAC, oid, pkPICC)
	require.NoError(t, err)
	require.Equal(t, h(t, g1.tPCD), tPCD)
	require.Equal(t, h(t, "7C0A8508"+g1.tPCD), cardreader.DynamicAuthData(cardreader.TagAuthTokenPCD, tPCD))
	tPICC, err := cardreader.ParseDynamicAuthData(h(t, "7C0A8608"+g1.tPICC), cardreader.TagAuthTokenPICC)
	require.NoError(t, err)
	require.NoError(t, cardreader.VerifyAuthToken(c, ksMAC, oid, pkPCD, tPICC))
	require.NoError(t, cardreader.VerifyAuthToken(c, ksMAC, oid, pkPICC, tPCD), "the chip's check of T_PCD")
	bad := append([]byte(nil), tPICC...)
	bad[0] ^= 1
	require.ErrorIs(t, cardreader.VerifyAuthToken(c, ksMAC, oid, pkPCD, bad), cardreader.ErrPACE)
}

func TestPACERejects(t *testing.T) {
	c := cardreader.BrainpoolP256r1
	_, err := cardreader.DecryptNonce(make([]byte, 16), make([]byte, 15))
	require.ErrorIs(t, err, cardreader.ErrPACE)
	_, err = cardreader.DecryptNonce(make([]byte, 5), make([]byte, 16))
	require.ErrorIs(t, err, cardreader.ErrPACE)
	_, err = cardreader.MapGenerator(c, []byte{1}, []byte{1}, cardreader.Point{})
	require.ErrorIs(t, err, cardreader.ErrPACE)
	// A mapping private key of n gives H = infinity.
	_, err = cardreader.MapGenerator(c, []byte{1}, c.N.Bytes(), c.Generator())
	require.ErrorIs(t, err, cardreader.ErrPACE)
	require.Equal(t, []byte{0x7C, 0x00}, cardreader.DynamicAuthData(cardreader.TagEncryptedNonce, nil))
	for _, b := range [][]byte{nil, {0x7C, 0x00}, {0x7C, 0x02, 0x81, 0x00}, {0x7D, 0x02, 0x80, 0x00}, {0x7C, 0x02, 0x80, 0x00, 0x00}, {0x7C, 0x04, 0x80, 0x00, 0x80, 0x00}} {
		_, err := cardreader.ParseDynamicAuthData(b, cardreader.TagEncryptedNonce)
		require.ErrorIs(t, err, cardreader.ErrPACE, "%X", b)
	}
}

func FuzzParseDynamicAuthData(f *testing.F) {
	f.Add([]byte{0x7C, 0x12, 0x80, 0x10, 0x95, 0xA3, 0xA0, 0x16, 0x52, 0x2E, 0xE9, 0x8D, 0x01, 0xE7, 0x6C, 0xB6, 0xB9, 0x8B, 0x42, 0xC3}, byte(0x80))
	f.Add([]byte{0x7C, 0x0A, 0x86, 0x08, 0x3A, 0xBB, 0x96, 0x74, 0xBC, 0xE9, 0x3C, 0x08}, byte(0x86))
	f.Add([]byte{0x7C, 0x81, 0x02, 0x80, 0x00}, byte(0x80))
	f.Fuzz(func(t *testing.T, b []byte, tag byte) {
		v, err := cardreader.ParseDynamicAuthData(b, tag)
		if err != nil {
			return
		}
		if tag&0x1F != 0x1F {
			require.Equal(t, v, mustParse(t, cardreader.DynamicAuthData(tag, v), tag))
		}
	})
}

func mustParse(t *testing.T, b []byte, tag byte) []byte {
	t.Helper()
	v, err := cardreader.ParseDynamicAuthData(b, tag)
	require.NoError(t, err)
	return v
}

// g1Script is the APDU exchange of ICAO 9303-11 Appendix G.1 as a reader
// with the example's private keys sends it, and the chip's answers.
func g1Script(t *testing.T, finalAnswer string) *script {
	return &script{t: t, steps: [][2]string{
		{"0022C1A40F800A04007F00070202040202830101", "9000"},
		{"10860000027C0000", "7C128010" + g1.z + "9000"},
		{"10860000457C438141" + g1.pkPCDMap + "00", "7C438241" + g1.pkPICCMap + "9000"},
		{"10860000457C438341" + g1.pkPCD + "00", "7C438441" + g1.pkPICC + "9000"},
		{"008600000C7C0A8508" + g1.tPCD + "00", finalAnswer},
	}}
}

// TestPACEFlowG1 drives cardreader.PACE through the Appendix G.1 example
// byte for byte: MSE:Set AT with the MRZ password, the four GENERAL
// AUTHENTICATE steps, and the AES session keys it ends with.
func TestPACEFlowG1(t *testing.T) {
	t.Parallel()
	pw, err := cardreader.MRZPassword(cardreader.Key{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"})
	require.NoError(t, err)
	params := func() cardreader.PACEParams {
		return cardreader.PACEParams{
			Info:     cardreader.PACEInfo{Protocol: cardreader.OIDPACEGMAES128, Version: 2, ParameterID: 13},
			Password: cardreader.PACEPassword{Ref: cardreader.PasswordMRZ, Secret: pw},
			Rand:     bytes.NewReader(h(t, g1.skPCDMap+g1.skPCD)),
		}
	}
	for _, tc := range []struct {
		name   string
		answer string
		err    error
	}{
		{"chip's token verifies", "7C0A8608" + g1.tPICC + "9000", nil},
		{"chip adds a CAR after its token", "7C0E8608" + g1.tPICC + "870200019000", nil},
		{"chip refuses the terminal's token (wrong password)", "6300", cardreader.ErrAccessDenied},
		{"chip refuses with a retry counter", "63C29000"[:4], cardreader.ErrAccessDenied},
		{"chip's token is forged", "7C0A8608" + "0000000000000000" + "9000", cardreader.ErrAccessDenied},
		{"chip answers without a token", "7C0A8708" + g1.tPICC + "9000", cardreader.ErrPACE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := g1Script(t, tc.answer)
			sm, err := cardreader.PACE(t.Context(), tr, params())
			require.Equal(t, len(tr.steps), tr.i)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, g1.ksEnc, hexOf(sm.EncKey()))
			require.Equal(t, g1.ksMAC, hexOf(sm.MACKey()))
			require.Equal(t, make([]byte, 16), sm.SSC())
		})
	}

	t.Run("domain parameters named when ambiguous", func(t *testing.T) {
		t.Parallel()
		tr := g1Script(t, "7C0A8608"+g1.tPICC+"9000")
		tr.steps[0][0] = "0022C1A412800A04007F0007020204020283010184010D"
		p := params()
		p.IdentifyParameters = true
		_, err := cardreader.PACE(t.Context(), tr, p)
		require.NoError(t, err)
	})
	for _, tc := range []struct{ name, mapAnswer string }{
		{"chip's mapping key not on the curve", "7C438241" + "04" + strings.Repeat("00", 64) + "9000"},
		{"chip echoes the terminal's mapping key", "7C438241" + g1.pkPCDMap + "9000"},
		{"chip answers with the wrong data object", "7C438441" + g1.pkPICCMap + "9000"},
		{"chip answers with trailing bytes", "7C438241" + g1.pkPICCMap + "009000"},
		{"chip fails the step", "6A80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := g1Script(t, "")
			tr.steps = tr.steps[:3]
			tr.steps[2][1] = tc.mapAnswer
			_, err := cardreader.PACE(t.Context(), tr, params())
			require.ErrorIs(t, err, cardreader.ErrPACE)
			require.NotErrorIs(t, err, cardreader.ErrAccessDenied, "only the last step speaks of the password")
			require.Equal(t, 3, tr.i)
		})
	}
	t.Run("unsupported parameters", func(t *testing.T) {
		t.Parallel()
		p := params()
		p.Info.ParameterID = 15
		_, err := cardreader.PACE(t.Context(), &script{t: t}, p)
		require.ErrorIs(t, err, cardreader.ErrPACE)
	})
	t.Run("chip refuses MSE:Set AT", func(t *testing.T) {
		t.Parallel()
		tr := &script{t: t, steps: [][2]string{{"0022C1A40F800A04007F00070202040202830101", "6A80"}}}
		_, err := cardreader.PACE(t.Context(), tr, params())
		require.ErrorIs(t, err, cardreader.ErrPACE)
	})
}
