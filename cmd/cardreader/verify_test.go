package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// TestVerify: how read --trust reports each outcome of passive and active
// authentication, without a reader.
func TestVerify(t *testing.T) {
	t.Parallel()
	state, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	stranger, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	ts, err := cardreader.ParseCertificatesPEM(state.CSCAPEM())
	require.NoError(t, err)
	aa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	dg15, err := emulator.EncodeDG15(aa.Public())
	require.NoError(t, err)
	p := emulator.Synthetic()
	dgs := map[int][]byte{1: emulator.EncodeDG1(p.TD1()), 2: dg2(fakeJPEG), 13: emulator.EncodeDG13(p.DG13Fields()), 15: dg15}
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	answer, err := emulator.SignActiveAuth(aa, 0, challenge, nil)
	require.NoError(t, err)

	// read is what the reader brought back from a card whose EF.SOD is
	// signed by is over signed; DG2 only with portrait.
	read := func(is *emulator.Issuer, signed []int, portrait bool) *chipRead {
		t.Helper()
		toSign := map[int][]byte{}
		for _, n := range signed {
			toSign[n] = dgs[n]
		}
		sod, err := is.SignSOD(toSign)
		require.NoError(t, err)
		r := &chipRead{Chip: cardreader.ChipData{AccessControl: "PACE", SOD: sod,
			DataGroups: map[int][]byte{1: dgs[1], 13: dgs[13]}}, At: time.Now()}
		if _, ok := toSign[15]; ok {
			r.Chip.DataGroups[15] = dg15
			r.Chip.Challenge, r.Chip.ActiveAuthSignature = challenge, answer
		}
		if portrait {
			r.Portrait = dgs[2]
		}
		return r
	}

	for _, tc := range []struct {
		name    string
		read    func() *chipRead
		err     error
		msg     string
		checks  map[string]bool // name → passed
		notMade []string
		dgs     []int
	}{
		{name: "genuine", read: func() *chipRead { return read(state, []int{1, 2, 13, 15}, true) },
			checks: map[string]bool{checkPassiveAuth: true, checkActiveAuth: true}, dgs: []int{1, 2, 13, 15}},
		{name: "no active authentication key", read: func() *chipRead { return read(state, []int{1, 13}, false) },
			checks: map[string]bool{checkPassiveAuth: true}, notMade: []string{checkActiveAuth}, dgs: []int{1, 13}},
		{name: "portrait not signed", read: func() *chipRead { return read(state, []int{1, 13, 15}, true) },
			err: cardreader.ErrDataGroupHash, msg: "dg2", checks: map[string]bool{checkPassiveAuth: false}, notMade: []string{checkActiveAuth}},
		{name: "tampered DG13", read: func() *chipRead {
			r := read(state, []int{1, 2, 13, 15}, false)
			r.Chip.DataGroups[13] = append(bytes.Clone(dgs[13][:len(dgs[13])-1]), dgs[13][len(dgs[13])-1]^1)
			return r
		}, err: cardreader.ErrDataGroupHash, msg: "dg13", checks: map[string]bool{checkPassiveAuth: false}, notMade: []string{checkActiveAuth}},
		{name: "unknown signer", read: func() *chipRead { return read(stranger, []int{1, 2, 13, 15}, false) },
			err: cardreader.ErrUnknownSigner, msg: "no trusted csca issued", checks: map[string]bool{checkPassiveAuth: false}, notMade: []string{checkActiveAuth}},
		{name: "clone", read: func() *chipRead {
			r := read(state, []int{1, 2, 13, 15}, false)
			r.Chip.Challenge = []byte{8, 7, 6, 5, 4, 3, 2, 1}
			return r
		}, err: cardreader.ErrClone, msg: "failed active authentication", checks: map[string]bool{checkPassiveAuth: true, checkActiveAuth: false}, dgs: []int{1, 13, 15}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := readOutput{NotChecked: []check{{Name: checkPassiveAuth}, {Name: checkActiveAuth}}}
			err := verify(&out, tc.read(), ts)
			if tc.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.err)
				require.Contains(t, err.Error(), tc.msg)
			}
			got := map[string]bool{}
			for _, c := range out.Checks {
				got[c.Name] = c.Passed
				require.NotEmpty(t, c.Detail)
				require.NotContains(t, c.Detail, "cardreader: ")
			}
			require.Equal(t, tc.checks, got)
			var notMade []string
			for _, c := range out.NotChecked {
				notMade = append(notMade, c.Name)
				require.NotEmpty(t, c.Detail)
			}
			require.Equal(t, tc.notMade, notMade)
			if tc.dgs != nil {
				require.Equal(t, tc.dgs, out.Verification.DataGroups)
				require.Contains(t, out.Verification.Signer, "CN=Test Document Signer VN")
			}
		})
	}
}
