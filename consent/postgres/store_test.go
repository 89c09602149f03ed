package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	"github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/consent/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var storetestBase = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) consent.Store {
		return postgres.NewStore(pgtest.New(t).App)
	})
}

// The application role can only append to the history: not rewrite it.
func TestChangesAreAppendOnly(t *testing.T) {
	db := pgtest.New(t)
	s := postgres.NewStore(db.App)
	_, err := s.Append(t.Context(), consent.Change{
		Kind: consent.Granted, AccountID: "acc-1", ClientID: "dvc", At: storetestBase,
		By: consent.Actor{Kind: "citizen", ID: "acc-1"}, Scopes: []string{"openid"}, ExpiresAt: storetestBase.AddDate(1, 0, 0),
	})
	require.NoError(t, err)
	for _, stmt := range []string{
		`UPDATE consent_changes SET scopes = '{openid,profile}'`,
		`DELETE FROM consent_changes`,
		`TRUNCATE consent_changes CASCADE`,
	} {
		_, err := db.App.Exec(t.Context(), stmt)
		require.Error(t, err, stmt)
	}
	// Even the owner cannot update a change in place.
	_, err = db.Owner.Exec(t.Context(), `UPDATE consent_changes SET scopes = '{openid,profile}'`)
	require.ErrorContains(t, err, "append-only")
}

func TestDeliveries(t *testing.T) {
	storetest.RunQueue(t, func(t *testing.T) backchannel.Queue {
		return postgres.NewDeliveries(pgtest.New(t).App)
	})
}

// TestTouchLastUsedLeavesTheConnection: the mark commits without waiting
// for the WAL flush, for its own statement only: the pooled connection
// (the only one here, its synchronous_commit on) keeps its setting.
func TestTouchLastUsedLeavesTheConnection(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(pgtest.New(t).AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := postgres.NewStore(pool)
	_, err = s.Append(t.Context(), consent.Change{
		Kind: consent.Granted, AccountID: "acc-1", ClientID: "dvc", At: storetestBase,
		By: consent.Actor{Kind: "citizen", ID: "acc-1"}, Scopes: []string{"openid"}, ExpiresAt: storetestBase.AddDate(1, 0, 0),
	})
	require.NoError(t, err)
	used := storetestBase.Add(time.Hour)
	require.NoError(t, s.TouchLastUsed(t.Context(), "acc-1", "dvc", used))
	require.ErrorIs(t, s.TouchLastUsed(t.Context(), "acc-2", "dvc", used), consent.ErrNotFound)
	g, err := s.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, used, g.LastUsedAt)
	var setting string
	require.NoError(t, pool.QueryRow(t.Context(), "SHOW synchronous_commit").Scan(&setting))
	require.Equal(t, "on", setting)
}
