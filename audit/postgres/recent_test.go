package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// TestVerifyRecentIsBounded: the operators' page check reads only the
// newest events from the checkpoint before them, and the head's seal. A
// rewritten event among them is found; one before that checkpoint is left
// to `dinhdanh audit verify`, which finds it.
func TestVerifyRecentIsBounded(t *testing.T) {
	e := newEnv(t, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), defaultOpts()) // a checkpoint every 5 events
	e.recordN(t, 20)

	st, err := audit.ReadStatus(t.Context(), e.store)
	require.NoError(t, err)
	require.Equal(t, int64(20), st.Head.End.Seq)
	require.True(t, st.Head.Sealed)
	require.NotNil(t, st.Checkpoint)
	require.Equal(t, int64(20), st.Checkpoint.Seq)

	rep, err := audit.VerifyRecent(t.Context(), e.store, e.keys, 3)
	require.NoError(t, err)
	require.True(t, rep.OK(), rep.String())
	require.NotNil(t, rep.Sealed)
	require.LessOrEqual(t, rep.Events, int64(3+5), "from the checkpoint before the newest 3 events: %s", rep.String())
	require.Equal(t, int64(20), rep.To)

	tamper(t, e.db, "UPDATE audit_events SET client_id = 'evil' WHERE seq IN (2, 19)")
	rep, err = audit.VerifyRecent(t.Context(), e.store, e.keys, 3)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Equal(t, int64(19), rep.Problem.Seq, rep.String())
	require.Len(t, rep.Problems, 1, "event 2 lies before the range: %s", rep.String())
	require.Equal(t, int64(2), e.verify(t, audit.VerifyOptions{}).Problem.Seq, "the whole verification finds it")
}
