package population_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	db  *pgtest.DB
	env *accountstest.Env
	dst population.Target
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := pgtest.New(t)
	env := accountstest.New(t, db.App, nil)
	return fixture{db: db, env: env, dst: population.Target{
		Pool: db.App, Accounts: env.Service, Audit: env.Audit, Now: env.Clock.Now,
		Biometrics: biometricspg.NewStore(db.App, env.Clock.Now),
	}}
}

func (f fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, f.db.App.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestImportDemoFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	rep, err := population.Import(ctx, f.dst, bytes.NewReader(population.DemoFile()), population.JSONLines)
	require.NoError(t, err)
	require.Equal(t, population.Report{People: 6, Documents: 4, Accounts: 5}, rep)

	an, err := f.env.Registry.Person(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	require.Equal(t, "Nguyễn Văn An", an.FullName)
	require.Equal(t, time.Date(1985, 3, 12, 0, 0, 0, 0, time.UTC), an.BirthDate)
	require.Equal(t, "Quận Hoàn Kiếm", an.Residence.District)
	deps, err := f.env.Registry.Dependents(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	require.Len(t, deps, 1)
	require.Equal(t, population.DemoChildID, deps[0].PersonalID)
	docs, err := f.env.Registry.Documents(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	require.Len(t, docs, 4)
	require.Equal(t, attributes.DrivingLicence, docs[0].Kind)
	require.Equal(t, "A1,B2", docs[0].Fields["classes"])
	kim, err := f.env.Registry.Person(ctx, population.DemoForeignerID)
	require.NoError(t, err)
	require.Equal(t, "KR", kim.Nationality)

	// The demo credentials work: password, then the documented TOTP secret.
	si, err := f.env.Service.SignIn(ctx, accounts.SignInRequest{PersonalID: population.DemoLevel2ID, Password: population.DemoPassword, IP: "192.0.2.1"})
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, si.Account.Level)
	require.Equal(t, []accounts.Factor{accounts.FactorTOTP, accounts.FactorSMS}, si.Factors)
	code, err := accounts.TOTPCode(population.DemoTOTPSecret, f.env.Clock.Now())
	require.NoError(t, err)
	_, err = f.env.Service.VerifySecondFactor(ctx, accounts.SecondFactorRequest{AccountID: si.Account.ID, Factor: accounts.FactorTOTP, Code: code})
	require.NoError(t, err)
	_, err = f.env.Service.SignIn(ctx, accounts.SignInRequest{PersonalID: population.DemoPendingID, Password: population.DemoPassword})
	require.ErrorIs(t, err, accounts.ErrNotActivated)
	_, err = f.env.Service.SignIn(ctx, accounts.SignInRequest{PersonalID: population.DemoLockedID, Password: population.DemoPassword})
	require.ErrorIs(t, err, accounts.ErrLocked)
	locked, err := f.env.Service.ByPersonalID(ctx, population.DemoLockedID)
	require.NoError(t, err)
	require.Equal(t, "lost_phone", locked.LockReason)

	// One audit event for the whole import, naming counts only.
	ev := f.env.Audit.Events()[0]
	require.Equal(t, audit.OperatorAction, ev.Type)
	require.Equal(t, "population_import", ev.Reason)
	require.Equal(t, "5", ev.Detail["accounts_created"])

	// Importing again replaces people and keeps accounts.
	rep, err = population.Import(ctx, f.dst, bytes.NewReader(population.DemoFile()), population.JSONLines)
	require.NoError(t, err)
	require.Equal(t, population.Report{People: 6, Documents: 4, Accounts: 0, AccountsSkipped: 5}, rep)
	require.Equal(t, 6, f.count(t, "population"))
}

func TestImportCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	csv := "\ufeffpersonal_id,full_name,birth_date,gender,province,phone,account_level,account_password,guardian_id\n" +
		"001090123456,Nguyễn Văn Hùng,1990-05-17,Nam,Hà Nội,+84912000001,2,Mật khẩu CSV,\n" +
		"\"001315000009\",\"Nguyễn Thị Hoa\",2015-01-01,Nữ,Hà Nội,,,,001090123456\n"
	rep, err := population.Import(ctx, f.dst, strings.NewReader(csv), population.CSV)
	require.NoError(t, err)
	require.Equal(t, population.Report{People: 2, Accounts: 1}, rep)
	p, err := f.env.Registry.Person(ctx, "001315000009")
	require.NoError(t, err)
	require.Equal(t, attributes.Female, p.Gender)
	require.Equal(t, "child", p.GuardianRelation)
	require.Equal(t, "VN", p.Nationality)
	a, err := f.env.Service.ByPersonalID(ctx, "001090123456")
	require.NoError(t, err)
	require.Equal(t, accounts.Active, a.Status)
	require.Equal(t, "+84912000001", a.Phone, "the person's phone when the account has none")
	_, err = f.env.Service.SignIn(ctx, accounts.SignInRequest{PersonalID: "001090123456", Password: "Mật khẩu CSV"})
	require.NoError(t, err)

	// A later file may refer to a guardian already in the registry.
	rep, err = population.Import(ctx, f.dst, strings.NewReader("personal_id,full_name,birth_date,gender,guardian_id,guardian_relation\n"+
		"001318000010,Nguyễn Thu Trang,2018-03-03,female,001090123456,child\n"), population.CSV)
	require.NoError(t, err)
	require.Equal(t, 1, rep.People)
}

func TestImportReportsEveryBadLineAndImportsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	lines := []string{
		/* 1 */ `{"personal_id":"001090123456","full_name":"Good Person","birth_date":"1990-05-17","gender":"male"}`,
		/* 2 */ `{"personal_id":"001091123456","full_name":"Year Mismatch","birth_date":"1990-05-17","gender":"male"}`,
		/* 3 */ `{"personal_id":"001190000001","full_name":"Gender Mismatch","birth_date":"1990-05-17","gender":"male"}`,
		/* 4 */ ``,
		/* 5 */ `{"personal_id":"003090000001","full_name":"Unknown Province","birth_date":"1990-05-17","gender":"male"}`,
		/* 6 */ `{"personal_id":"00109012345","full_name":"","birth_date":"17/05/1990","gender":"x"}`,
		/* 7 */ `{"personal_id":"001090123456","full_name":"Duplicate","birth_date":"1990-05-17","gender":"male"}`,
		/* 8 */ `{"personal_id":"001215000001","full_name":"Child Alone","birth_date":"2015-01-01","gender":"male"}`,
		/* 9 */ `{"personal_id":"001215000002","full_name":"Orphan","birth_date":"2015-01-01","gender":"male","guardian_id":"079090999999"}`,
		/* 10 */ `{"personal_id":"001090000010","full_name":"Typo","birth_date":"1990-05-17","gender":"male","fulname":"x"}`,
		/* 11 */ `{not json`,
		/* 12 */ `{"personal_id":"001090000011","full_name":"Foreigner","birth_date":"1990-05-17","gender":"male","nationality":"KR"}`,
		/* 13 */ `{"personal_id":"001090000012","full_name":"Bad Doc","birth_date":"1990-05-17","gender":"male","documents":[{"kind":"passport","number":""}]}`,
		/* 14 */ `{"personal_id":"001090000013","full_name":"Bad Account","birth_date":"1990-05-17","gender":"male","account":{"level":3,"password":"123","phone":"0901","totp_secret":"not base32!"}}`,
		/* 15 */ `{"personal_id":"001090000014","full_name":"Future","birth_date":"2099-01-01","gender":"male"}`,
		/* 16 */ `{"personal_id":"001090000015","full_name":"Good Too","birth_date":"1990-05-17","gender":"male"}`,
	}
	_, err := population.Import(ctx, f.dst, strings.NewReader(strings.Join(lines, "\n")), population.JSONLines)
	var ve *population.ValidationError
	require.ErrorAs(t, err, &ve)
	got := map[int]string{}
	var order []int
	for _, l := range ve.Lines {
		got[l.Line] += l.Err.Error()
		order = append(order, l.Line)
	}
	require.Equal(t, []int{2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, order)
	for n, want := range map[int][]string{
		2:  {"does not match the year of birth"},
		3:  {"does not match the gender"},
		5:  {"unknown province code 003"},
		6:  {"full_name is empty", "birth_date \"17/05/1990\" is not a date", "gender \"x\"", "must have 12 digits"},
		7:  {"already on line 1"},
		8:  {"under 14 needs a guardian_id"},
		9:  {"guardian_id 079090999999 is neither in the file nor in the registry"},
		10: {"unknown field \"fulname\""},
		11: {"not a valid record"},
		12: {"passport_no is required"},
		13: {"kind \"passport\"", "number is empty"},
		14: {"level 3", "password", "phone \"0901\"", "totp_secret"},
		15: {"in the future"},
	} {
		for _, w := range want {
			require.Contains(t, got[n], w, "line %d", n)
		}
	}
	require.Contains(t, err.Error(), "line 14: ")
	require.Contains(t, err.Error(), "nothing imported")
	require.Zero(t, f.count(t, "population"))
	require.Zero(t, f.count(t, "accounts"))
	require.Empty(t, f.env.Audit.Events())

	// A file whose only fault is an unknown guardian.
	_, err = population.Import(ctx, f.dst, strings.NewReader(lines[0]+"\n"+lines[8]), population.JSONLines)
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Lines, 1)
	require.Equal(t, 2, ve.Lines[0].Line)
	require.Zero(t, f.count(t, "population"))
}

func TestImportCSVErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	_, err := population.Import(ctx, f.dst, strings.NewReader("personal_id,full_name,colour\n"), population.CSV)
	var ve *population.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Contains(t, err.Error(), `line 1: unknown column "colour"`)
	require.Contains(t, err.Error(), `missing column "birth_date"`)

	// A quoted field spanning two lines: line numbers stay those of the file.
	csv := "personal_id,full_name,birth_date,gender,street_address\n" +
		"001090123456,An,1990-05-17,male,\"12 Hàng Bài\nHoàn Kiếm\"\n" +
		"001090123457,Bình,1990-05-17,female,\n" +
		"001090123458,Cường,1990-05-17,male\n"
	_, err = population.Import(ctx, f.dst, strings.NewReader(csv), population.CSV)
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Lines, 2)
	require.Equal(t, 4, ve.Lines[0].Line)
	require.Contains(t, ve.Lines[0].Error(), "does not match the gender")
	require.Equal(t, 5, ve.Lines[1].Line)
	require.Contains(t, ve.Lines[1].Error(), "wrong number of fields")
	require.Zero(t, f.count(t, "population"))

	_, err = population.FormatOf("people.xlsx")
	require.Error(t, err)
	format, err := population.FormatOf("PEOPLE.JSONL")
	require.NoError(t, err)
	require.Equal(t, population.JSONLines, format)
}

