package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/testclock"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is an injected clock tests move by hand.
type clock = testclock.Clock

func newClock(t time.Time) *clock { return testclock.New(t.UTC()) }

// env is one test's history: a fresh database, the store on the app role,
// a key and a running Log.
type env struct {
	db    *pgtest.DB
	clock *clock
	store *postgres.Store
	key   *audit.Key
	keys  audit.KeySet
	log   *audit.Log
}

func newEnv(t *testing.T, start time.Time, opts audit.Options) *env {
	t.Helper()
	db := pgtest.New(t)
	clk := newClock(start)
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	store := postgres.NewStore(db.App, clk.Now)
	opts.Now = clk.Now
	log, err := audit.NewLog(store, key, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = log.Close(ctx)
	})
	return &env{db: db, clock: clk, store: store, key: key, keys: audit.NewKeySet(key.Public()), log: log}
}

func (e *env) verify(t *testing.T, opts audit.VerifyOptions) audit.Report {
	t.Helper()
	opts.Keys = e.keys
	rep, err := audit.Verify(t.Context(), e.store, opts)
	require.NoError(t, err)
	return rep
}

func (e *env) requireIntact(t *testing.T) audit.Report {
	t.Helper()
	rep := e.verify(t, audit.VerifyOptions{})
	require.True(t, rep.OK(), rep.String())
	return rep
}

func signIn(account, client string, i int) audit.Event {
	return audit.Event{
		Type: audit.SignInSucceeded, ActorKind: audit.Citizen, ActorID: account, AccountID: account,
		ClientID: client, Scopes: []string{"openid", "profile"}, ACR: "urn:vn:eid:loa:1",
		Outcome: audit.Success, IP: "203.0.113.7", UserAgent: "test", RequestID: fmt.Sprintf("req-%d", i),
	}
}

// recordN records n events one after another, a minute apart, then waits
// for the writer to seal the head (it seals after acknowledging).
func (e *env) recordN(t *testing.T, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		require.NoError(t, e.log.Record(t.Context(), signIn(fmt.Sprintf("acc-%d", i%3), "portal", i)))
		e.clock.Advance(time.Minute)
	}
	_, err := e.log.Checkpoint(t.Context())
	require.NoError(t, err)
}

// tamper runs statements as the database superuser with the append-only
// triggers off.
func tamper(t *testing.T, db *pgtest.DB, stmts ...string) {
	t.Helper()
	audittest.Tamper(t, db.Super(t), stmts...)
}

func count(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, q.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}

func defaultOpts() audit.Options {
	return audit.Options{CheckpointEvery: 5, CheckpointInterval: time.Hour}
}
