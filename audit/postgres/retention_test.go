package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
)

func day(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// retentionTimes are when retentionEnv's five events happen.
var retentionTimes = []time.Time{
	day(2020, 1, 10, 0, 0, 0), day(2020, 1, 31, 23, 0, 0), day(2020, 2, 11, 0, 0, 0),
	day(2020, 3, 5, 0, 0, 0), day(2025, 1, 1, 0, 0, 0),
}

// retentionEnv records five events: two in January 2020, one on
// 11 February 2020, one in March 2020 and one in January 2025.
func retentionEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, day(2020, 1, 10, 0, 0, 0), defaultOpts())
	for i, at := range retentionTimes {
		e.clock.Set(at)
		require.NoError(t, e.log.Record(t.Context(), signIn("acc-1", "portal", i+1)))
	}
	return e
}

func TestRetainAroundTheFiveYearBoundary(t *testing.T) {
	cases := []struct {
		name    string
		now     time.Time
		years   int // the configured retention; 0: unset
		dropped []string
		anchor  int64 // sequence number of the last dropped event
		kept    int   // events of the five left
	}{
		{
			name: "an event 5 years less an hour old keeps its partition",
			now:  day(2025, 1, 31, 22, 0, 0), kept: 5, // the event of 2020-01-31 23:00 is 5 years less an hour old
		},
		{
			name: "partition whose every event is over 5 years old is dropped",
			now:  day(2025, 2, 1, 0, 0, 0), dropped: []string{"audit_events_y2020m01"}, anchor: 2, kept: 3,
		},
		{
			name: "event exactly 5 years less a day old is kept",
			now:  day(2025, 2, 10, 0, 0, 0), dropped: []string{"audit_events_y2020m01"}, anchor: 2, kept: 3,
		},
		{
			name: "a month later its partition goes too",
			now:  day(2025, 3, 1, 0, 0, 0), dropped: []string{"audit_events_y2020m01", "audit_events_y2020m02"}, anchor: 3, kept: 2,
		},
		{
			name: "a setting below the law's five years counts as five",
			now:  day(2025, 2, 1, 0, 0, 0), years: 2, dropped: []string{"audit_events_y2020m01"}, anchor: 2, kept: 3,
		},
		{
			name: "a longer retention keeps what five years would drop",
			now:  day(2025, 3, 1, 0, 0, 0), years: 6, kept: 5,
		},
		{
			name: "until its own years have passed",
			now:  day(2026, 2, 1, 0, 0, 0), years: 6, dropped: []string{"audit_events_y2020m01"}, anchor: 2, kept: 3,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := retentionEnv(t)
			ctx := t.Context()
			m := postgres.NewMaintainer(e.db.Owner, e.key, nil)
			m.Years = tc.years
			e.clock.Set(tc.now)

			rep, err := m.Retain(ctx, tc.now)
			require.NoError(t, err)
			require.Equal(t, tc.now.AddDate(-max(tc.years, 5), 0, 0), rep.Cutoff)
			require.Equal(t, tc.dropped, rep.Dropped)
			require.Equal(t, tc.kept, count(t, e.db.App, "SELECT count(*) FROM audit_events WHERE type = 'signin.succeeded'"))
			for _, at := range retentionTimes {
				if !at.Before(rep.Cutoff) {
					require.Equal(t, 1, count(t, e.db.App, "SELECT count(*) FROM audit_events WHERE at = $1", at),
						"the event of %s is younger than 5 years at %s: never dropped", at, tc.now)
				}
			}

			if len(tc.dropped) == 0 {
				require.Nil(t, rep.Event)
				require.Nil(t, rep.Anchor)
				e.requireIntact(t)
				return
			}
			require.Equal(t, tc.anchor, rep.Anchor.Seq)
			require.Equal(t, audit.RetentionAnchor, rep.Anchor.Kind)
			require.Equal(t, audit.RetentionApplied, rep.Event.Type)
			require.Equal(t, int64(6), rep.Event.Seq, "recorded in the chain")
			require.Equal(t, tc.dropped[0], rep.Event.Detail["first"])

			vr := e.requireIntact(t)
			require.Equal(t, "retention anchor", vr.StartedFrom)
			require.Equal(t, tc.anchor+1, vr.From)
			require.Equal(t, int64(6), vr.Head.Seq)

			// The writer notices the head retention moved and chains on.
			require.NoError(t, e.log.Record(ctx, signIn("acc-1", "portal", 7)))
			vr = e.requireIntact(t)
			require.Equal(t, int64(7), vr.Head.Seq)

			again, err := m.Retain(ctx, tc.now)
			require.NoError(t, err)
			require.Empty(t, again.Dropped, "nothing left to drop")

			// Everything after the anchor gone, seals included: retention
			// always records an event after its anchor, so an empty chain
			// there is a truncation.
			tamper(t, e.db, "TRUNCATE audit_events", "TRUNCATE audit_seals")
			vr = e.verify(t, audit.VerifyOptions{})
			require.False(t, vr.OK())
			require.Equal(t, audit.Deleted, vr.Problem.Kind, vr.String())
			require.Equal(t, tc.anchor+1, vr.Problem.Seq)
			require.Contains(t, vr.String(), "truncated")
		})
	}
}