func TestGenerateIsDeterministicAndValid(t *testing.T) {
	t.Parallel()
	a := population.Generate(2000, 7)
	require.Equal(t, a, population.Generate(2000, 7))
	require.NotEqual(t, a, population.Generate(2000, 8))
	pids := map[string]bool{}
	var children, foreigners, withAccounts, level2, pending int
	for _, r := range a {
		require.False(t, pids[r.PersonalID], "duplicate %s", r.PersonalID)
		pids[r.PersonalID] = true
		if r.GuardianID != "" {
			children++
		}
		if r.Nationality != "VN" {
			foreigners++
		}
		if r.Account != nil {
			withAccounts++
			if r.Account.Level == 2 {
				level2++
			}
			if r.Account.Status == "pending" {
				pending++
			}
		}
	}
	require.Greater(t, children, 100)
	require.Greater(t, foreigners, 10)
	require.Greater(t, withAccounts, 1000)
	require.Greater(t, level2, 300)
	require.Greater(t, pending, 100)

	f := newFixture(t)
	start := time.Now()
	rep, err := population.ImportRecords(t.Context(), f.dst, a)
	require.NoError(t, err)
	t.Logf("imported %d people and %d accounts in %s", rep.People, rep.Accounts, time.Since(start))
	require.Equal(t, 2000, rep.People)
	require.Equal(t, withAccounts, rep.Accounts)
}

func TestLoadDemo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, f.dst, population.DemoOptions{Generated: 300, Seed: 3}))
	people := f.count(t, "population")
	require.Equal(t, 306, people)
	records := f.count(t, "biometric_records")
	require.Positive(t, records)

	// Idempotent: a second start loads nothing more.
	require.NoError(t, population.LoadDemo(ctx, f.dst, population.DemoOptions{Generated: 300, Seed: 3}))
	require.Equal(t, people, f.count(t, "population"))
	require.Equal(t, records, f.count(t, "biometric_records"))

	// The demo accounts have security answers, for /recover and /unlock.
	for _, id := range []string{population.DemoLevel1ID, population.DemoLockedID} {
		a, err := f.env.Service.ByPersonalID(ctx, id)
		require.NoError(t, err)
		ok, err := f.env.Service.VerifySecurityAnswer(ctx, a.ID, "mother_hometown", population.DemoAnswers[1].Answer)
		require.NoError(t, err)
		require.True(t, ok, id)
	}

	// The level 2 citizen carries both sentinels; the child has no account
	// and so no biometric records.
	an, err := f.env.Service.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	recs, err := biometricspg.NewStore(f.db.App, nil).Records(ctx, an.ID)
	require.NoError(t, err)
	var all []byte
	for _, r := range recs {
		all = append(all, r.Template...)
	}
	require.True(t, bytes.Contains(all, []byte(biometrics.PortraitSentinel(population.DemoLevel2ID))))
	require.True(t, bytes.Contains(all, []byte(biometrics.FingerprintSentinel(population.DemoLevel2ID))))
	_, err = f.env.Service.ByPersonalID(ctx, population.DemoChildID)
	require.True(t, errors.Is(err, accounts.ErrNotFound))

	require.Contains(t, population.DemoBanner(), population.DemoTOTPSecret)
}

func TestDeployDemoFileMatchesEmbedded(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "demo", "population.jsonl"))
	require.NoError(t, err)
	require.Equal(t, string(population.DemoFile()), string(b), "deploy/demo/population.jsonl and population/demo/population.jsonl must be the same file")
}

func TestDeployDemoForeignersFileMatchesEmbedded(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "demo", "foreigners.jsonl"))
	require.NoError(t, err)
	require.Equal(t, string(population.DemoForeignersFile()), string(b), "deploy/demo/foreigners.jsonl and population/demo/foreigners.jsonl must be the same file")
}
