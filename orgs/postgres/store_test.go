package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/orgs"
	"github.com/dinhdanh/dinhdanh/orgs/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	operator = staff.Principal{MemberID: "m-op", Username: "vanhanh", Roles: []staff.Role{staff.RoleOperator}, Session: "s1"}
	officer  = staff.Principal{MemberID: "m-cb", Username: "canbo", Roles: []staff.Role{staff.RoleOfficer, staff.RoleSupervisor}}
	from     = orgs.Origin{IP: "192.0.2.9", UserAgent: "test", RequestID: "req-1"}
)

type owners []orgs.Owner

func (o owners) Owners(context.Context) ([]orgs.Owner, error) { return o, nil }

// failing fails every Record after the first n.
type failing struct {
	audittest.Spy
	n int
}

func (f *failing) Record(ctx context.Context, e audit.Event) error {
	if len(f.Events()) >= f.n {
		return errors.New("audit log down")
	}
	return f.Spy.Record(ctx, e)
}

func TestOrganisationsAndStaffCheck(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	acc := accountstest.New(t, db.App, nil)
	l2 := acc.Citizen(t, "001090012345", "correct horse battery", "+84901234561", assurance.Level2)
	l1 := acc.Citizen(t, "079085000123", "correct horse battery", "+84901234562", assurance.Level1)
	// Registered, never activated: no account yet for the check.
	pending := acc.Citizen(t, "079085000124", "correct horse battery", "+84901234563", assurance.Level2)
	_, err := db.Owner.Exec(ctx, `UPDATE accounts SET status = 'pending', activated_at = NULL WHERE id = $1`, pending.ID)
	require.NoError(t, err)

	spy := &audittest.Spy{}
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	newService := func(rec audit.Recorder, ow orgs.Owners) *orgs.Service {
		s, err := orgs.New(orgs.Config{Store: postgres.NewStore(db.App), Accounts: postgres.Accounts{Store: accountspg.NewStore(db.App)},
			Owners: ow, Audit: rec, Now: func() time.Time { return at }})
		require.NoError(t, err)
		return s
	}
	svc := newService(spy, owners{{Code: "0100109106", Name: "Ngân hàng A", ClientID: "bank-a"}, {Code: "0100109106", ClientID: "bank-a-app"}})

	// Create: operators only, validated, audited, unique.
	_, err = svc.Create(ctx, officer, from, "0101234567", "Bộ Y tế")
	require.ErrorIs(t, err, orgs.ErrForbidden)
	for _, bad := range [][2]string{{"12345", "Bộ Y tế"}, {"0101234567", ""}, {"0101234567", "a\nb"}, {"01012345678", "x"}} {
		_, err = svc.Create(ctx, operator, from, bad[0], bad[1])
		require.ErrorIs(t, err, orgs.ErrInvalid, bad)
	}
	o, err := svc.Create(ctx, operator, from, " 0101234567 ", " Bộ Y tế ")
	require.NoError(t, err)
	assert.Equal(t, orgs.Organisation{Code: "0101234567", Name: "Bộ Y tế", CreatedBy: "m-op", CreatedAt: at}, o)
	_, err = svc.Create(ctx, operator, from, "0101234567", "Bộ Y tế (2)")
	require.ErrorIs(t, err, orgs.ErrAlreadyExists)
	require.Len(t, spy.Events(), 1, "one event for the one creation")
	assert.Equal(t, audit.OrganisationCreated, spy.Events()[0].Type)
	assert.Equal(t, "m-op", spy.Events()[0].ActorID)

	// The audit log refusing undoes the creation.
	_, err = newService(&failing{}, nil).Create(ctx, operator, from, "1234567", "Sở Y tế")
	require.Error(t, err)
	_, err = postgres.NewStore(db.App).Get(ctx, "1234567")
	require.ErrorIs(t, err, orgs.ErrNotFound)

	// List: created ones and relying parties' owners, by code.
	list, err := svc.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "0100109106", list[0].Code)
	assert.Equal(t, []string{"bank-a", "bank-a-app"}, list[0].RelyingParties)
	assert.Equal(t, "Bộ Y tế", list[1].Name)
	_, err = svc.Get(ctx, "0999999999")
	require.ErrorIs(t, err, orgs.ErrNotFound)

	// The check: three groups in the list's order, one event per account
	// looked up (in its holder's history) and one for the upload.
	unknown := "001199000001"
	ids := []string{unknown, l1.PersonalID, l2.PersonalID, pending.PersonalID}
	before := len(spy.Events())
	_, err = svc.CheckStaff(ctx, officer, from, "0101234567", ids)
	require.ErrorIs(t, err, orgs.ErrForbidden)
	_, err = svc.CheckStaff(ctx, operator, from, "0999999999", ids)
	require.ErrorIs(t, err, orgs.ErrNotFound)
	_, err = svc.CheckStaff(ctx, operator, from, "0101234567", nil)
	require.ErrorIs(t, err, orgs.ErrEmptyList)
	require.Len(t, spy.Events(), before, "refused checks record nothing")

	check, err := svc.CheckStaff(ctx, operator, from, "0100109106", ids)
	require.NoError(t, err)
	assert.Equal(t, 4, check.Total)
	assert.Equal(t, []string{unknown, pending.PersonalID}, check.Groups[orgs.NoAccount])
	assert.Equal(t, []string{l1.PersonalID}, check.Groups[orgs.Level1])
	assert.Equal(t, []string{l2.PersonalID}, check.Groups[orgs.Level2])
	events := spy.Events()[before:]
	require.Len(t, events, 4, "three accounts looked up, one upload")
	var holders []string
	for _, e := range events[:3] {
		assert.Equal(t, audit.StaffLevelChecked, e.Type)
		assert.Equal(t, audit.Operator, e.ActorKind)
		assert.Equal(t, "0100109106", e.Detail["organisation"])
		assert.Equal(t, "Ngân hàng A", e.Detail["organisation_name"])
		holders = append(holders, e.AccountID)
	}
	slices.Sort(holders)
	want := []string{l1.ID, l2.ID, pending.ID}
	slices.Sort(want)
	assert.Equal(t, want, holders)
	last := events[3]
	assert.Equal(t, audit.StaffListChecked, last.Type)
	assert.Empty(t, last.AccountID)
	assert.Equal(t, map[string]string{"organisation": "0100109106", "organisation_name": "Ngân hàng A", "username": "vanhanh",
		"session": "s1", "numbers": "4", "no_account": "2", "level1": "1", "level2": "1"}, last.Detail)

	// When the audit trail fails part-way, the operator learns nothing.
	for _, n := range []int{0, 1, 3} {
		_, err := newService(&failing{n: n}, nil).CheckStaff(ctx, operator, from, "0101234567", ids)
		require.Error(t, err, "audit failing after %d events", n)
	}
}
