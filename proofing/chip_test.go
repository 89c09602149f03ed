package proofing_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// verifier is the gateway's chip verification: package cardreader's
// passive and active authentication against the test CSCA.
type verifier struct{ trust *cardreader.TrustStore }

func (v verifier) VerifyChip(chip cardreader.ChipData, now time.Time) (proofing.ChipResult, error) {
	res, err := cardreader.Verify(chip, v.trust, now)
	return proofing.ChipResult{Signer: res.Signer, CSCA: res.CSCA, ActiveAuth: res.ActiveAuth}, err
}

// pki is a test state's card issuer and the trust the gateway has in it.
type pki struct {
	issuer *emulator.Issuer
	trust  *cardreader.TrustStore
}

func newPKI(t *testing.T, at time.Time) pki {
	t.Helper()
	is, err := emulator.NewIssuer("VNM", rand.Reader, emulator.WithTime(at))
	require.NoError(t, err)
	ts, err := cardreader.ParseCertificatesPEM(is.CSCAPEM())
	require.NoError(t, err)
	return pki{issuer: is, trust: ts}
}

// card is a chip ID card for p, issued by is: PACE, DG1, DG2, DG13, DG15
// and an SOD over them. tamper changes files after signing; aaKey, when
// set, is the key the chip really holds (a clone's, when it is not DG15's).
type cardSpec struct {
	issuer *emulator.Issuer
	tamper func(files map[uint16][]byte)
	aaKey  crypto.Signer
}

func makeCard(t *testing.T, p emulator.Person, spec cardSpec) *emulator.Card {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	o := emulator.CCCDOptions(p)
	dg15, err := emulator.EncodeDG15(key.Public())
	require.NoError(t, err)
	o.Files[cardreader.FIDDG15] = dg15
	sod, err := spec.issuer.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
		13: o.Files[cardreader.FIDDG13], 15: dg15})
	require.NoError(t, err)
	o.Files[cardreader.FIDSOD] = sod
	o.AAKey = key
	if spec.aaKey != nil {
		o.AAKey = spec.aaKey
	}
	if spec.tamper != nil {
		spec.tamper(o.Files)
	}
	c, err := emulator.NewCard(o)
	require.NoError(t, err)
	return c
}

// read reads card at the counter with a challenge the gateway gave the
// officer, as cmd/cardreader does.
func (e *env) read(t *testing.T, card *emulator.Card, p emulator.Person) cardreader.ChipData {
	t.Helper()
	ch, err := e.Proofing.IssueChallenge(t.Context(), officer)
	require.NoError(t, err)
	r, err := (&cardreader.Reader{}).ReadChip(context.Background(), card, cardreader.Request{CAN: p.PersonalID[6:], Challenge: ch.Value})
	require.NoError(t, err)
	return r.Chip
}
