package cardreader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// ICAO 9303-11 Appendix G gives PACE values but no protected APDUs, so
// AES secure messaging is checked against a recorded AES session (AES-256
// session keys, SSC starting at 0x20: reading EF.COM as a 4-byte header
// then 0x16 bytes), published as a test vector in gmrtd/gmrtd
// (iso7816/nfc_session_test.go, TestNfcSessionSecureMessagingAES). The
// same code path serves AES-128 after PACE; only the key length differs.
func TestAESSecureMessagingRecordedSession(t *testing.T) {
	t.Parallel()
	sm, err := cardreader.NewAESSecureMessaging(
		h(t, "74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"),
		h(t, "9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"))
	require.NoError(t, err)
	require.Equal(t, make([]byte, 16), sm.SSC(), "PACE starts the SSC at zero")
	require.NoError(t, sm.SetSSC(h(t, "00000000000000000000000000000020")))
	for _, tc := range []struct {
		name     string
		cmd      cardreader.Command
		wire     string
		answer   string
		data     string
		afterSSC string
	}{
		{"select EF.COM", cardreader.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x1E}},
			"0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000",
			"990290008E08E083EAA61ADABFCE9000", "", "00000000000000000000000000000022"},
		{"read 4 bytes", cardreader.Command{INS: 0xB0, Ne: 4},
			"0CB000000D9701048E084AFC933E0CDBE5F000",
			"871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000", "60185F01",
			"00000000000000000000000000000024"},
		{"read 0x16 bytes at 4", cardreader.Command{INS: 0xB0, P2: 4, Ne: 0x16},
			"0CB000040D9701168E0811F7EFC907D1F27400",
			"87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6990290008E083382E3D983F441369000",
			"04303130385F36063034303030305C06617563766D6E", "00000000000000000000000000000026"},
	} {
		// Sequential: each step moves the SSC.
		wire, err := sm.Protect(tc.cmd)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.wire, hexOf(wire), tc.name)
		r, err := sm.Unprotect(h(t, tc.answer))
		require.NoError(t, err, tc.name)
		require.Equal(t, cardreader.SWOK, r.SW, tc.name)
		require.Equal(t, tc.data, hexOf(r.Data), tc.name)
		require.Equal(t, tc.afterSSC, hexOf(sm.SSC()), tc.name)
	}
}

func TestAESSecureMessagingRejects(t *testing.T) {
	t.Parallel()
	key := h(t, "F5F0E35C0D7161EE6724EE513A0D9A7F")
	mac := h(t, "FE251C7858B356B24514B3BD5F4297D1")
	_, err := cardreader.NewAESSecureMessaging(key[:15], mac)
	require.ErrorIs(t, err, cardreader.ErrSecureMessaging)
	sm, err := cardreader.NewAESSecureMessaging(key, mac)
	require.NoError(t, err)
	require.ErrorIs(t, sm.SetSSC(make([]byte, 8)), cardreader.ErrSecureMessaging)
	for _, tc := range []struct{ name, answer string }{
		{"no DO8E", "990290009000"},
		{"wrong mac", "990290008E0800000000000000009000"},
		{"garbage", "FF9000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm, err := cardreader.NewAESSecureMessaging(key, mac)
			require.NoError(t, err)
			_, err = sm.Protect(cardreader.Command{INS: 0xB0, Ne: 4})
			require.NoError(t, err)
			_, err = sm.Unprotect(h(t, tc.answer))
			require.ErrorIs(t, err, cardreader.ErrSecureMessaging)
			_, err = sm.Protect(cardreader.Command{INS: 0xB0, Ne: 4})
			require.ErrorIs(t, err, cardreader.ErrSecureMessaging, "the session is over")
		})
	}
}
