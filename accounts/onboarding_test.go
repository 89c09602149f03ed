package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

func TestFoldText(t *testing.T) {
	for in, want := range map[string]string{
		"Lê Văn Cường":        "le van cuong",
		"  LÊ   VĂN\tCƯỜNG ":  "le van cuong",
		"Đặng Thị Đào":        "dang thi dao",
		"Kim Min-jun":         "kim min jun",
		"Trường TH Kim Đồng!": "truong th kim dong",
		"Huế":                 "hue",
		"…":                   "",
	} {
		require.Equal(t, want, accounts.FoldText(in), in)
	}
	// NFC and NFD spellings agree.
	require.Equal(t, accounts.FoldText("Nguy\u1ec5n"), accounts.FoldText("Nguye\u0302\u0303n"))
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"0901000004":       "+84901000004",
		"0901 000 004":     "+84901000004",
		"090-100-0004":     "+84901000004",
		"84901000004":      "+84901000004",
		"+84 (90) 1000004": "+84901000004",
		"+821012345678":    "+821012345678",
	} {
		got, err := accounts.NormalizePhone(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "12345", "090100000", "+0901000004", "0901x00004", "09010000041", "++84901000004"} {
		_, err := accounts.NormalizePhone(in)
		require.ErrorIs(t, err, accounts.ErrInvalidPhone, in)
		require.ErrorIs(t, err, accounts.ErrInvalid, in)
	}
}

func TestCheckPasscode(t *testing.T) {
	for _, ok := range []string{"480917", "102938", "112233", "000001"} {
		require.NoError(t, accounts.CheckPasscode(ok), ok)
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "１２３４５６", "000000", "999999", "123456", "654321", "789012", "321098"} {
		require.ErrorIs(t, accounts.CheckPasscode(bad), accounts.ErrWeakPasscode, bad)
	}
}

func TestEnrolLevels(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	require.NoError(t, env.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, pid, "Nguyễn Văn An")}, nil))
	a, err := env.Service.Create(ctx, accounts.NewAccount{PersonalID: pid, Level: assurance.None, Phone: phone}, officer)
	require.NoError(t, err)
	env.Audit.Reset()

	ev := func(level assurance.Level, mod func(*accounts.Evidence)) accounts.Evidence {
		e := *accountstest.Evidence(level)
		if mod != nil {
			mod(&e)
		}
		return e
	}
	refused := []struct {
		name string
		ev   accounts.Evidence
		by   accounts.Actor
	}{
		{"officer not named", ev(1, nil), accounts.Actor{Kind: audit.Officer}},
		{"a check failed", ev(2, func(e *accounts.Evidence) { e.Checks[1].OK = false }), officer},
		{"no checks", ev(1, func(e *accounts.Evidence) { e.Checks = nil }), officer},
		{"counter without unit", ev(1, func(e *accounts.Evidence) { e.Unit = "" }), officer},
		{"no document", ev(1, func(e *accounts.Evidence) { e.DocumentNumber = "" }), officer},
		{"level 2 from the app", ev(2, func(e *accounts.Evidence) { e.Method = accounts.EvidenceApp }), officer},
		{"import is not an enrolment", accounts.ImportedEvidence(1, "file"), officer},
		{"level 3", ev(2, func(e *accounts.Evidence) { e.Level = 3 }), officer},
	}
	for _, tc := range refused {
		_, _, err := env.Service.Enrol(ctx, a.ID, tc.ev, tc.by)
		require.ErrorIs(t, err, accounts.ErrInvalid, tc.name)
	}
	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level, "nothing refused changed the level")
	require.Empty(t, env.Audit.Types())

	got, first, err := env.Service.Enrol(ctx, a.ID, ev(1, nil), officer)
	require.NoError(t, err)
	require.Equal(t, assurance.Level1, got.Level)
	require.Equal(t, first.ID, got.EvidenceID)
	got, second, err := env.Service.Enrol(ctx, a.ID, ev(2, nil), officer)
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, got.Level)
	require.Equal(t, second.ID, got.EvidenceID)
	_, _, err = env.Service.Enrol(ctx, a.ID, ev(1, nil), officer)
	require.ErrorIs(t, err, accounts.ErrLevel, "evidence never lowers a level")

	require.Equal(t, []string{"officer.action:enrol_level1", "officer.action:enrol_level2"}, env.Audit.Types())
	e := env.Audit.Events()[1]
	require.Equal(t, audit.Officer, e.ActorKind)
	require.Equal(t, "officer-7", e.ActorID)
	require.Equal(t, a.ID, e.AccountID)
	require.Equal(t, map[string]string{"action": "enrol_level2", "from_level": "1", "to_level": "2",
		"evidence_id": second.ID, "method": "counter", "unit": "01.001"}, e.Detail)

	all, err := env.Service.Evidence(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, second.ID, all[0].ID, "newest first")
	require.Equal(t, second.Checks, all[0].Checks)
	require.Equal(t, "officer-1", all[0].OfficerID)

	// Revoking the level 2 evidence falls back to the level 1 one; revoking
	// that one to level 0; a revoked record cannot be revoked again.
	_, err = env.Service.RevokeEvidence(ctx, a.ID, second.ID, "", officer)
	require.ErrorIs(t, err, accounts.ErrInvalid, "a reason is required")
	got, err = env.Service.RevokeEvidence(ctx, a.ID, second.ID, "card revoked", officer)
	require.NoError(t, err)
	require.Equal(t, assurance.Level1, got.Level)
	require.Equal(t, first.ID, got.EvidenceID)
	got, err = env.Service.RevokeEvidence(ctx, a.ID, first.ID, "made in error", officer)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level)
	require.Empty(t, got.EvidenceID)
	_, err = env.Service.RevokeEvidence(ctx, a.ID, first.ID, "again", officer)
	require.ErrorIs(t, err, accounts.ErrNotFound)

	// A locked account is not enrolled.
	require.NoError(t, env.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, "079185000001", "Trần Thị Bình")}, nil))
	b, err := env.Service.Create(ctx, accounts.NewAccount{PersonalID: "079185000001", Level: assurance.Level1, Evidence: accountstest.Evidence(assurance.Level1)}, officer)
	require.NoError(t, err)
	_, err = env.Service.Lock(ctx, b.ID, "holder_request", officer)
	require.NoError(t, err)
	_, _, err = env.Service.Enrol(ctx, b.ID, ev(2, nil), officer)
	require.ErrorIs(t, err, accounts.ErrLocked)
}

