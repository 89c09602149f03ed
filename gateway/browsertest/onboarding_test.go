package browsertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/sharing"
)

// TestActivateThenSignIn activates the pending demo account on the web
// (docs/onboarding.md, "Activation"): personal id number and the phone on
// record, the SMS code from the development inbox, a passcode and two
// security questions; the account then signs in with its password and an
// SMS code and lands on /account.
func TestActivateThenSignIn(t *testing.T) {
	const (
		phone  = "0901000004"
		e164   = "+84901000004"
		q1, q2 = "first_teacher", "childhood_street"
	)
	e := newEnv(t)
	b := newBrowser(t, "vi")

	// Step 1: personal id number and phone.
	b.open(e.gatewayURL+"/activate", "#activate-start #personal_id")
	assert.Equal(t, "Kích hoạt tài khoản", b.text("main h1"))
	b.do("type the personal id number and phone",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoPendingID),
		chromedp.SendKeys(chromedp.CSS("#phone"), phone),
	)
	b.follow("#activate-submit", "#activate-code #code")
	b.requireAt(e.gatewayURL + "/activate/verify")
	assert.Contains(t, b.text("#activate-code"), "004", "the page names the masked phone the code went to")

	// Step 2: the SMS code.
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, e164)))
	b.follow("#activate-confirm", "#activate-finish #passcode")
	b.requireAt(e.gatewayURL + "/activate/finish")
	// The demo account has a password already: only the passcode and the
	// questions are asked.
	_, err := chromedp.Run(b.ctx, chromedp.Query(chromedp.CSS("#password"), chromedp.NodeNotPresent))
	require.NoError(t, err, "no password fields for an account that has a password")

	// Step 3: passcode and two different security questions.
	b.do("fill in the passcode and security questions",
		chromedp.SendKeys(chromedp.CSS("#passcode"), "480917"),
		chromedp.SendKeys(chromedp.CSS("#passcode2"), "480917"),
		chromedp.SetValue(chromedp.CSS("#q1"), q1),
		chromedp.SendKeys(chromedp.CSS("#a1"), "Cô Lan"),
		chromedp.SetValue(chromedp.CSS("#q2"), q2),
		chromedp.SendKeys(chromedp.CSS("#a2"), "Đường Trần Phú"),
	)
	for sel, want := range map[string]string{"#q1": q1, "#q2": q2} {
		got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
		require.NoError(t, err)
		require.Equal(t, want, got, "%s is chosen", sel)
	}
	b.do("leave the last field", chromedp.Blur(chromedp.CSS("#a2"))) // no caret in the picture
	b.screenshot("activate")
	b.follow("#activate-finish button[type=submit]", "#activate-done")
	assert.Contains(t, b.text("#activate-done"), "Tài khoản đã được kích hoạt")

	// Sign in: password, then an SMS code.
	b.follow("#activate-signin", "#personal_id")
	b.requireAt(e.gatewayURL + "/login")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoPendingID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, `form[action="/login/sms"]`)
	sent := e.smsCount(t, e164)
	b.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	require.Equal(t, sent+1, e.smsCount(t, e164), "a new code was sent for the sign-in")
	code := e.lastSMSCode(t, e164)
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, "#signout")

	// Signed in, on the account page.
	b.requireAt(e.gatewayURL + "/account")
	assert.Equal(t, "Tài khoản của bạn", b.text("main h1"))
	assert.NotContains(t, b.html(), biometrics.SentinelPrefix)
}

