package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
)

// base is a fixed moment with microsecond precision (what PostgreSQL keeps).
var base = time.Date(2026, 11, 23, 8, 30, 0, 123456000, time.UTC)

var citizen = consent.Actor{Kind: audit.Citizen, ID: "acc-1"}

func grant(account, client string, at time.Time, scopes, claims []string, purpose string) consent.Change {
	return consent.Change{
		Kind: consent.Granted, AccountID: account, ClientID: client, At: at,
		By:     consent.Actor{Kind: audit.Citizen, ID: account},
		Scopes: scopes, Claims: claims, PurposeVersion: purpose, ExpiresAt: at.Add(365 * 24 * time.Hour),
	}
}

func revoke(account, client string, at time.Time, by consent.Actor) consent.Change {
	return consent.Change{Kind: consent.Revoked, AccountID: account, ClientID: client, At: at, By: by}
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) consent.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := grant("acc-1", "dvc", base, []string{"openid", "profile"}, []string{"name", "birthdate"}, "3")
		c.Declined = []string{"nationality"}
		g, err := s.Append(t.Context(), c)
		require.NoError(t, err)
		require.Positive(t, g.Seq)

		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, g, cur)
		require.Equal(t, consent.Grant{
			AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile"},
			Claims: []string{"name", "birthdate"}, Declined: []string{"nationality"}, PurposeVersion: "3",
			GrantedAt: base, ExpiresAt: base.Add(365 * 24 * time.Hour), Seq: g.Seq,
		}, cur)
		require.Equal(t, consent.StatusActive, cur.Status(base.Add(time.Hour)))

		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Len(t, hist, 1)
		c.Seq = g.Seq
		require.Equal(t, c, hist[0])
	})

	t.Run("EmptyListsRoundTrip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Append(t.Context(), grant("acc-1", "dvc", base, []string{"openid"}, nil, ""))
		require.NoError(t, err)
		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Empty(t, cur.Claims)
		require.Empty(t, cur.Declined)
		require.Equal(t, []string{"openid"}, cur.Scopes)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Append(t.Context(), grant("acc-2", "dvc", base, []string{"openid"}, nil, "1"))
		require.NoError(t, err)
		cases := []struct {
			name string
			call func() error
		}{
			{"Current", func() error { _, err := s.Current(t.Context(), "acc-1", "dvc"); return err }},
			{"CurrentOtherClient", func() error { _, err := s.Current(t.Context(), "acc-2", "bank"); return err }},
			{"AsOf", func() error { _, err := s.AsOf(t.Context(), "acc-1", "dvc", base); return err }},
			{"AsOfBeforeGrant", func() error {
				_, err := s.AsOf(t.Context(), "acc-2", "dvc", base.Add(-time.Microsecond))
				return err
			}},
			{"TouchLastUsed", func() error { return s.TouchLastUsed(t.Context(), "acc-1", "dvc", base) }},
			{"RevokeWithoutGrant", func() error {
				_, err := s.Append(t.Context(), revoke("acc-1", "dvc", base, citizen))
				return err
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.ErrorIs(t, tc.call(), consent.ErrNotFound)
			})
		}
		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Empty(t, hist)
		list, err := s.ListForAccount(t.Context(), "acc-1")
		require.NoError(t, err)
		require.Empty(t, list)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		noExpiry := grant("acc-1", "dvc", base, []string{"openid"}, nil, "1")
		noExpiry.ExpiresAt = time.Time{}
		noAt := grant("acc-1", "dvc", time.Time{}, []string{"openid"}, nil, "1")
		noAt.ExpiresAt = base
		noActor := grant("acc-1", "dvc", base, []string{"openid"}, nil, "1")
		noActor.By = consent.Actor{}
		badKind := grant("acc-1", "dvc", base, []string{"openid"}, nil, "1")
		badKind.Kind = "borrowed"
		cases := []struct {
			name string
			c    consent.Change
		}{
			{"NoAccount", grant("", "dvc", base, []string{"openid"}, nil, "1")},
			{"NoClient", grant("acc-1", "", base, []string{"openid"}, nil, "1")},
			{"NoExpiry", noExpiry},
			{"NoTime", noAt},
			{"NoActor", noActor},
			{"BadKind", badKind},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Append(t.Context(), tc.c)
				require.ErrorIs(t, err, consent.ErrInvalid)
			})
		}
		_, err := s.Current(t.Context(), "acc-1", "dvc")
		require.ErrorIs(t, err, consent.ErrNotFound)
	})

	t.Run("RevokeAndRegrant", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Append(t.Context(), grant("acc-1", "dvc", base, []string{"openid"}, []string{"name"}, "1"))
		require.NoError(t, err)
		officer := consent.Actor{Kind: audit.Officer, ID: "officer-7"}
		g, err := s.Append(t.Context(), revoke("acc-1", "dvc", base.Add(time.Minute), officer))
		require.NoError(t, err)
		require.Equal(t, base.Add(time.Minute), g.RevokedAt)
		require.Equal(t, officer, g.RevokedBy)
		require.Equal(t, consent.StatusRevoked, g.Status(base.Add(time.Hour)))

		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, g, cur)
		require.Equal(t, []string{"name"}, cur.Claims, "a revoked grant still says what it covered")

		_, err = s.Append(t.Context(), revoke("acc-1", "dvc", base.Add(2*time.Minute), citizen))
		require.ErrorIs(t, err, consent.ErrRevoked)

		g2, err := s.Append(t.Context(), grant("acc-1", "dvc", base.Add(3*time.Minute), []string{"openid", "phone"}, []string{"phone_number"}, "2"))
		require.NoError(t, err)
		require.True(t, g2.RevokedAt.IsZero())
		require.Equal(t, consent.Actor{}, g2.RevokedBy)
		cur, err = s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, g2, cur)

		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Len(t, hist, 3)
		require.Equal(t, []consent.Kind{consent.Granted, consent.Revoked, consent.Granted}, kinds(hist))
		require.Equal(t, officer, hist[1].By)
	})

	t.Run("AsOf", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		t1, t2, t3 := base, base.Add(24*time.Hour), base.Add(48*time.Hour)
		_, err := s.Append(t.Context(), grant("acc-1", "dvc", t1, []string{"openid", "profile"}, []string{"name"}, "1"))
		require.NoError(t, err)
		_, err = s.Append(t.Context(), revoke("acc-1", "dvc", t2, citizen))
		require.NoError(t, err)
		_, err = s.Append(t.Context(), grant("acc-1", "dvc", t3, []string{"openid", "phone"}, []string{"phone_number"}, "2"))
		require.NoError(t, err)
		// Another client and another citizen must not leak in.
		_, err = s.Append(t.Context(), grant("acc-1", "bank", t1.Add(time.Hour), []string{"openid"}, nil, "9"))
		require.NoError(t, err)
		_, err = s.Append(t.Context(), grant("acc-2", "dvc", t2.Add(time.Hour), []string{"openid"}, nil, "9"))
		require.NoError(t, err)

		cases := []struct {
			name        string
			at          time.Time
			wantScopes  []string
			wantPurpose string
			wantStatus  consent.Status
		}{
			{"AtFirstGrant", t1, []string{"openid", "profile"}, "1", consent.StatusActive},
			{"JustBeforeRevocation", t2.Add(-time.Microsecond), []string{"openid", "profile"}, "1", consent.StatusActive},
			{"AtRevocation", t2, []string{"openid", "profile"}, "1", consent.StatusRevoked},
			{"BetweenRevocationAndRegrant", t2.Add(time.Hour), []string{"openid", "profile"}, "1", consent.StatusRevoked},
			{"AtRegrant", t3, []string{"openid", "phone"}, "2", consent.StatusActive},
			{"FarFuture", t3.Add(10 * 365 * 24 * time.Hour), []string{"openid", "phone"}, "2", consent.StatusExpired},
			{"InOtherZone", t2.Add(-time.Hour).In(time.FixedZone("ICT", 7*3600)), []string{"openid", "profile"}, "1", consent.StatusActive},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				g, err := s.AsOf(t.Context(), "acc-1", "dvc", tc.at)
				require.NoError(t, err)
				require.Equal(t, tc.wantScopes, g.Scopes)
				require.Equal(t, tc.wantPurpose, g.PurposeVersion)
				require.Equal(t, tc.wantStatus, g.Status(tc.at))
				require.Equal(t, "dvc", g.ClientID)
			})
		}
		_, err = s.AsOf(t.Context(), "acc-1", "dvc", t1.Add(-time.Second))
		require.ErrorIs(t, err, consent.ErrNotFound)
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		c := grant("acc-1", "dvc", base, []string{"openid"}, nil, "1")
		c.ExpiresAt = base.Add(time.Hour)
		_, err := s.Append(t.Context(), c)
		require.NoError(t, err)
		g, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, base.Add(time.Hour), g.ExpiresAt)
		require.Equal(t, consent.StatusActive, g.Status(base.Add(time.Hour-time.Microsecond)))
		require.Equal(t, consent.StatusExpired, g.Status(base.Add(time.Hour)))
		// An expired consent can still be revoked (its tokens may live on).
		_, err = s.Append(t.Context(), revoke("acc-1", "dvc", base.Add(2*time.Hour), citizen))
		require.NoError(t, err)
	})

	t.Run("UTC", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		hcm := time.FixedZone("Asia/Ho_Chi_Minh", 7*3600)
		local := base.In(hcm)
		c := grant("acc-1", "dvc", local, []string{"openid"}, nil, "1")
		c.ExpiresAt = local.Add(time.Hour)
		_, err := s.Append(t.Context(), c)
		require.NoError(t, err)
		require.NoError(t, s.TouchLastUsed(t.Context(), "acc-1", "dvc", local.Add(time.Minute)))
		_, err = s.Append(t.Context(), revoke("acc-1", "dvc", local.Add(2*time.Minute), citizen))
		require.NoError(t, err)
		g, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		for name, tm := range map[string]time.Time{"granted": g.GrantedAt, "expires": g.ExpiresAt, "revoked": g.RevokedAt, "last_used": g.LastUsedAt} {
			require.Equal(t, time.UTC, tm.Location(), name)
		}
		require.True(t, g.GrantedAt.Equal(local))
		require.Equal(t, base, g.GrantedAt)
		require.Equal(t, base.Add(time.Minute), g.LastUsedAt)
		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		for _, h := range hist {
			require.Equal(t, time.UTC, h.At.Location())
		}
		require.Equal(t, time.UTC, hist[0].ExpiresAt.Location())
		list, err := s.ListForAccount(t.Context(), "acc-1")
		require.NoError(t, err)
		require.Equal(t, time.UTC, list[0].GrantedAt.Location())
	})

	t.Run("SubMicrosecondTruncated", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		at := base.Add(789 * time.Nanosecond)
		g, err := s.Append(t.Context(), grant("acc-1", "dvc", at, []string{"openid"}, nil, "1"))
		require.NoError(t, err)
		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, g, cur, "the returned state is what was stored")
	})

	t.Run("TimeNeverGoesBack", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Append(t.Context(), grant("acc-1", "dvc", base, []string{"openid"}, nil, "1"))
		require.NoError(t, err)
		// A replica with a slow clock revokes "before" the grant.
		g, err := s.Append(t.Context(), revoke("acc-1", "dvc", base.Add(-time.Minute), citizen))
		require.NoError(t, err)
		require.Equal(t, base, g.RevokedAt)
		got, err := s.AsOf(t.Context(), "acc-1", "dvc", base)
		require.NoError(t, err)
		require.Equal(t, consent.StatusRevoked, got.Status(base))
	})

	t.Run("ListForAccount", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i, client := range []string{"a-portal", "b-bank", "c-tax"} {
			_, err := s.Append(t.Context(), grant("acc-1", client, base.Add(time.Duration(i)*time.Hour), []string{"openid"}, nil, "1"))
			require.NoError(t, err)
		}
		_, err := s.Append(t.Context(), grant("acc-2", "a-portal", base, []string{"openid"}, nil, "1"))
		require.NoError(t, err)
		_, err = s.Append(t.Context(), revoke("acc-1", "b-bank", base.Add(5*time.Hour), citizen))
		require.NoError(t, err)

		list, err := s.ListForAccount(t.Context(), "acc-1")
		require.NoError(t, err)
		require.Len(t, list, 3)
		var clients []string
		for _, g := range list {
			require.Equal(t, "acc-1", g.AccountID)
			clients = append(clients, g.ClientID)
		}
		require.Equal(t, []string{"c-tax", "b-bank", "a-portal"}, clients, "most recently granted first")
		require.Equal(t, consent.StatusRevoked, list[1].Status(base.Add(6*time.Hour)))
	})

	t.Run("TouchLastUsed", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Append(t.Context(), grant("acc-1", "dvc", base, []string{"openid"}, nil, "1"))
		require.NoError(t, err)
		require.NoError(t, s.TouchLastUsed(t.Context(), "acc-1", "dvc", base.Add(2*time.Hour)))
		require.NoError(t, s.TouchLastUsed(t.Context(), "acc-1", "dvc", base.Add(time.Hour)), "an older mark is ignored")
		g, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, base.Add(2*time.Hour), g.LastUsedAt)

		// The mark is not history: it survives a new grant and adds no change.
		_, err = s.Append(t.Context(), grant("acc-1", "dvc", base.Add(3*time.Hour), []string{"openid", "email"}, []string{"email"}, "1"))
		require.NoError(t, err)
		g, err = s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, base.Add(2*time.Hour), g.LastUsedAt)
		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Len(t, hist, 2)
	})

	t.Run("UpdateSeesCurrentAndCanAbort", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		g, err := s.Update(t.Context(), "acc-1", "dvc", func(cur consent.Grant, found bool) (consent.Change, error) {
			require.False(t, found)
			return grant("acc-1", "dvc", base, []string{"openid"}, nil, "1"), nil
		})
		require.NoError(t, err)
		abort := errors.New("audit sink down")
		_, err = s.Update(t.Context(), "acc-1", "dvc", func(cur consent.Grant, found bool) (consent.Change, error) {
			require.True(t, found)
			require.Equal(t, g, cur)
			return revoke("acc-1", "dvc", base.Add(time.Minute), citizen), abort
		})
		require.ErrorIs(t, err, abort)
		_, err = s.Update(t.Context(), "acc-1", "dvc", func(consent.Grant, bool) (consent.Change, error) {
			return revoke("acc-2", "dvc", base.Add(time.Minute), citizen), nil
		})
		require.ErrorIs(t, err, consent.ErrInvalid, "a change for another pair")
		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, g, cur, "nothing appended")
	})

	t.Run("ConcurrentGrantAndRevoke", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const workers = 24
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			appended int
		)
		for i := range workers {
			wg.Go(func() {
				for j := range 4 {
					at := base.Add(time.Duration(i*10+j) * time.Second)
					var c consent.Change
					if (i+j)%2 == 0 {
						c = grant("acc-1", "dvc", at, []string{"openid"}, []string{fmt.Sprintf("claim-%d-%d", i, j)}, "1")
					} else {
						c = revoke("acc-1", "dvc", at, citizen)
					}
					_, err := s.Append(t.Context(), c)
					if err != nil && !errors.Is(err, consent.ErrRevoked) && !errors.Is(err, consent.ErrNotFound) {
						t.Errorf("append: %v", err)
						return
					}
					if err == nil {
						mu.Lock()
						appended++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()

		hist, err := s.History(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Len(t, hist, appended, "every acknowledged change is in the history")
		require.NotEmpty(t, hist)
		require.Equal(t, consent.Granted, hist[0].Kind)
		var folded consent.Grant
		for i, c := range hist {
			if i > 0 {
				require.Greater(t, c.Seq, hist[i-1].Seq)
				require.False(t, c.At.Before(hist[i-1].At), "history ordered in time")
				require.False(t, c.Kind == consent.Revoked && hist[i-1].Kind == consent.Revoked, "no revocation of a revoked consent")
			}
			folded = folded.Apply(c)
		}
		cur, err := s.Current(t.Context(), "acc-1", "dvc")
		require.NoError(t, err)
		require.Equal(t, folded, cur, "the current state is the fold of the history")
	})

	t.Run("ConcurrentPairsIndependent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				acc := fmt.Sprintf("acc-%d", i)
				for j := range 3 {
					if _, err := s.Append(t.Context(), grant(acc, "dvc", base.Add(time.Duration(2*j)*time.Second), []string{"openid"}, nil, "1")); err != nil {
						t.Errorf("grant: %v", err)
					}
					if _, err := s.Append(t.Context(), revoke(acc, "dvc", base.Add(time.Duration(2*j+1)*time.Second), citizen)); err != nil {
						t.Errorf("revoke: %v", err)
					}
				}
			})
		}
		wg.Wait()
		for i := range 16 {
			hist, err := s.History(t.Context(), fmt.Sprintf("acc-%d", i), "dvc")
			require.NoError(t, err)
			require.Len(t, hist, 6)
		}
	})
}

func kinds(cs []consent.Change) []consent.Kind {
	out := make([]consent.Kind, len(cs))
	for i, c := range cs {
		out[i] = c.Kind
	}
	return out
}
