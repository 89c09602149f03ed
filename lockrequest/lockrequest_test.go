package lockrequest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Staff of two provinces: Hồ Chí Minh City ("79", a district and a commune
// in it) and Hà Nội ("01").
var (
	hcm      = staff.Unit{Code: "79", Name: "Công an TP. Hồ Chí Minh", Level: staff.Province}
	district = staff.Unit{Code: "79.760", Name: "Công an Quận 1", Level: staff.District}
	commune  = staff.Unit{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: staff.Commune}
	hanoi    = staff.Unit{Code: "01", Name: "Công an TP. Hà Nội", Level: staff.Province}

	officer      = staff.Principal{MemberID: "m-officer", Username: "officer", Name: "Trần Văn Bình", Unit: commune, Roles: []staff.Role{staff.RoleOfficer}, Session: "s-1"}
	officer2     = staff.Principal{MemberID: "m-officer2", Username: "officer2", Name: "Lê Thị Cúc", Unit: commune, Roles: []staff.Role{staff.RoleOfficer}, Session: "s-2"}
	supervisor   = staff.Principal{MemberID: "m-sup", Username: "sup", Name: "Phạm Văn Dũng", Unit: district, Roles: []staff.Role{staff.RoleSupervisor}, Session: "s-3"}
	provinceSup  = staff.Principal{MemberID: "m-sup79", Username: "sup79", Name: "Võ Thị Em", Unit: hcm, Roles: []staff.Role{staff.RoleSupervisor}}
	hanoiSup     = staff.Principal{MemberID: "m-sup01", Username: "sup01", Name: "Đỗ Văn Phú", Unit: hanoi, Roles: []staff.Role{staff.RoleSupervisor}}
	officerAndSu = staff.Principal{MemberID: "m-both", Username: "both", Name: "Ngô Văn Giang", Unit: commune, Roles: []staff.Role{staff.RoleOfficer, staff.RoleSupervisor}}
	operator     = staff.Principal{MemberID: "m-op", Username: "op", Name: "Hà Văn Hải", Unit: hcm, Roles: []staff.Role{staff.RoleOperator}}
)

const (
	pid      = "001090012345"
	otherPID = "079085000123"
)

// reads is a tiny ChipReads: read id → the personal id number whose chip it
// read and verified.
type reads map[string]string

func (m reads) VerifiedRead(_ context.Context, readID, personalID string) error {
	got, ok := m[readID]
	switch {
	case !ok:
		return errors.New("no such chip read")
	case got != personalID:
		return errors.New("the chip read is of another citizen")
	}
	return nil
}

type env struct {
	svc      *lockrequest.Service
	accounts *accountstest.Env
	audit    *accountstest.Recorder
	db       *pgtest.DB
	account  accounts.Account
	other    accounts.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	e := &env{accounts: acc, audit: acc.Audit, db: db}
	e.account = acc.Citizen(t, pid, "correct horse battery", "+84901234567", assurance.Level2)
	e.other = acc.Citizen(t, otherPID, "correct horse battery", "+84901234568", assurance.Level1)
	svc, err := lockrequest.New(lockrequest.Config{
		Store: lockrequestpg.NewStore(db.App), Accounts: acc.Service, Audit: acc.Audit, Now: acc.Clock.Now,
		Reads: reads{"read-1": pid, "read-other": otherPID},
	})
	require.NoError(t, err)
	e.svc = svc
	return e
}

var from = lockrequest.Origin{IP: "203.0.113.7", UserAgent: "test", RequestID: "req-1"}

func (e *env) file(t *testing.T) lockrequest.Request {
	t.Helper()
	r, err := e.svc.File(t.Context(), officer, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonCardRevoked, Text: "Thẻ bị thu hồi theo quyết định số 12"}, from)
	require.NoError(t, err)
	return r
}

