package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
)

// Run runs the suite; newStore returns a fresh, empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) accounts.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s accounts.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"AlreadyExists", testAlreadyExists},
		{"CreateRollsBackOnError", testCreateRollsBack},
		{"UpdateRollsBackOnError", testUpdateRollsBack},
		{"ConcurrentUpdatesSerialise", testConcurrentUpdates},
		{"SMSCodes", testSMSCodes},
		{"Throttles", testThrottles},
		{"ConcurrentThrottleUpdates", testConcurrentThrottles},
		{"Purge", testPurge},
		{"Evidence", testEvidence},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed instant with microsecond precision, as PostgreSQL keeps.
var base = time.Date(2026, 11, 23, 8, 30, 15, 123456000, time.UTC)

var pidCounter atomic.Int64

// Record returns a valid active record with a unique personal id number and
// phone.
func Record() accounts.Record {
	n := pidCounter.Add(1)
	activated := base
	id, evID := uuid.NewString(), uuid.NewString()
	return accounts.Record{
		Account: accounts.Account{
			ID:          id,
			EvidenceID:  evID,
			PersonalID:  fmt.Sprintf("0010900%05d", n),
			Level:       assurance.Level2,
			Status:      accounts.Active,
			Phone:       fmt.Sprintf("+849%08d", n),
			Email:       "holder@example.vn",
			Lang:        accounts.LangEN,
			CreatedAt:   base,
			ActivatedAt: &activated,
			UpdatedAt:   base,
		},
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		Enrolment: &accounts.Evidence{ID: evID, AccountID: id, Level: assurance.Level2, Method: accounts.EvidenceCounter,
			DocumentNumber: "090012345", IssuingState: "VNM", OfficerID: "officer-1", Unit: "01",
			Checks: []accounts.Check{{Name: "passive_authentication", OK: true}}, CreatedAt: base},
	}
}

