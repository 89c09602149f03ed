package guardianship_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/consenttest"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/internal/keyderive"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The people of the tests. The clock starts at accountstest.Start
// (2026-11-23 02:00 UTC).
const (
	guardianPID = "001085000101" // level 2
	level1PID   = "001090000102" // level 1, parent of level1Child
	childPID    = "001212000101" // born 2012-11-25: 14 two days after the start
	youngPID    = "001216000102" // born 2016
	oldPID      = "001211000103" // born 2011-01-01: 14 already
	wardPID     = "001214000104" // on a guardianship record
	adultPID    = "001080000105" // an adult ward with an account
	level1Child = "001217000106"
	unknownPID  = "001213999999"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type env struct {
	db       *pgtest.DB
	acc      *accountstest.Env
	svc      *guardianship.Service
	consent  *consent.Service
	guardian accounts.Account
	level1   accounts.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	e := &env{acc: acc, db: db}
	e.guardian = acc.Citizen(t, guardianPID, "correct horse battery", "+84901000101", assurance.Level2)
	e.level1 = acc.Citizen(t, level1PID, "correct horse battery", "+84901000102", assurance.Level1)
	acc.Citizen(t, adultPID, "correct horse battery", "+84901000105", assurance.Level1)
	person := func(pid, name string, born time.Time, guardian, rel string) attributes.Person {
		p := accountstest.Person(t, pid, name)
		p.BirthDate, p.GuardianID, p.GuardianRelation = born, guardian, rel
		return p
	}
	require.NoError(t, acc.Registry.Write(t.Context(), []attributes.Person{
		person(childPID, "Nguyễn Minh Khôi", day(2012, 11, 25), guardianPID, "child"),
		person(youngPID, "Nguyễn Thu Hà", day(2016, 2, 29), guardianPID, "child"),
		person(oldPID, "Nguyễn Văn Lớn", day(2011, 1, 1), guardianPID, "child"),
		person(wardPID, "Trần Văn Phúc", day(2014, 6, 1), "", ""),
		person(level1Child, "Lê Minh Anh", day(2017, 3, 3), level1PID, "child"),
	}, nil))
	cs, err := consent.NewService(consent.Config{Store: consentpg.NewStore(db.App), Audit: acc.Audit, Tokens: &consenttest.Tokens{}, Now: acc.Clock.Now})
	require.NoError(t, err)
	e.consent = cs
	e.svc, err = guardianship.New(guardianship.Config{
		Store: postgres.NewStore(db.App), Registry: acc.Registry, Accounts: acc.Service, Audit: acc.Audit,
		Consents: cs, Now: acc.Clock.Now,
	})
	require.NoError(t, err)
	return e
}

func officer() guardianship.Officer {
	return guardianship.Officer{ID: "officer-7", Unit: "01.001 Công an phường Tràng Tiền"}
}

// events returns the events of type t in accountID's history.
func (e *env) events(t audit.EventType, accountID string) []audit.Event {
	return slices.DeleteFunc(e.acc.Audit.Of(t), func(ev audit.Event) bool { return ev.AccountID != accountID })
}

func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// A record for the adult ward (who holds an account).
	_, err := e.svc.EnterRecord(ctx, guardianship.RecordInput{WardID: adultPID, GuardianID: guardianPID, Number: "1/2026/QĐ",
		Starts: day(2026, 1, 1)}, officer())
	require.NoError(t, err)
	first, err := e.svc.Register(ctx, e.guardian.ID, youngPID, guardianship.Actor{})
	require.NoError(t, err)

	cases := []struct {
		name, guardian, pid, reason string
		want                        error
	}{
		{"dependent aged 14 or more", e.guardian.ID, oldPID, "aged_14_or_more", guardianship.ErrTooOld},
		{"guardian not level 2", e.level1.ID, level1Child, "guardian_not_level_2", guardianship.ErrGuardianLevel},
		{"no relation and no record", e.guardian.ID, wardPID, "no_relation", guardianship.ErrNoRelation},
		{"oneself", e.guardian.ID, guardianPID, "no_relation", guardianship.ErrNoRelation},
		{"unknown personal id", e.guardian.ID, unknownPID, "unknown_person", guardianship.ErrUnknownPerson},
		{"holds an account", e.guardian.ID, adultPID, "has_account", guardianship.ErrHasAccount},
		{"registered twice", e.guardian.ID, youngPID, "already_registered", guardianship.ErrAlreadyRegistered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.acc.Audit.Reset()
			_, err := e.svc.Register(ctx, tc.guardian, tc.pid, guardianship.Actor{IP: "192.0.2.1"})
			require.ErrorIs(t, err, tc.want)
			evs := e.events(audit.DependentRegistered, tc.guardian)
			require.Len(t, evs, 1, "refusal audited in the guardian's history")
			assert.Equal(t, audit.Denied, evs[0].Outcome)
			assert.Equal(t, tc.reason, evs[0].Reason)
			assert.Equal(t, "192.0.2.1", evs[0].IP)
		})
	}
	// Twice: also in the dependent's history.
	assert.Len(t, e.events(audit.DependentRegistered, first.ID), 1)

	_, err = e.svc.Register(ctx, e.guardian.ID, "12345", guardianship.Actor{})
	require.ErrorIs(t, err, guardianship.ErrInvalid)
	list, err := e.svc.Dependents(ctx, e.guardian.ID)
	require.NoError(t, err)
	require.Len(t, list, 1, "no partial writes")
}

