package gateway_test

import (
	"crypto/rand"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
	"github.com/dinhdanh/dinhdanh/testsupport/smtptest"
)

// noticeConfig is a dev-mode configuration (SMS to the developer inbox)
// with e-mail through srv.
func noticeConfig(t *testing.T, srv *smtptest.Server) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DevMode = true
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	cfg.Argon2.MemoryKiB, cfg.Argon2.Iterations = 8192, 1
	cfg.Email = config.Email{SMTPHost: srv.Host, SMTPPort: srv.Port, From: "Định danh điện tử <no-reply@id.example.gov.vn>",
		Username: "dinhdanh", Password: "smtp-secret", TLS: "none"}
	require.NoError(t, cfg.Validate(config.Needs{}))
	return cfg
}

// told is what the outbox holds for an account: kind, channel, address
// and language of each notification, oldest first.
func told(t *testing.T, g *gateway.Gateway, accountID string) []string {
	t.Helper()
	ns, err := g.Notify.ListForAccount(t.Context(), accountID)
	require.NoError(t, err)
	out := make([]string, 0, len(ns))
	for i := len(ns) - 1; i >= 0; i-- {
		n := ns[i]
		out = append(out, string(n.Kind)+" "+string(n.Channel)+" "+n.Address+" "+string(n.Lang))
	}
	return out
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// devCode is the code in the newest development SMS to phone.
func devCode(t *testing.T, db *pgtest.DB, phone string) string {
	t.Helper()
	var body string
	require.NoError(t, db.App.QueryRow(t.Context(), `SELECT body FROM dev_sms_inbox WHERE phone = $1 ORDER BY id DESC LIMIT 1`, phone).Scan(&body))
	code := sixDigits.FindString(body)
	require.NotEmpty(t, code, body)
	return code
}

// TestEveryEventTellsTheCitizenOnce drives each event through the serving
// gateway's own wiring and reads the outbox in PostgreSQL: each queues
// exactly one notification of its kind, to the phone (or the e-mail
// address of an account without one), in the account's language; a
// refused change queues nothing.
func TestEveryEventTellsTheCitizenOnce(t *testing.T) {
	db := pgtest.New(t)
	srv := smtptest.Start(t, "dinhdanh", "smtp-secret")
	g := startGateway(t, db, noticeConfig(t, srv))
	defer g.Close()
	ctx := t.Context()
	c := accounts.Client{IP: "203.0.113.7", UserAgent: "test"}
	officer := accounts.Actor{Kind: audit.Officer, ID: "officer-1"}

	// Registration, in English, by phone.
	const pid, phone = "001090000101", "+84901000101"
	person := accountstest.Person(t, pid, "Nguyễn Văn An")
	require.NoError(t, g.Registry.Write(ctx, []attributes.Person{person}, nil))
	started, err := g.Accounts.StartRegistration(ctx, accounts.RegistrationRequest{PersonalID: pid, FullName: person.FullName,
		BirthDate: person.BirthDate, Gender: person.Gender, Phone: phone, Lang: "en", Client: c})
	require.NoError(t, err)
	require.NoError(t, g.Accounts.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: started.ID, Code: devCode(t, db, phone), Client: c}))
	a, err := g.Accounts.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: started.ID, Password: "mật khẩu 2026", Client: c})
	require.NoError(t, err)
	require.Equal(t, accounts.LangEN, a.Lang)
	want := []string{"registration_result sms " + phone + " en"}
	require.Equal(t, want, told(t, g, a.ID))

	// Activation (after an enrolment at level 1), on a Vietnamese page:
	// the account's language follows the page.
	_, _, err = g.Accounts.Enrol(ctx, a.ID, *accountstest.Evidence(assurance.Level1), officer)
	require.NoError(t, err)
	act, err := g.Accounts.StartActivation(ctx, accounts.ActivationRequest{PersonalID: pid, Phone: phone, Client: c})
	require.NoError(t, err)
	ticket, err := g.Accounts.VerifyActivationCode(ctx, accounts.ActivationCode{AccountID: act.AccountID, Code: devCode(t, db, phone), Client: c})
	require.NoError(t, err)
	_, err = g.Accounts.CompleteActivation(ctx, accounts.Activation{AccountID: a.ID, Passcode: "246813", Ticket: ticket, Lang: "vi", Client: c,
		Answers: [2]accounts.Answer{{Question: "first_school", Answer: "Trưng Vương"}, {Question: "favourite_food", Answer: "phở"}}})
	require.NoError(t, err)
	want = append(want, "activation_result sms "+phone+" vi")
	require.Equal(t, want, told(t, g, a.ID))

	// The citizen prefers English from the account page; a change of
	// password (after a complete sign-in just now), refused then made.
	fresh := accounts.SignedIn{AccountID: a.ID, AuthTime: time.Now(), Strength: assurance.Level2}
	_, err = g.Accounts.SetLanguage(ctx, a.ID, accounts.LangEN, accounts.Actor{Kind: audit.Citizen, ID: a.ID})
	require.NoError(t, err)
	_, err = g.Accounts.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: fresh, Current: "sai mật khẩu", New: "mật khẩu 2027", Client: c})
	require.ErrorIs(t, err, accounts.ErrBadCredentials)
	require.Equal(t, want, told(t, g, a.ID), "a refused change tells nothing")
	_, err = g.Accounts.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: fresh, Current: "mật khẩu 2026", New: "mật khẩu 2027", Client: c})
	require.NoError(t, err)
	want = append(want, "password_changed sms "+phone+" en")
	require.Equal(t, want, told(t, g, a.ID))

	// A first consent to a service; a second one (renewal) is not told.
	_, _, err = g.Clients.Create(ctx, "test", oidc.Client{
		ID: "rp-notice", Name: oidc.Text{VI: "Cổng dịch vụ công", EN: "Public services portal"}, Purpose: oidc.Text{VI: "Thử", EN: "Test"},
		PurposeVersion: 1, Kind: oidc.KindPublicService, RedirectURIs: []string{"https://rp.example/cb"},
		Scopes: []string{"openid", "profile"}, TokenEndpointAuthMethod: oidc.AuthClientSecretBasic, SubjectType: oidc.SubjectPairwise,
	})
	require.NoError(t, err)
	for range 2 {
		_, err = g.Consent.Grant(ctx, consent.Approval{AccountID: a.ID, ClientID: "rp-notice", Scopes: []string{"openid", "profile"},
			Claims: []string{"name", "birthdate"}, PurposeVersion: "1"})
		require.NoError(t, err)
	}
	want = append(want, "service_connected sms "+phone+" en")
	require.Equal(t, want, told(t, g, a.ID))
	ns, err := g.Notify.ListForAccount(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"service": "Public services portal", "claims": "2"}, ns[0].Params, "named in the citizen's language")

	// An officer's lock, a refused second unlock, the unlock.
	_, err = g.Accounts.Lock(ctx, a.ID, "authority_court_order", officer)
	require.NoError(t, err)
	want = append(want, "locked sms "+phone+" en")
	_, err = g.Accounts.Unlock(ctx, a.ID, officer)
	require.NoError(t, err)
	want = append(want, "unlocked sms "+phone+" en")
	_, err = g.Accounts.Unlock(ctx, a.ID, officer)
	require.ErrorIs(t, err, accounts.ErrInvalid, "not locked")
	require.Equal(t, want, told(t, g, a.ID), "the refused unlock tells nothing")

	// An account with no phone is told by e-mail.
	const pid2 = "001190000102"
	require.NoError(t, g.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, pid2, "Trần Thị Bình")}, nil))
	b, err := g.Accounts.Create(ctx, accounts.NewAccount{PersonalID: pid2, Email: "binh@example.vn", Lang: "en"}, officer)
	require.NoError(t, err)
	_, err = g.Accounts.Lock(ctx, b.ID, "holder request: lost my card on the bus", accounts.Actor{Kind: audit.Citizen, ID: b.ID})
	require.NoError(t, err)
	require.Equal(t, []string{"locked email binh@example.vn en"}, told(t, g, b.ID))
	ns, err = g.Notify.ListForAccount(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"reason": "holder_request"}, ns[0].Params, "the holder's own words stay out of the message")
}

