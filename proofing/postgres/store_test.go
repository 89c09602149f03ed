package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/accounts/storetest"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/proofing/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func TestChallengesAreSingleUseAndExpire(t *testing.T) {
	s := postgres.NewStore(pgtest.New(t).App)
	ctx := t.Context()
	c := proofing.Challenge{Value: []byte("12345678"), IssuedTo: "officer-1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	require.NoError(t, s.CreateChallenge(ctx, c))
	old := proofing.Challenge{Value: []byte("87654321"), IssuedTo: "officer-1", CreatedAt: t0, ExpiresAt: t0.Add(time.Second)}
	require.NoError(t, s.CreateChallenge(ctx, old))

	for _, tc := range []struct {
		name  string
		value string
		to    string
		at    time.Time
		err   error
	}{
		{"another officer", "12345678", "officer-2", t0, proofing.ErrChallenge},
		{"unknown", "00000000", "officer-1", t0, proofing.ErrChallenge},
		{"expired", "87654321", "officer-1", t0.Add(2 * time.Second), proofing.ErrChallenge},
		{"good", "12345678", "officer-1", t0.Add(30 * time.Second), nil},
		{"used", "12345678", "officer-1", t0.Add(31 * time.Second), proofing.ErrChallenge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.UseChallenge(ctx, []byte(tc.value), tc.to, tc.at)
			if tc.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
	n, err := s.DeleteExpiredChallenges(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
}

func TestReads(t *testing.T) {
	s := postgres.NewStore(pgtest.New(t).App)
	ctx := t.Context()
	r := proofing.ChipRead{ID: "0b3a2f9e-8d21-4c0e-9d0a-111111111111", Document: proofing.DocumentIDCard, PersonalID: "001085000001", DocumentNumber: "085000001",
		IssuingState: "VNM", DocumentExpiry: time.Date(2040, 1, 2, 0, 0, 0, 0, time.UTC), AccessControl: "PACE",
		Signer: "CN=DS 1, serial 2", CSCA: "CN=CSCA VN", Person: attributes.Person{PersonalID: "001085000001", FullName: "Nguyễn Văn An"},
		Mismatches: []string{"gender"}, Checks: []accounts.Check{{Name: proofing.CheckPassiveAuth, OK: true}, {Name: proofing.CheckRegistry, Detail: "x"}},
		ReadBy: "officer-1", Unit: "01.001", CreatedAt: t0}
	called := false
	require.NoError(t, s.SaveRead(ctx, r, func() error { called = true; return nil }))
	require.True(t, called)

	got, err := s.Read(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, r, got)

	require.NoError(t, s.UseRead(ctx, r.ID, t0.Add(time.Minute)))
	require.ErrorIs(t, s.UseRead(ctx, r.ID, t0.Add(2*time.Minute)), proofing.ErrStale)
	require.NoError(t, s.ReleaseRead(ctx, r.ID))
	require.NoError(t, s.UseRead(ctx, r.ID, t0.Add(3*time.Minute)))

	// A passport's read keeps the chip's portrait until it is used.
	pr := r
	pr.ID, pr.Document, pr.Portrait, pr.PortraitFormat = "0b3a2f9e-8d21-4c0e-9d0a-444444444444", proofing.DocumentPassport, []byte("\xff\xd8\xff"), "image/jpeg"
	pr.CreatedAt = t0.Add(-time.Second)
	require.NoError(t, s.SaveRead(ctx, pr, func() error { return nil }))
	got, err = s.Read(ctx, pr.ID)
	require.NoError(t, err)
	require.Equal(t, pr, got)
	require.NoError(t, s.UseRead(ctx, pr.ID, t0.Add(time.Minute)))
	got, err = s.Read(ctx, pr.ID)
	require.NoError(t, err)
	require.Equal(t, pr.Portrait, got.Portrait, "a released read can still be compared")
	n, err := s.DropPortraits(ctx, "", pr.CreatedAt)
	require.NoError(t, err)
	require.Zero(t, n, "not older than the cut-off")
	n, err = s.DropPortraits(ctx, pr.ID, time.Time{})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	got, err = s.Read(ctx, pr.ID)
	require.NoError(t, err)
	require.Nil(t, got.Portrait)
	require.Empty(t, got.PortraitFormat)
	old := pr
	old.ID, old.CreatedAt = "0b3a2f9e-8d21-4c0e-9d0a-555555555555", t0.Add(-time.Hour)
	require.NoError(t, s.SaveRead(ctx, old, func() error { return nil }))
	n, err = s.DropPortraits(ctx, "", t0.Add(-30*time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	list, err := s.Reads(ctx, "officer-1", t0.Add(-time.Minute))
	require.NoError(t, err)
	require.Len(t, list, 2, "the hour-old read is not listed")
	list, err = s.Reads(ctx, "officer-2", t0.Add(-time.Minute))
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = s.Read(ctx, "0b3a2f9e-8d21-4c0e-9d0a-222222222222")
	require.ErrorIs(t, err, proofing.ErrNotFound)

	// A failing fn writes nothing.
	r2 := r
	r2.ID = "0b3a2f9e-8d21-4c0e-9d0a-333333333333"
	require.Error(t, s.SaveRead(ctx, r2, func() error { return proofing.ErrInvalid }))
	_, err = s.Read(ctx, r2.ID)
	require.ErrorIs(t, err, proofing.ErrNotFound)
}

func TestSubmissions(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	acct := storetest.Record()
	require.NoError(t, accountspg.NewStore(db.App).Create(ctx, acct, nil))
	s := postgres.NewStore(db.App)
	sub := proofing.Submission{ID: "5f0c7a51-1d2b-4a36-8f55-000000000001", AccountID: acct.ID, PersonalID: acct.PersonalID,
		Channel: proofing.ChannelQR, DocumentNumber: acct.PersonalID, IssuingState: "VNM",
		Checks: []accounts.Check{{Name: proofing.CheckRegistry, OK: true}}, State: proofing.Pending,
		Portrait: []byte("\xff\xd8portrait"), PortraitFormat: "image/jpeg", CreatedAt: t0}
	require.NoError(t, s.CreateSubmission(ctx, sub, func() error { return nil }))

	pending, err := s.PendingSubmissions(ctx, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, sub, pending[0])

	// fn's error undoes the update.
	_, err = s.UpdateSubmission(ctx, sub.ID, func(x *proofing.Submission) error {
		x.State = proofing.Approved
		return proofing.ErrStale
	})
	require.ErrorIs(t, err, proofing.ErrStale)

	// A decided submission keeps no portrait (the table refuses one).
	_, err = s.UpdateSubmission(ctx, sub.ID, func(x *proofing.Submission) error {
		now := t0.Add(time.Hour)
		x.State, x.DecidedAt, x.DecidedBy = proofing.Approved, &now, "officer-1"
		return nil
	})
	require.Error(t, err, "portrait kept after the decision")
	got, err := s.UpdateSubmission(ctx, sub.ID, func(x *proofing.Submission) error {
		now := t0.Add(time.Hour)
		x.State, x.DecidedAt, x.DecidedBy, x.Portrait, x.EvidenceID = proofing.Approved, &now, "officer-1", nil, "ev-1"
		return nil
	})
	require.NoError(t, err)
	again, err := s.Submission(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	require.Nil(t, again.Portrait)
	pending, err = s.PendingSubmissions(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, pending)
	_, err = s.UpdateSubmission(ctx, "5f0c7a51-1d2b-4a36-8f55-000000000009", func(*proofing.Submission) error { return nil })
	require.ErrorIs(t, err, proofing.ErrNotFound)
}

func TestFingerprintReferences(t *testing.T) {
	s := postgres.NewStore(pgtest.New(t).App)
	ctx := t.Context()
	_, err := s.FingerprintReference(ctx, "001085000001", 1)
	require.ErrorIs(t, err, proofing.ErrNotFound)
	tpl := make([]byte, 30)
	require.NoError(t, s.PutFingerprintReference(ctx, "001085000001", 1, tpl, "test", t0))
	tpl[0] = 1
	require.NoError(t, s.PutFingerprintReference(ctx, "001085000001", 1, tpl, "test", t0))
	got, err := s.FingerprintReference(ctx, "001085000001", 1)
	require.NoError(t, err)
	require.Equal(t, tpl, got)
	require.Error(t, s.PutFingerprintReference(ctx, "001085000001", 11, tpl, "test", t0))
}