func TestRegisterUnderAnother(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	d, err := e.svc.Register(ctx, e.guardian.ID, youngPID, guardianship.Actor{})
	require.NoError(t, err)
	// A second level 2 guardian holding a record for the same child.
	other := e.acc.Citizen(t, "001070000107", "correct horse battery", "+84901000107", assurance.Level2)
	_, err = e.svc.EnterRecord(ctx, guardianship.RecordInput{WardID: youngPID, GuardianID: "001070000107", Number: "2/2026/QĐ",
		Starts: day(2026, 1, 1)}, officer())
	require.NoError(t, err)
	e.acc.Audit.Reset()
	_, err = e.svc.Register(ctx, other.ID, youngPID, guardianship.Actor{})
	require.ErrorIs(t, err, guardianship.ErrAlreadyRegistered)
	require.Len(t, e.events(audit.DependentRegistered, other.ID), 1)
	evs := e.events(audit.DependentRegistered, d.ID)
	require.Len(t, evs, 1, "the current guardian sees the attempt in the dependent's history")
	assert.Equal(t, "registered_under_another", evs[0].Reason)
}

func TestRegisterChildAndBirthday(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	d, err := e.svc.Register(ctx, e.guardian.ID, childPID, guardianship.Actor{IP: "192.0.2.9"})
	require.NoError(t, err)
	assert.Equal(t, guardianship.RelationChild, d.Relation)
	assert.Equal(t, guardianship.BasisRegistry, d.Basis)
	assert.NotEqual(t, childPID, d.ID)
	assert.Equal(t, "Nguyễn Minh Khôi", d.FullName)
	require.NotNil(t, d.AuthorityEnds)
	assert.Equal(t, day(2026, 11, 25), *d.AuthorityEnds)

	// Audited in both histories.
	g := e.events(audit.DependentRegistered, e.guardian.ID)
	require.Len(t, g, 1)
	assert.Equal(t, d.ID, g[0].Detail["dependent"])
	dep := e.events(audit.DependentRegistered, d.ID)
	require.Len(t, dep, 1)
	assert.Equal(t, e.guardian.ID, dep[0].Detail["guardian"])
	assert.Equal(t, e.guardian.ID, dep[0].ActorID)

	got, err := e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.NoError(t, err)
	assert.Equal(t, d, got)
	acting, err := e.svc.ActingFor(ctx, e.guardian.ID)
	require.NoError(t, err)
	require.Equal(t, []guardianship.Dependent{d}, acting)
	_, err = e.svc.Authority(ctx, e.level1.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority, "not theirs")
	_, err = e.svc.Authority(ctx, e.guardian.ID, "00000000-0000-0000-0000-000000000000")
	require.ErrorIs(t, err, guardianship.ErrNoAuthority, "unknown")

	// One microsecond before the 14th birthday the authority holds; at it,
	// it ends, before any sweep.
	e.acc.Clock.Set(d.AuthorityEnds.Add(-time.Microsecond))
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.NoError(t, err)
	n, err := e.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	e.acc.Clock.Set(*d.AuthorityEnds)
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)
	acting, err = e.svc.ActingFor(ctx, e.guardian.ID)
	require.NoError(t, err)
	require.Empty(t, acting)
	_, err = e.svc.Shares(ctx, e.guardian.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)

	// The sweep records the end once, in both histories.
	e.acc.Clock.Advance(10 * time.Minute)
	n, err = e.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = e.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	list, err := e.svc.Dependents(ctx, e.guardian.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotNil(t, list[0].EndedAt)
	assert.Equal(t, *d.AuthorityEnds, *list[0].EndedAt, "ended at the birthday, not at the sweep")
	assert.Equal(t, guardianship.EndAge14, list[0].EndReason)
	for _, id := range []string{e.guardian.ID, d.ID} {
		evs := e.events(audit.DependentEnded, id)
		require.Len(t, evs, 1, id)
		assert.Equal(t, guardianship.EndAge14, evs[0].Reason)
		assert.Equal(t, audit.System, evs[0].ActorKind)
	}
	// At 14 the child registers on its own: the dependent's id is offered
	// as the account id.
	id, err := e.svc.AccountIDFor(ctx, childPID)
	require.NoError(t, err)
	assert.Equal(t, d.ID, id)
	id, err = e.svc.AccountIDFor(ctx, youngPID)
	require.NoError(t, err)
	assert.Empty(t, id)
}

