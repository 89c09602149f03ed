package proofing_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/proofing"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is the proofing service on a real database with the real accounts
// service, population registry, biometric store and chip verification.
type env struct {
	*accountstest.Env
	Proofing   *proofing.Service
	Store      *proofingpg.Store
	Biometrics *biometricspg.Store
	Notified   *notifier
	Pool       *pgxpool.Pool
}

// auditReasons lists the recorded events as reason:outcome.
func (e *env) auditReasons(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, ev := range e.Audit.Events() {
		out = append(out, ev.Reason+":"+string(ev.Outcome))
	}
	return out
}

// notifier records what citizens were told.
type notifier struct{ got []string }

func (n *notifier) NotifyEnrolment(_ context.Context, a accounts.Account, level int, approved bool, reason string) error {
	s := "refused"
	if approved {
		s = "approved"
	}
	n.got = append(n.got, a.PersonalID+":"+s)
	return nil
}

func newEnv(t *testing.T, chips proofing.ChipVerifier, opts ...func(*proofing.Config, *env)) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{Env: accountstest.New(t, db.App, nil), Store: proofingpg.NewStore(db.App), Notified: &notifier{}, Pool: db.App}
	e.Biometrics = biometricspg.NewStore(db.App, e.Clock.Now)
	cfg := proofing.Config{
		Store: e.Store, Chips: chips, Registry: e.Registry, Accounts: e.Service, Biometrics: e.Biometrics,
		Matcher: proofing.TemplateMatcher{References: e.Store}, Audit: e.Audit, Notifier: e.Notified, Now: e.Clock.Now,
	}
	for _, o := range opts {
		o(&cfg, e)
	}
	svc, err := proofing.New(cfg)
	require.NoError(t, err)
	e.Proofing = svc
	return e
}

// citizen puts p in the population registry and, when withAccount, gives
// them an activated level 0 account.
func (e *env) citizen(t *testing.T, p emulator.Person, withAccount bool) accounts.Account {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, e.Registry.Write(ctx, []attributes.Person{{
		PersonalID: p.PersonalID, OldID: p.OldID, FullName: p.FullName, BirthDate: p.BirthDate, Gender: p.Gender,
		Nationality: "VN", IssueDate: p.IssueDate,
	}}, nil))
	if !withAccount {
		return accounts.Account{}
	}
	a, err := e.Service.Create(ctx, accounts.NewAccount{PersonalID: p.PersonalID, Status: accounts.Active, Phone: "+84901" + p.PersonalID[6:]},
		accounts.Actor{Kind: audit.System, ID: "test"})
	require.NoError(t, err)
	return a
}

var (
	officer = staff.Principal{MemberID: "officer-1", Username: "officer1", Name: "Trần Văn Cán", Roles: []staff.Role{staff.RoleOfficer},
		Unit: staff.Unit{Code: "01.001.00001", Name: "Công an phường Phúc Xá", Level: staff.Commune}, Session: "s1"}
	otherOfficer = staff.Principal{MemberID: "officer-2", Roles: []staff.Role{staff.RoleOfficer},
		Unit: staff.Unit{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: staff.Commune}}
	operator = staff.Principal{MemberID: "operator-1", Roles: []staff.Role{staff.RoleOperator}, Unit: staff.Unit{Code: "01"}}
)

var jpeg = []byte("\xff\xd8\xff\xe0 a portrait")

// noChips is the chip verification of a gateway with no CSCA list.
type noChips struct{}

func (noChips) VerifyChip(cardreader.ChipData, time.Time) (proofing.ChipResult, error) {
	return proofing.ChipResult{}, proofing.ErrInvalid
}
