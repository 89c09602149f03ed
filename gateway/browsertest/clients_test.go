package browsertest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/staff"
)

// desktopWidth is a laptop's viewport in CSS pixels.
const desktopWidth, desktopHeight = 1280, 900

// desktop makes the tab 1280 CSS pixels wide.
func (b *browser) desktop() {
	b.t.Helper()
	b.do("emulate a desktop", chromedp.EmulateViewport(desktopWidth, desktopHeight))
}

// checkConsolePage: the page fits the browser's width and passes axe-core.
func checkConsolePage(t *testing.T, b *browser, name string) {
	t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
	require.NoError(t, err)
	assert.Empty(t, got, "%s sticks out", name)
	b.screenshot(name)
	b.axe()
}

// TestOperatorsOnboardABank (issue 17): operator A registers a bank from
// the console (1280 px); while it waits for approval an authorization
// request for it is refused before anyone signs in; operator B (on a
// phone, 390 px; the demo's second operator) approves it; then the bank, a real relying party (x/oauth2
// with PKCE S256, go-oidc verifying the ID token), signs the level 2 demo
// citizen in, and the bank's page shows that sign-in in its usage. Every
// new page, at both widths, in Vietnamese and English, passes axe-core.
func TestOperatorsOnboardABank(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			ctx := t.Context()
			e := newEnv(t)
			require.NoError(t, e.g.Staff.LoadDemo(ctx))
			secondOperator := staff.DemoMembers[4]
			require.Equal(t, []staff.Role{staff.RoleOperator}, secondOperator.Roles)
			callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, `<!doctype html><html lang="en"><title>Bank</title><main><p id="bank-callback">Bank</p></main></html>`)
			}))
			t.Cleanup(callback.Close)
			redirect := callback.URL + "/cb"
			q := "?ui_locales=" + lang

			// Operator A registers the bank.
			a := newBrowser(t, lang)
			a.desktop()
			staffSignIn(t, a, e.gatewayURL, staff.DemoMembers[0])
			a.open(e.gatewayURL+"/staff"+q, `a[href="/staff/clients"]`)
			a.follow(`a[href="/staff/clients"]`, "#clients-new")
			assert.Equal(t, map[string]string{"vi": "Dịch vụ kết nối", "en": "Relying parties"}[lang], a.text("main h1"))
			checkConsolePage(t, a, "clients-list-"+lang)
			before, err := e.g.Clients.List(ctx)
			require.NoError(t, err)

			a.follow("#clients-new", "#kind")
			checkConsolePage(t, a, "clients-kind-"+lang)
			a.do("choose a bank", chromedp.SetValue(chromedp.CSS("#kind"), "bank"))
			a.follow("#kind-next", "#client-form")
			form := a.html()
			assert.Contains(t, form, `value="documents.driving_licence"`, "the kind policy allows banks the driving licence")
			assert.NotContains(t, form, `value="documents.health_insurance"`, "and not health insurance")
			assert.NotContains(t, form, `<option value="1"`, "a bank is level 2 only")
			checkConsolePage(t, a, "clients-form-"+lang)

			// A tax code with letters and a plain-http redirect: refused on
			// the page, in the page's language, and nothing written.
			a.do("fill in the bank with mistakes",
				chromedp.SendKeys(chromedp.CSS("#org_name"), "Ngân hàng TMCP Thử Nghiệm"),
				chromedp.SendKeys(chromedp.CSS("#org_code"), "MST-0101"),
				chromedp.SendKeys(chromedp.CSS("#name_vi"), "Ngân hàng Thử Nghiệm"),
				chromedp.SendKeys(chromedp.CSS("#name_en"), "Test Bank"),
				chromedp.SendKeys(chromedp.CSS("#purpose_vi"), "Mở tài khoản thanh toán trực tuyến"),
				chromedp.SendKeys(chromedp.CSS("#legal_basis"), "Thông tư 16/2020/TT-NHNN"),
				chromedp.SendKeys(chromedp.CSS("#redirect_uris"), "http://bank.example/cb"),
				chromedp.Click(chromedp.CSS(`input[name=scope][value=profile]`)),
				chromedp.Click(chromedp.CSS("#auth-secret")),
			)
			a.follow("#client-submit", "#error")
			errs := a.text("#error")
			assert.Contains(t, errs, map[string]string{"vi": "Mã số doanh nghiệp", "en": "registration or tax code"}[lang])
			assert.Contains(t, errs, map[string]string{"vi": "địa chỉ chuyển hướng", "en": "redirect URI"}[lang])
			after, err := e.g.Clients.List(ctx)
			require.NoError(t, err)
			assert.Len(t, after, len(before), "nothing written")
			assert.True(t, a.checked(`input[name=scope][value=profile]`), "what was typed is kept")
			checkConsolePage(t, a, "clients-form-errors-"+lang)

			a.do("correct the mistakes",
				chromedp.SetValue(chromedp.CSS("#org_code"), "0101234567"),
				chromedp.SetValue(chromedp.CSS("#redirect_uris"), redirect),
			)
			a.follow("#client-submit", "#client-secret")
			secret := a.text("#client-secret")
			attr, err := chromedp.Run(a.ctx, chromedp.AttributeValue(chromedp.CSS("#client"), "data-id"))
			require.NoError(t, err)
			clientID := attr.Value
			require.NotEmpty(t, clientID)
			assert.NotEmpty(t, a.text("#own-proposal"), "its proposer is told another operator approves it")
			assert.False(t, a.present("#client-approve"), "and cannot")
			html := a.html()
			assert.Contains(t, html, `data-status="pending"`)
			assert.Contains(t, html, "Thông tư 16/2020/TT-NHNN")
			assert.Contains(t, html, "0101234567")
			checkConsolePage(t, a, "client-pending-"+lang)

			conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
				Scopes:   []string{gooidc.ScopeOpenID, "profile"},
				Endpoint: oauth2.Endpoint{AuthURL: e.gatewayURL + oidc.PathAuthorize, TokenURL: e.gatewayURL + oidc.PathToken, AuthStyle: oauth2.AuthStyleInHeader}}
			verifier := oauth2.GenerateVerifier()
			authURL := conf.AuthCodeURL("state-0123456789abcdef", oauth2.S256ChallengeOption(verifier))

			// Pending: refused at once, no sign-in page.
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noRedirect.Get(authURL)
			require.NoError(t, err)
			body := readBody(t, resp)
			assert.GreaterOrEqual(t, resp.StatusCode, 400, "a pending client's request is refused")
			assert.Empty(t, resp.Header.Get("Location"), "before anyone signs in")
			assert.Contains(t, body, "invalid_client")

			// Operator B approves it, on a phone.
			b := newBrowser(t, lang)
			b.phone()
			staffSignIn(t, b, e.gatewayURL, secondOperator)
			b.open(e.gatewayURL+"/staff/clients"+q, "#clients")
			checkConsolePage(t, b, "clients-list-phone-"+lang)
			assert.Contains(t, b.html(), `data-status="pending"`)
			b.open(e.gatewayURL+"/staff/clients/new"+q+"&kind=bank", "#client-form")
			checkConsolePage(t, b, "clients-form-phone-"+lang)
			b.open(e.gatewayURL+"/staff/clients/new"+q, "#kind")
			checkConsolePage(t, b, "clients-kind-phone-"+lang)
			b.open(e.gatewayURL+"/staff/clients/"+clientID+q, "#client-approve")
			checkConsolePage(t, b, "client-decide-phone-"+lang)
			b.follow("#client-approve", "#client-notice")
			assert.Contains(t, b.html(), `data-status="active"`)
			assert.Equal(t, secondOperator.Name, strings.TrimSpace(strings.Split(b.text("#decided-by"), "·")[0]))
			checkConsolePage(t, b, "client-approved-phone-"+lang)

			// The bank signs the citizen in.
			c := newBrowser(t, lang)
			loc := c.authorizeBank(authURL, redirect)
			u, err := url.Parse(loc)
			require.NoError(t, err)
			require.Equal(t, "state-0123456789abcdef", u.Query().Get("state"))
			tok, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			provider, err := gooidc.NewProvider(ctx, e.gatewayURL)
			require.NoError(t, err)
			raw, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(ctx, raw)
			require.NoError(t, err)
			assert.NotEmpty(t, idt.Subject)

			// Its usage moved: one sign-in, one token, today.
			b.open(e.gatewayURL+"/staff/clients/"+clientID+q, "#usage")
			assert.Equal(t, "1", b.text(`#usage-total td[data-metric="sign_ins"]`))
			assert.Equal(t, "1", b.text(`#usage-total td[data-metric="tokens"]`))
			a.open(e.gatewayURL+"/staff/clients/"+clientID+q, "#usage")
			assert.Equal(t, "1", a.text(`#usage-total td[data-metric="sign_ins"]`))
			assert.Contains(t, a.html(), `<g class="bar" data-series="sign_ins" data-value="1">`, "and in the chart")
			assert.Contains(t, a.html(), `data-status="active"`)
			checkConsolePage(t, a, "client-active-"+lang)
		})
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
