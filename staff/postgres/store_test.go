package postgres_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/staff"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newService(t *testing.T, now func() time.Time) (*staff.Service, *staffpg.Store, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	st := staffpg.NewStore(db.App)
	svc, err := staff.New(staff.Config{Store: st, Key: []byte("staff-key-staff-key-staff-key-01"), Audit: &audittest.Spy{}, Now: now,
		TOTPKey: []byte("totp-key-totp-key-totp-key-01234"), Argon2Params: accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	require.NoError(t, err)
	require.NoError(t, svc.PutUnitDirect(t.Context(), staff.Unit{Code: "79", Name: "Công an TP Hồ Chí Minh", Level: staff.Province}, "test"))
	return svc, st, db
}

// Two bootstraps at once: exactly one operator is created.
func TestConcurrentBootstrap(t *testing.T) {
	svc, _, _ := newService(t, time.Now)
	var ok, done atomic.Int32
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.Bootstrap(t.Context(), staff.NewMember{Username: "admin" + string(rune('a'+i)), Name: "A", UnitCode: "79"}, staff.Unit{}, "t")
			switch {
			case err == nil:
				ok.Add(1)
			case assert.ErrorIs(t, err, staff.ErrBootstrapDone):
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	assert.Equal(t, int32(3), done.Load())
}

// One TOTP code used by two requests at once: one passes (RFC 6238 §5.2).
func TestConcurrentCodeUse(t *testing.T) {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	svc, _, _ := newService(t, func() time.Time { return now })
	m, e, err := svc.Bootstrap(t.Context(), staff.NewMember{Username: "admin", Name: "A", UnitCode: "79"}, staff.Unit{}, "t")
	require.NoError(t, err)
	code, err := staff.TOTPCode(e.TOTPSecret, now)
	require.NoError(t, err)
	var passed atomic.Int32
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.VerifyTOTP(t.Context(), staff.CodeRequest{MemberID: m.ID, Code: code, IP: "192.0.2." + string(rune('1'+i))})
			if err == nil {
				passed.Add(1)
			} else {
				assert.ErrorIs(t, err, staff.ErrCodeReplayed)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), passed.Load())
}

func TestStoreRoundTrip(t *testing.T) {
	_, st, db := newService(t, time.Now)
	ctx := t.Context()
	tests := []struct {
		name string
		unit staff.Unit
		want error
	}{
		{"district under a province", staff.Unit{Code: "79.760", Name: "Quận 1", Level: staff.District}, nil},
		{"orphan", staff.Unit{Code: "80.1", Name: "x", Level: staff.District}, staff.ErrNotFound},
		{"level against depth", staff.Unit{Code: "79.761", Name: "x", Level: staff.Commune}, nil /* checked below */},
	}
	for _, tc := range tests[:2] {
		t.Run(tc.name, func(t *testing.T) {
			err := st.PutUnit(ctx, tc.unit, func() error { return nil })
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	// The table refuses a level the code's depth contradicts, even past
	// the domain's check.
	require.Error(t, st.PutUnit(ctx, tests[2].unit, func() error { return nil }))

	_, err := st.Unit(ctx, "nope")
	require.ErrorIs(t, err, staff.ErrNotFound)
	_, err = st.MemberByID(ctx, "not-a-uuid")
	require.ErrorIs(t, err, staff.ErrNotFound)
	_, err = st.UpdateMember(ctx, "00000000-0000-0000-0000-000000000000", func(*staff.Record) error { return nil })
	require.ErrorIs(t, err, staff.ErrNotFound)

	// Throttle times come back in UTC whatever the session's zone.
	_, err = db.App.Exec(ctx, `SET TIME ZONE 'Asia/Ho_Chi_Minh'`)
	require.NoError(t, err)
	at := time.Date(2026, 12, 5, 1, 2, 3, 0, time.FixedZone("ICT", 7*3600))
	require.NoError(t, st.UpdateThrottle(ctx, "k", func(th *staff.Throttle) error {
		th.Failures, th.WindowStart, th.LockedUntil, th.UpdatedAt = 3, at, at.Add(time.Minute), at
		return nil
	}))
	ts, err := st.Throttles(ctx, "k", "other")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	assert.Equal(t, 3, ts[0].Failures)
	assert.Equal(t, time.UTC, ts[0].LockedUntil.Location())
	assert.True(t, ts[0].WindowStart.Equal(at))

	n, err := st.PurgeThrottles(ctx, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}