func testRoundTrip(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	// A non-UTC location must come back as the same instant in UTC.
	hcm := time.FixedZone("ICT", 7*3600)
	r.CreatedAt = base.In(hcm)
	act := base.Add(time.Hour).In(hcm)
	r.ActivatedAt = &act
	r.TOTP = accounts.TOTPState{Secret: []byte{1, 2, 3, 0, 255}, Confirmed: true, LastStep: 59_000_000}
	r.LockReason = "holder_request"
	r.PasscodeHash = "$argon2id$v=19$m=8,t=1,p=1$cGFzc2NvZGU$aGFzaGhhc2hoYXNoaGFzaA"
	r.SecurityAnswers = []accounts.SecurityAnswer{{Question: "first_school", Hash: "$argon2id$a"}, {Question: "favourite_food", Hash: "$argon2id$b"}}
	require.NoError(t, s.Create(ctx, r, nil))

	want := r
	want.CreatedAt = base
	want.Enrolment = nil // written, not read back with the account
	wantAct := base.Add(time.Hour)
	want.ActivatedAt = &wantAct
	for _, get := range []func() (accounts.Record, error){
		func() (accounts.Record, error) { return s.Get(ctx, r.ID) },
		func() (accounts.Record, error) { return s.ByPersonalID(ctx, r.PersonalID) },
	} {
		got, err := get()
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
		require.Equal(t, time.UTC, got.ActivatedAt.Location())
	}

	// Optional fields empty.
	r2 := Record()
	r2.Phone, r2.Email, r2.PasswordHash, r2.ActivatedAt, r2.Status = "", "", "", nil, accounts.Pending
	require.NoError(t, s.Create(ctx, r2, nil))
	got, err := s.Get(ctx, r2.ID)
	require.NoError(t, err)
	r2.Enrolment = nil
	require.Equal(t, r2, got)
	require.Nil(t, got.TOTP.Secret)
	require.Empty(t, got.Factors())

	// Activation secrets written by Update come back; clearing them too.
	got, err = s.Update(ctx, r2.ID, func(r *accounts.Record) error {
		r.PasscodeHash = "$argon2id$c"
		r.SecurityAnswers = []accounts.SecurityAnswer{{Question: "first_teacher", Hash: "$argon2id$d"}}
		return nil
	})
	require.NoError(t, err)
	again, err := s.Get(ctx, r2.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	require.Equal(t, "$argon2id$c", again.PasscodeHash)
	_, err = s.Update(ctx, r2.ID, func(r *accounts.Record) error { r.PasscodeHash, r.SecurityAnswers = "", nil; return nil })
	require.NoError(t, err)
	again, err = s.Get(ctx, r2.ID)
	require.NoError(t, err)
	require.Equal(t, r2, again)
}

func testNotFound(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	_, err := s.Get(ctx, uuid.NewString())
	require.ErrorIs(t, err, accounts.ErrNotFound)
	_, err = s.Get(ctx, "not-a-uuid")
	require.ErrorIs(t, err, accounts.ErrNotFound)
	_, err = s.ByPersonalID(ctx, "001090000000")
	require.ErrorIs(t, err, accounts.ErrNotFound)
	_, err = s.Update(ctx, uuid.NewString(), func(*accounts.Record) error { return nil })
	require.ErrorIs(t, err, accounts.ErrNotFound)
	err = s.UpdateSMSCode(ctx, uuid.NewString(), func(*accounts.SMSCode) error { return nil })
	require.ErrorIs(t, err, accounts.ErrNotFound)
	err = s.CreateSMSCode(ctx, accounts.SMSCode{ID: uuid.NewString(), AccountID: uuid.NewString(), Hash: []byte{1}, CreatedAt: base, ExpiresAt: base})
	require.ErrorIs(t, err, accounts.ErrNotFound)
}

func testAlreadyExists(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	a := Record()
	require.NoError(t, s.Create(ctx, a, nil))

	samePID := Record()
	samePID.PersonalID = a.PersonalID
	require.ErrorIs(t, s.Create(ctx, samePID, nil), accounts.ErrAlreadyExists)

	samePhone := Record()
	samePhone.Phone = a.Phone
	require.ErrorIs(t, s.Create(ctx, samePhone, nil), accounts.ErrAlreadyExists)

	b := Record()
	require.NoError(t, s.Create(ctx, b, nil))
	_, err := s.Update(ctx, b.ID, func(r *accounts.Record) error { r.Phone = a.Phone; return nil })
	require.ErrorIs(t, err, accounts.ErrAlreadyExists)
	got, err := s.Get(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b.Phone, got.Phone)
}

// testCreateRollsBack: Create's fn runs after the insert, only when the
// insert is accepted, and its error undoes the insert.
func testCreateRollsBack(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	boom := errors.New("boom")
	require.ErrorIs(t, s.Create(ctx, r, func() error { return boom }), boom)
	_, err := s.Get(ctx, r.ID)
	require.ErrorIs(t, err, accounts.ErrNotFound)

	calls := 0
	require.NoError(t, s.Create(ctx, r, func() error { calls++; return nil }))
	require.Equal(t, 1, calls)
	_, err = s.Get(ctx, r.ID)
	require.NoError(t, err)

	dup := Record()
	dup.PersonalID = r.PersonalID
	require.ErrorIs(t, s.Create(ctx, dup, func() error { calls++; return nil }), accounts.ErrAlreadyExists)
	require.Equal(t, 1, calls, "fn is not called for a refused insert")
}

func testUpdateRollsBack(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	require.NoError(t, s.Create(ctx, r, nil))
	boom := errors.New("boom")
	_, err := s.Update(ctx, r.ID, func(r *accounts.Record) error {
		r.Status, r.LockReason = accounts.Locked, "x"
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := s.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)

	// What fn changes is written back, except the immutable fields.
	later := base.Add(time.Minute)
	upd, err := s.Update(ctx, r.ID, func(x *accounts.Record) error {
		x.Status, x.LockReason, x.Level, x.UpdatedAt = accounts.Locked, "lost_phone", assurance.Level1, later
		x.TOTP = accounts.TOTPState{Secret: []byte("sealed"), LastStep: 7}
		return nil
	})
	require.NoError(t, err)
	got, err = s.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, upd, got)
	require.Equal(t, accounts.Locked, got.Status)
	require.Equal(t, "lost_phone", got.LockReason)
	require.Equal(t, int64(7), got.TOTP.LastStep)
	require.Equal(t, later, got.UpdatedAt)
}

// testConcurrentUpdates is the TOTP replay race: many requests present a
// code for step 100 at once; the check inside Update lets exactly one pass.
func testConcurrentUpdates(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	require.NoError(t, s.Create(ctx, r, nil))
	replay := errors.New("replayed")
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(ctx, r.ID, func(x *accounts.Record) error {
				if x.TOTP.LastStep >= 100 {
					return replay
				}
				x.TOTP.LastStep = 100
				return nil
			})
			if err == nil {
				ok.Add(1)
			} else if !errors.Is(err, replay) {
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(1), ok.Load())
}

func testSMSCodes(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	require.NoError(t, s.Create(ctx, r, nil))
	first := accounts.SMSCode{ID: uuid.NewString(), AccountID: r.ID, Hash: []byte("h1"), CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
	require.NoError(t, s.CreateSMSCode(ctx, first))
	second := accounts.SMSCode{ID: uuid.NewString(), AccountID: r.ID, Hash: []byte("h2"), CreatedAt: base.Add(time.Minute), ExpiresAt: base.Add(6 * time.Minute)}
	require.NoError(t, s.CreateSMSCode(ctx, second))

	// The newer code retired the older one.
	var seen accounts.SMSCode
	require.NoError(t, s.UpdateSMSCode(ctx, r.ID, func(c *accounts.SMSCode) error { seen = *c; c.Attempts++; return nil }))
	require.Equal(t, second.ID, seen.ID)
	require.Equal(t, []byte("h2"), seen.Hash)
	require.Equal(t, second.ExpiresAt, seen.ExpiresAt)
	require.Equal(t, time.UTC, seen.ExpiresAt.Location())

	// A recorded attempt sticks; an error rolls back.
	require.ErrorIs(t, s.UpdateSMSCode(ctx, r.ID, func(c *accounts.SMSCode) error {
		require.Equal(t, 1, c.Attempts)
		c.Attempts = 99
		return errTest
	}), errTest)
	used := base.Add(2 * time.Minute)
	require.NoError(t, s.UpdateSMSCode(ctx, r.ID, func(c *accounts.SMSCode) error {
		require.Equal(t, 1, c.Attempts)
		c.UsedAt = &used
		return nil
	}))
	// Used: nothing live remains.
	require.ErrorIs(t, s.UpdateSMSCode(ctx, r.ID, func(*accounts.SMSCode) error { return nil }), accounts.ErrNotFound)

	// Burnt codes are not live either.
	third := accounts.SMSCode{ID: uuid.NewString(), AccountID: r.ID, Hash: []byte("h3"), CreatedAt: base.Add(3 * time.Minute), ExpiresAt: base.Add(8 * time.Minute)}
	require.NoError(t, s.CreateSMSCode(ctx, third))
	require.NoError(t, s.UpdateSMSCode(ctx, r.ID, func(c *accounts.SMSCode) error { c.Burnt = true; return nil }))
	require.ErrorIs(t, s.UpdateSMSCode(ctx, r.ID, func(*accounts.SMSCode) error { return nil }), accounts.ErrNotFound)
}

var errTest = errors.New("test error")

func testThrottles(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	k1 := accounts.ThrottleKey{Scope: accounts.ScopeAccount, Key: "001090000001"}
	k2 := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "192.0.2.1"}
	k3 := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "001090000001"} // same key, other scope
	got, err := s.Throttles(ctx, k1, k2)
	require.NoError(t, err)
	require.Empty(t, got)

	lock := base.Add(15 * time.Minute).In(time.FixedZone("ICT", 7*3600))
	th, err := s.UpdateThrottle(ctx, k1, func(t *accounts.Throttle) error {
		t.Failures, t.WindowStart, t.LockedUntil, t.Strikes, t.UpdatedAt = 3, base, lock, 2, base
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, k1, th.ThrottleKey)
	_, err = s.UpdateThrottle(ctx, k2, func(th *accounts.Throttle) error {
		require.Zero(t, th.Failures)
		require.True(t, th.WindowStart.IsZero())
		require.True(t, th.LockedUntil.IsZero())
		th.Failures, th.UpdatedAt = 1, base
		return nil
	})
	require.NoError(t, err)
	_, err = s.UpdateThrottle(ctx, k3, func(t *accounts.Throttle) error { return errTest })
	require.ErrorIs(t, err, errTest)

	got, err = s.Throttles(ctx, k1, k2, k3)
	require.NoError(t, err)
	require.Len(t, got, 2)
	byKey := map[accounts.ThrottleKey]accounts.Throttle{}
	for _, g := range got {
		byKey[g.ThrottleKey] = g
	}
	require.Equal(t, accounts.Throttle{ThrottleKey: k1, Failures: 3, WindowStart: base, LockedUntil: lock.UTC(), Strikes: 2, UpdatedAt: base}, byKey[k1])
	require.Equal(t, time.UTC, byKey[k1].LockedUntil.Location())
	require.Equal(t, 1, byKey[k2].Failures)
	require.True(t, byKey[k2].LockedUntil.IsZero())
}

func testConcurrentThrottles(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	k := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "198.51.100.7"}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateThrottle(ctx, k, func(t *accounts.Throttle) error { t.Failures++; t.UpdatedAt = base; return nil })
			if err != nil {
				t.Errorf("update throttle: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.Throttles(ctx, k)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 20, got[0].Failures)
}

func testPurge(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	require.NoError(t, s.Create(ctx, r, nil))
	require.NoError(t, s.CreateSMSCode(ctx, accounts.SMSCode{ID: uuid.NewString(), AccountID: r.ID, Hash: []byte("h"), CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}))
	stale := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "stale"}
	locked := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "locked"}
	fresh := accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: "fresh"}
	for k, th := range map[accounts.ThrottleKey]accounts.Throttle{
		stale:  {Failures: 1, UpdatedAt: base},
		locked: {Failures: 0, UpdatedAt: base, LockedUntil: base.Add(48 * time.Hour)},
		fresh:  {Failures: 1, UpdatedAt: base.Add(2 * time.Hour)},
	} {
		_, err := s.UpdateThrottle(ctx, k, func(t *accounts.Throttle) error {
			t.Failures, t.UpdatedAt, t.LockedUntil = th.Failures, th.UpdatedAt, th.LockedUntil
			return nil
		})
		require.NoError(t, err)
	}
	n, err := s.Purge(ctx, base.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(2), n) // the expired code and the stale throttle
	require.ErrorIs(t, s.UpdateSMSCode(ctx, r.ID, func(*accounts.SMSCode) error { return nil }), accounts.ErrNotFound)
	got, err := s.Throttles(ctx, stale, locked, fresh)
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, g := range got {
		require.NotEqual(t, stale, g.ThrottleKey)
	}
}

