package proofing_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// fingerprint is a deterministic finger (the reference enrolled with the
// card) and the same finger captured again at the counter, turned and
// shifted with a few minutiae missed.
func fingerprint(t *testing.T, seed uint64) (reference, probe []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	var ref, got []proofing.Minutia
	for range 36 {
		m := proofing.Minutia{Type: 1 + r.IntN(2), X: 40 + r.IntN(300), Y: 40 + r.IntN(400), Angle: float64(r.IntN(256)) * 1.40625, Quality: 80}
		ref = append(ref, m)
	}
	for _, m := range ref[:32] {
		got = append(got, proofing.Minutia{Type: m.Type, X: m.X + 15, Y: m.Y - 10, Angle: m.Angle, Quality: m.Quality})
	}
	enc := func(ms []proofing.Minutia) []byte {
		b, err := proofing.EncodeFMR(proofing.FMR{Width: 500, Height: 550, ResX: 197, ResY: 197,
			Views: []proofing.FingerView{{Position: 2, Quality: 80, Minutiae: ms}}})
		require.NoError(t, err)
		return b
	}
	return enc(ref), enc(got)
}

func (e *env) withReference(t *testing.T, personalID string, seed uint64) []byte {
	ref, probe := fingerprint(t, seed)
	require.NoError(t, e.Store.PutFingerprintReference(t.Context(), personalID, 2, ref, "card production", e.Clock.Now()))
	return probe
}

// TestCounterEnrolsLevel2: the officer's read passes every check; with the
// portrait, the matching fingerprint and consent, level 2 rests on
// evidence naming the chip, its signer, the officer and the unit.
func TestCounterEnrolsLevel2(t *testing.T) {
	ctx := t.Context()
	p := emulator.Synthetic()
	var e *env
	k := newPKI(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e = newEnv(t, verifier{k.trust})
	a := e.citizen(t, p, true)
	probe := e.withReference(t, p.PersonalID, 1)

	chip := e.read(t, makeCard(t, p, cardSpec{issuer: k.issuer}), p)
	require.Equal(t, "PACE", chip.AccessControl)
	r, err := e.Proofing.SubmitRead(ctx, officer, chip)
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Equal(t, p.PersonalID, r.PersonalID)
	require.NotEmpty(t, r.Signer)
	_, err = e.Proofing.SubmitRead(ctx, officer, chip)
	require.ErrorIs(t, err, proofing.ErrChallenge, "a challenge answers once")

	// Another officer cannot use the read; a missing piece refuses and
	// names it, and leaves the read usable.
	_, _, err = e.Proofing.EnrolLevel2(ctx, otherOfficer, r.ID, proofing.Capture{})
	require.ErrorIs(t, err, proofing.ErrForbidden)
	full := proofing.Capture{Portrait: jpeg, PortraitFormat: "image/jpeg", Fingerprint: probe, FingerPosition: 2, Consent: true}
	for _, tc := range []struct {
		name   string
		change func(*proofing.Capture)
		failed string
	}{
		{"no consent", func(c *proofing.Capture) { c.Consent = false }, proofing.CheckConsent},
		{"no portrait", func(c *proofing.Capture) { c.Portrait = nil }, proofing.CheckPortrait},
		{"another finger", func(c *proofing.Capture) { _, c.Fingerprint = fingerprint(t, 99) }, proofing.CheckFingerprint},
		{"no reference for that finger", func(c *proofing.Capture) { c.FingerPosition = 7 }, proofing.CheckFingerprint},
		{"not a template", func(c *proofing.Capture) { c.Fingerprint = []byte("FMR?") }, proofing.CheckFingerprint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := full
			tc.change(&c)
			_, _, err := e.Proofing.EnrolLevel2(ctx, officer, r.ID, c)
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			require.ErrorContains(t, err, tc.failed)
		})
	}
	got, err := e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level, "nothing granted by a refusal")

	acct, ev, err := e.Proofing.EnrolLevel2(ctx, officer, r.ID, full)
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, acct.Level)
	require.Equal(t, accounts.EvidenceCounter, ev.Method)
	require.Equal(t, officer.MemberID, ev.OfficerID)
	require.Equal(t, officer.Unit.Code, ev.Unit)
	require.Equal(t, r.DocumentNumber, ev.DocumentNumber)
	require.Equal(t, r.Signer, ev.Signer)
	require.Empty(t, ev.Failed())
	names := map[string]bool{}
	for _, c := range ev.Checks {
		names[c.Name] = c.OK
	}
	for _, n := range []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth, proofing.CheckCardData, proofing.CheckRegistry,
		proofing.CheckDocumentValid, proofing.CheckPortrait, proofing.CheckFingerprint, proofing.CheckConsent} {
		require.True(t, names[n], n)
	}
	recs, err := e.Biometrics.Records(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, biometrics.Portrait, recs[0].Kind)
	require.Equal(t, proofing.FMRFormat, recs[1].Format)
	require.Equal(t, []string{p.PersonalID + ":approved"}, e.Notified.got)

	// The read is used once.
	_, _, err = e.Proofing.EnrolLevel2(ctx, officer, r.ID, full)
	require.ErrorIs(t, err, proofing.ErrStale)

	// A new card (renewed, or after a loss) is enrolled the same way: the
	// level stays 2 and now rests on the new card's evidence.
	renewed, err := e.Proofing.SubmitRead(ctx, officer, e.read(t, makeCard(t, p, cardSpec{issuer: k.issuer}), p))
	require.NoError(t, err)
	_, ev2, err := e.Proofing.EnrolLevel2(ctx, officer, renewed.ID, full)
	require.NoError(t, err)
	got, err = e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, ev2.ID, got.EvidenceID)
	all, err := e.Service.Evidence(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, all, 2, "the first card's evidence stays, as history")
	// And the unlock check accepts it for this citizen only.
	require.NoError(t, e.Proofing.VerifiedRead(ctx, r.ID, p.PersonalID))
	require.ErrorIs(t, e.Proofing.VerifiedRead(ctx, r.ID, "001090099999"), proofing.ErrNotFound)
	e.Clock.Advance(time.Hour)
	require.ErrorIs(t, e.Proofing.VerifiedRead(ctx, r.ID, p.PersonalID), proofing.ErrStale)
}

