package cardreader_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// RFC 4493 §4, examples 1 to 4 (AES-128, the key and message of
// NIST SP 800-38B).
func TestCMACRFC4493(t *testing.T) {
	key := h(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := h(t, "6bc1bee22e409f96e93d7e117393172a"+
		"ae2d8a571e03ac9c9eb76fac45af8e51"+
		"30c81c46a35ce411e5fbc1191a0a52ef"+
		"f69f2445df4f9b17ad2b417be66c3710")
	for _, tc := range []struct {
		n   int
		tag string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		got, err := cardreader.CMAC(key, msg[:tc.n])
		require.NoError(t, err)
		require.Equal(t, h(t, tc.tag), got, "length %d", tc.n)
		m8, err := cardreader.MAC8(key, msg[:tc.n])
		require.NoError(t, err)
		require.Equal(t, h(t, tc.tag)[:8], m8)
	}
	_, err := cardreader.CMAC(key[:15], nil)
	require.Error(t, err)
}

// K_π of ICAO 9303-11 Appendix G.1 (MRZ T22000129 / 640812 / 101031), as
// quoted in shared/reference/chip-card.md §5.
func TestPasswordKeyG1(t *testing.T) {
	pw, err := cardreader.MRZPassword(cardreader.Key{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"})
	require.NoError(t, err)
	require.Len(t, pw, 20)
	require.Equal(t, h(t, "89DED1B26624EC1E634C1989302849DD"), cardreader.PasswordKey(pw))

	// The BAC seed is the same hash truncated.
	bac, err := cardreader.DeriveBACKeys(icao.key)
	require.NoError(t, err)
	pw, err = cardreader.MRZPassword(icao.key)
	require.NoError(t, err)
	require.Equal(t, bac.Seed, pw[:16])
}

func TestCANPassword(t *testing.T) {
	pw, err := cardreader.CANPassword("123456")
	require.NoError(t, err)
	require.Equal(t, []byte("123456"), pw)
	// K_π = SHA-1("123456" ‖ 00000003)[:16], distinct from the ENC/MAC keys.
	kpi := cardreader.PasswordKey(pw)
	require.Len(t, kpi, 16)
	require.Equal(t, cardreader.DeriveKeyAES128(pw, 3), kpi)
	require.NotEqual(t, cardreader.DeriveKeyAES128(pw, cardreader.KDFEnc), kpi)
	for _, bad := range []string{"", "12345", "1234567", "12345a"} {
		_, err := cardreader.CANPassword(bad)
		require.ErrorIs(t, err, cardreader.ErrMRZ, bad)
	}
	can, err := cardreader.CANFromPersonalID("001090012345")
	require.NoError(t, err)
	require.Equal(t, "012345", can)
	_, err = cardreader.CANFromPersonalID(strings.Repeat("x", 12))
	require.ErrorIs(t, err, cardreader.ErrMRZ)
}