// TestShareAndVerify is the QR credential in a browser: the level 2 demo
// citizen signs in, shares their name and birth date only, and the
// credential's text, pasted into /verify, shows the verified name; the same
// text verifies offline against the gateway's /jwks.json.
func TestShareAndVerify(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, "vi")
	noBiometrics := func(page string) {
		t.Helper()
		assert.NotContains(t, b.html(), biometrics.SentinelPrefix, "no biometric data on %s", page)
	}

	// Sign in with the password and the authenticator's code, and come back
	// to the sharing page.
	b.open(e.gatewayURL+"/login?return_to=/account/share", "#personal_id")
	noBiometrics("the sign-in page")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, "#share-create")
	b.requireAt(e.gatewayURL + "/account/share")
	noBiometrics("the sharing form")

	// Nothing starts ticked: the citizen picks the name and the birth date.
	want := []string{"birthdate", "name"}
	ticked, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("input[name=claim]:checked")].map(c => c.value)`))
	require.NoError(t, err)
	require.Empty(t, ticked, "nothing is shared unless the citizen ticks it")
	// Claims are listed as the identity card reads: name first.
	order, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("input[name=claim]")].map(c => c.value)`))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(order), 2)
	require.Equal(t, []string{"name", "birthdate"}, order[:2])
	for _, c := range want {
		b.do("tick "+c, chromedp.Click(chromedp.CSS("#claim-"+c)))
	}
	ticked, err = chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("input[name=claim]:checked")].map(c => c.value)`))
	require.NoError(t, err)
	slices.Sort(ticked)
	require.Equal(t, want, ticked)
	b.screenshot("share")

	// The credential: a QR code and its text.
	b.follow("#share-create", "#share-qr")
	noBiometrics("the credential page")
	token, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#share-token")))
	require.NoError(t, err)
	token = strings.TrimSpace(token)
	require.True(t, strings.HasPrefix(token, sharing.CompactPrefix), "the compact form: %q", token)
	require.Less(t, len(token), 450, "a small QR code for name and birth date")
	assert.NotContains(t, token, biometrics.SentinelPrefix)

	// A verifier's browser: paste the text into /verify.
	b.open(e.gatewayURL+"/verify", "#token")
	// The camera button shows only where the browser can read QR codes.
	scan, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
		`!document.getElementById("verify-scan").hidden === ("BarcodeDetector" in window && !!navigator.mediaDevices)`))
	require.NoError(t, err)
	require.True(t, scan, "the camera button is shown exactly when it can work")
	b.do("paste the credential",
		chromedp.Focus(chromedp.CSS("#token")),
		// Input.insertText is what a paste does: one insertion, with the
		// input events a form sees, not a key press a character.
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, input.InsertText, input.InsertTextParams{Text: token})
			return err
		}),
	)
	pasted, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#token")))
	require.NoError(t, err)
	require.Equal(t, token, pasted)
	b.follow("#verify-submit", "#verify-result")
	assert.Contains(t, b.text("#verified-name"), "Nguyễn Văn An")
	assert.Contains(t, b.text("#verified-birthdate"), "/")
	_, err = chromedp.Run(b.ctx, chromedp.Query(chromedp.CSS("#verified-personal_id_number"), chromedp.NodeNotPresent))
	require.NoError(t, err, "an unticked claim is not disclosed")
	noBiometrics("the verification result")
	b.screenshot("verify")

	// Offline, as a verifier would: the gateway's published keys, fetched
	// once, and the text.
	res, err := http.Get(e.gatewayURL + "/jwks.json")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var keys jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(res.Body).Decode(&keys))
	v, err := sharing.VerifyAny(token, keys, time.Now(), sharing.VerifyOptions{Issuer: e.gatewayURL})
	require.NoError(t, err)
	assert.Equal(t, e.gatewayURL, v.Issuer)
	assert.Equal(t, "Nguyễn Văn An", v.Claims["name"])
	assert.Len(t, v.Claims, 2, "only the ticked claims are disclosed: %v", v.Claims)
	assert.Contains(t, v.Claims, "birthdate")

	// A verifier with a camera: a browser that offers BarcodeDetector and a
	// camera (both stood in for here, the camera by a canvas stream, the
	// detector reading "the code it sees" as the credential) fills the
	// field by scanning.
	b.do("give the browser a camera and a QR detector", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeCamera(token)})
		return err
	}))
	b.open(e.gatewayURL+"/verify?ui_locales=en", "#verify-scan")
	b.do("scan", chromedp.Click(chromedp.CSS("#verify-scan")), chromedp.WaitVisible(chromedp.CSS("#verify-scan-status")))
	scanned, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#token")))
	require.NoError(t, err)
	require.Equal(t, token, scanned)
	b.follow("#verify-submit", "#verify-result")
	assert.Contains(t, b.text("#verified-name"), "Nguyễn Văn An")
	assert.Contains(t, b.text("#verified-birthdate"), "12 March 1985", "an English date on an English page")
}

// fakeCamera is a script that gives a page a camera (a canvas stream) and a
// BarcodeDetector that reads text from every frame, as a phone reading a
// QR code would.
func fakeCamera(text string) string {
	q, _ := json.Marshal(text)
	return `(() => {
  const text = ` + string(q) + `;
  window.BarcodeDetector = class {
    static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
    detect() { return Promise.resolve([{ format: "qr_code", rawValue: text }]); }
  };
  const camera = () => {
    const c = document.createElement("canvas");
    c.width = 64; c.height = 64;
    const g = c.getContext("2d");
    setInterval(() => { g.fillStyle = "#" + Math.floor(Math.random() * 4096).toString(16).padStart(3, "0"); g.fillRect(0, 0, 64, 64); }, 50);
    return Promise.resolve(c.captureStream(20));
  };
  if (navigator.mediaDevices) navigator.mediaDevices.getUserMedia = camera;
  else Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: camera } });
})();`
}

// smsCount is how many SMS the development inbox holds for phone.
func (e *env) smsCount(t *testing.T, phone string) int {
	t.Helper()
	msgs, err := e.inbox.Messages(t.Context(), phone)
	require.NoError(t, err)
	return len(msgs)
}
