package proofing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// TestQROnlySubmissionWaitsForAnOfficer: a phone without NFC sends the QR
// text; nothing is granted until an officer approves, and then level 1
// rests on evidence naming the officer, the portrait moves to the
// biometric store and the citizen is told.
func TestQROnlySubmissionWaitsForAnOfficer(t *testing.T) {
	e := newEnv(t, noChips{})
	ctx := t.Context()
	p := emulator.Synthetic()
	a := e.citizen(t, p, true)

	sub, err := e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, QR: p.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.NoError(t, err)
	require.Equal(t, proofing.Pending, sub.State)
	require.Equal(t, proofing.ChannelQR, sub.Channel)
	got, err := e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level, "a QR code proves nothing by itself")

	_, err = e.Proofing.PendingSubmissions(ctx, operator, 10)
	require.ErrorIs(t, err, proofing.ErrForbidden)
	pending, err := e.Proofing.PendingSubmissions(ctx, officer, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, jpeg, pending[0].Portrait, "the officer sees the portrait")

	_, err = e.Proofing.DecideSubmission(ctx, operator, sub.ID, true, "")
	require.ErrorIs(t, err, proofing.ErrForbidden)
	decided, err := e.Proofing.DecideSubmission(ctx, officer, sub.ID, true, "")
	require.NoError(t, err)
	require.Equal(t, proofing.Approved, decided.State)
	require.NotEmpty(t, decided.EvidenceID)

	got, err = e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.Level1, got.Level)
	ev, err := e.Service.Evidence(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, ev, 1)
	require.Equal(t, accounts.EvidenceApp, ev[0].Method)
	require.Equal(t, officer.MemberID, ev[0].OfficerID)
	require.Equal(t, officer.Unit.Code, ev[0].Unit)
	require.Equal(t, decided.EvidenceID, ev[0].ID)
	names := map[string]bool{}
	for _, c := range ev[0].Checks {
		names[c.Name] = c.OK
	}
	require.Equal(t, map[string]bool{proofing.CheckRegistry: true, proofing.CheckPortrait: true, proofing.CheckOfficerReview: true}, names)

	recs, err := e.Biometrics.Records(ctx, a.ID, biometrics.Portrait)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, jpeg, recs[0].Template)
	stored, err := e.Proofing.Submission(ctx, sub.ID)
	require.NoError(t, err)
	require.Nil(t, stored.Portrait, "the portrait is not kept with the decided submission")
	require.Equal(t, []string{p.PersonalID + ":approved"}, e.Notified.got)

	// Decided once.
	_, err = e.Proofing.DecideSubmission(ctx, officer, sub.ID, false, "late")
	require.ErrorIs(t, err, proofing.ErrStale)
	// Level 1 already: a new submission is refused before anything is stored.
	_, err = e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, QR: p.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.ErrorIs(t, err, proofing.ErrInvalid)
}

func TestQROnlySubmissionRefused(t *testing.T) {
	e := newEnv(t, noChips{})
	ctx := t.Context()
	p := emulator.Synthetic()
	a := e.citizen(t, p, true)
	sub, err := e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, QR: p.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.NoError(t, err)
	_, err = e.Proofing.DecideSubmission(ctx, officer, sub.ID, false, "  ")
	require.ErrorIs(t, err, proofing.ErrInvalid, "a refusal says why")
	decided, err := e.Proofing.DecideSubmission(ctx, officer, sub.ID, false, "the portrait is not the holder")
	require.NoError(t, err)
	require.Equal(t, proofing.Refused, decided.State)
	got, err := e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level)
	recs, err := e.Biometrics.Records(ctx, a.ID)
	require.NoError(t, err)
	require.Empty(t, recs, "a refused portrait is not kept")
	require.Equal(t, []string{p.PersonalID + ":refused"}, e.Notified.got)
}

func TestSubmitRefusesBadInputBeforeStoringAnything(t *testing.T) {
	e := newEnv(t, noChips{})
	ctx := t.Context()
	p := emulator.Synthetic()
	e.citizen(t, p, true)
	stranger := emulator.Synthetic()
	stranger.PersonalID = "001090012346"
	e.citizen(t, stranger, false)
	other := p
	other.FullName = "Nguyễn Văn Khác"

	for _, tc := range []struct {
		name string
		in   proofing.AppSubmission
		err  error
	}{
		{"bad id", proofing.AppSubmission{PersonalID: "12345", QR: p.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"}, proofing.ErrInvalid},
		{"neither chip nor qr", proofing.AppSubmission{PersonalID: p.PersonalID, Portrait: jpeg, PortraitFormat: "image/jpeg"}, proofing.ErrInvalid},
		{"no portrait", proofing.AppSubmission{PersonalID: p.PersonalID, QR: p.QR()}, proofing.ErrInvalid},
		{"gif portrait", proofing.AppSubmission{PersonalID: p.PersonalID, QR: p.QR(), Portrait: jpeg, PortraitFormat: "image/gif"}, proofing.ErrInvalid},
		{"malformed qr", proofing.AppSubmission{PersonalID: p.PersonalID, QR: "nonsense", Portrait: jpeg, PortraitFormat: "image/jpeg"}, proofing.ErrInvalid},
		{"someone else's qr", proofing.AppSubmission{PersonalID: p.PersonalID, QR: stranger.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"}, proofing.ErrInvalid},
		{"no account", proofing.AppSubmission{PersonalID: stranger.PersonalID, QR: stranger.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"}, proofing.ErrNoAccount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Proofing.Submit(ctx, tc.in)
			require.ErrorIs(t, err, tc.err)
		})
	}
	pending, err := e.Proofing.PendingSubmissions(ctx, officer, 10)
	require.NoError(t, err)
	require.Empty(t, pending)

	// A QR that differs from the registry is queued with the mismatch
	// named, and cannot be approved.
	sub, err := e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: p.PersonalID, QR: other.QR(), Portrait: jpeg, PortraitFormat: "image/jpeg"})
	require.NoError(t, err)
	require.Contains(t, sub.Checks, accounts.Check{Name: proofing.CheckRegistry, Detail: "differs from the registry: full_name"})
	_, err = e.Proofing.DecideSubmission(ctx, officer, sub.ID, true, "")
	require.ErrorIs(t, err, proofing.ErrChecksFailed)
}

func TestLookUpIsRecordedInTheCitizensHistory(t *testing.T) {
	e := newEnv(t, noChips{})
	ctx := t.Context()
	p := emulator.Synthetic()
	a := e.citizen(t, p, true)
	e.Audit.Reset()

	_, err := e.Proofing.LookUp(ctx, operator, p.PersonalID)
	require.ErrorIs(t, err, proofing.ErrForbidden, "an operator never sees citizen data")
	c, err := e.Proofing.LookUp(ctx, officer, p.PersonalID)
	require.NoError(t, err)
	require.Equal(t, p.FullName, c.Person.FullName)
	require.Equal(t, a.ID, c.Account.ID)
	evs := e.Audit.Events()
	require.Len(t, evs, 1)
	require.Equal(t, a.ID, evs[0].AccountID)
	require.Equal(t, officer.MemberID, evs[0].ActorID)
	require.Equal(t, officer.Unit.Code, evs[0].Detail["unit"])

	_, err = e.Proofing.LookUp(ctx, officer, "001090099999")
	require.ErrorIs(t, err, proofing.ErrNotFound)
	e.Audit.Fail = accounts.ErrInvalid
	_, err = e.Proofing.LookUp(ctx, officer, p.PersonalID)
	require.Error(t, err, "no record, no lookup")
}