// TestLockIsMailedThroughSMTP: a lock of an account with an e-mail address
// and no phone reaches a real SMTP server, through the gateway's wiring
// (accounts → outbox → worker → SMTP), in the account's language.
func TestLockIsMailedThroughSMTP(t *testing.T) {
	db := pgtest.New(t)
	srv := smtptest.Start(t, "dinhdanh", "smtp-secret")
	g := startGateway(t, db, noticeConfig(t, srv))
	defer g.Close()
	ctx := t.Context()
	const pid = "001090000103"
	require.NoError(t, g.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, pid, "Lê Văn Cường")}, nil))
	a, err := g.Accounts.Create(ctx, accounts.NewAccount{PersonalID: pid, Email: "cuong@example.vn", Status: accounts.Pending}, accounts.Actor{Kind: audit.Officer, ID: "o"})
	require.NoError(t, err)
	_, err = g.Accounts.Lock(ctx, a.ID, "lost_phone", accounts.Actor{Kind: audit.Citizen, ID: a.ID})
	require.NoError(t, err)

	msgs := srv.Wait(t, 1, 30*time.Second)
	require.Equal(t, []string{"cuong@example.vn"}, msgs[0].To)
	parsed, err := mail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	require.NoError(t, err)
	body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	require.NoError(t, err)
	require.Equal(t, "Tài khoản định danh điện tử đã bị khoá", subject)
	require.Contains(t, string(body), "Lý do: do mất điện thoại.")
	require.Eventually(t, func() bool {
		ns, err := g.Notify.ListForAccount(ctx, a.ID)
		return err == nil && len(ns) == 1 && ns[0].State == notify.Sent
	}, 30*time.Second, 20*time.Millisecond)
}
