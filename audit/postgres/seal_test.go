package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/witness"
)

// entry reads stored event seq.
func (e *env) entry(t *testing.T, seq int64) audit.Entry {
	t.Helper()
	for en, err := range e.store.Entries(t.Context(), seq, seq) {
		require.NoError(t, err)
		return en
	}
	t.Fatalf("no event %d", seq)
	return audit.Entry{}
}

// rewrite changes event at's client and recomputes every stored hash from
// it on, as a superuser covering their tracks would.
func (e *env) rewrite(t *testing.T, at int64, client string) {
	t.Helper()
	prev := audit.Genesis.Hash
	if at > 1 {
		prev = e.entry(t, at-1).Hash
	}
	stmts := []string{fmt.Sprintf("UPDATE audit_events SET client_id = '%s' WHERE seq = %d", client, at)}
	for en, err := range e.store.Entries(t.Context(), at, 1<<62) {
		require.NoError(t, err)
		if en.Seq == at {
			en.ClientID = client
		}
		en.Hash = audit.ComputeHash(prev, en)
		stmts = append(stmts, fmt.Sprintf(`UPDATE audit_events SET hash = '\x%s' WHERE seq = %d`, en.Hash, en.Seq))
		prev = en.Hash
	}
	tamper(t, e.db, stmts...)
}