func TestRetainNeedsTheOwner(t *testing.T) {
	e := retentionEnv(t)
	_, err := postgres.NewMaintainer(e.db.App, e.key, nil).Retain(t.Context(), day(2026, 1, 1, 0, 0, 0))
	require.ErrorContains(t, err, "owner")
	// Even straight SQL cannot: the app role owns nothing it could drop.
	_, err = e.db.App.Exec(t.Context(), "DROP TABLE audit_events_y2020m01")
	require.ErrorContains(t, err, "must be owner")
	require.Equal(t, 5, count(t, e.db.App, "SELECT count(*) FROM audit_events"))
}

// Retention never destroys the evidence of tampering: it verifies what it is
// about to drop, and drops nothing when that fails.
func TestRetainRefusesATamperedChain(t *testing.T) {
	e := retentionEnv(t)
	tamper(t, e.db, "UPDATE audit_events SET client_id = 'evil' WHERE seq = 1")
	m := postgres.NewMaintainer(e.db.Owner, e.key, nil)
	rep, err := m.Retain(t.Context(), day(2025, 6, 1, 0, 0, 0))
	require.ErrorIs(t, err, audit.ErrChainBroken)
	require.ErrorContains(t, err, "event 1")
	require.Empty(t, rep.Dropped)
	require.Equal(t, 5, count(t, e.db.App, "SELECT count(*) FROM audit_events"))
	require.Zero(t, count(t, e.db.App, "SELECT count(*) FROM audit_checkpoints WHERE kind = 'retention'"))
}

// Partitions retention drops hold a prefix of the chain, so the retained
// part keeps verifying through several runs, and the dropped months' data is
// gone for good.
func TestRetainRepeatedly(t *testing.T) {
	e := retentionEnv(t)
	m := postgres.NewMaintainer(e.db.Owner, e.key, nil)
	var anchors []int64
	for _, now := range []time.Time{day(2025, 2, 15, 0, 0, 0), day(2025, 3, 15, 0, 0, 0), day(2025, 4, 15, 0, 0, 0)} {
		e.clock.Set(now)
		rep, err := m.Retain(t.Context(), now)
		require.NoError(t, err)
		require.NotNil(t, rep.Anchor)
		anchors = append(anchors, rep.Anchor.Seq)
		e.requireIntact(t)
	}
	require.Equal(t, []int64{2, 3, 4}, anchors)
	parts := e.partitions(t)
	require.False(t, slices.ContainsFunc(parts, func(p string) bool { return p < "audit_events_y2020m04" }), parts)
	require.Equal(t, 1+3, count(t, e.db.App, "SELECT count(*) FROM audit_events"), "the 2025 event and three retention events")
}

func (e *env) partitions(t *testing.T) []string {
	t.Helper()
	rows, err := e.db.Owner.Query(t.Context(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		out = append(out, n)
	}
	return out
}