func TestGuardianLosesLevel(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	d, err := e.svc.Register(ctx, e.guardian.ID, youngPID, guardianship.Actor{})
	require.NoError(t, err)
	_, err = e.acc.Service.Lock(ctx, e.guardian.ID, "lost_phone", accounts.Actor{Kind: audit.Citizen, ID: e.guardian.ID})
	require.NoError(t, err)
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)
	require.ErrorIs(t, err, guardianship.ErrGuardianLevel)
	acting, err := e.svc.ActingFor(ctx, e.guardian.ID)
	require.NoError(t, err)
	require.Empty(t, acting)
}

func TestWardRecord(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, err := e.svc.EnterRecord(ctx, guardianship.RecordInput{WardID: wardPID, GuardianID: guardianPID, Number: "9/2026/QĐ-UBND",
		Starts: day(2026, 12, 1)}, officer())
	require.NoError(t, err)
	_, err = e.svc.Register(ctx, e.guardian.ID, wardPID, guardianship.Actor{})
	require.ErrorIs(t, err, guardianship.ErrNoRelation, "the record is not in force yet")

	e.acc.Clock.Set(day(2026, 12, 2))
	e.acc.Audit.Reset()
	d, err := e.svc.Register(ctx, e.guardian.ID, wardPID, guardianship.Actor{})
	require.NoError(t, err)
	assert.Equal(t, guardianship.RelationWard, d.Relation)
	assert.Equal(t, guardianship.BasisRecord, d.Basis)
	assert.NotEmpty(t, d.RecordID)
	assert.Nil(t, d.AuthorityEnds, "an open-ended record")

	// An officer ends the record on 2027-01-10; the authority ends then.
	end := day(2027, 1, 10)
	rec, err := e.svc.EndRecord(ctx, d.RecordID, end, officer())
	require.NoError(t, err)
	assert.Equal(t, end, *rec.Ends)
	require.Len(t, e.acc.Audit.Of(audit.GuardianshipRecordEnded), 1)
	assert.Equal(t, e.guardian.ID, e.acc.Audit.Of(audit.GuardianshipRecordEnded)[0].AccountID)
	_, err = e.svc.EndRecord(ctx, d.RecordID, end.Add(time.Hour), officer())
	require.ErrorIs(t, err, guardianship.ErrInvalid, "ends already")
	_, err = e.svc.EndRecord(ctx, d.RecordID, day(2026, 1, 1), officer())
	require.ErrorIs(t, err, guardianship.ErrInvalid, "before the start")

	e.acc.Clock.Set(end.Add(-time.Second))
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.NoError(t, err)
	e.acc.Clock.Set(end)
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)
	n, err := e.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	for _, id := range []string{e.guardian.ID, d.ID} {
		evs := e.events(audit.DependentEnded, id)
		require.Len(t, evs, 1)
		assert.Equal(t, guardianship.EndRecordEnded, evs[0].Reason)
	}

	// A new record for the ward under the same guardian: registered again
	// with the same id.
	_, err = e.svc.EnterRecord(ctx, guardianship.RecordInput{WardID: wardPID, GuardianID: guardianPID, Number: "10/2027/QĐ-UBND",
		Starts: end, Ends: ptr(day(2028, 1, 1))}, officer())
	require.NoError(t, err)
	again, err := e.svc.Register(ctx, e.guardian.ID, wardPID, guardianship.Actor{})
	require.NoError(t, err)
	assert.Equal(t, d.ID, again.ID)
	assert.Nil(t, again.EndedAt)
	assert.Equal(t, day(2028, 1, 1), *again.AuthorityEnds)
}

func ptr(t time.Time) *time.Time { return &t }

