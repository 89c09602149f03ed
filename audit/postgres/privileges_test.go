package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit/postgres"
)

// The history is append-only for everyone: the app role lacks the
// privileges, and triggers refuse the owner (and a superuser who does not
// first switch them off).
func TestNobodyRewritesHistory(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	e.recordN(t, 3)
	_, err := e.log.Checkpoint(t.Context())
	require.NoError(t, err)
	part := "audit_events_y" + e.clock.Now().Format("2006") + "m" + e.clock.Now().Format("01")

	super := e.db.Super(t)
	runners := []struct {
		name string
		exec func(sql string) error
		want string // in the error message
	}{
		{"app", func(sql string) error { _, err := e.db.App.Exec(t.Context(), sql); return err }, "permission denied"},
		{"owner", func(sql string) error { _, err := e.db.Owner.Exec(t.Context(), sql); return err }, "append-only"},
		{"superuser", func(sql string) error { _, err := super.Exec(t.Context(), sql); return err }, "append-only"},
	}
	stmts := []string{
		"UPDATE audit_events SET client_id = 'x' WHERE seq = 2",
		"DELETE FROM audit_events WHERE seq = 2",
		"TRUNCATE audit_events",
		"UPDATE " + part + " SET client_id = 'x'",
		"DELETE FROM " + part,
		"TRUNCATE " + part,
		"UPDATE audit_checkpoints SET seq = 99",
		"DELETE FROM audit_checkpoints",
		"TRUNCATE audit_checkpoints",
		"UPDATE audit_seals SET seq = 99",
		"DELETE FROM audit_seals",
		"TRUNCATE audit_seals",
	}
	for _, r := range runners {
		for _, sql := range stmts {
			t.Run(r.name+": "+sql, func(t *testing.T) {
				err := r.exec(sql)
				require.Error(t, err)
				require.ErrorContains(t, err, r.want)
				var pgErr *pgconn.PgError
				require.ErrorAs(t, err, &pgErr)
				require.Equal(t, "42501", pgErr.Code, "insufficient_privilege")
			})
		}
	}
	t.Run("app: no dropping, no switching triggers off, no head deletion", func(t *testing.T) {
		for _, sql := range []string{
			"DROP TABLE " + part,
			"ALTER TABLE audit_events DISABLE TRIGGER USER",
			"DELETE FROM audit_head",
			"UPDATE audit_head SET seq = 0",
			"INSERT INTO audit_head (id, seq, hash, logged_at) VALUES (false, 0, '\\x00', now())",
		} {
			_, err := e.db.App.Exec(t.Context(), sql)
			require.Error(t, err, sql)
		}
	})
	require.Equal(t, 3, count(t, e.db.App, "SELECT count(*) FROM audit_events"))
	e.requireIntact(t)
}

func TestEnsurePartitions(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	m := postgres.NewMaintainer(e.db.Owner, e.key, nil)
	now := time.Date(2031, 12, 20, 23, 0, 0, 0, time.UTC)
	names, err := m.EnsurePartitions(t.Context(), now, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"audit_events_y2031m12", "audit_events_y2032m01", "audit_events_y2032m02"}, names)
	again, err := m.EnsurePartitions(t.Context(), now, 2)
	require.NoError(t, err)
	require.Equal(t, names, again, "idempotent")

	for _, n := range names {
		var upd, del, trunc, ins, sel bool
		require.NoError(t, e.db.Owner.QueryRow(t.Context(), `SELECT
			has_table_privilege('dinhdanh_app', $1, 'UPDATE'), has_table_privilege('dinhdanh_app', $1, 'DELETE'),
			has_table_privilege('dinhdanh_app', $1, 'TRUNCATE'), has_table_privilege('dinhdanh_app', $1, 'INSERT'),
			has_table_privilege('dinhdanh_app', $1, 'SELECT')`, n).Scan(&upd, &del, &trunc, &ins, &sel))
		require.False(t, upd || del || trunc, "%s: the app role may not change history", n)
		require.True(t, ins && sel, n)
		require.Equal(t, 1, count(t, e.db.Owner, `SELECT count(*) FROM pg_trigger
			WHERE tgrelid = $1::regclass AND tgname = 'audit_append_only'`, n), "%s refuses TRUNCATE itself", n)
	}
	var bound string
	require.NoError(t, e.db.Owner.QueryRow(t.Context(),
		"SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'audit_events_y2032m01'").Scan(&bound))
	require.Equal(t, "FOR VALUES FROM ('2032-01-01 00:00:00+00') TO ('2032-02-01 00:00:00+00')", bound, "months in UTC")

	_, err = postgres.NewMaintainer(e.db.App, e.key, nil).EnsurePartitions(t.Context(), now.AddDate(1, 0, 0), 0)
	require.NoError(t, err, "the app role may create (only) partitions, through the definer function")
}
