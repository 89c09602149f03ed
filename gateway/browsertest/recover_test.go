package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestRecoverForgottenPasswordThenSignIn: the level 1 demo citizen forgets
// the password, follows "Quên mật khẩu?" from the sign-in page the demo
// relying party sent them to, proves the phone on record (an SMS code) and
// the two security answers (population.DemoAnswers), chooses a new password, and signs in to the
// relying party with it; the old password no longer works.
func TestRecoverForgottenPasswordThenSignIn(t *testing.T) {
	e := newEnv(t)
	const phone = "+84901000001"
	const newPassword = "Mật khẩu mới 2026"
	b := newBrowser(t, "vi")
	b.open(e.rpURL+"/", "#login")
	b.follow("#login", "#recover-link")
	b.requireAt(e.gatewayURL + "/login?")
	b.follow("#recover-link", "#personal_id")
	b.requireAt(e.gatewayURL + "/recover")
	assert.Equal(t, "Quên mật khẩu", b.text("main h1"))

	b.do("type the personal id number", chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID))
	b.follow("#recover-submit", "#code")
	b.requireAt(e.gatewayURL + "/recover/verify")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, phone)))
	b.follow("#recover-confirm", "#a0")
	b.requireAt(e.gatewayURL + "/recover/answers")
	assert.Contains(t, b.text("main"), "Tên trường tiểu học đầu tiên của bạn?")
	b.screenshot("recover-answers")

	b.do("answer the security questions",
		// population.DemoAnswers, typed in another case.
		chromedp.SendKeys(chromedp.CSS("#a0"), "kim ĐỒNG"),
		chromedp.SendKeys(chromedp.CSS("#a1"), "HUẾ"),
	)
	b.follow("#recover-answers-submit", "#password")
	b.requireAt(e.gatewayURL + "/recover/password")
	b.do("type the new password twice",
		chromedp.SendKeys(chromedp.CSS("#password"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#password2"), newPassword),
	)
	b.follow("#recover-password-submit", "#recover-done")
	assert.Contains(t, b.text("#recover-done"), "Mật khẩu đã được đặt lại")

	// Back to the relying party, which sends the citizen to sign in.
	b.open(e.rpURL+"/", "#login")
	b.follow("#login", "#personal_id")
	b.do("type the old password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "p.alert")
	b.open(e.rpURL+"/", "#login")
	b.follow("#login", "#personal_id")
	b.do("type the new password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID),
		chromedp.SendKeys(chromedp.CSS("#password"), newPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, `form[action="/login/sms"]`)
	b.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, phone)))
	b.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	b.follow(`button[name=action][value=approve]`, "#message")
	b.requireAt(e.rpURL + "/callback")
	assert.Equal(t, "signed in", b.text("#message"))
	idToken := jsonOf(t, b.text("#claims"))
	assert.Equal(t, assurance.ACR1, idToken["acr"])
}