func TestEnterRecordChecks(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	good := guardianship.RecordInput{WardID: wardPID, GuardianID: guardianPID, Number: "1/QĐ", Starts: day(2026, 1, 1)}
	cases := []struct {
		name string
		edit func(*guardianship.RecordInput, *guardianship.Officer)
		want error
	}{
		{"same person", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.GuardianID = wardPID }, guardianship.ErrInvalid},
		{"no number", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.Number = " " }, guardianship.ErrInvalid},
		{"no start", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.Starts = time.Time{} }, guardianship.ErrInvalid},
		{"end before start", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.Ends = ptr(day(2025, 1, 1)) }, guardianship.ErrInvalid},
		{"bad number", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.WardID = "12" }, guardianship.ErrInvalid},
		{"no officer", func(_ *guardianship.RecordInput, o *guardianship.Officer) { o.ID = "" }, guardianship.ErrInvalid},
		{"unknown ward", func(r *guardianship.RecordInput, _ *guardianship.Officer) { r.WardID = unknownPID }, guardianship.ErrUnknownPerson},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, by := good, officer()
			tc.edit(&in, &by)
			_, err := e.svc.EnterRecord(ctx, in, by)
			require.ErrorIs(t, err, tc.want)
		})
	}
	recs, err := e.svc.Records(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, recs)
	e.acc.Audit.SetFail(errors.New("audit down"))
	_, err = e.svc.EnterRecord(ctx, good, officer())
	require.Error(t, err)
	e.acc.Audit.SetFail(nil)
	recs, err = e.svc.Records(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, recs, "an unaudited record is not kept")
	r, err := e.svc.EnterRecord(ctx, good, officer())
	require.NoError(t, err)
	evs := e.acc.Audit.Of(audit.GuardianshipRecordEntered)
	require.Len(t, evs, 1)
	assert.Equal(t, "officer-7", evs[0].ActorID)
	assert.Equal(t, e.guardian.ID, evs[0].AccountID)
	assert.Equal(t, r.ID, evs[0].Detail["record"])
}

func TestRevokeShare(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	d, err := e.svc.Register(ctx, e.guardian.ID, youngPID, guardianship.Actor{})
	require.NoError(t, err)
	_, err = e.consent.Grant(ctx, consent.Approval{AccountID: d.ID, ClientID: "school-portal", Scopes: []string{"openid", "profile"},
		Claims: []string{"name"}, PurposeVersion: "1", By: consent.Actor{Kind: audit.Citizen, ID: e.guardian.ID}})
	require.NoError(t, err)
	shares, err := e.svc.Shares(ctx, e.guardian.ID, d.ID)
	require.NoError(t, err)
	require.Len(t, shares, 1)
	_, err = e.svc.Shares(ctx, e.level1.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)
	require.ErrorIs(t, e.svc.RevokeShare(ctx, e.level1.ID, d.ID, "school-portal", guardianship.Actor{}), guardianship.ErrNoAuthority)

	e.acc.Audit.Reset()
	require.NoError(t, e.svc.RevokeShare(ctx, e.guardian.ID, d.ID, "school-portal", guardianship.Actor{IP: "192.0.2.4"}))
	dep := e.events(audit.ConsentRevoked, d.ID)
	require.Len(t, dep, 1, "in the dependent's history")
	assert.Equal(t, e.guardian.ID, dep[0].ActorID)
	g := e.events(audit.DependentShareRevoked, e.guardian.ID)
	require.Len(t, g, 1, "in the guardian's history")
	assert.Equal(t, "school-portal", g[0].ClientID)
	assert.Equal(t, d.ID, g[0].Detail["dependent"])
	shares, err = e.svc.Shares(ctx, e.guardian.ID, d.ID)
	require.NoError(t, err)
	assert.False(t, shares[0].RevokedAt.IsZero())
}

// At 14 the child registers through the normal registration and the new
// account takes the dependent's id.
func TestChildRegistersAt14KeepsID(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	d, err := e.svc.Register(ctx, e.guardian.ID, childPID, guardianship.Actor{})
	require.NoError(t, err)
	store := postgres.NewStore(e.db.App)
	svc, err := accounts.New(accounts.Config{
		Store: e.acc.Store, Registry: e.acc.Registry, Audit: e.acc.Audit, Sender: e.acc.Sender, Now: e.acc.Clock.Now,
		Argon2Params: accountstest.Params, TOTPKey: e.acc.TOTPKey, CodeKey: keyderive.Key(e.acc.TOTPKey, "test-sms"),
		AccountIDs: guardianship.AccountIDs{Store: store, Now: e.acc.Clock.Now},
	})
	require.NoError(t, err)
	req := accounts.RegistrationRequest{PersonalID: childPID, FullName: "Nguyen Minh Khoi", BirthDate: day(2012, 11, 25),
		Gender: attributes.Male, Phone: "0901000199", Client: accounts.Client{IP: "192.0.2.7"}}
	_, err = svc.StartRegistration(ctx, req)
	require.ErrorIs(t, err, accounts.ErrUnderage, "13 the day before")

	e.acc.Clock.Set(day(2026, 11, 25).Add(time.Hour))
	started, err := svc.StartRegistration(ctx, req)
	require.NoError(t, err)
	code := e.acc.Sender.LastCode(t, "+84901000199")
	require.NoError(t, svc.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: started.ID, Code: code, Client: req.Client}))
	a, err := svc.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: started.ID, Password: "a long pass phrase 14", Client: req.Client})
	require.NoError(t, err)
	assert.Equal(t, d.ID, a.ID, "the child's subject continues")
	_, err = e.svc.Authority(ctx, e.guardian.ID, d.ID)
	require.ErrorIs(t, err, guardianship.ErrNoAuthority)
}