// events returns the recorded events of type t on the account.
func (e *env) events(t audit.EventType, accountID string) []audit.Event {
	var out []audit.Event
	for _, ev := range e.audit.Events() {
		if ev.Type == t && ev.AccountID == accountID {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) status(t *testing.T) accounts.Account {
	t.Helper()
	a, err := e.accounts.Service.Get(t.Context(), e.account.ID)
	require.NoError(t, err)
	return a
}

func TestFile(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	cases := []struct {
		name string
		by   staff.Principal
		in   lockrequest.Filing
		want error
	}{
		{"supervisor alone cannot file", supervisor, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "x"}, lockrequest.ErrForbidden},
		{"operator cannot file", operator, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "x"}, lockrequest.ErrForbidden},
		{"no member", staff.Principal{Roles: []staff.Role{staff.RoleOfficer}, Unit: commune}, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "x"}, lockrequest.ErrForbidden},
		{"unknown reason", officer, lockrequest.Filing{PersonalID: pid, Reason: "bored", Text: "x"}, lockrequest.ErrInvalid},
		{"no text", officer, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "  "}, lockrequest.ErrInvalid},
		{"bad personal id", officer, lockrequest.Filing{PersonalID: "12345", Reason: lockrequest.ReasonMisuse, Text: "x"}, lockrequest.ErrInvalid},
		{"no account", officer, lockrequest.Filing{PersonalID: "001090099999", Reason: lockrequest.ReasonDeath, Text: "x"}, lockrequest.ErrNotFound},
		{"filed", officer, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonCourtOrder, Text: "Quyết định của Tòa án nhân dân Quận 1"}, nil},
		{"a second pending request for the account", officer2, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "x"}, lockrequest.ErrAlreadyPending},
		{"another account", officerAndSu, lockrequest.Filing{PersonalID: otherPID, Reason: lockrequest.ReasonOther, Text: "x"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(e.audit.Events())
			r, err := e.svc.File(ctx, tc.by, tc.in, from)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.Len(t, e.audit.Events(), n, "nothing audited")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, lockrequest.Pending, r.State)
			assert.Equal(t, tc.by.MemberID, r.FiledBy.MemberID)
			assert.Equal(t, tc.by.Unit, r.FiledBy.Unit)
			got, err := e.svc.Get(ctx, tc.by, r.ID)
			require.NoError(t, err)
			assert.Equal(t, r, got, "round trip")
			evs := e.audit.Events()[n:]
			require.Len(t, evs, 1)
			ev := evs[0]
			assert.Equal(t, audit.LockRequested, ev.Type)
			assert.Equal(t, audit.Officer, ev.ActorKind)
			assert.Equal(t, tc.by.MemberID, ev.ActorID)
			assert.Equal(t, r.AccountID, ev.AccountID, "in the citizen's history")
			assert.Equal(t, string(tc.in.Reason), ev.Reason)
			assert.Equal(t, r.ID, ev.Detail["lock_request_id"])
			assert.Equal(t, commune.Code, ev.Detail["unit"])
			assert.NotContains(t, fmt.Sprint(ev), tc.in.Text, "the free text stays out of the audit log")
		})
	}
	assert.Equal(t, accounts.Active, e.status(t).Status, "filing locks nothing")
}

