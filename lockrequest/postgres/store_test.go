package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	"github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func request(accountID, pid, unit string, at time.Time) lockrequest.Request {
	return lockrequest.Request{
		ID: uuid.NewString(), AccountID: accountID, PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "lý do",
		State: lockrequest.Pending, FiledAt: at,
		FiledBy: lockrequest.Staff{MemberID: "m-" + unit, Username: "u", Name: "Tên", Unit: staff.Unit{Code: unit, Name: "Đơn vị", Level: staff.Commune}},
	}
}

func TestStore(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	acc := accountstest.New(t, db.App, nil)
	pids := []string{"001090012345", "079085000123", "079085000124", "001090012346"}
	var ids []string
	for i, pid := range pids {
		ids = append(ids, acc.Citizen(t, pid, "correct horse battery", "+8490123456"+string(rune('0'+i)), assurance.Level1).ID)
	}
	s := postgres.NewStore(db.App)
	hcm := time.FixedZone("ICT", 7*3600)
	base := time.Date(2026, 12, 5, 9, 0, 0, 123456000, hcm)
	units := []string{"79.760.26734", "79.760", "790.1", "01.001"}
	var rs []lockrequest.Request
	for i, u := range units {
		r := request(ids[i], pids[i], u, base.Add(time.Duration(i)*time.Minute))
		require.NoError(t, s.Create(ctx, r, func() error { return nil }))
		rs = append(rs, r)
	}

	// Round trip, in UTC.
	got, err := s.Get(ctx, rs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, got.FiledAt.Location())
	assert.True(t, got.FiledAt.Equal(rs[0].FiledAt))
	want := rs[0]
	want.FiledAt = want.FiledAt.UTC()
	assert.Equal(t, want, got)

	// Not found.
	for _, id := range []string{uuid.NewString(), "nope", ""} {
		_, err := s.Get(ctx, id)
		require.ErrorIs(t, err, lockrequest.ErrNotFound, id)
		_, err = s.Update(ctx, id, func(*lockrequest.Request) error { return nil })
		require.ErrorIs(t, err, lockrequest.ErrNotFound, id)
	}

	// One pending request per account; fn's error undoes the write.
	err = s.Create(ctx, request(ids[0], pids[0], "79", base), func() error { return nil })
	require.ErrorIs(t, err, lockrequest.ErrAlreadyPending)
	boom := errors.New("audit down")
	other := request(ids[0], pids[0], "79", base)
	other.State = lockrequest.Refused
	err = s.Create(ctx, other, func() error { return boom })
	require.Error(t, err)
	_, err = s.Get(ctx, other.ID)
	require.ErrorIs(t, err, lockrequest.ErrNotFound)

	// Lists by unit subtree, state, filer, account; newest first.
	list := func(q lockrequest.Query) []string {
		got, err := s.List(ctx, q)
		require.NoError(t, err)
		var out []string
		for _, r := range got {
			out = append(out, r.PersonalID)
		}
		return out
	}
	cases := []struct {
		name string
		q    lockrequest.Query
		want []string
	}{
		{"province 79", lockrequest.Query{Unit: "79"}, []string{pids[1], pids[0]}},
		{"district", lockrequest.Query{Unit: "79.760"}, []string{pids[1], pids[0]}},
		{"commune", lockrequest.Query{Unit: "79.760.26734"}, []string{pids[0]}},
		{"not a prefix of digits", lockrequest.Query{Unit: "7"}, nil},
		{"province 01", lockrequest.Query{Unit: "01", State: lockrequest.Pending}, []string{pids[3]}},
		{"filer", lockrequest.Query{FiledBy: "m-790.1"}, []string{pids[2]}},
		{"account", lockrequest.Query{AccountID: ids[3]}, []string{pids[3]}},
		{"bad account id", lockrequest.Query{AccountID: "x"}, nil},
		{"limit", lockrequest.Query{Limit: 2}, []string{pids[3], pids[2]}},
		{"approved", lockrequest.Query{State: lockrequest.Approved}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, list(tc.q)) })
	}

	// Update stores the decision; fn's error undoes it.
	_, err = s.Update(ctx, rs[1].ID, func(r *lockrequest.Request) error {
		r.State = lockrequest.Refused
		return boom
	})
	require.ErrorIs(t, err, boom)
	at := base.Add(time.Hour)
	dec, err := s.Update(ctx, rs[1].ID, func(r *lockrequest.Request) error {
		r.State, r.DecidedAt, r.Note = lockrequest.Approved, &at, "ghi chú"
		r.DecidedBy = &lockrequest.Staff{MemberID: "m-sup", Username: "sup", Name: "Giám sát", Unit: staff.Unit{Code: "79", Name: "Tỉnh", Level: staff.Province}}
		return nil
	})
	require.NoError(t, err)
	got, err = s.Get(ctx, rs[1].ID)
	require.NoError(t, err)
	assert.Equal(t, lockrequest.Approved, got.State)
	assert.Equal(t, *dec.DecidedBy, *got.DecidedBy)
	assert.True(t, got.DecidedAt.Equal(at))
	assert.Equal(t, "ghi chú", got.Note)
	assert.Equal(t, []string{pids[1]}, list(lockrequest.Query{State: lockrequest.Approved}))

	// The database itself refuses a decided request without a decider.
	_, err = s.Update(ctx, rs[2].ID, func(r *lockrequest.Request) error {
		r.State = lockrequest.Refused
		return nil
	})
	require.Error(t, err)

	// Unlocks are written with fn, undone with its error; the app cannot
	// change or delete them.
	u := lockrequest.Unlock{ID: uuid.NewString(), AccountID: ids[0], PersonalID: pids[0], ReadID: "read-1",
		By: lockrequest.Staff{MemberID: "m-o", Username: "o", Name: "Cán bộ", Unit: staff.Unit{Code: "79.760.26734"}}, At: base}
	require.Error(t, s.CreateUnlock(ctx, u, func() error { return boom }))
	require.NoError(t, s.CreateUnlock(ctx, u, func() error { return nil }))
	var n int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM counter_unlocks`).Scan(&n))
	assert.Equal(t, 1, n)
	_, err = db.App.Exec(ctx, `DELETE FROM counter_unlocks`)
	require.Error(t, err)
	_, err = db.App.Exec(ctx, `UPDATE counter_unlocks SET chip_read_id = 'x'`)
	require.Error(t, err)
	_, err = db.App.Exec(ctx, `DELETE FROM lock_requests`)
	require.Error(t, err)
}
