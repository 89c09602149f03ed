package postgres_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
)

// copyRow inserts a forged copy of event src with sequence number seq and
// the given client (an insert by someone who bypassed the application). The
// primary key (seq, logged_at) refuses an exact duplicate, so the forger
// shifts the log time by a microsecond.
func copyRow(src, seq int, client string) string {
	return fmt.Sprintf(`INSERT INTO audit_events (seq, logged_at, at, type, actor_kind, actor_id, account_id, client_id,
		scopes, claims, acr, outcome, reason, ip, user_agent, request_id, detail, hash)
		SELECT %d, logged_at + interval '1 microsecond', at, 'consent.granted', actor_kind, actor_id, account_id, '%s', scopes, claims, acr,
		outcome, reason, ip, user_agent, 'forged', detail, sha256(hash) FROM audit_events WHERE seq = %d`, seq, client, src)
}

// A superuser who switches the triggers off can change rows; verification
// names exactly the event that was touched.
func TestVerifyNamesTamperedEvent(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		kind  audit.ProblemKind
		seq   int64
		entry string // request id of the row named
	}{
		{name: "edit", kind: audit.Modified, seq: 7, entry: "req-7", stmts: []string{
			"UPDATE audit_events SET client_id = 'another-bank' WHERE seq = 7",
		}},
		{name: "edit the scopes released", kind: audit.Modified, seq: 12, entry: "req-12", stmts: []string{
			"UPDATE audit_events SET scopes = '{openid}' WHERE seq = 12",
		}},
		{name: "delete", kind: audit.Deleted, seq: 7, stmts: []string{
			"DELETE FROM audit_events WHERE seq = 7",
		}},
		{name: "delete and renumber", kind: audit.Deleted, seq: 7, stmts: []string{
			"DELETE FROM audit_events WHERE seq = 7",
			"UPDATE audit_events SET seq = -(seq - 1) WHERE seq > 7",
			"UPDATE audit_events SET seq = -seq WHERE seq < 0",
		}},
		{name: "insert", kind: audit.Inserted, seq: 7, entry: "forged", stmts: []string{
			copyRow(7, 7, "evil"),
		}},
		{name: "insert and renumber", kind: audit.Inserted, seq: 7, entry: "forged", stmts: []string{
			"UPDATE audit_events SET seq = -(seq + 1) WHERE seq >= 7",
			"UPDATE audit_events SET seq = -seq WHERE seq < 0",
			copyRow(8, 7, "evil"),
		}},
		{name: "swap", kind: audit.Reordered, seq: 7, stmts: []string{
			"UPDATE audit_events SET seq = -7 WHERE seq = 7",
			"UPDATE audit_events SET seq = 7 WHERE seq = 8",
			"UPDATE audit_events SET seq = 8 WHERE seq = -7",
		}},
		{name: "cut the end off", kind: audit.Deleted, seq: 16, stmts: []string{
			"DELETE FROM audit_events WHERE seq >= 16",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, time.Now(), defaultOpts())
			e.recordN(t, 20)
			e.requireIntact(t)

			tamper(t, e.db, tc.stmts...)
			rep := e.verify(t, audit.VerifyOptions{})
			require.False(t, rep.OK(), "tampering went unnoticed")
			require.Equal(t, tc.kind, rep.Problem.Kind, rep.String())
			require.Equal(t, tc.seq, rep.Problem.Seq, rep.String())
			if tc.entry != "" {
				require.NotNil(t, rep.Problem.Entry, rep.String())
				require.Equal(t, tc.entry, rep.Problem.Entry.RequestID, rep.String())
			}
		})
	}
}

// An attacker who knows the algorithm recomputes every later hash and
// deletes the stored checkpoints: only signed checkpoints held outside the
// database still show it.
func TestExportedCheckpointsCatchARewrittenChain(t *testing.T) {
	e := newEnv(t, time.Now(), audit.Options{CheckpointEvery: 10, CheckpointInterval: time.Hour})
	e.recordN(t, 30)
	cps, err := e.store.ExportCheckpoints(t.Context(), 0, 0)
	require.NoError(t, err)
	require.Len(t, cps, 3)
	var file bytes.Buffer
	require.NoError(t, audit.WriteCheckpoints(&file, cps))

	// Rewrite event 15 and every hash after it.
	var stmts []string
	var prev audit.Hash
	for en, err := range e.store.Entries(t.Context(), 1, 30) {
		require.NoError(t, err)
		if en.Seq == 15 {
			en.ClientID = "another-bank"
			stmts = append(stmts, "UPDATE audit_events SET client_id = 'another-bank' WHERE seq = 15")
		}
		if en.Seq >= 15 {
			en.Hash = audit.ComputeHash(prev, en)
			stmts = append(stmts, fmt.Sprintf(`UPDATE audit_events SET hash = '\x%s' WHERE seq = %d`, en.Hash, en.Seq))
		}
		prev = en.Hash
	}
	tamper(t, e.db, stmts...)

	// The stored checkpoints still show it.
	rep := e.verify(t, audit.VerifyOptions{})
	require.Equal(t, audit.Rewritten, rep.Problem.Kind, rep.String())
	require.Equal(t, int64(11), rep.Problem.Seq, "first event after the last checkpoint that still matched")

	// Once they are gone too, the sealed head still does: the superuser
	// cannot sign the rewritten end.
	tamper(t, e.db, "DELETE FROM audit_checkpoints")
	rep = e.verify(t, audit.VerifyOptions{})
	require.False(t, rep.OK())
	require.Equal(t, audit.Rewritten, rep.Problem.Kind, rep.String())
	require.Contains(t, rep.Problem.Message, "sealed head")

	// The copy a third party holds still does.
	external, err := audit.ReadCheckpoints(&file)
	require.NoError(t, err)
	rep = e.verify(t, audit.VerifyOptions{External: external})
	require.False(t, rep.OK())
	require.Equal(t, audit.Rewritten, rep.Problem.Kind, rep.String())
	require.Equal(t, int64(11), rep.Problem.Seq)
}

func TestVerifyRangeStartsAtACheckpoint(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	e.recordN(t, 23)
	rep := e.verify(t, audit.VerifyOptions{From: 12, To: 21})
	require.True(t, rep.OK(), rep.String())
	require.Equal(t, int64(10), rep.Start.Seq)
	require.Equal(t, int64(11), rep.From)
	require.Equal(t, int64(21), rep.To)
	require.Equal(t, 2, rep.Checkpoints)

	var _ audit.ChainSource = (*postgres.Store)(nil)
}
