package browsertest_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// An operator signs in to the staff console with password and TOTP and
// creates an officer, who then signs in with what the enrolment page
// showed once.
func TestOperatorCreatesOfficer(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.g.Staff.LoadDemo(t.Context()))
	operator := staff.DemoMembers[0]
	b := newBrowser(t, "vi")

	b.open(e.gatewayURL+"/staff", "#username")
	b.requireAt(e.gatewayURL + "/staff/login")
	assert.Equal(t, "Đăng nhập cán bộ", b.text("main h1"))
	b.do("type the operator's username and password",
		chromedp.SendKeys(chromedp.CSS("#username"), operator.Username),
		chromedp.SendKeys(chromedp.CSS("#password"), staff.DemoPassword),
	)
	b.follow("#staff-login", "#code")
	b.requireAt(e.gatewayURL + "/staff/login/verify")
	code, err := staff.TOTPCode(operator.TOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the operator's code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow("#staff-verify", "#staff-who")
	b.requireAt(e.gatewayURL + "/staff")
	assert.Equal(t, operator.Name, b.text("#staff-who"))
	page := b.html()
	assert.Contains(t, page, `href="/staff/members"`)
	assert.NotContains(t, page, `href="/staff/counter"`, "an operator never reaches citizen data")
	b.screenshot("staff-home")

	b.follow(`a[href="/staff/members"]`, "#member-new")
	b.follow("#member-new", "#username")
	b.do("fill in the new officer",
		chromedp.SendKeys(chromedp.CSS("#username"), "canbo3"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Đỗ Văn Ba"),
		chromedp.SetValue(chromedp.CSS("#unit"), "79.760.26734"),
		chromedp.Click(chromedp.CSS("#role-officer")),
	)
	b.follow("#member-save", "#enrol-password")
	b.screenshot("staff-enrolment")
	password := b.text("#enrol-password")
	secret := b.text("#enrol-secret")
	assert.True(t, strings.HasPrefix(b.text("#enrol-uri"), "otpauth://totp/"))
	b.follow("#enrol-done", "#members")
	assert.Contains(t, b.html(), `data-username="canbo3"`)

	// The operator signs out; the new officer signs in on this browser.
	b.follow("#staff-signout", "#username")
	b.requireAt(e.gatewayURL + "/staff/login")
	b.do("type the officer's username and password",
		chromedp.SendKeys(chromedp.CSS("#username"), "canbo3"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	b.follow("#staff-login", "#code")
	code, err = staff.TOTPCode(secret, time.Now())
	require.NoError(t, err)
	b.do("type the officer's code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	// The operator chose the password: the officer chooses their own first.
	b.follow("#staff-verify", "#password-forced")
	b.do("choose a password of their own",
		chromedp.SendKeys(chromedp.CSS("#current"), password),
		chromedp.SendKeys(chromedp.CSS("#new"), "Mat-khau-rieng-1"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "Mat-khau-rieng-1"),
	)
	b.follow("#password-save", ".staff-home")
	assert.Equal(t, "Đỗ Văn Ba", b.text("#staff-who"))
	page = b.html()
	assert.Contains(t, page, `href="/staff/counter"`)
	assert.NotContains(t, page, `href="/staff/members"`)
	b.open(e.gatewayURL+"/staff/members", "#staff-error")
	assert.Contains(t, b.text("#staff-error"), "không cho phép")
}

// newLocalhostGateway serves the gateway with the issuer
// http://localhost:port: WebAuthn needs a relying party id that is a host
// name, never the 127.0.0.1 of newEnv. Demo staff are loaded.
func newLocalhostGateway(t *testing.T) (string, *gateway.Gateway) {
	t.Helper()
	chromiumPath(t)
	db := pgtest.New(t)
	ln := listen(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "http://localhost:" + port
	cfg := config.Default()
	cfg.DevMode = true
	cfg.Issuer = base
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	g, err := gateway.New(t.Context(), gateway.Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: log})
	require.NoError(t, err)
	t.Cleanup(g.Close)
	require.NoError(t, g.Staff.LoadDemo(t.Context()))
	serve(t, ln, g.Handler)
	return base, g
}

// staffSignIn signs a demo member in with password and TOTP.
func staffSignIn(t *testing.T, b *browser, base string, m staff.DemoMember) {
	t.Helper()
	b.open(base+"/staff/login", "#username")
	b.do("type "+m.Username+"'s username and password",
		chromedp.SendKeys(chromedp.CSS("#username"), m.Username),
		chromedp.SendKeys(chromedp.CSS("#password"), staff.DemoPassword),
	)
	b.follow("#staff-login", "#code")
	code, err := staff.TOTPCode(m.TOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow("#staff-verify", "#staff-who")
}

// An officer adds a passkey (Chromium's virtual authenticator) and signs in
// with the password and the passkey instead of the code.
func TestOfficerSignsInWithPasskey(t *testing.T) {
	base, _ := newLocalhostGateway(t)
	officer := staff.DemoMembers[2]
	b := newBrowser(t, "vi")
	staffSignIn(t, b, base, officer)

	if _, err := chromedp.Call(b.ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
		b.fatalf("enable WebAuthn: %v", err)
	}
	_, err := chromedp.Call(b.ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.fatalf("add a virtual authenticator: %v", err)
	}

	b.follow("#staff-passkeys", "#passkey-add")
	b.do("name the passkey and add it",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "máy quầy 2"),
		chromedp.Click(chromedp.CSS("#passkey-add")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-notice")),
	)
	assert.Contains(t, b.text("#passkeys"), "máy quầy 2")
	b.screenshot("staff-passkeys")

	b.follow("#staff-signout", "#username")
	b.do("type the password",
		chromedp.SendKeys(chromedp.CSS("#username"), officer.Username),
		chromedp.SendKeys(chromedp.CSS("#password"), staff.DemoPassword),
	)
	b.follow("#staff-login", "#passkey-use")
	b.do("use the passkey", chromedp.Click(chromedp.CSS("#passkey-use")), chromedp.WaitVisible(chromedp.CSS("#staff-who")))
	b.requireAt(base + "/staff")
	assert.Equal(t, officer.Name, b.text("#staff-who"))
}
