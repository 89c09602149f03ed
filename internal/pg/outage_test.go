package pg_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestUnavailableClassifiesFailoverErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"read-only transaction (a standby)", &pgconn.PgError{Code: "25006"}, true},
		{"admin shutdown", fmt.Errorf("store: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure class 08", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"client went away", fmt.Errorf("query: %w", context.Canceled), false},
		{"a domain error", errors.New("accounts: not found"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, pg.Unavailable(tc.err))
		})
	}
}

// TestOutagesSeeATerminatedConnection ends the server process behind a
// pooled connection (as a primary's death does) and checks that the
// failing statement is seen as an outage, by the request that ran it and
// by the pool, and that a constraint violation is not.
func TestOutagesSeeATerminatedConnection(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	seen := pg.OutagesOf(db.App)
	require.NotNil(t, seen, "a pool opened by pg.Open carries its outage tracer")
	require.False(t, seen.Since(time.Hour))

	conn, err := db.App.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	var pid uint32
	require.NoError(t, conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid))

	// Not an outage: an error the database answers normally.
	rctx, saw := pg.WatchOutage(ctx)
	_, err = conn.Exec(rctx, "SELECT 1/0")
	require.Error(t, err)
	require.False(t, saw())
	require.False(t, seen.Since(time.Hour))

	super := db.Super(t)
	_, err = super.Exec(ctx, "SELECT pg_terminate_backend($1)", pid)
	require.NoError(t, err)
	rctx, saw = pg.WatchOutage(ctx)
	_, err = conn.Exec(rctx, "SELECT 1")
	require.Error(t, err)
	require.True(t, pg.Unavailable(err) || conn.Conn().IsClosed(), "error: %v", err)
	require.True(t, saw(), "the request's statement failed on a lost connection")
	require.True(t, seen.Since(time.Minute))
}

// TestOutageConnectionIsNotPooledAgain: a connection that met a read-only
// server (a demoted primary, or a standby behind PgBouncer) is closed on
// release, so the next one is made anew, where target_session_attrs finds
// the primary, instead of failing every write from then on.
func TestOutageConnectionIsNotPooledAgain(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	pool, err := pg.Open(ctx, db.AppURL, 1)
	require.NoError(t, err)
	defer pool.Close()
	pid := func(c interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) uint32 {
		var p uint32
		require.NoError(t, c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&p))
		return p
	}
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	first := pid(conn)
	conn.Release()
	require.Equal(t, first, pid(pool), "a healthy connection is pooled again")

	conn, err = pool.Acquire(ctx)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "SET default_transaction_read_only = on")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE read_only_probe (n int)")
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "25006", pgErr.Code)
	conn.Release()
	assert.NotEqual(t, first, pid(pool), "the connection that met a read-only server was closed")
}
