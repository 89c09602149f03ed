package postgres_test

import (
	"slices"
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

// TestLazyTXNestsFlat: what fosite nests in a lazy transaction (a code's
// exchange, a refresh token's rotation) opens no savepoint: its commit
// leaves the decision to the outer transaction, and its rollback undoes
// the whole at once, so that nothing of the request can commit after it.
// The store's own multi-statement operations keep their savepoint.
func TestLazyTXNestsFlat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		nestedCommit  bool // else the nested transaction rolls back
		outerCommit   bool // else the outer rolls back
		wantCommitErr bool
		wantStored    []string
	}{
		{"nested commits, outer commits", true, true, false, []string{"outer", "inner"}},
		{"nested commits, outer rolls back: nothing", true, false, false, nil},
		{"nested rolls back: the whole is gone, the outer cannot commit", false, true, true, nil},
		{"nested rolls back, outer rolls back", false, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := postgres.NewStore(pgtest.New(t).App, oidc.NewFositeSession).LazyCommits()
			ctx := t.Context()
			exp := time.Now().Add(time.Minute)
			tctx, err := s.BeginLazyTX(ctx)
			require.NoError(t, err)
			ok, err := s.UseDPoPProof(tctx, "outer", "jti", exp)
			require.NoError(t, err)
			require.True(t, ok)

			nctx, err := s.BeginTX(tctx)
			require.NoError(t, err)
			require.Same(t, postgres.TxOf(tctx), postgres.TxOf(nctx), "no savepoint")
			ok, err = s.UseDPoPProof(nctx, "inner", "jti", exp)
			require.NoError(t, err)
			require.True(t, ok)
			if tc.nestedCommit {
				require.NoError(t, s.Commit(nctx))
			} else {
				require.NoError(t, s.Rollback(nctx))
			}
			if tc.outerCommit {
				err = s.Commit(tctx)
				if tc.wantCommitErr {
					require.Error(t, err)
				} else {
					require.NoError(t, err)
				}
			} else {
				require.NoError(t, s.Rollback(tctx))
			}
			for _, jkt := range []string{"outer", "inner"} {
				fresh, err := s.UseDPoPProof(ctx, jkt, "jti", exp)
				require.NoError(t, err)
				require.Equal(t, !slices.Contains(tc.wantStored, jkt), fresh, "%s stored", jkt)
			}
		})
	}
}
