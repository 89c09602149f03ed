package staff_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/staff"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// fast argon2id parameters for tests.
var testParams = accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc   *staff.Service
	spy   *audittest.Spy
	db    *pgtest.DB
	clock *clock
	boot  staff.Member
	bootE staff.Enrolment
}

func newMembers(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.New(t)
	f := &fixture{spy: &audittest.Spy{}, db: db, clock: &clock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}}
	var err error
	f.svc, err = staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"),
		Audit: f.spy, Now: f.clock.Now, TOTPKey: []byte("totp-key-totp-key-totp-key-01234"), Argon2Params: testParams})
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, f.svc.PutUnitDirect(ctx, staff.Unit{Code: "79", Name: "Công an TP Hồ Chí Minh", Level: staff.Province}, "test"))
	require.NoError(t, f.svc.PutUnitDirect(ctx, staff.Unit{Code: "79.760", Name: "Công an Quận 1", Level: staff.District}, "test"))
	f.boot, f.bootE, err = f.svc.Bootstrap(ctx, staff.NewMember{Username: "admin", Name: "Quản trị"},
		staff.Unit{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: staff.Commune}, "root")
	require.NoError(t, err)
	return f
}

func (f *fixture) actor(p staff.Principal) staff.Actor {
	return staff.Actor{Principal: p, IP: "192.0.2.1"}
}

// signIn signs m in with password and TOTP from ip.
func (f *fixture) signIn(t *testing.T, username string, e staff.Enrolment, ip string) staff.Principal {
	t.Helper()
	ctx := t.Context()
	id, err := f.svc.SignIn(ctx, staff.SignInRequest{Username: username, Password: e.Password, IP: ip})
	require.NoError(t, err)
	code, err := staff.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	p, err := f.svc.VerifyTOTP(ctx, staff.CodeRequest{MemberID: id, Code: code, Session: "s-" + username, IP: ip})
	require.NoError(t, err)
	f.clock.Add(31 * time.Second) // the next code is a new step
	return p
}

func TestBootstrapOnce(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	assert.True(t, f.boot.Bootstrap)
	assert.Equal(t, []staff.Role{staff.RoleOperator}, f.boot.Roles)
	assert.Equal(t, staff.Commune, f.boot.Unit.Level)
	assert.True(t, strings.HasPrefix(f.bootE.TOTPURI, "otpauth://totp/"))
	_, _, err := f.svc.Bootstrap(ctx, staff.NewMember{Username: "admin2", Name: "X", UnitCode: "79"}, staff.Unit{}, "root")
	require.ErrorIs(t, err, staff.ErrBootstrapDone)

	// Secrets at rest: an argon2id hash and a sealed TOTP secret.
	var hash string
	var sealed []byte
	require.NoError(t, f.db.App.QueryRow(ctx, `SELECT password_hash, totp_secret FROM staff_members WHERE username = 'admin'`).Scan(&hash, &sealed))
	assert.True(t, strings.HasPrefix(hash, "$argon2id$"))
	assert.NotContains(t, string(sealed), f.bootE.TOTPSecret)
	_, err = f.db.App.Exec(ctx, `DELETE FROM staff_members`)
	require.Error(t, err, "the application role cannot delete members")
}

