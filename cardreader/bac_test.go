package cardreader_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// The worked example of ICAO Doc 9303-11 Appendix D (D.2 key derivation,
// D.3 mutual authentication, D.4 secure messaging), as reproduced in
// shared/reference/chip-card.md §5.
var icao = struct {
	key                                   cardreader.Key
	mrzInfo                               string
	kSeed, kEnc, kMAC                     string
	rndIC, rndIFD, kIFD, s, eIFD, mIFD    string
	cardAnswer, kIC, ksSeed, ksEnc, ksMAC string
	ssc                                   string
}{
	key:        cardreader.Key{DocumentNumber: "L898902C", BirthDate: "690806", ExpiryDate: "940623"},
	mrzInfo:    "L898902C<369080619406236",
	kSeed:      "239AB9CB282DAF66231DC5A4DF6BFBAE",
	kEnc:       "AB94FDECF2674FDFB9B391F85D7F76F2",
	kMAC:       "7962D9ECE03D1ACD4C76089DCE131543",
	rndIC:      "4608F91988702212",
	rndIFD:     "781723860C06C226",
	kIFD:       "0B795240CB7049B01C19B33E32804F0B",
	s:          "781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B",
	eIFD:       "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2",
	mIFD:       "5F1448EEA8AD90A7",
	cardAnswer: "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449",
	kIC:        "0B4F80323EB3191CB04970CB4052790B",
	ksSeed:     "0036D272F5C350ACAC50C3F572D23600",
	ksEnc:      "979EC13B1CBFE9DCD01AB0FED307EAE5",
	ksMAC:      "F1CB1F1FB5ADF208806B89DC579DC1F8",
	ssc:        "887022120C06C226",
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func TestICAOKeyDerivation(t *testing.T) {
	t.Parallel()
	info, err := icao.key.MRZInformation()
	require.NoError(t, err)
	require.Equal(t, icao.mrzInfo, info)

	k, err := cardreader.DeriveBACKeys(icao.key)
	require.NoError(t, err)
	for _, tc := range []struct{ name, got, want string }{
		{"K_seed", hexOf(k.Seed), icao.kSeed},
		{"K_enc", hexOf(k.Enc), icao.kEnc},
		{"K_mac", hexOf(k.MAC), icao.kMAC},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, tc.got) })
	}
}

func TestICAOMutualAuthentication(t *testing.T) {
	t.Parallel()
	k, err := cardreader.DeriveBACKeys(icao.key)
	require.NoError(t, err)
	data, err := cardreader.MutualAuthData(k, unhex(t, icao.rndIFD), unhex(t, icao.rndIC), unhex(t, icao.kIFD))
	require.NoError(t, err)
	require.Equal(t, icao.eIFD+icao.mIFD, hexOf(data))

	// The card's answer: MAC verifies, decrypts to RND.IC ‖ RND.IFD ‖ K.IC.
	ans := unhex(t, icao.cardAnswer)
	require.True(t, cardreader.VerifyMAC(k.MAC, ans[:32], ans[32:]))
	plain, err := cardreader.DecryptTDES(k.Enc, ans[:32])
	require.NoError(t, err)
	require.Equal(t, icao.rndIC+icao.rndIFD+icao.kIC, hexOf(plain))

	seed := cardreader.SessionSeed(unhex(t, icao.kIFD), unhex(t, icao.kIC))
	require.Equal(t, icao.ksSeed, hexOf(seed))
	sm := cardreader.NewSecureMessaging(seed, unhex(t, icao.rndIC), unhex(t, icao.rndIFD))
	require.Equal(t, icao.ksEnc, hexOf(sm.EncKey()))
	require.Equal(t, icao.ksMAC, hexOf(sm.MACKey()))
	require.Equal(t, icao.ssc, hexOf(sm.SSC()))
}

