package browsertest_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestGuardianActsForChild is issue 13's end-to-end test of acting for a
// dependent: the level 2 demo citizen signs in to the demo relying party
// (go-oidc and x/oauth2) through its "sign in for a child" link, chooses
// his registered child on the choice page (in Vietnamese, then in English
// for a second sign-in), approves the consent screen that names the child,
// and the relying party verifies the ID token: sub is the child's pairwise
// subject, act names the guardian's own subject at the same client, and
// userinfo agrees; both histories record the use.
func TestGuardianActsForChild(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.g.DemoDependents(ctx))
	guardian, err := e.g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	deps, err := e.g.Guardianship.ActingFor(ctx, guardian.ID)
	require.NoError(t, err)
	require.Len(t, deps, 1)
	child := deps[0]
	client, err := e.g.Clients.Get(ctx, demoClientID)
	require.NoError(t, err)
	require.True(t, client.AcceptDependents, "the demo relying party is opted in")

	b := newBrowser(t, "vi")
	b.open(e.rpURL+"/", "#login-dependent")
	b.follow("#login-dependent", "#personal_id")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/authorize/choose"]`)

	// The choice page, in Vietnamese by default.
	b.requireAt(e.gatewayURL + "/authorize/choose")
	assert.Contains(t, b.html(), `<html lang="vi">`)
	assert.Equal(t, "Bạn đăng nhập cho ai?", b.text("main h1"))
	page := b.text("form#choose")
	assert.Contains(t, page, "Chính tôi")
	assert.Contains(t, page, child.FullName)
	assert.Contains(t, page, "(Con)")
	assert.NotContains(t, b.html(), child.PersonalID, "the page never shows the child's number")
	require.True(t, b.checked(`input[value="self"]`), "myself is the default")
	b.screenshot("choose-dependent")
	b.axe()
	b.do("choose the child", chromedp.Click(chromedp.CSS(`input[value="`+child.ID+`"]`)))
	b.follow(`form#choose button[type=submit]`, `form[action="/consent"]`)

	// The consent screen says for whom, with the child's values.
	assert.Contains(t, b.text("#acting-for"), child.FullName)
	assert.Contains(t, b.text("table.items"), child.FullName)
	assert.NotContains(t, b.text("table.items"), "Nguyễn Văn An", "the guardian's values are not offered")
	b.screenshot("consent-dependent")
	b.follow(`button[name=action][value=approve]`, "#message")

	// The relying party verified sub and act.
	b.requireAt(e.rpURL + "/callback")
	assert.Equal(t, "signed in", b.text("#message"))
	idToken := jsonOf(t, b.text("#claims"))
	userinfo := jsonOf(t, b.text("#userinfo"))
	childSub := e.g.Provider.Subjects.For(&client, child.ID)
	guardianSub := e.g.Provider.Subjects.For(&client, guardian.ID)
	assert.Equal(t, childSub, idToken["sub"], "sub is the child's pairwise subject")
	assert.Equal(t, map[string]any{"sub": guardianSub}, idToken["act"], "act names the guardian (RFC 8693 §4.1)")
	assert.Equal(t, guardianSub, b.text("#acting code"))
	assert.Equal(t, assurance.ACR2, idToken["acr"], "acr is the guardian's sign-in")
	assert.Equal(t, childSub, userinfo["sub"])
	assert.Equal(t, child.FullName, userinfo["name"])
	assert.Equal(t, child.PersonalID, userinfo["personal_id_number"])
	assert.NotContains(t, b.html(), biometrics.SentinelPrefix)
	b.screenshot("callback-dependent")

	// A refresh keeps acting for the child.
	b.follow("#refresh", "#message")
	assert.Equal(t, "refreshed", b.text("#message"))
	assert.Equal(t, map[string]any{"sub": guardianSub}, jsonOf(t, b.text("#claims"))["act"])

	// Both histories show the use; the consent is on the child's records,
	// given by the guardian.
	for _, id := range []string{guardian.ID, child.ID} {
		var n int
		require.NoError(t, e.db.App.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND type = $2 AND client_id = $3`,
			id, string(audit.TokenIssued), demoClientID).Scan(&n))
		assert.Positive(t, n, "token issuance in the history of %s", id)
	}
	grant, err := e.g.Consent.Current(ctx, child.ID, demoClientID)
	require.NoError(t, err, "the consent is recorded on the child's records")
	assert.Contains(t, grant.Claims, "name")

	// The same page in English (ui_locales), for a second sign-in.
	b.open(e.rpURL+"/login?dependent=1&ui_locales=en", `form[action="/authorize/choose"]`)
	assert.Contains(t, b.html(), `<html lang="en">`)
	assert.Equal(t, "Who are you signing in for?", b.text("main h1"))
	assert.Contains(t, b.text("form#choose"), "Myself")
	assert.Contains(t, b.text("form#choose"), "(Child)")
	b.screenshot("choose-dependent-en")
	b.axe()
	b.follow(`form#choose button[type=submit]`, "#message, form[action=\"/consent\"]")
}

// axe checks the page with axe-core (WCAG 2.1 A/AA and best practice), as
// TestAxe does for the citizen's pages; in a subtest, so that a machine
// without axe-core skips only this check (CI fails without it).
func (b *browser) axe() {
	b.t.Helper()
	b.t.Run("axe", func(t *testing.T) {
		src := axeScript(t)
		c := b.on(t)
		if err := chromedp.Do(c.ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			c.fatalf("load axe-core: %v", err)
		}
		got, err := chromedp.Run(c.ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			c.fatalf("run axe-core: %v", err)
		}
		assert.Positive(t, got.Passed, "axe-core checked nothing")
		assert.Empty(t, got.Violations, "accessibility violations at %s", c.location())
	})
}
