package browsertest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/staff"
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
	b.follow("#staff-verify", "#staff-who")
	assert.Equal(t, "Đỗ Văn Ba", b.text("#staff-who"))
	page = b.html()
	assert.Contains(t, page, `href="/staff/counter"`)
	assert.NotContains(t, page, `href="/staff/members"`)
	b.open(e.gatewayURL+"/staff/members", "#staff-error")
	assert.Contains(t, b.text("#staff-error"), "không cho phép")
}
