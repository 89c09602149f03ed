package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestActivationByProvince(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	svc := accountstest.New(t, db.App, nil)
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: svc.Service}, population.DemoOptions{Generated: 200, Seed: 7}))

	figs, err := postgres.NewStore(db.App).ActivationByProvince(ctx)
	require.NoError(t, err)
	var total accounts.LocalityFigures
	byName := map[string]accounts.LocalityFigures{}
	for _, f := range figs {
		require.LessOrEqual(t, f.Activated, f.Registered)
		require.LessOrEqual(t, f.Level2, f.Registered)
		total.Registered += f.Registered
		total.Activated += f.Activated
		byName[f.Province] = f
	}
	var n int64
	require.NoError(t, db.App.QueryRow(ctx, "SELECT count(*) FROM accounts").Scan(&n))
	require.Equal(t, n, total.Registered, "every account is counted once")
	hn := byName["Hà Nội"]
	require.Positive(t, hn.Registered, "the level 2 demo citizen lives in Hà Nội")
	require.Positive(t, hn.Level2)
	require.InDelta(t, 100*float64(hn.Activated)/float64(hn.Registered), hn.ActivationRate(), 1e-9)
}