// forge appends, as the application role, an event chained from the
// stored end: it links like a genuine one, but no writer sealed it.
func (e *env) forge(t *testing.T, client string) audit.Entry {
	t.Helper()
	var last audit.Entry
	for en, err := range e.store.Entries(t.Context(), 1, 1<<62) {
		require.NoError(t, err)
		last = en
	}
	f := last
	f.Seq, f.ClientID, f.RequestID = last.Seq+1, client, "forged"
	f.Hash = audit.ComputeHash(last.Hash, f)
	if f.Claims == nil {
		f.Claims = []string{}
	}
	if f.Scopes == nil {
		f.Scopes = []string{}
	}
	_, err := e.db.App.Exec(t.Context(), `INSERT INTO audit_events (`+strings.ReplaceAll(columns, "\n", " ")+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '{}', $17)`,
		f.Seq, f.LoggedAt, f.Time, string(f.Type), string(f.ActorKind), f.ActorID, f.AccountID, f.ClientID,
		f.Scopes, f.Claims, f.ACR, string(f.Outcome), f.Reason, f.IP, f.UserAgent, f.RequestID, f.Hash[:])
	require.NoError(t, err)
	return f
}

const columns = `seq, logged_at, at, type, actor_kind, actor_id, account_id, client_id, scopes, claims,
	acr, outcome, reason, ip, user_agent, request_id, detail, hash`

// problems lists a report's problems as "kind@seq".
func problems(r audit.Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, fmt.Sprintf("%s@%d", p.Kind, p.Seq))
	}
	return out
}

func (e *env) readWitness(t *testing.T, path string) []audit.Checkpoint {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cps, err := audit.ReadCheckpoints(f)
	require.NoError(t, err)
	return cps
}

// Every way the issue found to hide tampering, one after the other on one
// database: verify names each, and reports those present together. The
// writer publishes its checkpoints to a file witness as it makes them.
func TestVerifyNamesEveryTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "witness.jsonl")
	e := newEnv(t, time.Now(), audit.Options{CheckpointEvery: 10, CheckpointInterval: time.Hour, Witness: witness.NewFile(path)})
	e.recordN(t, 60) // checkpoints 10..60
	for i := 61; i <= 65; i++ {
		require.NoError(t, e.log.Record(t.Context(), signIn("acc-1", "portal", i)))
	}
	require.Eventually(t, func() bool { return e.log.Stats().Published == 6 }, 5*time.Second, 10*time.Millisecond)
	require.Len(t, e.readWitness(t, path), 6)
	rep := e.requireIntact(t)
	require.Equal(t, int64(65), rep.Sealed.Seq, "the newest event is sealed the moment it is acknowledged")
	ext := audit.VerifyOptions{External: e.readWitness(t, path)}

	// 1. A forged event appended behind the writer's back (the app role may
	// INSERT): it links, but nobody sealed it.
	e.forge(t, "forged-bank")
	rep = e.verify(t, audit.VerifyOptions{})
	require.Equal(t, []string{"unsealed@66"}, problems(rep), rep.String())
	require.Equal(t, "forged", rep.Problem.Entry.RequestID)
	require.Contains(t, rep.Problem.Message, "forged-bank")

	// 2. The tail (after the last checkpoint) edited and re-hashed: the
	// sealed head no longer matches. Reported together with the forgery.
	e.rewrite(t, 63, "tail-bank")
	rep = e.verify(t, audit.VerifyOptions{})
	require.Equal(t, []string{"rewritten@61", "unsealed@66"}, problems(rep), rep.String())
	require.Contains(t, rep.Problem.Message, "sealed head")

	// 3. An event in the middle edited, every later hash recomputed, and
	// the stored checkpoints that would show it deleted: the seal still
	// does, and the witness names the stretch.
	e.rewrite(t, 25, "middle-bank")
	tamper(t, e.db, "DELETE FROM audit_checkpoints WHERE seq > 20")
	rep = e.verify(t, audit.VerifyOptions{})
	require.Equal(t, []string{"rewritten@21", "unsealed@66"}, problems(rep), rep.String())
	rep = e.verify(t, ext)
	require.Equal(t, []string{"rewritten@21", "rewritten@21", "unsealed@66"}, problems(rep), rep.String())
	require.Contains(t, rep.Problems[0].Message, "checkpoint signed at")
	require.Contains(t, rep.Problems[1].Message, "sealed head")

	// 4. The tail deleted (the forgery with it): the sealed head covers it.
	tamper(t, e.db, "DELETE FROM audit_events WHERE seq >= 64")
	rep = e.verify(t, ext)
	require.Equal(t, []string{"rewritten@21", "deleted@64"}, problems(rep), rep.String())
	require.Contains(t, rep.Problems[1].Message, "events 64..65 are missing")

	// 5. The head moved back. The app role may not: no UPDATE, DELETE or
	// TRUNCATE on the seals, nor on the retired head row.
	for _, sql := range []string{
		"DELETE FROM audit_seals WHERE seq > 40",
		"UPDATE audit_seals SET seq = 40 WHERE seq = 65",
		"TRUNCATE audit_seals",
		"UPDATE audit_head SET seq = 40",
	} {
		_, err := e.db.App.Exec(t.Context(), sql)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr, sql)
		require.Equal(t, "42501", pgErr.Code, sql)
	}
	// A superuser can: the events after the older seal are then unsealed,
	// and the witness still names the rewrite.
	tamper(t, e.db, "DELETE FROM audit_seals WHERE seq > 40")
	rep = e.verify(t, ext)
	require.Equal(t, []string{"rewritten@21", "rewritten@21", "unsealed@41"}, problems(rep), rep.String())
	require.Contains(t, rep.Problems[2].Message, "moved back")

	// 6. Truncation. Of the events alone: the stored checkpoints and the
	// seals cover them, and each says so.
	tamper(t, e.db, "TRUNCATE audit_events")
	rep = e.verify(t, audit.VerifyOptions{})
	require.Equal(t, []string{"deleted@1", "deleted@1"}, problems(rep), rep.String())
	require.Contains(t, rep.Problems[0].Message, "checkpoint 20")
	require.Contains(t, rep.Problems[1].Message, "events 1..40 are missing")
	require.Contains(t, rep.String(), "truncated")
	// Of everything: the database alone cannot tell an empty log from a
	// new one; the witness can.
	tamper(t, e.db, "TRUNCATE audit_seals", "TRUNCATE audit_checkpoints")
	require.True(t, e.verify(t, audit.VerifyOptions{}).OK())
	rep = e.verify(t, ext)
	require.Equal(t, []string{"deleted@1"}, problems(rep), rep.String())
	require.Contains(t, rep.String(), "truncated")
	require.Contains(t, rep.String(), "checkpoint 60")
}

// syncBuffer is a log sink the writer goroutine writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The writer reads the stored head back and refuses to extend one that no
// writer with the audit key sealed: it raises the alarm and stops, never
// forking the chain.
func TestWriterRefusesAMovedHead(t *testing.T) {
	cases := []struct {
		name string
		move func(t *testing.T, e *env)
		want string
	}{
		{"head moved back by a superuser", func(t *testing.T, e *env) {
			tamper(t, e.db, "DELETE FROM audit_seals WHERE seq > 3")
		}, "moved back"},
		{"seal forged by the app role", func(t *testing.T, e *env) {
			_, err := e.db.App.Exec(t.Context(), `INSERT INTO audit_seals (seq, prev_seq, hash, logged_at, sealed_at, key_id, sig)
				SELECT seq + 1, seq, hash, logged_at, now(), key_id, sig FROM audit_seals ORDER BY seq DESC LIMIT 1`)
			require.NoError(t, err)
		}, "not made with the audit key"},
		{"event appended by the app role", func(t *testing.T, e *env) {
			e.forge(t, "forged-bank")
		}, "beyond the sealed head"},
		{"tail deleted by a superuser", func(t *testing.T, e *env) {
			tamper(t, e.db, "DELETE FROM audit_events WHERE seq = 5")
		}, "events were deleted"},
		{"tail rewritten by a superuser", func(t *testing.T, e *env) {
			e.rewrite(t, 4, "tail-bank")
		}, "rewritten"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			e := newEnv(t, time.Now(), audit.Options{CheckpointEvery: 100, CheckpointInterval: time.Hour,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			e.recordN(t, 5)
			tc.move(t, e)
			before := count(t, e.db.App, "SELECT count(*) FROM audit_events")

			err := e.log.Record(t.Context(), signIn("acc", "portal", 6))
			require.ErrorIs(t, err, audit.ErrHeadTampered)
			require.ErrorContains(t, err, tc.want)
			require.ErrorIs(t, e.log.Record(t.Context(), signIn("acc", "portal", 7)), audit.ErrHeadTampered, "every Record fails from then on")
			_, err = e.log.Checkpoint(t.Context())
			require.Error(t, err, "no checkpoint signs a head the writer refused")
			require.Contains(t, e.log.Stats().Alarm, tc.want)
			require.True(t, errors.Is(e.log.Alarm(), audit.ErrHeadTampered))
			require.Contains(t, logs.String(), "level=ERROR msg=\"AUDIT ALARM")
			require.Equal(t, before, count(t, e.db.App, "SELECT count(*) FROM audit_events"), "nothing written after the moved head")
		})
	}
}

// Legitimate writers that move the head (another replica, an in-transaction
// record) seal it with the audit key: the writer extends their heads.
func TestWriterExtendsHeadsSealedByOthers(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	e.recordN(t, 3)
	other, err := audit.NewLog(e.store, e.key, audit.Options{Now: e.clock.Now})
	require.NoError(t, err)
	defer other.Close(t.Context())
	require.NoError(t, other.Record(t.Context(), signIn("acc", "portal", 4)))
	require.NoError(t, e.log.Record(t.Context(), signIn("acc", "portal", 5)))
	require.Empty(t, e.log.Stats().Alarm)
	rep := e.requireIntact(t)
	require.Equal(t, int64(5), rep.Sealed.Seq)
	require.Equal(t, 5, count(t, e.db.App, "SELECT count(*) FROM audit_seals"), "one seal per batch")
}

// A failover can take back another writer's batch that this writer only
// read (visible on the primary before its synchronous standby had it, never
// acknowledged): this writer goes on from the promoted node's head, while
// the writer whose acknowledged batch is gone raises the alarm.
func TestWriterGoesOnWhenAHeadItOnlyReadIsTakenBack(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	ctx := t.Context()
	e.recordN(t, 3)
	other, err := audit.NewLog(e.store, e.key, defaultOpts())
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close(context.Background()) })
	for i := 4; i <= 5; i++ {
		require.NoError(t, other.Record(ctx, signIn("acc-other", "portal", i)))
	}
	// This writer reads the head (5) and seals it.
	cp, err := e.log.Checkpoint(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 5, cp.Seq)

	// The promoted standby never got events 4 and 5, nor that checkpoint.
	tamper(t, e.db, "DELETE FROM audit_events WHERE seq > 3", "DELETE FROM audit_seals WHERE seq > 3", "DELETE FROM audit_checkpoints WHERE seq > 3")

	require.NoError(t, e.log.Record(ctx, signIn("acc", "portal", 6)), "a head only read is not this writer's to defend")
	require.Empty(t, e.log.Stats().Alarm)
	require.ErrorIs(t, other.Record(ctx, signIn("acc-other", "portal", 7)), audit.ErrHeadTampered,
		"the writer whose acknowledged events are gone raises the alarm")
	rep := e.requireIntact(t)
	require.EqualValues(t, 4, rep.Head.Seq)
}
