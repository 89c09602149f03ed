package postgres_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/accounts/storetest"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/biometrics/postgres"
	biostoretest "github.com/dinhdanh/dinhdanh/biometrics/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestStoreConformance(t *testing.T) {
	biostoretest.Run(t, func(t *testing.T) (biometrics.Store, string, string) {
		db := pgtest.New(t)
		as := accountspg.NewStore(db.App)
		a, b := storetest.Record(), storetest.Record()
		require.NoError(t, as.Create(t.Context(), a, nil))
		require.NoError(t, as.Create(t.Context(), b, nil))
		return postgres.NewStore(db.App, nil), a.ID, b.ID
	})
}

func TestSeedDemoSentinels(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	as := accountspg.NewStore(db.App)
	l2, l1, l0 := storetest.Record(), storetest.Record(), storetest.Record()
	l1.Level, l0.Level = assurance.Level1, assurance.None
	for _, r := range []accounts.Record{l2, l1, l0} {
		require.NoError(t, as.Create(ctx, r, nil))
	}
	s := postgres.NewStore(db.App, accountstest.NewClock().Now)
	n, err := s.SeedDemoSentinels(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(4), n) // l2: portrait + 2 fingerprints; l1: portrait
	n, err = s.SeedDemoSentinels(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "idempotent")

	recs, err := s.Records(ctx, l2.ID)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.True(t, bytes.Contains(recs[0].Template, []byte(biometrics.PortraitSentinel(l2.PersonalID))))
	require.True(t, bytes.Contains(recs[1].Template, []byte(biometrics.FingerprintSentinel(l2.PersonalID))))
	require.Equal(t, accountstest.Start, recs[0].CapturedAt)
	recs, err = s.Records(ctx, l0.ID)
	require.NoError(t, err)
	require.Empty(t, recs)
}
