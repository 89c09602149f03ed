package browsertest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestSignInConsentRefreshAndRevoke is issue 5's real browser test: the
// level 2 demo citizen signs in to the demo relying party with a password
// and an authenticator code, unticks a voluntary claim on the consent screen,
// and lands back at the relying party with an ID token at level 2 and
// without that claim; the relying party refreshes its tokens; the citizen
// withdraws consent on /account; the relying party's next refresh fails with
// invalid_grant.
func TestSignInConsentRefreshAndRevoke(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, "vi")

	// The relying party's home page, then its sign-in button.
	b.open(e.rpURL+"/", "#login")
	b.follow("#login", "#personal_id")
	b.requireAt(e.gatewayURL + "/login?")
	assert.Contains(t, b.html(), `<html lang="vi">`, "pages follow the browser's language")
	assert.Equal(t, "Đăng nhập", b.text("main h1"))
	b.screenshot("signin")

	// Personal id number and password.
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	b.requireAt(e.gatewayURL + "/login/verify")
	assert.Equal(t, "Xác thực hai bước", b.text("main h1"))
	method, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("input[name=method]").value`))
	require.NoError(t, err)
	require.Equal(t, "otp", method, "the level 2 citizen is asked for the authenticator code first")
	b.screenshot("second-factor")

	// The authenticator app's code.
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	b.requireAt(e.gatewayURL + "/consent")

	// The consent screen names the service, lists the citizen's own values,
	// and lets them untick a voluntary claim.
	assert.Contains(t, b.text("main h1"), "Cổng dịch vụ công (minh hoạ)")
	items := b.text("table.items")
	assert.Contains(t, items, "Nguyễn Văn An")
	assert.Contains(t, items, population.DemoLevel2ID)
	// Listed as the identity card reads: name, then date of birth; the
	// address after the ID number, not first as alphabetical order had it.
	order, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("input[name=claim]")].map(c => c.value)`))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(order), 2)
	require.Equal(t, []string{"name", "birthdate"}, order[:2], "claims in the identity card's order: %v", order)
	if i, j := slices.Index(order, "address"), slices.Index(order, "personal_id_number"); i >= 0 && j >= 0 {
		require.Less(t, j, i, "the ID number before the address: %v", order)
	}
	require.True(t, b.checked("#claim-nationality"), "voluntary claims start ticked")
	b.do("untick nationality", chromedp.Click(chromedp.CSS("#claim-nationality")))
	require.False(t, b.checked("#claim-nationality"))
	require.True(t, b.checked("#claim-name"))
	b.screenshot("consent")
	b.follow(`button[name=action][value=approve]`, "#message")

	// Back at the relying party, signed in at level 2.
	b.requireAt(e.rpURL + "/callback")
	assert.Equal(t, "signed in", b.text("#message"))
	idToken := jsonOf(t, b.text("#claims"))
	userinfo := jsonOf(t, b.text("#userinfo"))
	assert.Equal(t, assurance.ACR2, idToken["acr"])
	assert.Equal(t, []any{"pwd", "otp"}, idToken["amr"])
	assert.Equal(t, e.gatewayURL, idToken["iss"])
	assert.Contains(t, idToken["aud"], demoClientID)
	assert.Equal(t, "Nguyễn Văn An", userinfo["name"], "the ticked claims are released")
	assert.Equal(t, population.DemoLevel2ID, userinfo["personal_id_number"])
	assert.NotContains(t, idToken, "nationality", "the unticked claim stays out of the ID token")
	assert.NotContains(t, userinfo, "nationality", "the unticked claim stays out of userinfo")
	assert.NotContains(t, b.html(), biometrics.SentinelPrefix, "no biometric data reaches the relying party")
	b.screenshot("callback")

	// The relying party refreshes its tokens.
	b.follow("#refresh", "#message")
	assert.Equal(t, "refreshed", b.text("#message"))
	assert.NotContains(t, jsonOf(t, b.text("#userinfo")), "nationality", "a refresh releases no more than was approved")

	// The citizen's account page lists the service; they withdraw consent.
	service := "#service-" + demoClientID
	b.open(e.gatewayURL+"/account", service)
	assert.Equal(t, "Tài khoản của bạn", b.text("main h1"))
	listed := b.text(service)
	assert.Contains(t, listed, "Cổng dịch vụ công (minh hoạ)")
	assert.NotContains(t, listed, "Quốc tịch", "the unticked claim is not listed as shared")
	assert.NotContains(t, b.html(), biometrics.SentinelPrefix)
	b.screenshot("account")

	// The consent receipt is a page the citizen can read, carrying the
	// signed file, which verifies against the published keys.
	b.follow(service+` a[href$="/receipt"]`, "#receipt")
	assert.Contains(t, b.text("#receipt-service"), "Cổng dịch vụ công (minh hoạ)")
	assert.True(t, strings.HasPrefix(b.text("#receipt-claims"), "Họ và tên, Ngày sinh"), "claims in order: %s", b.text("#receipt-claims"))
	assert.Equal(t, "Đang hiệu lực", b.text("#receipt-status"))
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("receipt-download").getAttribute("href")`))
	require.NoError(t, err)
	signed, ok := strings.CutPrefix(href, "data:application/jwt;base64,")
	require.True(t, ok, href)
	raw, err := base64.StdEncoding.DecodeString(signed)
	require.NoError(t, err)
	res, err := http.Get(e.gatewayURL + "/jwks.json")
	require.NoError(t, err)
	var keys jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(res.Body).Decode(&keys))
	res.Body.Close()
	jws, err := jose.ParseSigned(string(raw), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Len(t, keys.Key(jws.Signatures[0].Header.KeyID), 1)
	payload, err := jws.Verify(keys.Key(jws.Signatures[0].Header.KeyID)[0].Key)
	require.NoError(t, err, "the attached receipt verifies")
	assert.Equal(t, consent.ReceiptType, jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])
	assert.Contains(t, string(payload), `"client_id":"`+demoClientID+`"`)

	b.open(e.gatewayURL+"/account", service)
	b.follow(service+" form button[type=submit]", "p.notice")
	b.requireAt(e.gatewayURL + "/account?done=revoked")
	b.do("the service can no longer be revoked",
		chromedp.WaitNotPresent(chromedp.CSS(service+" form")))

	// The relying party's next refresh is refused.
	b.open(e.rpURL+"/", "#refresh")
	b.follow("#refresh", "#error")
	assert.Contains(t, b.text("#error"), "invalid_grant")
}

// TestLevel1CitizenCannotReachLevel2 signs the level 1 demo citizen in with
// an SMS code to a relying party asking for level 2, in English: the gateway
// explains how to reach level 2, and its link back gives the relying party
// unmet_authentication_requirements.
func TestLevel1CitizenCannotReachLevel2(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, "vi")

	// ui_locales=en overrides the browser's Vietnamese for the whole flow.
	b.open(e.rpURL+"/login?acr="+assurance.ACR2+"&ui_locales=en", "#personal_id")
	b.requireAt(e.gatewayURL + "/login?")
	assert.Contains(t, b.html(), `<html lang="en">`)
	assert.Equal(t, "Sign in", b.text("main h1"))
	assert.Contains(t, b.text(`form[action="/login"] button[type=submit]`), "Sign in")

	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, `form[action="/login/sms"]`)
	assert.Equal(t, "Two-step verification", b.text("main h1"))

	// The code goes by SMS, to the development inbox.
	b.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	code := e.lastSMSCode(t, "+84901000001")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, "main a.button")

	// The account is level 1: no sign-in can satisfy the request, and the
	// gateway says how to reach level 2 instead of a bare error.
	b.requireAt(e.gatewayURL + oidc.PathAuthorize)
	assert.Equal(t, "A level 2 electronic identity account is needed", b.text("main h1"))
	assert.Contains(t, b.text("main"), "Your account is at level 1")
	b.follow("main a.button", "#error")
	b.requireAt(e.rpURL + "/callback")
	assert.Contains(t, b.text("#error"), "unmet_authentication_requirements")
	_, err := chromedp.Run(b.ctx, chromedp.Query(chromedp.CSS("#claims"), chromedp.NodeNotPresent))
	require.NoError(t, err, "nothing was issued")
}

// jsonOf decodes the relying party's JSON dump of a claims set.
func jsonOf(t *testing.T, s string) map[string]any {
	t.Helper()
	m := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(s)), &m), "claims: %s", s)
	return m
}