func TestDecide(t *testing.T) {
	type step func(e *env, r lockrequest.Request) (lockrequest.Request, error)
	approve := func(by staff.Principal) step {
		return func(e *env, r lockrequest.Request) (lockrequest.Request, error) {
			return e.svc.Approve(context.Background(), by, r.ID, "Đã xác minh", from)
		}
	}
	refuse := func(by staff.Principal) step {
		return func(e *env, r lockrequest.Request) (lockrequest.Request, error) {
			return e.svc.Refuse(context.Background(), by, r.ID, "Chưa đủ căn cứ", from)
		}
	}
	withdraw := func(by staff.Principal) step {
		return func(e *env, r lockrequest.Request) (lockrequest.Request, error) {
			return e.svc.Withdraw(context.Background(), by, r.ID, from)
		}
	}
	cases := []struct {
		name    string
		filer   staff.Principal
		step    step
		want    error
		state   lockrequest.State
		event   audit.EventType
		locked  bool
		decider string
	}{
		{"district supervisor approves", officer, approve(supervisor), nil, lockrequest.Approved, audit.LockApproved, true, supervisor.MemberID},
		{"province supervisor approves", officer, approve(provinceSup), nil, lockrequest.Approved, audit.LockApproved, true, provinceSup.MemberID},
		{"supervisor refuses", officer, refuse(supervisor), nil, lockrequest.Refused, audit.LockRefused, false, supervisor.MemberID},
		{"filer withdraws", officer, withdraw(officer), nil, lockrequest.Withdrawn, audit.LockWithdrawn, false, officer.MemberID},
		{"self-approval refused", officerAndSu, approve(officerAndSu), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"self-refusal refused", officerAndSu, refuse(officerAndSu), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"supervisor of another province refused", officer, approve(hanoiSup), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"officer cannot approve", officer, approve(officer2), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"officer cannot refuse", officer, refuse(officer2), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"operator cannot approve", officer, approve(operator), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"supervisor of the commune's sibling district refused", officer, approve(staff.Principal{MemberID: "m-x", Unit: staff.Unit{Code: "79.76"}, Roles: []staff.Role{staff.RoleSupervisor}}), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"another officer cannot withdraw", officer, withdraw(officer2), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
		{"a supervisor cannot withdraw", officer, withdraw(supervisor), lockrequest.ErrForbidden, lockrequest.Pending, "", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r, err := e.svc.File(t.Context(), tc.filer, lockrequest.Filing{PersonalID: pid, Reason: lockrequest.ReasonMisuse, Text: "Tài khoản bị dùng để lừa đảo"}, from)
			require.NoError(t, err)
			n := len(e.audit.Events())
			got, err := tc.step(e, r)
			stored, gerr := lockrequestpg.NewStore(e.db.App).Get(t.Context(), r.ID)
			require.NoError(t, gerr)
			assert.Equal(t, tc.state, stored.State)
			a := e.status(t)
			revoked, logouts := e.accounts.Cascade.Ended()
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Len(t, e.audit.Events(), n, "a refused step records nothing")
				assert.Equal(t, accounts.Active, a.Status)
				assert.Empty(t, revoked)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.state, got.State)
			require.NotNil(t, got.DecidedBy)
			assert.Equal(t, tc.decider, got.DecidedBy.MemberID)
			assert.Equal(t, got, stored)
			evs := e.events(tc.event, e.account.ID)
			require.Len(t, evs, 1, "the step is in the citizen's history")
			assert.Equal(t, tc.decider, evs[0].ActorID)
			assert.Equal(t, audit.Officer, evs[0].ActorKind)
			if !tc.locked {
				assert.Equal(t, accounts.Active, a.Status)
				assert.Empty(t, revoked)
				return
			}
			// The accounts domain's own lock: status, sign-ins, tokens and
			// back-channel logout, audited as the supervisor.
			assert.Equal(t, accounts.Locked, a.Status)
			assert.Equal(t, "authority_misuse", a.LockReason)
			require.NotNil(t, a.SignInsEndedAt, "browser sign-ins end")
			assert.Equal(t, []string{e.account.ID}, revoked, "tokens end")
			assert.Equal(t, []string{e.account.ID}, logouts, "relying parties are told")
			locks := e.events(audit.AccountLocked, e.account.ID)
			require.Len(t, locks, 1)
			assert.Equal(t, audit.Officer, locks[0].ActorKind)
			assert.Equal(t, tc.decider, locks[0].ActorID)
			assert.Equal(t, "authority_misuse", locks[0].Reason)

			// Once decided, a request stays decided.
			for _, again := range []step{approve(provinceSup), refuse(provinceSup), withdraw(officer)} {
				_, err := again(e, got)
				require.ErrorIs(t, err, lockrequest.ErrNotPending)
			}
		})
	}
}

