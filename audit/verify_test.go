package audit_test

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// chainRows is a fixture: stored rows in a slice, served in sequence order
// like the database would (rows sharing a sequence number stay in slice
// order). Tests tamper with it the way an attacker would with the table.
type chainRows struct {
	entries []audit.Entry
	cps     []audit.Checkpoint
}

func (c *chainRows) Entries(_ context.Context, from, to int64) iter.Seq2[audit.Entry, error] {
	sorted := slices.Clone(c.entries)
	slices.SortStableFunc(sorted, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return func(yield func(audit.Entry, error) bool) {
		for _, e := range sorted {
			if e.Seq >= from && e.Seq <= to && !yield(e, nil) {
				return
			}
		}
	}
}

func (c *chainRows) Checkpoints(_ context.Context, from, to int64) ([]audit.Checkpoint, error) {
	var out []audit.Checkpoint
	for _, cp := range c.cps {
		if cp.Seq >= from && cp.Seq <= to {
			out = append(out, cp)
		}
	}
	slices.SortStableFunc(out, func(a, b audit.Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (c *chainRows) LastCheckpoint(_ context.Context, kind audit.CheckpointKind, atOrBefore int64) (audit.Checkpoint, error) {
	var best *audit.Checkpoint
	for i, cp := range c.cps {
		if (kind == "" || cp.Kind == kind) && cp.Seq <= atOrBefore && (best == nil || cp.Seq > best.Seq) {
			best = &c.cps[i]
		}
	}
	if best == nil {
		return audit.Checkpoint{}, audit.ErrNotFound
	}
	return *best, nil
}

func (c *chainRows) index(seq int64) int {
	for i, e := range c.entries {
		if e.Seq == seq {
			return i
		}
	}
	panic(fmt.Sprintf("no event %d", seq))
}

func (c *chainRows) remove(seq int64) {
	i := c.index(seq)
	c.entries = slices.Delete(c.entries, i, i+1)
}

func (c *chainRows) renumberFrom(seq, by int64) {
	for i := range c.entries {
		if c.entries[i].Seq >= seq {
			c.entries[i].Seq += by
		}
	}
}

// recomputeFrom rewrites every hash from seq on, as an attacker who knows
// the algorithm (but not the key) would.
func (c *chainRows) recomputeFrom(seq int64) {
	prev := c.entries[c.index(seq-1)].Hash
	for i := c.index(seq); i < len(c.entries); i++ {
		c.entries[i].Hash = audit.ComputeHash(prev, c.entries[i])
		prev = c.entries[i].Hash
	}
}

func event(i int) audit.Event {
	return audit.Event{
		Time: t0.Add(time.Duration(i) * time.Minute), Type: audit.SignInSucceeded, ActorKind: audit.Citizen,
		AccountID: fmt.Sprintf("acc-%d", i%3), ClientID: "portal", Outcome: audit.Success,
		RequestID: fmt.Sprintf("req-%d", i),
	}
}

// fixture chains n events and seals checkpoints at the given sequence numbers.
func fixture(t *testing.T, key *audit.Key, n int, sealAt ...int64) *chainRows {
	t.Helper()
	c := &chainRows{}
	head := audit.Genesis
	for i := 1; i <= n; i++ {
		e := audit.Chain(head, t0.Add(time.Duration(i)*time.Minute), event(i))[0]
		c.entries = append(c.entries, e)
		head = e.Head()
		if slices.Contains(sealAt, e.Seq) {
			cp, err := key.Sign(audit.PeriodicCheckpoint, head, e.LoggedAt)
			require.NoError(t, err)
			c.cps = append(c.cps, cp)
		}
	}
	return c
}

func TestVerifyNamesTheFirstTamperedEvent(t *testing.T) {
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	stranger, err := audit.GenerateKey()
	require.NoError(t, err)
	forgedEvent := audit.Event{Time: t0, Type: audit.ConsentGranted, AccountID: "acc-1", ClientID: "evil", Outcome: audit.Success}

	cases := []struct {
		name   string
		tamper func(c *chainRows)
		kind   audit.ProblemKind
		seq    int64
		entry  string // request id of the row named, when one is
	}{
		{name: "intact"},
		{name: "content edited", kind: audit.Modified, seq: 7, entry: "req-7", tamper: func(c *chainRows) {
			c.entries[c.index(7)].ClientID = "other"
		}},
		{name: "stored hash edited", kind: audit.Modified, seq: 7, entry: "req-7", tamper: func(c *chainRows) {
			c.entries[c.index(7)].Hash[0]++
		}},
		{name: "first event edited", kind: audit.Modified, seq: 1, entry: "req-1", tamper: func(c *chainRows) {
			c.entries[c.index(1)].Outcome = audit.Failure
		}},
		{name: "last event edited", kind: audit.Modified, seq: 20, entry: "req-20", tamper: func(c *chainRows) {
			c.entries[c.index(20)].IP = "198.51.100.1"
		}},
		{name: "deleted", kind: audit.Deleted, seq: 7, tamper: func(c *chainRows) { c.remove(7) }},
		{name: "first deleted", kind: audit.Deleted, seq: 1, tamper: func(c *chainRows) { c.remove(1) }},
		{name: "deleted, later renumbered", kind: audit.Deleted, seq: 7, tamper: func(c *chainRows) {
			c.remove(7)
			c.renumberFrom(8, -1)
		}},
		{name: "two deleted, later renumbered", kind: audit.Deleted, seq: 7, tamper: func(c *chainRows) {
			c.remove(7)
			c.remove(8)
			c.renumberFrom(9, -2)
		}},
		{name: "end cut off before a checkpoint", kind: audit.Deleted, seq: 16, tamper: func(c *chainRows) {
			for s := int64(16); s <= 20; s++ {
				c.remove(s)
			}
		}},
		{name: "inserted with a duplicate number", kind: audit.Inserted, seq: 7, entry: "forged", tamper: func(c *chainRows) {
			f := audit.Entry{Seq: 7, LoggedAt: t0, Event: forgedEvent, Hash: audit.Hash{9}}
			f.RequestID = "forged"
			c.entries = append(c.entries, f)
		}},
		{name: "inserted with a duplicate number and a valid hash", kind: audit.Inserted, seq: 7, entry: "forged", tamper: func(c *chainRows) {
			f := audit.Entry{Seq: 7, LoggedAt: t0, Event: forgedEvent}
			f.RequestID = "forged"
			f.Hash = audit.ComputeHash(c.entries[c.index(6)].Hash, f)
			c.entries = slices.Insert(c.entries, c.index(7), f)
		}},
		{name: "inserted, later renumbered", kind: audit.Inserted, seq: 7, entry: "forged", tamper: func(c *chainRows) {
			c.renumberFrom(7, 1)
			f := audit.Entry{Seq: 7, LoggedAt: t0, Event: forgedEvent, Hash: audit.Hash{9}}
			f.RequestID = "forged"
			c.entries = append(c.entries, f)
		}},
		{name: "inserted with a valid hash, later renumbered", kind: audit.Inserted, seq: 7, entry: "forged", tamper: func(c *chainRows) {
			prev := c.entries[c.index(6)].Hash
			c.renumberFrom(7, 1)
			f := audit.Entry{Seq: 7, LoggedAt: t0, Event: forgedEvent}
			f.RequestID = "forged"
			f.Hash = audit.ComputeHash(prev, f)
			c.entries = append(c.entries, f)
		}},
		{name: "two swapped", kind: audit.Reordered, seq: 7, tamper: func(c *chainRows) {
			a, b := c.index(7), c.index(8)
			c.entries[a].Seq, c.entries[b].Seq = 8, 7
		}},
		{name: "contents of two exchanged", kind: audit.Reordered, seq: 7, tamper: func(c *chainRows) {
			a, b := c.index(7), c.index(8)
			c.entries[a].Event, c.entries[b].Event = c.entries[b].Event, c.entries[a].Event
		}},
		{name: "moved", kind: audit.Reordered, seq: 7, tamper: func(c *chainRows) {
			a, b := c.index(7), c.index(12)
			c.entries[a].Seq, c.entries[b].Seq = 12, 7
		}},
		{name: "rewritten with recomputed hashes", kind: audit.Rewritten, seq: 6, tamper: func(c *chainRows) {
			c.entries[c.index(7)].ClientID = "other"
			c.recomputeFrom(7)
		}},
		{name: "forged checkpoint", kind: audit.BadCheckpoint, seq: 10, tamper: func(c *chainRows) {
			for i, cp := range c.cps {
				if cp.Seq == 10 {
					c.cps[i], _ = stranger.Sign(audit.PeriodicCheckpoint, cp.Head(), cp.SignedAt)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture(t, key, 20, 5, 10, 20)
			if tc.tamper != nil {
				tc.tamper(c)
			}
			rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: audit.NewKeySet(key.Public())})
			require.NoError(t, err)
			if tc.kind == "" {
				require.True(t, rep.OK(), rep.String())
				require.Equal(t, int64(20), rep.Events)
				require.Equal(t, 3, rep.Checkpoints)
				require.Equal(t, int64(20), rep.Head.Seq)
				return
			}
			require.False(t, rep.OK(), "tampering went unnoticed")
			require.Equal(t, tc.kind, rep.Problem.Kind, rep.String())
			require.Equal(t, tc.seq, rep.Problem.Seq, rep.String())
			if tc.entry != "" {
				require.NotNil(t, rep.Problem.Entry)
				require.Equal(t, tc.entry, rep.Problem.Entry.RequestID, rep.String())
			}
			require.Contains(t, rep.String(), fmt.Sprintf("event %d", tc.seq))
		})
	}
}

func TestVerifyWithExportedCheckpoints(t *testing.T) {
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	keys := audit.NewKeySet(key.Public())
	c := fixture(t, key, 20, 10, 20)
	exported := slices.Clone(c.cps)

	// A superuser rewrites event 12, recomputes every later hash and deletes
	// the stored checkpoints: the database alone no longer shows it.
	c.entries[c.index(12)].Outcome = audit.Failure
	c.recomputeFrom(12)
	c.cps = nil
	rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys})
	require.NoError(t, err)
	require.True(t, rep.OK())

	rep, err = audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys, External: exported})
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Equal(t, audit.Rewritten, rep.Problem.Kind)
	require.Equal(t, int64(11), rep.Problem.Seq, "the first event after the last checkpoint that still matched")
}

