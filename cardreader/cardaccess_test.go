package cardreader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// cccdCardAccess is the EF.CardAccess Vietnamese readers hard-code for a
// CCCD (chip-card.md §6.3): TA v1, CA-ECDH-AES-128 v1, PACE-ECDH-GM-AES-128
// v2 on brainpoolP256r1.
const cccdCardAccess = "3134300d060804007f0007020202020101300f060a04007f000702020302020201013012060a04007f0007020204020202010202010d"

func TestParseCardAccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		hex     string
		infos   int
		pace    []cardreader.PACEInfo
		curve   *cardreader.Curve
		err     error
		paceErr bool
	}{
		{name: "CCCD", hex: cccdCardAccess, infos: 3,
			pace:  []cardreader.PACEInfo{{Protocol: cardreader.OIDPACEGMAES128, Version: 2, ParameterID: 13}},
			curve: cardreader.BrainpoolP256r1},
		{name: "P-256", hex: hexOf(cardreader.EncodeCardAccess(12)), infos: 1,
			pace:  []cardreader.PACEInfo{{Protocol: cardreader.OIDPACEGMAES128, Version: 2, ParameterID: 12}},
			curve: cardreader.P256},
		{name: "brainpoolP384r1 only: no supported PACE", hex: hexOf(cardreader.EncodeCardAccess(15)), infos: 1,
			pace: []cardreader.PACEInfo{{Protocol: cardreader.OIDPACEGMAES128, Version: 2, ParameterID: 15}}},
		{name: "PACE without parameterId", hex: "3111300f060a04007f00070202040202020102", infos: 1,
			pace: []cardreader.PACEInfo{{Protocol: cardreader.OIDPACEGMAES128, Version: 2, ParameterID: -1}}},
		{name: "PACE-DH-GM (not ECDH)", hex: "31143012060a04007f00070202040102020102020100", infos: 1,
			pace: []cardreader.PACEInfo{{Protocol: []int{0, 4, 0, 127, 0, 7, 2, 2, 4, 1, 2}, Version: 2, ParameterID: 0}}},
		{name: "TA only", hex: "310f300d060804007f00070202020201 01", infos: 1},
		{name: "version not an INTEGER", hex: "3111300f060a04007f00070202040202040102", infos: 1, paceErr: true},
		{name: "empty", hex: "", err: cardreader.ErrDataGroup},
		{name: "empty set", hex: "3100", err: cardreader.ErrDataGroup},
		{name: "a SEQUENCE, not a SET", hex: "3011300f060a04007f00070202040202020102", err: cardreader.ErrDataGroup},
		{name: "trailing bytes", hex: cccdCardAccess + "00", err: cardreader.ErrDataGroup},
		{name: "entry without value", hex: "310e300c060a04007f00070202040202", err: cardreader.ErrDataGroup},
		{name: "truncated", hex: cccdCardAccess[:40], err: cardreader.ErrDataGroup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ca, err := cardreader.ParseCardAccess(h(t, spaceless(tc.hex)))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, ca.Infos, tc.infos)
			pace, err := ca.PACE()
			if tc.paceErr {
				require.ErrorIs(t, err, cardreader.ErrDataGroup)
				_, _, ok := ca.SupportedPACE()
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.pace, pace)
			info, curve, ok := ca.SupportedPACE()
			require.Equal(t, tc.curve != nil, ok)
			if ok {
				require.Same(t, tc.curve, curve)
				require.Equal(t, tc.pace[0], info)
			}
		})
	}
}

func spaceless(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func FuzzParseCardAccess(f *testing.F) {
	// Seeds beyond these are committed under testdata/fuzz/FuzzParseCardAccess.
	f.Add(cardreader.EncodeCardAccess(13))
	f.Fuzz(func(t *testing.T, b []byte) {
		ca, err := cardreader.ParseCardAccess(b)
		if err != nil {
			require.Nil(t, ca)
			return
		}
		require.NotEmpty(t, ca.Infos)
		if info, curve, ok := ca.SupportedPACE(); ok {
			require.NotNil(t, curve)
			require.Same(t, curve, cardreader.PACECurve(info.ParameterID))
			require.True(t, info.Protocol.Equal(cardreader.OIDPACEGMAES128))
		}
	})
}