func TestUnits(t *testing.T) {
	f := newMembers(t)
	tests := []struct {
		name string
		unit staff.Unit
		want error
	}{
		{"province", staff.Unit{Code: "01", Name: "Công an TP Hà Nội", Level: staff.Province}, nil},
		{"wrong level", staff.Unit{Code: "79.761", Name: "Quận 12", Level: staff.Commune}, staff.ErrInvalid},
		{"no parent", staff.Unit{Code: "48.490", Name: "Hải Châu", Level: staff.District}, staff.ErrInvalid},
		{"bad code", staff.Unit{Code: "79/760", Name: "x", Level: staff.District}, staff.ErrInvalid},
		{"no name", staff.Unit{Code: "02", Name: " ", Level: staff.Province}, staff.ErrInvalid},
		{"rename", staff.Unit{Code: "79.760", Name: "Công an Quận Một", Level: staff.District}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.PutUnitDirect(t.Context(), tc.unit, "test")
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	units, err := f.svc.Units(t.Context())
	require.NoError(t, err)
	require.Len(t, units, 4)
	assert.Equal(t, "Công an Quận Một", units[2].Name)
	assert.Equal(t, "79.760", units[3].Parent())
}

func TestSignIn(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	p := f.signIn(t, "admin", f.bootE, "192.0.2.1")
	assert.Equal(t, f.boot.ID, p.MemberID)
	assert.True(t, p.Has(staff.RoleOperator))
	assert.Equal(t, "s-admin", p.Session)

	tests := []struct {
		name     string
		username string
		password string
		want     error
	}{
		{"wrong password", "admin", "wrong password 1", staff.ErrBadCredentials},
		{"unknown member", "nobody", f.bootE.Password, staff.ErrBadCredentials},
		{"malformed username", "A B", f.bootE.Password, staff.ErrBadCredentials},
		{"upper case username", "ADMIN", f.bootE.Password, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SignIn(ctx, staff.SignInRequest{Username: tc.username, Password: tc.password, IP: "192.0.2.9"})
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	// A code is accepted once.
	id, err := f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: f.bootE.Password, IP: "192.0.2.1"})
	require.NoError(t, err)
	code, err := staff.TOTPCode(f.bootE.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	_, err = f.svc.VerifyTOTP(ctx, staff.CodeRequest{MemberID: id, Code: code, IP: "192.0.2.1"})
	require.NoError(t, err)
	_, err = f.svc.VerifyTOTP(ctx, staff.CodeRequest{MemberID: id, Code: code, IP: "192.0.2.1"})
	require.ErrorIs(t, err, staff.ErrCodeReplayed)
	_, err = f.svc.VerifyTOTP(ctx, staff.CodeRequest{MemberID: id, Code: "000000", IP: "192.0.2.1"})
	require.ErrorIs(t, err, staff.ErrInvalidCode)

	kinds := map[audit.EventType]int{}
	for _, e := range f.spy.Events() {
		if e.ActorKind == staff.ActorKind {
			kinds[e.Type]++
		}
	}
	assert.Equal(t, 3, kinds[audit.SignInFailed])
	assert.Equal(t, 2, kinds[audit.SecondFactorOK])
	assert.Equal(t, 2, kinds[audit.SecondFactorFailed])
}

// A stranger guessing passwords from their address locks only that
// (member, address) pair: the member signs in from their own counter.
func TestLockoutCannotBeTurnedAgainstMember(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	for i := range staff.DefaultLockoutPolicy.PairFailures {
		_, err := f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: "guess-guess", IP: "203.0.113.7"})
		if i < staff.DefaultLockoutPolicy.PairFailures-1 {
			require.ErrorIs(t, err, staff.ErrBadCredentials)
		} else {
			var le *staff.LockoutError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, 15, le.RetryMinutes())
		}
	}
	// The stranger, even with the right password, waits.
	_, err := f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: f.bootE.Password, IP: "203.0.113.7"})
	var le *staff.LockoutError
	require.ErrorAs(t, err, &le)
	// The member at their own address is not slowed down.
	f.signIn(t, "admin", f.bootE, "192.0.2.1")
	// The lock passes.
	f.clock.Add(16 * time.Minute)
	_, err = f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: f.bootE.Password, IP: "203.0.113.7"})
	require.NoError(t, err)
	assert.NotEmpty(t, f.spy.Of(audit.SignInLockedOut))
}

