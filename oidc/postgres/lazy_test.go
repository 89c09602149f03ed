package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/oidc/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// TestConformanceLazyCommits: a store with lazy commits is the same store.
func TestConformanceLazyCommits(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return postgres.NewStore(pgtest.New(t).App, oidc.NewFositeSession).LazyCommits()
	})
}

// onePool is a pool of one connection whose synchronous_commit is on (the
// test cluster runs with it off), so that a setting leaking out of a
// transaction shows on the next use of that same connection.
func onePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.New(t).AppURL)
	require.NoError(t, err)
	cfg.MaxConns, cfg.MinConns = 1, 0
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestBeginLazyTX(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		lazy   bool
		pinned bool // through Acquire, as the token endpoint's phase 1
		nested bool // inside a transaction already
		want   string
	}{
		{"lazy store", true, false, false, "off"},
		{"lazy store, pinned connection", true, true, false, "off"},
		{"lazy store, inside a transaction: a savepoint, the outer commit decides", true, false, true, "on"},
		{"ordinary store", false, false, false, "on"},
		{"ordinary store, pinned connection", false, true, false, "on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := onePool(t)
			s := postgres.NewStore(pool, oidc.NewFositeSession)
			if tc.lazy {
				s = s.LazyCommits()
			}
			ctx := t.Context()
			if tc.pinned {
				pctx, release, err := s.Acquire(ctx)
				require.NoError(t, err)
				defer release()
				ctx = pctx
			}
			if tc.nested {
				octx, err := s.BeginTX(ctx)
				require.NoError(t, err)
				defer func() { require.NoError(t, s.Commit(octx)) }()
				ctx = octx
			}
			tctx, err := s.BeginLazyTX(ctx)
			require.NoError(t, err)
			tx := postgres.TxOf(tctx)
			require.NotNil(t, tx)
			var got string
			require.NoError(t, tx.QueryRow(tctx, "SHOW synchronous_commit").Scan(&got))
			require.Equal(t, tc.want, got)
			// A write commits, and is there for the next reader.
			ok, err := s.UseDPoPProof(tctx, "jkt-"+tc.name, "jti", time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, s.Commit(tctx))
			if tc.nested || tc.pinned {
				return
			}
			// SET LOCAL ended with the transaction: the pooled connection
			// (the only one) is back to its own setting.
			require.NoError(t, pool.QueryRow(t.Context(), "SHOW synchronous_commit").Scan(&got))
			require.Equal(t, "on", got)
			ok, err = s.UseDPoPProof(t.Context(), "jkt-"+tc.name, "jti", time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.False(t, ok, "the proof committed lazily is known")
		})
	}
}

// TestUseDPoPProofLazy: outside a transaction the lazy insert is still one
// statement; its setting stays in the statement's own transaction.
func TestUseDPoPProofLazy(t *testing.T) {
	t.Parallel()
	pool := onePool(t)
	for _, lazy := range []bool{true, false} {
		s := postgres.NewStore(pool, oidc.NewFositeSession)
		if lazy {
			s = s.LazyCommits()
		}
		jkt := map[bool]string{true: "lazy", false: "eager"}[lazy]
		exp := time.Now().Add(time.Minute)
		ok, err := s.UseDPoPProof(t.Context(), jkt, "jti-1", exp)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.UseDPoPProof(t.Context(), jkt, "jti-1", exp)
		require.NoError(t, err)
		require.False(t, ok, "a replay is refused")
		ok, err = s.UseDPoPProof(t.Context(), jkt, "jti-2", exp)
		require.NoError(t, err)
		require.True(t, ok)
		var got string
		require.NoError(t, pool.QueryRow(t.Context(), "SHOW synchronous_commit").Scan(&got))
		require.Equal(t, "on", got, "lazy=%v: the connection's setting is untouched", lazy)
	}
}