func TestVerifyRanges(t *testing.T) {
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	keys := audit.NewKeySet(key.Public())

	t.Run("from starts at the last checkpoint before it", func(t *testing.T) {
		c := fixture(t, key, 20, 5, 10, 15)
		rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys, From: 12, To: 18})
		require.NoError(t, err)
		require.True(t, rep.OK(), rep.String())
		require.Equal(t, "checkpoint", rep.StartedFrom)
		require.Equal(t, int64(10), rep.Start.Seq)
		require.Equal(t, int64(11), rep.From)
		require.Equal(t, int64(18), rep.To)
		require.Equal(t, int64(8), rep.Events)
		require.Equal(t, 1, rep.Checkpoints)
	})
	t.Run("tampering before the range's checkpoint is out of scope", func(t *testing.T) {
		c := fixture(t, key, 20, 10)
		c.entries[c.index(3)].ClientID = "x"
		rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys, From: 11})
		require.NoError(t, err)
		require.True(t, rep.OK())
		rep, err = audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys})
		require.NoError(t, err)
		require.Equal(t, int64(3), rep.Problem.Seq)
	})
	t.Run("retention anchor", func(t *testing.T) {
		c := fixture(t, key, 20)
		anchor, err := key.Sign(audit.RetentionAnchor, c.entries[c.index(8)].Head(), t0)
		require.NoError(t, err)
		for s := int64(1); s <= 8; s++ {
			c.remove(s)
		}
		rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys})
		require.NoError(t, err)
		require.Equal(t, audit.Deleted, rep.Problem.Kind, "without the anchor, dropped events are deletions")
		require.Equal(t, int64(1), rep.Problem.Seq)

		c.cps = append(c.cps, anchor)
		rep, err = audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys})
		require.NoError(t, err)
		require.True(t, rep.OK(), rep.String())
		require.Equal(t, "retention anchor", rep.StartedFrom)
		require.Equal(t, int64(9), rep.From)
		require.Equal(t, int64(12), rep.Events)

		// An anchor kept by a third party serves as well.
		rep, err = audit.Verify(t.Context(), &chainRows{entries: c.entries}, audit.VerifyOptions{Keys: keys, External: []audit.Checkpoint{anchor}})
		require.NoError(t, err)
		require.True(t, rep.OK(), rep.String())
	})
	t.Run("forged retention anchor", func(t *testing.T) {
		stranger, err := audit.GenerateKey()
		require.NoError(t, err)
		c := fixture(t, key, 20)
		anchor, err := stranger.Sign(audit.RetentionAnchor, c.entries[c.index(8)].Head(), t0)
		require.NoError(t, err)
		c.cps = append(c.cps, anchor)
		for s := int64(1); s <= 8; s++ {
			c.remove(s)
		}
		rep, err := audit.Verify(t.Context(), c, audit.VerifyOptions{Keys: keys})
		require.NoError(t, err)
		require.Equal(t, audit.BadCheckpoint, rep.Problem.Kind)
		require.Contains(t, rep.Problem.Message, "unknown key")
	})
	t.Run("empty chain", func(t *testing.T) {
		rep, err := audit.Verify(t.Context(), &chainRows{}, audit.VerifyOptions{Keys: keys, To: math.MaxInt64})
		require.NoError(t, err)
		require.True(t, rep.OK())
		require.Zero(t, rep.Events)
	})
}
