package browsertest_test

import (
	"slices"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/population"
)

// The level 2 demo citizen adds a passkey (Chromium's virtual
// authenticator) on the account page, signs out, and signs in to the demo
// relying party with the password and the passkey: its ID token says level
// 2, with amr hwk.
func TestCitizenSignsInWithPasskeyAtLevel2(t *testing.T) {
	// WebAuthn needs a host name: the gateway is on localhost, the relying
	// party on 127.0.0.1.
	e := newEnvAt(t, "localhost", "127.0.0.1")
	b := newBrowser(t, "vi")
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

	// A fresh sign-in with the password and the authenticator app's code.
	b.open(e.gatewayURL+"/account", "#personal_id")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, "#passkey-add")
	b.requireAt(e.gatewayURL + "/account")

	// The account page adds a passkey.
	b.do("name the passkey and add it",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "điện thoại của An"),
		chromedp.Click(chromedp.CSS("#passkey-add")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-list")),
	)
	assert.Contains(t, b.text("#passkey-list"), "điện thoại của An")
	assert.Contains(t, b.text("p.notice"), "Đã thêm khóa truy cập")
	b.screenshot("account-passkeys")

	b.follow("#signout", "#personal_id")

	// The relying party sends the citizen to sign in: the password, then
	// the passkey, offered first.
	b.open(e.rpURL+"/", "#login")
	b.follow("#login", "#personal_id")
	b.requireAt(e.gatewayURL + "/login?")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#passkey-use")
	b.screenshot("second-factor-passkey")
	b.do("use the passkey", chromedp.Click(chromedp.CSS("#passkey-use")),
		chromedp.WaitVisible(chromedp.CSS(`button[name=action][value=approve]`)))
	b.requireAt(e.gatewayURL + "/consent")
	b.follow(`button[name=action][value=approve]`, "#message")

	b.requireAt(e.rpURL + "/callback")
	assert.Equal(t, "signed in", b.text("#message"))
	idToken := jsonOf(t, b.text("#claims"))
	assert.Equal(t, assurance.ACR2, idToken["acr"])
	amr, _ := idToken["amr"].([]any)
	require.True(t, slices.Contains(amr, any("hwk")), "amr %v", idToken["amr"])
	assert.Equal(t, []any{"pwd", "hwk", "user"}, amr)
	assert.Equal(t, e.gatewayURL, idToken["iss"])
}