func testEvidence(t *testing.T, s accounts.Store) {
	ctx := t.Context()
	r := Record()
	first := *r.Enrolment
	require.NoError(t, s.Create(ctx, r, nil))
	got, err := s.EvidenceOf(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, got, 1)
	first.Checks = []accounts.Check{{Name: "passive_authentication", OK: true}}
	require.Equal(t, first, got[0], "evidence round trip")

	// A level with no evidence is refused by the store itself.
	_, err = s.Update(ctx, r.ID, func(x *accounts.Record) error { x.EvidenceID = ""; return nil })
	require.Error(t, err)

	// New evidence written with an update; revoking it falls back to the
	// first one, with the level fn chooses.
	second := first
	second.ID, second.CreatedAt = uuid.NewString(), base.Add(time.Hour)
	_, err = s.Update(ctx, r.ID, func(x *accounts.Record) error { x.EvidenceID, x.Enrolment = second.ID, &second; return nil })
	require.NoError(t, err)
	cur, err := s.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, second.ID, cur.EvidenceID)
	var seen []string
	rec, err := s.RevokeEvidence(ctx, r.ID, second.ID, base.Add(2*time.Hour), "card revoked", func(x *accounts.Record, valid []accounts.Evidence) error {
		for _, e := range valid {
			seen = append(seen, e.ID)
		}
		x.Level, x.EvidenceID = valid[0].Level, valid[0].ID
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{first.ID}, seen, "the revoked record is no longer valid")
	require.Equal(t, first.ID, rec.EvidenceID)
	all, err := s.EvidenceOf(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, second.ID, all[0].ID)
	require.NotNil(t, all[0].RevokedAt)
	require.Equal(t, "card revoked", all[0].RevokedReason)
	_, err = s.RevokeEvidence(ctx, r.ID, second.ID, base, "again", func(*accounts.Record, []accounts.Evidence) error { return nil })
	require.ErrorIs(t, err, accounts.ErrNotFound)
}
