package browsertest_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestSignOutAll is issue 11's browser test of "sign out everywhere": the
// demo citizen is signed in at the demo relying party in one browser and
// on the account page in a second one; from the sessions page of the
// second they sign out everywhere; both browsers land on the sign-in page,
// the relying party's refresh token is refused with invalid_grant, and the
// citizen's history shows it.
func TestSignOutAll(t *testing.T) {
	e := newEnv(t)
	const phone = "+84901000002"
	rp := newBrowser(t, "vi")

	// First browser: the relying party (password, authenticator code,
	// consent), its refresh token working.
	rp.open(e.rpURL+"/", "#login")
	rp.follow("#login", "#personal_id")
	rp.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	rp.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	rp.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	rp.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	rp.follow(`button[name=action][value=approve]`, "#message")
	rp.requireAt(e.rpURL + "/callback")
	rp.follow("#refresh", "#message")
	require.Equal(t, "refreshed", rp.text("#message"))

	// Second browser: the account page, signed in with an SMS code (the
	// authenticator's code was just used).
	acct := rp.otherBrowser(t)
	acct.open(e.gatewayURL+"/account/sessions", "#personal_id")
	acct.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	acct.follow(`form[action="/login"] button[type=submit]`, `a[href="/login/verify?method=sms"]`)
	acct.follow(`a[href="/login/verify?method=sms"]`, `form[action="/login/sms"]`)
	acct.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	acct.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, phone)))
	acct.follow(`form[action="/login/verify"] button[type=submit]`, "#sessions-page")
	acct.requireAt(e.gatewayURL + "/account/sessions")
	assert.Contains(t, acct.text("#sessions-browsers"), "Trình duyệt này")
	assert.Contains(t, acct.text("#sessions-services"), "Cổng dịch vụ công (minh hoạ)", "the relying party holds tokens")
	acct.screenshot("sessions")

	acct.follow("#signout-all", "#personal_id")
	acct.requireAt(e.gatewayURL + "/login?")
	assert.Contains(t, acct.text("main"), "Bạn đã đăng xuất khỏi mọi nơi")

	// Both browsers are signed out of the gateway.
	rp.open(e.gatewayURL+"/account", "#personal_id")
	rp.requireAt(e.gatewayURL + "/login")
	acct.open(e.gatewayURL+"/account", "#personal_id")
	acct.requireAt(e.gatewayURL + "/login")

	// The relying party's tokens are dead.
	rp.open(e.rpURL+"/", "#refresh")
	rp.follow("#refresh", "#error")
	assert.Contains(t, rp.text("#error"), "invalid_grant")

	a, err := e.g.Accounts.ByPersonalID(t.Context(), population.DemoLevel2ID)
	require.NoError(t, err)
	page, err := auditpg.NewStore(e.db.App, nil).History(t.Context(), a.ID, audit.Filter{Types: []audit.EventType{audit.SignedOut}})
	require.NoError(t, err)
	found := false
	for _, en := range page.Entries {
		found = found || (en.Outcome == audit.Success && en.Detail["scope"] == "everywhere")
	}
	assert.True(t, found, "signing out everywhere is in the citizen's history")
}
