package browsertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

// Issue 11 item 6: every page a citizen sees works on a phone, in both
// languages, and passes an automated accessibility check.

// phoneWidth, phoneHeight are a common phone's viewport in CSS pixels
// (iPhone 12 to 15: 390 × 844).
const phoneWidth, phoneHeight = 390, 844

// phone turns the browser's tab into a phone: 390 CSS pixels wide, a device
// scale of 3, mobile (the viewport meta tag applies, as on a phone) and
// touch.
func (b *browser) phone() {
	b.t.Helper()
	// The walk through every page takes longer than one test's usual
	// browser deadline.
	ctx, cancel := context.WithTimeout(b.tab, 4*time.Minute)
	b.t.Cleanup(cancel)
	b.ctx = ctx
	b.do("emulate a phone", chromedp.EmulateViewport(phoneWidth, phoneHeight,
		chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
}

// citizenPages walks a browser in lang ("vi" or "en") through every page a
// citizen sees, calling check on each with the page's name once it has
// loaded. Only the first page of registration and unlocking is visited;
// activation goes as far as its last form, recovery as far as the security
// questions, sign-in through the second factor and consent.
func citizenPages(t *testing.T, e *env, b *browser, lang string, check func(page string)) {
	t.Helper()
	q := "?ui_locales=" + lang
	visit := func(page, url, sel string) {
		t.Helper()
		b.open(url, sel)
		check(page)
	}

	// Signed out: the pages before a sign-in.
	visit("register", e.gatewayURL+"/register"+q, "#register-submit")
	b.follow("#register-submit", "p.alert")
	check("register (nothing filled in)")
	// Activation, as far as the passcode and security questions (selects).
	visit("activate", e.gatewayURL+"/activate"+q, "#activate-start #personal_id")
	b.do("type the personal id number and phone",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoPendingID),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0901000004"),
	)
	b.follow("#activate-submit", "#activate-code #code")
	check("activate (code)")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, "+84901000004")))
	b.follow("#activate-confirm", "#activate-finish #passcode")
	check("activate (passcode, security questions)")
	visit("unlock", e.gatewayURL+"/unlock"+q, "main h1")
	visit("lock", e.gatewayURL+"/lock"+q, "main h1")
	visit("error page (not found)", e.gatewayURL+"/no-such-page"+q, "main h1")
	visit("error page (bad authorization request)", e.gatewayURL+"/authorize"+q+"&client_id=nobody&response_type=code&scope=openid", "main h1")
	visit("verify (empty)", e.gatewayURL+"/verify"+q, "#token")

	// Recovery of a forgotten password, as far as the security questions.
	visit("recover", e.gatewayURL+"/recover"+q, "#personal_id")
	b.do("type the personal id number", chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID))
	b.follow("#recover-submit", "#code")
	check("recover (code)")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, "+84901000001")))
	b.follow("#recover-confirm", "#a0")
	check("recover (security questions)")

	// Sign-in, sent by the demo relying party, with a wrong password first.
	visit("sign-in", e.rpURL+"/login"+q, "#personal_id")
	b.do("type a wrong password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "p.alert")
	check("sign-in (wrong password)")
	b.do("type the password",
		chromedp.SetValue(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	check("second factor")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	check("consent")
	b.follow(`button[name=action][value=approve]`, "#message")

	// Signed in: the account and what hangs off it.
	visit("account (passkeys, services)", e.gatewayURL+"/account"+q, "#passkeys")
	visit("password", e.gatewayURL+"/account/password"+q, "main h1")
	visit("sessions", e.gatewayURL+"/account/sessions"+q, "#sessions-page")
	visit("phone number", e.gatewayURL+"/account/phone"+q, "main h1")
	visit("e-mail", e.gatewayURL+"/account/email"+q, "main h1")
	visit("second factor (account)", e.gatewayURL+"/account/security"+q, "main h1")
	visit("account (services)", e.gatewayURL+"/account"+q, `a[href$="/receipt"]`)
	b.follow(`a[href$="/receipt"]`, "main h1")
	check("consent receipt")
	visit("history", e.gatewayURL+"/account/history"+q, "main h1")
	// The document wallet: the demo citizen's imported documents, then a
	// number nobody holds refused.
	visit("documents", e.gatewayURL+"/account/documents"+q, "#wallet-documents")
	b.do("type a number nobody holds", chromedp.SendKeys(chromedp.CSS("#number"), "019999999999"))
	b.follow("#wallet-submit", "#wallet-error")
	check("documents (refused)")
	visit("lock (signed in)", e.gatewayURL+"/lock"+q, "main h1")
	visit("share", e.gatewayURL+"/account/share"+q, "#share-create")
	// Nothing is ticked at first: pick the name and date of birth.
	b.do("tick name and birthdate", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=claim]').forEach((c, i) => { if (i < 2) c.checked = true })`))
	b.follow("#share-create", "#share-qr")
	check("share (QR credential)")
	token, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#share-token")))
	require.NoError(t, err)
	visit("verify", e.gatewayURL+"/verify"+q, "#token")
	quoted, err := json.Marshal(strings.TrimSpace(token))
	require.NoError(t, err)
	b.do("paste the credential", chromedp.Evaluate[chromedp.Void](`document.querySelector("#token").value = `+string(quoted)))
	b.follow("#verify-submit", "#verify-result")
	check("verify (result)")
	// Dependents: the empty list with its form, then the demo child
	// registered and his page.
	if _, err := e.g.Guardianship.ByPersonalID(t.Context(), population.DemoChildID); err != nil {
		visit("dependents (none)", e.gatewayURL+"/account/dependents"+q, "#dependent-pid")
		require.NoError(t, e.g.DemoDependents(t.Context()))
	}
	visit("dependents", e.gatewayURL+"/account/dependents"+q, "#dependents-list")
	b.follow(".dependent-open", "#dependents-back")
	check("dependent")
	visit("logout (confirm)", e.gatewayURL+"/logout"+q, "main h1")
	visit("account", e.gatewayURL+"/account"+q, "#signout")
	b.follow("#signout", "#personal_id")
	check("sign-in (signed out)")
}

// phoneEnv is the product for one walk through the pages (consent is
// asked once per citizen and service): the gateway on localhost, so that
// the account page offers passkeys.
func phoneEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, "localhost", "127.0.0.1")
}