// When the audit record of an approval cannot be written, the request stays
// pending; and a lock that fails leaves it pending too.
func TestApproveAtomic(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r := e.file(t)
	e.audit.Fail = errors.New("audit store down")
	_, err := e.svc.Approve(ctx, supervisor, r.ID, "", from)
	require.Error(t, err)
	e.audit.Fail = nil
	got, err := e.svc.Get(ctx, supervisor, r.ID)
	require.NoError(t, err)
	assert.Equal(t, lockrequest.Pending, got.State, "no approval without its audit record")

	// Now it goes through.
	got, err = e.svc.Approve(ctx, supervisor, r.ID, "", from)
	require.NoError(t, err)
	assert.Equal(t, lockrequest.Approved, got.State)
}

// Two supervisors approving at once: one wins, the other finds it decided.
func TestApproveConcurrently(t *testing.T) {
	e := newEnv(t)
	r := e.file(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, by := range []staff.Principal{supervisor, provinceSup} {
		wg.Go(func() { _, errs[i] = e.svc.Approve(context.Background(), by, r.ID, "", from) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, lockrequest.ErrNotPending)
		}
	}
	require.Equal(t, 1, ok)
	require.Len(t, e.events(audit.AccountLocked, e.account.ID), 1, "locked once")
}

func TestListsAndVisibility(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r := e.file(t)
	other, err := e.svc.File(ctx, staff.Principal{MemberID: "m-hn", Unit: staff.Unit{Code: "01.001"}, Roles: []staff.Role{staff.RoleOfficer}},
		lockrequest.Filing{PersonalID: otherPID, Reason: lockrequest.ReasonDeath, Text: "Giấy chứng tử số 5"}, from)
	require.NoError(t, err)

	cases := []struct {
		name    string
		by      staff.Principal
		pending []string
		err     error
	}{
		{"district supervisor", supervisor, []string{r.ID}, nil},
		{"province supervisor", provinceSup, []string{r.ID}, nil},
		{"Hà Nội supervisor", hanoiSup, []string{other.ID}, nil},
		{"officer", officer, nil, lockrequest.ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.Pending(ctx, tc.by)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, x := range got {
				ids = append(ids, x.ID)
			}
			assert.Equal(t, tc.pending, ids)
		})
	}
	filed, err := e.svc.Filed(ctx, officer)
	require.NoError(t, err)
	require.Len(t, filed, 1)
	assert.Equal(t, r.ID, filed[0].ID)

	for _, tc := range []struct {
		by   staff.Principal
		sees bool
	}{{officer, true}, {officer2, true}, {supervisor, true}, {provinceSup, true}, {hanoiSup, false}, {operator, false}} {
		_, err := e.svc.Get(ctx, tc.by, r.ID)
		if tc.sees {
			assert.NoError(t, err, tc.by.Username)
		} else {
			assert.ErrorIs(t, err, lockrequest.ErrNotFound, tc.by.Username)
		}
	}
	_, err = e.svc.Get(ctx, officer, "not-a-uuid")
	require.ErrorIs(t, err, lockrequest.ErrNotFound)
}

