// Package storetest is the conformance suite of guardianship stores: Run
// for every guardianship.Store (round trips, sentinel errors, UTC
// handling, replacement in place, due ends, a record's end carried to its
// dependents, concurrent first registrations). Each backend's tests call it
// with a fresh store per subtest.
package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/guardianship"
)

// People are the personal id numbers the suite uses; newStore's store must
// accept them as known people (the PostgreSQL store's foreign keys to the
// population registry).
var People = []string{"001085000101", "001216000101", "001216000102", "001090000103"}

var (
	guardianPID, childPID, wardPID, otherPID = People[0], People[1], People[2], People[3]
	ict                                      = time.FixedZone("ICT", 7*3600)
	base                                     = time.Date(2026, 12, 6, 9, 30, 0, 123456000, ict)
)

func ptr(t time.Time) *time.Time { return &t }

func child(guardian string) guardianship.Dependent {
	return guardianship.Dependent{
		ID: uuid.NewString(), PersonalID: childPID, FullName: "Nguyễn Minh Khôi", BirthDate: time.Date(2016, 3, 9, 0, 0, 0, 0, time.UTC),
		Relation: guardianship.RelationChild, GuardianAccountID: guardian, Basis: guardianship.BasisRegistry,
		RegisteredAt: base, AuthorityEnds: ptr(time.Date(2030, 3, 9, 0, 0, 0, 0, time.UTC)),
	}
}

func record(ends *time.Time) guardianship.Record {
	return guardianship.Record{ID: uuid.NewString(), WardID: wardPID, GuardianID: guardianPID, Number: "12/2026/QĐ-UBND",
		Starts: base.Add(-24 * time.Hour), Ends: ends, OfficerID: "officer-1", Unit: "01.001 Công an phường", CreatedAt: base}
}

