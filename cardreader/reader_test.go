package cardreader_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// script is a Transport that expects exact command APDUs and plays back
// the recorded answers.
type script struct {
	t     *testing.T
	steps [][2]string // command hex, answer hex
	i     int
}

func (s *script) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	s.t.Helper()
	if s.i >= len(s.steps) {
		return nil, fmt.Errorf("unexpected command %s", hexOf(apdu))
	}
	st := s.steps[s.i]
	s.i++
	require.Equal(s.t, st[0], hexOf(apdu), "command %d", s.i)
	return unhex(s.t, st[1]), nil
}

// TestICAOWorkedExampleEndToEnd drives Reader.Open and Session.ReadFile
// through the whole ICAO 9303-11 Appendix D exchange, byte for byte: the
// reader must emit exactly the APDUs of the example (including reading
// EF.COM as 4 header bytes, then 0x12 bytes at offset 4).
func TestICAOWorkedExampleEndToEnd(t *testing.T) {
	t.Parallel()
	tr := &script{t: t, steps: [][2]string{
		{"00A4040C07A0000002471001", "9000"},
		{"0084000008", icao.rndIC + "9000"},
		{"0082000028" + icao.eIFD + icao.mIFD + "28", icao.cardAnswer + "9000"},
		{icaoSM[0].wire, icaoSM[0].answer},
		{icaoSM[1].wire, icaoSM[1].answer},
		{icaoSM[2].wire, icaoSM[2].answer},
	}}
	r := &cardreader.Reader{Rand: bytes.NewReader(unhex(t, icao.rndIFD+icao.kIFD))}
	s, err := r.Open(t.Context(), tr, icao.key)
	require.NoError(t, err)
	require.Equal(t, icao.ksEnc, hexOf(s.SecureMessaging().EncKey()))
	require.Equal(t, icao.ksMAC, hexOf(s.SecureMessaging().MACKey()))
	require.Equal(t, icao.ssc, hexOf(s.SecureMessaging().SSC()))

	com, err := s.ReadFile(t.Context(), "EF.COM", cardreader.FIDCOM)
	require.NoError(t, err)
	require.Equal(t, "60145F0104303130365F36063034303030305C026175", hexOf(com))
	require.Equal(t, "887022120C06C22C", hexOf(s.SecureMessaging().SSC()))
	require.Equal(t, len(tr.steps), tr.i)

	c, err := cardreader.ParseCOM(com)
	require.NoError(t, err)
	require.Equal(t, cardreader.COM{LDSVersion: "0106", UnicodeVersion: "040000", DataGroups: []int{1, 2}}, c)
}

func TestBACWrongKeyStatusWords(t *testing.T) {
	t.Parallel()
	for _, sw := range []string{"6300", "6982", "6988", "6985"} {
		t.Run(sw, func(t *testing.T) {
			tr := &script{t: t, steps: [][2]string{
				{"00A4040C07A0000002471001", "9000"},
				{"0084000008", icao.rndIC + "9000"},
				{"0082000028" + icao.eIFD + icao.mIFD + "28", sw},
			}}
			r := &cardreader.Reader{Rand: bytes.NewReader(unhex(t, icao.rndIFD+icao.kIFD))}
			_, err := r.Open(t.Context(), tr, icao.key)
			require.ErrorIs(t, err, cardreader.ErrAccessDenied)
		})
	}
}

func TestBACRejectsForgedCardAnswer(t *testing.T) {
	t.Parallel()
	ans := unhex(t, icao.cardAnswer)
	badMAC := bytes.Clone(ans)
	badMAC[39] ^= 1
	tr := &script{t: t, steps: [][2]string{
		{"00A4040C07A0000002471001", "9000"},
		{"0084000008", icao.rndIC + "9000"},
		{"0082000028" + icao.eIFD + icao.mIFD + "28", hexOf(badMAC) + "9000"},
	}}
	r := &cardreader.Reader{Rand: bytes.NewReader(unhex(t, icao.rndIFD+icao.kIFD))}
	_, err := r.Open(t.Context(), tr, icao.key)
	require.ErrorIs(t, err, cardreader.ErrAccessDenied)

	// The right MAC over a different challenge: the echo check catches it.
	tr = &script{t: t, steps: [][2]string{
		{"00A4040C07A0000002471001", "9000"},
		{"0084000008", "0000000000000000" + "9000"},
	}}
	r = &cardreader.Reader{Rand: bytes.NewReader(unhex(t, icao.rndIFD+icao.kIFD))}
	k, err := cardreader.DeriveBACKeys(icao.key)
	require.NoError(t, err)
	data, err := cardreader.MutualAuthData(k, unhex(t, icao.rndIFD), unhex(t, "0000000000000000"), unhex(t, icao.kIFD))
	require.NoError(t, err)
	tr.steps = append(tr.steps, [2]string{"0082000028" + hexOf(data) + "28", icao.cardAnswer + "9000"})
	_, err = r.Open(t.Context(), tr, icao.key)
	require.ErrorIs(t, err, cardreader.ErrAccessDenied)
}

func TestSelectApplicationAbsent(t *testing.T) {
	t.Parallel()
	tr := &script{t: t, steps: [][2]string{{"00A4040C07A0000002471001", "6A82"}}}
	_, err := (&cardreader.Reader{}).Open(t.Context(), tr, icao.key)
	require.ErrorIs(t, err, cardreader.ErrNotEMRTD)
	require.ErrorIs(t, err, cardreader.ErrFileNotFound)
}

func TestAPDUEncoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cmd  cardreader.Command
		hex  string
	}{
		{"case 1", cardreader.Command{INS: 0x84}, "00840000"},
		{"case 2", cardreader.Command{INS: 0x84, Ne: 8}, "0084000008"},
		{"case 2, Ne 256", cardreader.Command{INS: 0xB0, Ne: 256}, "00B0000000"},
		{"case 3", cardreader.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{1, 0x1E}}, "00A4020C02011E"},
		{"case 4", cardreader.Command{INS: 0x82, Data: []byte{1}, Ne: 40}, "008200000101" + "28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.cmd.Bytes()
			require.NoError(t, err)
			require.Equal(t, tc.hex, hexOf(b))
			back, err := cardreader.ParseCommand(b)
			require.NoError(t, err)
			if back.Data == nil {
				back.Data = tc.cmd.Data
			}
			require.Equal(t, tc.cmd, back)
		})
	}
	_, err := cardreader.Command{Data: make([]byte, 256)}.Bytes()
	require.ErrorIs(t, err, cardreader.ErrAPDU)
	_, err = cardreader.ParseCommand(unhex(t, "00A4020C05011E"))
	require.ErrorIs(t, err, cardreader.ErrAPDU)
	_, err = cardreader.ParseResponse([]byte{0x90})
	require.ErrorIs(t, err, cardreader.ErrAPDU)
}