// overflowJS lists what sticks out of the viewport to the right: the
// document itself when it scrolls sideways, then every rendered element
// whose box ends past the viewport's right edge, unless a box between it
// and the page clips or scrolls it (a table scrolling in its own box is
// fine; its box is checked instead).
const overflowJS = `(() => {
  const de = document.documentElement, vw = de.clientWidth, out = [];
  if (de.scrollWidth > vw) out.push("the document is " + de.scrollWidth + " px wide in a " + vw + " px viewport");
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + [...el.classList].join(".");
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return text ? s + " (" + JSON.stringify(text) + ")" : s;
  };
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body && p !== de; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5 && !clipped(el)) out.push(name(el) + " ends at " + Math.round(r.right) + " px");
    if (out.length >= 10) break;
  }
  return out;
})()`

// TestPhoneWidth: at 390 px wide, in Vietnamese and English, no citizen
// page scrolls sideways and no element sticks out of the viewport; each
// page carries the lang attribute of its language.
func TestPhoneWidth(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := phoneEnv(t)
			b := newBrowser(t, lang)
			b.phone()
			citizenPages(t, e, b, lang, func(page string) {
				t.Helper()
				got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
				if err != nil {
					b.fatalf("%s: measure widths: %v", page, err)
				}
				b.screenshot("phone-" + lang + "-" + strings.NewReplacer(" ", "-", "(", "", ")", "", ",", "").Replace(page))
				if len(got) > 0 {
					t.Errorf("%s (%s, %s) is wider than a %d px phone:\n  %s", page, lang, b.location(), phoneWidth, strings.Join(got, "\n  "))
				}
				// A logo html/template neutralised, or one the CSP blocks,
				// is a broken image: none on any page.
				broken, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
					`[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.outerHTML.slice(0, 120))`))
				require.NoError(t, err)
				if len(broken) > 0 {
					t.Errorf("%s (%s): broken images: %v", page, lang, broken)
				}
				pageLang, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
				require.NoError(t, err)
				if pageLang != lang {
					t.Errorf("%s: <html lang=%q>, want %q", page, pageLang, lang)
				}
			})
		})
	}
}

// axeScript is axe-core's browser build: $AXE_CORE_JS (the Makefile and
// .ci/run set it), else where `npm ci --prefix .ci/node` puts it. Without
// it the test skips, except under CI=true, where it fails.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		path = filepath.Join("..", "..", ".ci", "node", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("the accessibility check needs axe-core (%v): run `npm ci --prefix .ci/node` (make test and .ci/run do) or set AXE_CORE_JS to axe.min.js", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(src)
}

// axeRun runs axe-core on the page against WCAG 2.1 A and AA and best
// practices: the number of rules that passed (a check that ran at all),
// then each violation with the elements it found.
const axeRun = `axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
}).then(r => ({passed: r.passes.length, violations: r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + "\n      " +
  v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\s+/g, " ")).join("\n      "))}))`

type axeResult struct {
	Passed     int      `json:"passed"`
	Violations []string `json:"violations"`
}

// TestAxe: axe-core finds no violation on any citizen page, on a phone, in
// Vietnamese and English.
func TestAxe(t *testing.T) {
	src := axeScript(t)
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := phoneEnv(t)
			b := newBrowser(t, lang)
			b.phone()
			citizenPages(t, e, b, lang, func(page string) {
				t.Helper()
				// Injected through the DevTools protocol, not a <script>:
				// the pages' Content-Security-Policy stays as it is.
				if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
					b.fatalf("%s: load axe-core: %v", page, err)
				}
				got, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
				if err != nil {
					b.fatalf("%s: run axe-core: %v", page, err)
				}
				if got.Passed == 0 {
					t.Errorf("%s: axe-core checked nothing", page)
				}
				if len(got.Violations) > 0 {
					t.Errorf("%s (%s, %s): %d accessibility violation(s):\n  %s", page, lang, b.location(), len(got.Violations), strings.Join(got.Violations, "\n  "))
				}
			})
		})
	}
}