func TestUnlock(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Not locked yet.
	_, err := e.svc.Unlock(ctx, officer, pid, "read-1", from)
	require.ErrorIs(t, err, lockrequest.ErrNotLocked)

	r := e.file(t)
	_, err = e.svc.Approve(ctx, supervisor, r.ID, "", from)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, e.status(t).Status)

	cases := []struct {
		name        string
		by          staff.Principal
		pid, readID string
		want        error
	}{
		{"supervisor alone cannot unlock", supervisor, pid, "read-1", lockrequest.ErrForbidden},
		{"no read", officer, pid, "", lockrequest.ErrInvalid},
		{"unknown read", officer, pid, "read-404", lockrequest.ErrNoVerifiedRead},
		{"another citizen's read", officer, pid, "read-other", lockrequest.ErrNoVerifiedRead},
		{"the other citizen is not locked", officer, otherPID, "read-other", lockrequest.ErrNotLocked},
		{"verified read of the citizen", officer2, pid, "read-1", nil},
		{"again", officer2, pid, "read-1", lockrequest.ErrNotLocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(e.audit.Events())
			a, err := e.svc.Unlock(ctx, tc.by, tc.pid, tc.readID, from)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Len(t, e.audit.Events(), n)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, accounts.Active, a.Status)
			evs := e.events(audit.UnlockedAtCounter, e.account.ID)
			require.Len(t, evs, 1)
			assert.Equal(t, tc.by.MemberID, evs[0].ActorID)
			assert.Equal(t, audit.Officer, evs[0].ActorKind)
			assert.Equal(t, tc.readID, evs[0].Detail["chip_read_id"])
			un := e.events(audit.AccountUnlocked, e.account.ID)
			require.Len(t, un, 1)
			assert.Equal(t, tc.by.MemberID, un[0].ActorID)
			var readID, by string
			require.NoError(t, e.db.App.QueryRow(ctx, `SELECT chip_read_id, officer_id FROM counter_unlocks WHERE account_id = $1`, e.account.ID).Scan(&readID, &by))
			assert.Equal(t, tc.readID, readID)
			assert.Equal(t, tc.by.MemberID, by)
		})
	}
	// Sign-ins the lock ended stay ended.
	a := e.status(t)
	assert.True(t, a.SignInEnded(accountstest.Start.Add(-time.Hour)))
}

func TestWithin(t *testing.T) {
	cases := []struct {
		unit, ancestor string
		want           bool
	}{
		{"79", "79", true}, {"79.760", "79", true}, {"79.760.26734", "79", true}, {"79.760.26734", "79.760", true},
		{"79.760.26734", "79.76", false}, {"79", "7", false}, {"790", "79", false}, {"79", "79.760", false},
		{"", "79", false}, {"79", "", false}, {"01.001", "79", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, lockrequest.Within(tc.unit, tc.ancestor), "%s within %s", tc.unit, tc.ancestor)
	}
}

// cascadeFails is the real accounts service whose lock holds but whose
// cascade (tokens, back-channel logout) fails, as accounts.Service.Lock
// reports it: the locked account and an error.
type cascadeFails struct{ *accounts.Service }

func (c cascadeFails) Lock(ctx context.Context, id, reason string, by accounts.Actor) (accounts.Account, error) {
	a, err := c.Service.Lock(ctx, id, reason, by)
	if err != nil {
		return a, err
	}
	return a, errors.New("accounts: lock: revoke tokens: connection refused")
}

// A lock that held stands even when its cascade failed: the approval is
// kept and the caller is told.
func TestApproveCascadeFailure(t *testing.T) {
	e := newEnv(t)
	svc, err := lockrequest.New(lockrequest.Config{Store: lockrequestpg.NewStore(e.db.App), Accounts: cascadeFails{e.accounts.Service},
		Reads: reads{}, Audit: e.audit, Now: e.accounts.Clock.Now})
	require.NoError(t, err)
	r := e.file(t)
	got, err := svc.Approve(t.Context(), supervisor, r.ID, "", from)
	require.ErrorIs(t, err, lockrequest.ErrLockCascade)
	assert.Equal(t, lockrequest.Approved, got.State)
	stored, err := e.svc.Get(t.Context(), supervisor, r.ID)
	require.NoError(t, err)
	assert.Equal(t, lockrequest.Approved, stored.State)
	assert.Equal(t, accounts.Locked, e.status(t).Status)
	assert.Len(t, e.events(audit.LockApproved, e.account.ID), 1)
}
