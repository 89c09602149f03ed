package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// TestAppendLocked: the locked append (the path every replica's writer
// takes once another moved the head) pipelines its statements, commits
// without waiting for the disk under the lock and then waits for
// durability on the same connection. Whatever happens, it leaves no
// transaction open and no lock held, and what it acknowledges is chained
// and verifies. (That the wait really waits for a synchronous standby is
// gateway/hatest's: the primary killed under load loses no acknowledged
// event.)
func TestAppendLocked(t *testing.T) {
	refused := errors.New("refused by the chain function")
	cases := []struct {
		name string
		// month is when the batch is logged, relative to now.
		month   int
		refuse  bool
		wantErr error
		want    int // events stored afterwards, the 3 before included
	}{
		{"extends the head", 0, false, nil, 4},
		{"creates a missing month first", 14, false, nil, 4},
		{"the chain function refuses", 0, true, refused, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now().UTC()
			e := newEnv(t, start, defaultOpts())
			e.recordN(t, 3)
			at := start.AddDate(0, tc.month, 0)

			err := e.store.AppendLocked(t.Context(), func(h audit.StoredHead) ([]audit.Entry, audit.Seal, error) {
				if tc.refuse {
					return nil, audit.Seal{}, refused
				}
				prev := h.Seal.Head()
				entries := audit.Chain(prev, at, signIn("acc-locked", "portal", 99))
				last := entries[len(entries)-1].Head()
				return entries, e.key.Seal(prev.Seq, last, at), nil
			})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, count(t, e.db.App, "SELECT count(*) FROM audit_events"))
			require.Zero(t, count(t, e.db.App, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND state LIKE 'idle in transaction%'`), "no transaction left open")
			require.Zero(t, count(t, e.db.App, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
				WHERE c.relname = 'audit_seals' AND l.mode = 'ShareRowExclusiveLock' AND l.pid <> pg_backend_pid()`), "the head lock is free")

			// The writer goes on from there, and the chain verifies.
			require.NoError(t, e.log.Record(t.Context(), signIn("acc", "portal", 100)))
			rep := e.verify(t, audit.VerifyOptions{})
			require.True(t, rep.OK(), "%+v", rep)
			require.Equal(t, int64(tc.want+1), rep.Events)
		})
	}
}