func utc(d guardianship.Dependent) guardianship.Dependent {
	d.RegisteredAt = d.RegisteredAt.UTC()
	if d.AuthorityEnds != nil {
		d.AuthorityEnds = ptr(d.AuthorityEnds.UTC())
	}
	if d.EndedAt != nil {
		d.EndedAt = ptr(d.EndedAt.UTC())
	}
	return d
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) guardianship.Store) {
	t.Run("RegisterRoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		g := uuid.NewString()
		want := child(g)
		got, err := s.Register(ctx, childPID, func(cur guardianship.Dependent, found bool) (guardianship.Dependent, error) {
			require.False(t, found)
			return want, nil
		})
		require.NoError(t, err)
		require.Equal(t, utc(want), got)
		require.Equal(t, time.UTC, got.RegisteredAt.Location())

		for _, get := range []func() (guardianship.Dependent, error){
			func() (guardianship.Dependent, error) { return s.Get(ctx, want.ID) },
			func() (guardianship.Dependent, error) { return s.ByPersonalID(ctx, childPID) },
		} {
			got, err := get()
			require.NoError(t, err)
			require.Equal(t, utc(want), got)
		}
		for _, id := range []string{uuid.NewString(), "nope", ""} {
			_, err := s.Get(ctx, id)
			require.ErrorIs(t, err, guardianship.ErrNotFound)
			_, err = s.Update(ctx, id, func(*guardianship.Dependent) error { return nil })
			require.ErrorIs(t, err, guardianship.ErrNotFound)
		}
		_, err = s.ByPersonalID(ctx, otherPID)
		require.ErrorIs(t, err, guardianship.ErrNotFound)

		list, err := s.ForGuardian(ctx, g)
		require.NoError(t, err)
		require.Equal(t, []guardianship.Dependent{utc(want)}, list)
		list, err = s.ForGuardian(ctx, uuid.NewString())
		require.NoError(t, err)
		require.Empty(t, list)
	})

	t.Run("RegisterFoundRollsBackAndReplaces", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		first := child(uuid.NewString())
		_, err := s.Register(ctx, childPID, func(guardianship.Dependent, bool) (guardianship.Dependent, error) { return first, nil })
		require.NoError(t, err)

		// fn's error rolls back and comes back.
		boom := errors.New("boom")
		_, err = s.Register(ctx, childPID, func(cur guardianship.Dependent, found bool) (guardianship.Dependent, error) {
			require.True(t, found)
			require.Equal(t, utc(first), cur)
			return guardianship.Dependent{}, boom
		})
		require.ErrorIs(t, err, boom)

		// A replacement must keep the id.
		_, err = s.Register(ctx, childPID, func(cur guardianship.Dependent, _ bool) (guardianship.Dependent, error) {
			d := cur
			d.ID = uuid.NewString()
			return d, nil
		})
		require.ErrorIs(t, err, guardianship.ErrInvalid)

		// Replaced in place under another guardian: the id stays.
		g2 := uuid.NewString()
		got, err := s.Register(ctx, childPID, func(cur guardianship.Dependent, _ bool) (guardianship.Dependent, error) {
			d := cur
			d.GuardianAccountID, d.RegisteredAt, d.EndedAt, d.EndReason = g2, base.Add(time.Hour), nil, ""
			return d, nil
		})
		require.NoError(t, err)
		require.Equal(t, first.ID, got.ID)
		require.Equal(t, g2, got.GuardianAccountID)
		list, err := s.ForGuardian(ctx, first.GuardianAccountID)
		require.NoError(t, err)
		require.Empty(t, list)
	})

	t.Run("ConcurrentFirstRegistrations", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Register(ctx, childPID, func(cur guardianship.Dependent, found bool) (guardianship.Dependent, error) {
					if found {
						return guardianship.Dependent{}, guardianship.ErrAlreadyRegistered
					}
					return child(uuid.NewString()), nil
				})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			require.ErrorIs(t, err, guardianship.ErrAlreadyExists)
		}
		require.Equal(t, 1, ok)
	})

	t.Run("UpdateAndDue", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		d := child(uuid.NewString())
		_, err := s.Register(ctx, childPID, func(guardianship.Dependent, bool) (guardianship.Dependent, error) { return d, nil })
		require.NoError(t, err)
		end := *d.AuthorityEnds

		due, err := s.Due(ctx, end.Add(-time.Microsecond), 10)
		require.NoError(t, err)
		require.Empty(t, due)
		due, err = s.Due(ctx, end.In(ict), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		require.Equal(t, d.ID, due[0].ID)

		boom := errors.New("boom")
		_, err = s.Update(ctx, d.ID, func(cur *guardianship.Dependent) error {
			cur.EndedAt, cur.EndReason = &end, guardianship.EndAge14
			return boom
		})
		require.ErrorIs(t, err, boom)
		got, err := s.Get(ctx, d.ID)
		require.NoError(t, err)
		require.Nil(t, got.EndedAt, "rolled back")

		got, err = s.Update(ctx, d.ID, func(cur *guardianship.Dependent) error {
			cur.EndedAt, cur.EndReason = ptr(end.In(ict)), guardianship.EndAge14
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, end, *got.EndedAt)
		require.Equal(t, time.UTC, got.EndedAt.Location())
		require.Equal(t, guardianship.EndAge14, got.EndReason)
		due, err = s.Due(ctx, end.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Empty(t, due, "recorded ends are not due")
	})

	t.Run("Records", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		open := record(nil)
		audited := 0
		require.NoError(t, s.CreateRecord(ctx, open, func() error { audited++; return nil }))
		require.Equal(t, 1, audited)
		boom := errors.New("audit down")
		failed := record(nil)
		require.ErrorIs(t, s.CreateRecord(ctx, failed, func() error { return boom }), boom)
		_, err := s.GetRecord(ctx, failed.ID)
		require.ErrorIs(t, err, guardianship.ErrNotFound, "an unaudited record is not kept")
		require.ErrorIs(t, s.CreateRecord(ctx, open, func() error { return nil }), guardianship.ErrAlreadyExists)

		older := record(ptr(base.Add(24 * time.Hour)))
		older.Starts, older.CreatedAt = base.Add(-48*time.Hour), base.Add(time.Minute)
		require.NoError(t, s.CreateRecord(ctx, older, func() error { return nil }))

		got, err := s.GetRecord(ctx, open.ID)
		require.NoError(t, err)
		want := open
		want.Starts, want.CreatedAt = want.Starts.UTC(), want.CreatedAt.UTC()
		require.Equal(t, want, got)
		for _, id := range []string{uuid.NewString(), "nope"} {
			_, err = s.GetRecord(ctx, id)
			require.ErrorIs(t, err, guardianship.ErrNotFound)
			_, err = s.UpdateRecord(ctx, id, func(*guardianship.Record) error { return nil })
			require.ErrorIs(t, err, guardianship.ErrNotFound)
		}

		recs, err := s.RecordsFor(ctx, wardPID)
		require.NoError(t, err)
		require.Len(t, recs, 2)
		require.Equal(t, open.ID, recs[0].ID, "newest start first")
		require.Equal(t, time.UTC, recs[1].Ends.Location())
		recs, err = s.RecordsFor(ctx, otherPID)
		require.NoError(t, err)
		require.Empty(t, recs)
		recs, err = s.ListRecords(ctx, 1)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, older.ID, recs[0].ID, "newest entered first")
	})

	t.Run("RecordEndCarriedToDependents", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		r := record(nil)
		require.NoError(t, s.CreateRecord(ctx, r, func() error { return nil }))
		ward := guardianship.Dependent{ID: uuid.NewString(), PersonalID: wardPID, FullName: "Trần Văn Phúc",
			BirthDate: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), Relation: guardianship.RelationWard,
			GuardianAccountID: uuid.NewString(), Basis: guardianship.BasisRecord, RecordID: r.ID, RegisteredAt: base}
		got, err := s.Register(ctx, wardPID, func(guardianship.Dependent, bool) (guardianship.Dependent, error) { return ward, nil })
		require.NoError(t, err)
		require.Nil(t, got.AuthorityEnds)

		end := base.Add(72 * time.Hour)
		boom := errors.New("boom")
		_, err = s.UpdateRecord(ctx, r.ID, func(cur *guardianship.Record) error { cur.Ends = &end; return boom })
		require.ErrorIs(t, err, boom)
		rr, err := s.UpdateRecord(ctx, r.ID, func(cur *guardianship.Record) error { cur.Ends = ptr(end.In(ict)); return nil })
		require.NoError(t, err)
		require.True(t, rr.Ends.Equal(end))
		got, err = s.Get(ctx, ward.ID)
		require.NoError(t, err)
		require.NotNil(t, got.AuthorityEnds)
		require.True(t, got.AuthorityEnds.Equal(end))
		due, err := s.Due(ctx, end, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
	})
}
