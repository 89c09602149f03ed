package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
)

// Entries reads a long chain in bounded chunks (one statement for 100
// million events sorted the table on disk) and in order, and skips a gap
// wider than a chunk, which verification then reports.
func TestEntriesInChunks(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	for i := range 12 {
		require.NoError(t, e.log.Record(t.Context(), signIn("acc-chunks", "portal", i)))
	}
	defer func(n int64) { postgres.EntriesChunk = n }(postgres.EntriesChunk)
	postgres.EntriesChunk = 3
	read := func(from, to int64) []int64 {
		var seqs []int64
		for en, err := range e.store.Entries(t.Context(), from, to) {
			require.NoError(t, err)
			seqs = append(seqs, en.Seq)
		}
		return seqs
	}
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, read(1, 1<<62))
	require.Equal(t, []int64{2, 3, 4, 5, 6, 7}, read(2, 7))
	require.Equal(t, []int64{12}, read(12, 12))
	require.Empty(t, read(13, 1<<62))

	// A gap of four (more than a chunk), cut by the superuser with the
	// append-only triggers off.
	conn, err := pgx.Connect(t.Context(), e.db.SuperURL)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), "SET session_replication_role = replica")
	require.NoError(t, err)
	_, err = conn.Exec(t.Context(), "DELETE FROM audit_events WHERE seq BETWEEN 4 AND 7")
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3, 8, 9, 10, 11, 12}, read(1, 1<<62))
	require.Equal(t, []int64{8}, read(4, 8))

	rep := e.verify(t, audit.VerifyOptions{})
	require.False(t, rep.OK(), "the gap is reported")
}