// icaoSM is the D.4 exchange: each protected command, the card's protected
// answer, the plain data and the SSC after the answer.
var icaoSM = []struct {
	name     string
	cmd      cardreader.Command
	wire     string
	answer   string
	data     string
	sscAfter string
}{
	{"select EF.COM", cardreader.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x1E}},
		"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
		"990290008E08FA855A5D4C50A8ED9000", "", "887022120C06C228"},
	{"read binary 4 bytes", cardreader.Command{INS: 0xB0, Ne: 4},
		"0CB000000D9701048E08ED6705417E96BA5500",
		"8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", "60145F01", "887022120C06C22A"},
	{"read binary 0x12 bytes at 4", cardreader.Command{INS: 0xB0, P2: 0x04, Ne: 0x12},
		"0CB000040D9701128E082EA28A70F3C7B53500",
		"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
		"04303130365F36063034303030305C026175", "887022120C06C22C"},
}

func icaoSession(t *testing.T) *cardreader.SecureMessaging {
	seed := cardreader.SessionSeed(unhex(t, icao.kIFD), unhex(t, icao.kIC))
	return cardreader.NewSecureMessaging(seed, unhex(t, icao.rndIC), unhex(t, icao.rndIFD))
}

func TestICAOSecureMessaging(t *testing.T) {
	t.Parallel()
	sm := icaoSession(t) // one session: each step depends on the SSC left by the previous
	for _, tc := range icaoSM {
		wire, err := sm.Protect(tc.cmd)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.wire, hexOf(wire), tc.name)
		r, err := sm.Unprotect(unhex(t, tc.answer))
		require.NoError(t, err, tc.name)
		require.Equal(t, cardreader.SWOK, r.SW, tc.name)
		require.Equal(t, tc.data, hexOf(r.Data), tc.name)
		require.Equal(t, tc.sscAfter, hexOf(sm.SSC()), tc.name)
	}
}

func TestSecureMessagingRejects(t *testing.T) {
	t.Parallel()
	good := unhex(t, icaoSM[1].answer)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	cases := []struct {
		name   string
		answer []byte
	}{
		{"wrong mac", flip(len(good) - 3)},
		{"tampered ciphertext", flip(4)},
		{"tampered status in DO99", flip(14)},
		{"missing DO99", unhex(t, "8709019FF0EC34F99226518E08AD55CC17140B2DED9000")},
		{"missing DO8E", unhex(t, "8709019FF0EC34F9922651990290009000")},
		{"no data objects but 9000", unhex(t, "9000")},
		{"truncated", good[:10]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sm := icaoSession(t)
			_, err := sm.Protect(icaoSM[0].cmd)
			require.NoError(t, err)
			_, err = sm.Unprotect(unhex(t, icaoSM[0].answer))
			require.NoError(t, err)
			_, err = sm.Protect(icaoSM[1].cmd)
			require.NoError(t, err)
			_, err = sm.Unprotect(tc.answer)
			require.ErrorIs(t, err, cardreader.ErrSecureMessaging)
			// The session is over: the SSCs can no longer be trusted.
			_, err = sm.Protect(icaoSM[2].cmd)
			require.ErrorIs(t, err, cardreader.ErrSecureMessaging)
		})
	}
}

func TestCheckDigit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want byte
	}{
		{"L898902C<", '3'}, {"690806", '1'}, {"940623", '6'}, {"520727", '3'}, {"D23145890", '7'},
		{"<<<<<<", '0'}, {"", '0'},
	} {
		got, err := cardreader.CheckDigit(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, string(tc.want), string(got), tc.in)
	}
	_, err := cardreader.CheckDigit("abc")
	require.ErrorIs(t, err, cardreader.ErrMRZ)
}

func TestPadding(t *testing.T) {
	t.Parallel()
	for n := 0; n < 20; n++ {
		in := bytes.Repeat([]byte{0xAB}, n)
		p := cardreader.Pad(in)
		require.Zero(t, len(p)%8)
		require.Greater(t, len(p), n)
		out, err := cardreader.Unpad(p)
		require.NoError(t, err)
		require.Equal(t, in, out)
	}
	_, err := cardreader.Unpad(unhex(t, "0102030405060708"))
	require.ErrorIs(t, err, cardreader.ErrSecureMessaging)
}
