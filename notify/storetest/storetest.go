// Package storetest is the conformance suite of notify.Store: every
// implementation runs it (notify/postgres against real PostgreSQL).
package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/notify"
)

// t0 is a fixed instant with a time zone other than UTC, so a store that
// keeps local times shows.
var t0 = time.Date(2026, 12, 5, 16, 0, 0, 123456000, time.FixedZone("ICT", 7*3600))

// Pending returns a valid pending notification created (and due) at at.
func Pending(accountID string, at time.Time) notify.Notification {
	return notify.Notification{
		ID: uuid.NewString(), AccountID: accountID, Channel: notify.SMS, Address: "+84901000002",
		Kind: notify.EnrolmentResult, Lang: notify.VI, Params: map[string]string{"level": "2", "approved": "true"},
		State: notify.Pending, CreatedAt: at, NextAttemptAt: at,
	}
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) notify.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		acc := uuid.NewString()
		n := Pending(acc, t0)
		require.NoError(t, s.Enqueue(t.Context(), n))
		got, err := s.Get(t.Context(), n.ID)
		require.NoError(t, err)
		require.Equal(t, n.ID, got.ID)
		require.Equal(t, acc, got.AccountID)
		require.Equal(t, notify.Pending, got.State)
		require.Equal(t, n.Params, got.Params)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
		require.True(t, got.CreatedAt.Equal(t0), "%v", got.CreatedAt)
		require.Zero(t, got.Attempts)

		// No account: a refused registration to an e-mail address.
		e := Pending("", t0)
		e.Channel, e.Address, e.Kind, e.Lang, e.Params = notify.Email, "cong.dan@example.vn", notify.RegistrationResult, notify.EN, map[string]string{"approved": "false"}
		require.NoError(t, s.Enqueue(t.Context(), e))
		got, err = s.Get(t.Context(), e.ID)
		require.NoError(t, err)
		require.Empty(t, got.AccountID)
		require.Equal(t, notify.Email, got.Channel)
		require.Equal(t, notify.EN, got.Lang)

		list, err := s.ListForAccount(t.Context(), acc)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
	t.Run("NotFoundAndAlreadyExists", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(t.Context(), uuid.NewString())
		require.ErrorIs(t, err, notify.ErrNotFound)
		_, err = s.Get(t.Context(), "not-an-id")
		require.ErrorIs(t, err, notify.ErrNotFound)
		require.ErrorIs(t, s.Record(t.Context(), uuid.NewString(), notify.Outcome{SentAt: t0}), notify.ErrNotFound)
		n := Pending("", t0)
		require.NoError(t, s.Enqueue(t.Context(), n))
		require.ErrorIs(t, s.Enqueue(t.Context(), n), notify.ErrAlreadyExists)
	})
	t.Run("RefusesKindsOffTheAllowList", func(t *testing.T) {
		s := newStore(t)
		n := Pending("", t0)
		n.Kind, n.Params = "otp", map[string]string{"code": "123456"}
		require.ErrorIs(t, s.Enqueue(t.Context(), n), notify.ErrKindNotAllowed)
	})
	t.Run("ClaimLeasesDueRows", func(t *testing.T) {
		s := newStore(t)
		due, later := Pending("", t0), Pending("", t0.Add(time.Hour))
		require.NoError(t, s.Enqueue(t.Context(), due))
		require.NoError(t, s.Enqueue(t.Context(), later))
		got, err := s.Claim(t.Context(), t0, 10, t0.Add(time.Minute))
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, due.ID, got[0].ID)
		require.Equal(t, 1, got[0].Attempts)
		require.True(t, got[0].NextAttemptAt.Equal(t0.Add(time.Minute)))
		// Leased: not claimed again before the lease ends, claimed after it
		// (a worker that died mid-attempt).
		got, err = s.Claim(t.Context(), t0.Add(30*time.Second), 10, t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.Empty(t, got)
		got, err = s.Claim(t.Context(), t0.Add(90*time.Second), 10, t0.Add(3*time.Minute))
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 2, got[0].Attempts)
	})
	t.Run("RecordOutcomes", func(t *testing.T) {
		s := newStore(t)
		a, b, c := Pending("", t0), Pending("", t0), Pending("", t0)
		for _, n := range []notify.Notification{a, b, c} {
			require.NoError(t, s.Enqueue(t.Context(), n))
		}
		_, err := s.Claim(t.Context(), t0, 10, t0.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, s.Record(t.Context(), a.ID, notify.Outcome{SentAt: t0.Add(time.Second)}))
		require.NoError(t, s.Record(t.Context(), b.ID, notify.Outcome{Error: "gateway down", NextAttemptAt: t0.Add(30 * time.Second)}))
		require.NoError(t, s.Record(t.Context(), c.ID, notify.Outcome{Error: "refused", FailedAt: t0.Add(time.Second)}))

		got, err := s.Get(t.Context(), a.ID)
		require.NoError(t, err)
		require.Equal(t, notify.Sent, got.State)
		require.True(t, got.SentAt.Equal(t0.Add(time.Second)))
		got, err = s.Get(t.Context(), b.ID)
		require.NoError(t, err)
		require.Equal(t, notify.Pending, got.State)
		require.Equal(t, "gateway down", got.LastError)
		require.True(t, got.NextAttemptAt.Equal(t0.Add(30*time.Second)))
		got, err = s.Get(t.Context(), c.ID)
		require.NoError(t, err)
		require.Equal(t, notify.Failed, got.State)
		require.Equal(t, "refused", got.LastError)

		// Sent and failed are final: never claimed, never recorded again.
		claimed, err := s.Claim(t.Context(), t0.Add(24*time.Hour), 10, t0.Add(25*time.Hour))
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		require.Equal(t, b.ID, claimed[0].ID)
		require.ErrorIs(t, s.Record(t.Context(), a.ID, notify.Outcome{SentAt: t0}), notify.ErrNotFound)
	})
	t.Run("PurgeKeepsPending", func(t *testing.T) {
		s := newStore(t)
		sent, failed, pending, recent := Pending("", t0), Pending("", t0), Pending("", t0), Pending("", t0)
		for _, n := range []notify.Notification{sent, failed, pending, recent} {
			require.NoError(t, s.Enqueue(t.Context(), n))
		}
		_, err := s.Claim(t.Context(), t0, 10, t0.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, s.Record(t.Context(), sent.ID, notify.Outcome{SentAt: t0}))
		require.NoError(t, s.Record(t.Context(), failed.ID, notify.Outcome{Error: "x", FailedAt: t0}))
		require.NoError(t, s.Record(t.Context(), recent.ID, notify.Outcome{SentAt: t0.Add(48 * time.Hour)}))
		require.NoError(t, s.Record(t.Context(), pending.ID, notify.Outcome{Error: "x", NextAttemptAt: t0}))
		n, err := s.Purge(t.Context(), t0.Add(24*time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		for id, kept := range map[string]bool{sent.ID: false, failed.ID: false, pending.ID: true, recent.ID: true} {
			_, err := s.Get(t.Context(), id)
			if kept {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, notify.ErrNotFound)
			}
		}
	})
	t.Run("ConcurrentClaimsAreDisjoint", func(t *testing.T) {
		s := newStore(t)
		const total = 60
		for range total {
			require.NoError(t, s.Enqueue(t.Context(), Pending("", t0)))
		}
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for {
					got, err := s.Claim(t.Context(), t0, 3, t0.Add(time.Hour))
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, n := range got {
						seen[n.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, seen, total)
		for id, k := range seen {
			require.Equal(t, 1, k, id)
		}
	})
}
