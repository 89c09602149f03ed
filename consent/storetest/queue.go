package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
)

func delivery(id, account string, due time.Time) backchannel.Delivery {
	return backchannel.Delivery{
		ID: id, ClientID: "dvc", AccountID: account, SID: "sid-1", Reason: consent.LogoutSignedOut,
		URI: "https://rp.example.vn/backchannel", CreatedAt: due, NextAttemptAt: due,
	}
}

// RunQueue runs the suite every backchannel.Queue must pass; newQueue
// returns an empty queue for each subtest.
func RunQueue(t *testing.T, newQueue func(t *testing.T) backchannel.Queue) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t)
		d := delivery("d1", "acc-1", base.In(time.FixedZone("ICT", 7*3600)))
		require.NoError(t, q.Enqueue(t.Context(), d))
		got, err := q.Get(t.Context(), "d1")
		require.NoError(t, err)
		d.CreatedAt, d.NextAttemptAt = base, base
		require.Equal(t, d, got)
		require.Equal(t, time.UTC, got.CreatedAt.Location())

		require.ErrorIs(t, q.Enqueue(t.Context(), d), backchannel.ErrAlreadyExists)
		_, err = q.Get(t.Context(), "nope")
		require.ErrorIs(t, err, backchannel.ErrNotFound)
		require.ErrorIs(t, q.Record(t.Context(), "nope", backchannel.Outcome{DeliveredAt: base}), backchannel.ErrNotFound)
	})

	t.Run("ClaimRetryDeliver", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t)
		require.NoError(t, q.Enqueue(t.Context(), delivery("due", "acc-1", base)))
		require.NoError(t, q.Enqueue(t.Context(), delivery("later", "acc-1", base.Add(time.Hour))))

		got, err := q.Claim(t.Context(), base, 10, base.Add(time.Minute))
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "due", got[0].ID)
		require.Equal(t, 1, got[0].Attempts)
		require.Equal(t, base, got[0].LastAttemptAt)
		require.Equal(t, base.Add(time.Minute), got[0].NextAttemptAt)

		again, err := q.Claim(t.Context(), base.Add(30*time.Second), 10, base.Add(2*time.Minute))
		require.NoError(t, err)
		require.Empty(t, again, "a claimed delivery is leased")

		require.NoError(t, q.Record(t.Context(), "due", backchannel.Outcome{Status: 503, Error: "relying party answered 503", NextAttemptAt: base.Add(5 * time.Minute)}))
		d, err := q.Get(t.Context(), "due")
		require.NoError(t, err)
		require.Equal(t, 503, d.LastStatus)
		require.Equal(t, "relying party answered 503", d.LastError)
		require.Equal(t, base.Add(5*time.Minute), d.NextAttemptAt)
		require.True(t, d.DeliveredAt.IsZero())

		got, err = q.Claim(t.Context(), base.Add(5*time.Minute), 10, base.Add(6*time.Minute))
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 2, got[0].Attempts)
		require.NoError(t, q.Record(t.Context(), "due", backchannel.Outcome{Status: 200, DeliveredAt: base.Add(5 * time.Minute)}))

		got, err = q.Claim(t.Context(), base.Add(24*time.Hour), 10, base.Add(25*time.Hour))
		require.NoError(t, err)
		require.Len(t, got, 1, "a delivered one is never claimed again")
		require.Equal(t, "later", got[0].ID)
		require.NoError(t, q.Record(t.Context(), "later", backchannel.Outcome{Error: "connection refused", GaveUpAt: base.Add(24 * time.Hour)}))
		got, err = q.Claim(t.Context(), base.Add(48*time.Hour), 10, base.Add(49*time.Hour))
		require.NoError(t, err)
		require.Empty(t, got, "a given-up one is never claimed again")

		d, err = q.Get(t.Context(), "due")
		require.NoError(t, err)
		require.Equal(t, base.Add(5*time.Minute), d.DeliveredAt)
		require.Equal(t, 200, d.LastStatus)
		d, err = q.Get(t.Context(), "later")
		require.NoError(t, err)
		require.Equal(t, base.Add(24*time.Hour), d.GaveUpAt)
	})

	t.Run("ConcurrentClaimsAreDisjoint", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t)
		const n = 40
		for i := range n {
			require.NoError(t, q.Enqueue(t.Context(), delivery(fmt.Sprintf("d%02d", i), "acc-1", base)))
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			seen = map[string]int{}
		)
		for range 8 {
			wg.Go(func() {
				for {
					got, err := q.Claim(t.Context(), base, 3, base.Add(time.Hour))
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, seen, n)
		for id, c := range seen {
			require.Equal(t, 1, c, id)
		}
	})

	t.Run("ListForAccount", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t)
		require.NoError(t, q.Enqueue(t.Context(), delivery("a", "acc-1", base)))
		require.NoError(t, q.Enqueue(t.Context(), delivery("b", "acc-1", base.Add(time.Minute))))
		require.NoError(t, q.Enqueue(t.Context(), delivery("c", "acc-2", base)))
		list, err := q.ListForAccount(t.Context(), "acc-1")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "b", list[0].ID)
		require.Equal(t, "a", list[1].ID)
	})
}