func TestGrantRules(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	boot := f.signIn(t, "admin", f.bootE, "192.0.2.1")
	// The bootstrap operator grants any role.
	_, opE, err := f.svc.CreateMember(ctx, f.actor(boot), staff.NewMember{Username: "op2", Name: "Operator Two", UnitCode: "79", Roles: []staff.Role{staff.RoleOperator}})
	require.NoError(t, err)
	offM, offE, err := f.svc.CreateMember(ctx, f.actor(boot), staff.NewMember{Username: "officer1", Name: "Cán bộ Một", UnitCode: "79.760.26734", Roles: []staff.Role{staff.RoleOfficer}})
	require.NoError(t, err)
	op2 := f.signIn(t, "op2", opE, "192.0.2.2")
	officer := f.signIn(t, "officer1", offE, "192.0.2.3")

	tests := []struct {
		name string
		by   staff.Principal
		new  staff.NewMember
		want error
	}{
		{"operator grants a role they lack", op2, staff.NewMember{Username: "officer2", Name: "B", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}}, staff.ErrForbidden},
		{"operator grants operator", op2, staff.NewMember{Username: "op3", Name: "C", UnitCode: "79", Roles: []staff.Role{staff.RoleOperator}}, nil},
		{"officer creates a member", officer, staff.NewMember{Username: "officer3", Name: "D", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}}, staff.ErrForbidden},
		{"unknown role", boot, staff.NewMember{Username: "x4", Name: "E", UnitCode: "79", Roles: []staff.Role{"root"}}, staff.ErrInvalid},
		{"no role", boot, staff.NewMember{Username: "x5", Name: "E", UnitCode: "79"}, staff.ErrInvalid},
		{"unknown unit", boot, staff.NewMember{Username: "x6", Name: "E", UnitCode: "80", Roles: []staff.Role{staff.RoleOfficer}}, staff.ErrInvalid},
		{"bad username", boot, staff.NewMember{Username: "a b", Name: "E", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}}, staff.ErrInvalid},
		{"taken username", boot, staff.NewMember{Username: "officer1", Name: "E", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}}, staff.ErrAlreadyExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.svc.CreateMember(ctx, f.actor(tc.by), tc.new)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	sup := []staff.Role{staff.RoleOfficer, staff.RoleSupervisor}
	yes := true
	unit := "79.760"
	changes := []struct {
		name string
		by   staff.Principal
		id   string
		c    staff.MemberChange
		want error
	}{
		{"operator adds a role they lack", op2, offM.ID, staff.MemberChange{Roles: sup}, staff.ErrForbidden},
		{"operator changes own roles", op2, op2.MemberID, staff.MemberChange{UnitCode: &unit}, staff.ErrForbidden},
		{"officer changes a member", officer, offM.ID, staff.MemberChange{UnitCode: &unit}, staff.ErrForbidden},
		{"operator moves an officer", op2, offM.ID, staff.MemberChange{UnitCode: &unit}, nil},
		{"bootstrap promotes", boot, offM.ID, staff.MemberChange{Roles: sup}, nil},
		{"bootstrap disables", boot, offM.ID, staff.MemberChange{Disabled: &yes}, nil},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.svc.UpdateMember(ctx, f.actor(tc.by), tc.id, tc.c)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	m, err := f.svc.Member(ctx, f.actor(boot), offM.ID)
	require.NoError(t, err)
	assert.Equal(t, sup, m.Roles)
	assert.Equal(t, "79.760", m.Unit.Code)
	assert.True(t, m.Disabled)

	// A disabled member's session and password open nothing.
	_, err = f.svc.SessionPrincipal(ctx, offM.ID, "s")
	require.ErrorIs(t, err, staff.ErrUnauthenticated)
	_, err = f.svc.SignIn(ctx, staff.SignInRequest{Username: "officer1", Password: offE.Password, IP: "192.0.2.3"})
	require.ErrorIs(t, err, staff.ErrDisabled)

	// Every change is audited with the operator's member id.
	var created []string
	for _, e := range f.spy.Of(audit.OperatorAction) {
		if e.Detail["action"] == "staff_member_created" {
			created = append(created, e.ActorID+":"+e.Detail["username"])
		}
	}
	assert.Equal(t, []string{boot.MemberID + ":op2", boot.MemberID + ":officer1", op2.MemberID + ":op3"}, created)
}

func TestResetCredentialsAndToken(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	boot := f.signIn(t, "admin", f.bootE, "192.0.2.1")
	m, e, err := f.svc.CreateMember(ctx, f.actor(boot), staff.NewMember{Username: "op9", Name: "Op", UnitCode: "79", Roles: []staff.Role{staff.RoleOperator}})
	require.NoError(t, err)
	_, reset, err := f.svc.UpdateMember(ctx, f.actor(boot), m.ID, staff.MemberChange{ResetCredentials: true})
	require.NoError(t, err)
	require.NotNil(t, reset)
	require.NotEqual(t, e.Password, reset.Password)
	_, err = f.svc.SignIn(ctx, staff.SignInRequest{Username: "op9", Password: e.Password, IP: "192.0.2.5"})
	require.ErrorIs(t, err, staff.ErrBadCredentials)
	f.signIn(t, "op9", *reset, "192.0.2.5")

	// An officer API credential issued to a member resolves to them.
	token, c, err := f.svc.Issue(ctx, m.ID, "79", boot.MemberID)
	require.NoError(t, err)
	p, err := f.svc.PrincipalForToken(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, m.ID, p.MemberID)
	assert.Equal(t, "credential:"+c.ID, p.Session)
	legacy, _, err := f.svc.Issue(ctx, "officer-7", "79", boot.MemberID)
	require.NoError(t, err)
	_, err = f.svc.PrincipalForToken(ctx, legacy)
	require.ErrorIs(t, err, staff.ErrUnauthenticated)
	c2, p2, err := f.svc.AuthenticateMember(ctx, legacy)
	require.NoError(t, err, "a credential of no member still opens the history lookup")
	assert.Nil(t, p2)
	assert.Equal(t, "officer-7", c2.OfficerID)

	// Disabling the member ends their credentials.
	yes := true
	_, _, err = f.svc.UpdateMember(ctx, f.actor(boot), m.ID, staff.MemberChange{Disabled: &yes})
	require.NoError(t, err)
	_, _, err = f.svc.AuthenticateMember(ctx, token)
	require.ErrorIs(t, err, staff.ErrUnauthenticated)
	_, err = f.svc.PrincipalForToken(ctx, token)
	require.ErrorIs(t, err, staff.ErrUnauthenticated)
}