func TestRegistrationSteps(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	person := accountstest.Person(t, pid, "Nguyễn Văn An")
	require.NoError(t, env.Registry.Write(ctx, []attributes.Person{person}, nil))
	client := accounts.Client{IP: ip, RequestID: "req-reg"}
	start := func() accounts.RegistrationStarted {
		t.Helper()
		st, err := env.Service.StartRegistration(ctx, accounts.RegistrationRequest{
			PersonalID: pid, FullName: "NGUYEN VAN AN", BirthDate: person.BirthDate.In(time.FixedZone("ICT", 7*3600)),
			Gender: attributes.Male, Phone: "0901234567", Client: client,
		})
		require.NoError(t, err)
		return st
	}

	st := start()
	require.Equal(t, "+84******567", st.MaskedPhone)
	// The password before the code: refused.
	_, err := env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: st.ID, Password: password, Client: client})
	require.ErrorIs(t, err, accounts.ErrPhoneNotConfirmed)
	require.NoError(t, env.Service.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: st.ID, Code: env.Sender.LastCode(t, phone), Client: client}))
	// Too late for the password.
	env.Clock.Advance(31 * time.Minute)
	_, err = env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: st.ID, Password: password, Client: client})
	require.ErrorIs(t, err, accounts.ErrRegistrationExpired)
	_, err = env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: "not-a-registration", Password: password, Client: client})
	require.ErrorIs(t, err, accounts.ErrRegistrationExpired)

	// Again, in time; the registration then cannot be used twice.
	st = start()
	require.NoError(t, env.Service.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: st.ID, Code: env.Sender.LastCode(t, phone), Client: client}))
	a, err := env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: st.ID, Password: password, Client: client})
	require.NoError(t, err)
	require.Equal(t, assurance.None, a.Level)
	require.Equal(t, accounts.Pending, a.Status)
	_, err = env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: st.ID, Password: password, Client: client})
	require.ErrorIs(t, err, accounts.ErrRegistrationExpired)

	// Old registrations are purged after a day.
	env.Clock.Advance(25 * time.Hour)
	n, err := env.Service.Purge(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(2))
	require.ErrorIs(t, env.Service.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: st.ID, Code: "000000", Client: client}), accounts.ErrRegistrationExpired)
}

func TestActivationTicket(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	require.NoError(t, env.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, pid, "Nguyễn Văn An")}, nil))
	a, err := env.Service.Create(ctx, accounts.NewAccount{PersonalID: pid, Level: assurance.Level1, Evidence: accountstest.Evidence(assurance.Level1), Phone: phone, Password: password}, officer)
	require.NoError(t, err)
	client := accounts.Client{IP: ip}
	st, err := env.Service.StartActivation(ctx, accounts.ActivationRequest{PersonalID: pid, Phone: phone, Client: client})
	require.NoError(t, err)
	require.False(t, st.NeedPassword)
	ticket, err := env.Service.VerifyActivationCode(ctx, accounts.ActivationCode{AccountID: a.ID, Code: env.Sender.LastCode(t, phone), Client: client})
	require.NoError(t, err)
	in := accounts.Activation{AccountID: a.ID, Passcode: "480917", Client: client,
		Answers: [2]accounts.Answer{{Question: "first_school", Answer: "Kim Đồng"}, {Question: "favourite_food", Answer: "Phở"}}}

	for name, tk := range map[string]string{"none": "", "forged": ticket[:len(ticket)-2] + "AA", "garbage": "x.y"} {
		in.Ticket = tk
		_, err := env.Service.CompleteActivation(ctx, in)
		require.ErrorIs(t, err, accounts.ErrActivationExpired, name)
	}
	// Another account's ticket does not fit.
	in.Ticket, in.AccountID = ticket, "00000000-0000-0000-0000-000000000000"
	_, err = env.Service.CompleteActivation(ctx, in)
	require.ErrorIs(t, err, accounts.ErrActivationExpired)
	in.AccountID = a.ID
	env.Clock.Advance(16 * time.Minute)
	_, err = env.Service.CompleteActivation(ctx, in)
	require.ErrorIs(t, err, accounts.ErrActivationExpired, "too late")
	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Pending, got.Status)
}