// TestCounterRefusesBadChips: each bad card is stored with the check that
// failed named, refused, and enrols nobody.
func TestCounterRefusesBadChips(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := newPKI(t, at)
	stranger := newPKI(t, at)
	clone, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	require.NoError(t, err)
	p := emulator.Synthetic()
	renamed := p
	renamed.FullName, renamed.MRZName = "Nguyễn Văn Khác", "NGUYEN<<VAN<KHAC"
	moved := p
	moved.Residence = "Số 9 Phố Khác, Hà Nội"
	expired := p
	expired.ExpiryDate = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		name   string
		holder emulator.Person
		spec   cardSpec
		failed []string
	}{
		{"tampered DG13", p, cardSpec{issuer: k.issuer, tamper: func(f map[uint16][]byte) {
			f[cardreader.FIDDG13] = emulator.EncodeDG13(moved.DG13Fields())
		}}, []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth}},
		{"unknown signer", p, cardSpec{issuer: stranger.issuer}, []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth}},
		{"cloned chip", p, cardSpec{issuer: k.issuer, aaKey: clone}, []string{proofing.CheckActiveAuth}},
		{"registry disagrees", renamed, cardSpec{issuer: k.issuer}, []string{proofing.CheckRegistry}},
		{"expired card", expired, cardSpec{issuer: k.issuer}, []string{proofing.CheckDocumentValid}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, verifier{k.trust})
			ctx := t.Context()
			a := e.citizen(t, p, true)
			probe := e.withReference(t, p.PersonalID, 1)
			chip := e.read(t, makeCard(t, tc.holder, tc.spec), tc.holder)
			r, err := e.Proofing.SubmitRead(ctx, officer, chip)
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			require.Equal(t, tc.failed, r.Failed(), "%+v", r.Checks)
			stored, err := e.Proofing.Read(ctx, officer, r.ID)
			require.NoError(t, err, "a refused read is kept, for the officer and the history")
			require.Equal(t, tc.failed, stored.Failed())
			_, _, err = e.Proofing.EnrolLevel2(ctx, officer, r.ID, proofing.Capture{Portrait: jpeg, PortraitFormat: "image/jpeg",
				Fingerprint: probe, FingerPosition: 2, Consent: true})
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			got, err := e.Service.Get(ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, assurance.None, got.Level)
			require.ErrorIs(t, e.Proofing.VerifiedRead(ctx, r.ID, tc.holder.PersonalID), proofing.ErrChecksFailed)
		})
	}
}

// TestAppNFCApprovedByRule: the phone's chip read passes every check, so
// level 1 is granted at once, without an officer.
func TestAppNFCApprovedByRule(t *testing.T) {
	k := newPKI(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, verifier{k.trust})
	ctx := t.Context()
	p := emulator.Synthetic()
	a := e.citizen(t, p, true)

	read := func(card *emulator.Card) cardreader.ChipData {
		ch, err := e.Proofing.IssueAppChallenge(ctx, p.PersonalID)
		require.NoError(t, err)
		r, err := (&cardreader.Reader{}).ReadChip(ctx, card, cardreader.Request{CAN: p.PersonalID[6:], Challenge: ch.Value})
		require.NoError(t, err)
		return r.Chip
	}
	// A clone is refused with the reason, and the citizen told.
	clone, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	require.NoError(t, err)
	chip := read(makeCard(t, p, cardSpec{issuer: k.issuer, aaKey: clone}))
	sub, err := e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, Chip: &chip, Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.ErrorIs(t, err, proofing.ErrChecksFailed)
	require.Equal(t, proofing.Refused, sub.State)
	require.Contains(t, sub.Reason, proofing.CheckActiveAuth)

	// An officer's challenge does not serve the app.
	ch, err := e.Proofing.IssueChallenge(ctx, officer)
	require.NoError(t, err)
	r, err := (&cardreader.Reader{}).ReadChip(ctx, makeCard(t, p, cardSpec{issuer: k.issuer}), cardreader.Request{CAN: p.PersonalID[6:], Challenge: ch.Value})
	require.NoError(t, err)
	_, err = e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, Chip: &r.Chip, Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.ErrorIs(t, err, proofing.ErrChallenge)

	chip = read(makeCard(t, p, cardSpec{issuer: k.issuer}))
	sub, err = e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, Chip: &chip, Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.NoError(t, err)
	require.Equal(t, proofing.Approved, sub.State)
	got, err := e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.Level1, got.Level)
	ev, err := e.Service.Evidence(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.EvidenceApp, ev[0].Method)
	require.Empty(t, ev[0].OfficerID, "approved by rule")
	require.Equal(t, sub.EvidenceID, ev[0].ID)
	require.Equal(t, []string{p.PersonalID + ":refused", p.PersonalID + ":approved"}, e.Notified.got)
}