func TestAuditFailureUndoesCreate(t *testing.T) {
	f := newMembers(t)
	ctx := context.Background()
	boot := f.signIn(t, "admin", f.bootE, "192.0.2.1")
	f.spy.SetFail(errors.New("audit down"))
	_, _, err := f.svc.CreateMember(ctx, f.actor(boot), staff.NewMember{Username: "ghost", Name: "G", UnitCode: "79", Roles: []staff.Role{staff.RoleOperator}})
	require.Error(t, err)
	f.spy.SetFail(nil)
	list, err := f.svc.AllMembers(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestLoadDemo(t *testing.T) {
	db := pgtest.New(t)
	c := &clock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}
	svc, err := staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"),
		Audit: &audittest.Spy{}, Now: c.Now, TOTPKey: []byte("totp-key-totp-key-totp-key-01234"), Argon2Params: testParams})
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, svc.LoadDemo(ctx))
	require.NoError(t, svc.LoadDemo(ctx), "a second start changes nothing")
	list, err := svc.AllMembers(ctx)
	require.NoError(t, err)
	require.Len(t, list, len(staff.DemoMembers))
	for _, m := range staff.DemoMembers {
		t.Run(m.Username, func(t *testing.T) {
			id, err := svc.SignIn(ctx, staff.SignInRequest{Username: m.Username, Password: staff.DemoPassword, IP: "192.0.2.1"})
			require.NoError(t, err)
			code, err := staff.TOTPCode(m.TOTPSecret, c.Now())
			require.NoError(t, err)
			p, err := svc.VerifyTOTP(ctx, staff.CodeRequest{MemberID: id, Code: code, IP: "192.0.2.1"})
			require.NoError(t, err)
			assert.Equal(t, m.Roles, p.Roles)
			assert.Equal(t, m.UnitCode, p.Unit.Code)
		})
	}
}

func TestChangePassword(t *testing.T) {
	f := newMembers(t)
	ctx := t.Context()
	assert.True(t, f.boot.MustChangePassword, "a generated password is to be replaced")
	boot := f.signIn(t, "admin", f.bootE, "192.0.2.1")
	by := f.actor(boot)
	tests := []struct {
		name, current, next string
		want                error
	}{
		{"weak", f.bootE.Password, "1234567890", staff.ErrInvalid},
		{"same", f.bootE.Password, f.bootE.Password, staff.ErrInvalid},
		{"wrong current", "wrong-password-1", "Mat-khau-moi-1", staff.ErrBadCredentials},
		{"changed", f.bootE.Password, "Mat-khau-moi-1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.ChangePassword(ctx, by, tc.current, tc.next)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	m, err := f.svc.SessionMember(ctx, boot.MemberID)
	require.NoError(t, err)
	assert.False(t, m.MustChangePassword)
	_, err = f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: f.bootE.Password, IP: "192.0.2.1"})
	require.ErrorIs(t, err, staff.ErrBadCredentials)
	_, err = f.svc.SignIn(ctx, staff.SignInRequest{Username: "admin", Password: "Mat-khau-moi-1", IP: "192.0.2.1"})
	require.NoError(t, err)
	assert.Len(t, f.spy.Of(audit.PasswordChanged), 1)

	// A reset makes the member choose again.
	_, _, err = f.svc.CreateMember(ctx, by, staff.NewMember{Username: "op5", Name: "Op", UnitCode: "79", Roles: []staff.Role{staff.RoleOperator}})
	require.NoError(t, err)
	op5, err := f.svc.FindMember(ctx, "op5")
	require.NoError(t, err)
	assert.True(t, op5.MustChangePassword)
}
