package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// TestStatsReportLatencyAndSealAge: what the gateway's metrics read of the
// writer. Every batch write lands in one latency bucket, and the head and
// newest checkpoint it reports follow the chain: events wait for a
// checkpoint (Head > Sealed) until one is signed, at the clock's time.
func TestStatsReportLatencyAndSealAge(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	e := newEnv(t, start, audit.Options{CheckpointEvery: 1000, CheckpointInterval: time.Hour})
	st := e.log.Stats()
	require.Len(t, st.BatchLatency.Counts, len(audit.LatencyBounds)+1)
	require.Zero(t, sum(st.BatchLatency.Counts))
	require.True(t, st.SealedAt.IsZero(), "no checkpoint known before the first batch")

	for i := range 3 {
		require.NoError(t, e.log.Record(t.Context(), signIn(fmt.Sprintf("acc-%d", i), "portal", i)))
	}
	st = e.log.Stats()
	require.Equal(t, st.Batches+st.Failed, sum(st.BatchLatency.Counts), "one observation per batch write")
	require.Positive(t, st.BatchLatency.Sum)
	require.Equal(t, int64(3), st.Head)
	require.Equal(t, int64(0), st.Sealed, "nothing sealed yet: the first checkpoint is due after 1000 events or an hour")
	require.Equal(t, start, st.SealedAt, "an empty chain counts as sealed when the writer first looked")

	e.clock.Advance(10 * time.Minute)
	_, err := e.log.Checkpoint(t.Context())
	require.NoError(t, err)
	st = e.log.Stats()
	require.Equal(t, int64(3), st.Head)
	require.Equal(t, int64(3), st.Sealed)
	require.Equal(t, start.Add(10*time.Minute), st.SealedAt)
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}
