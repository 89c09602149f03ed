package browsertest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/population"
)

// The demo level 2 citizen registers his child on the account page's
// dependents page (after a refusal), sees the child's shares, revokes one on
// the child's behalf, and reads the pages in both languages; both histories
// show the revocation.
func TestGuardianRegistersDependent(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := newBrowser(t, "vi")

	b.open(e.gatewayURL+"/login?return_to=/account", "#personal_id")
	b.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	b.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.follow(`form[action="/login/verify"] button[type=submit]`, "#dependents-link")
	b.follow("#dependents-link", "#dependent-pid")
	b.requireAt(e.gatewayURL + "/account/dependents")
	assert.Contains(t, b.text("h1"), "Người phụ thuộc")
	assert.NotEmpty(t, b.text("#dependents-none"))

	// Someone the registry does not name as his child: refused, in
	// Vietnamese.
	b.do("type another citizen's number", chromedp.SendKeys(chromedp.CSS("#dependent-pid"), population.DemoLevel1ID))
	b.follow("#dependent-register", "#dependents-error")
	assert.Contains(t, b.text("#dependents-error"), "không ghi nhận bạn là cha, mẹ hoặc người giám hộ")

	// His child.
	b.open(e.gatewayURL+"/account/dependents", "#dependent-pid")
	b.do("type the child's number", chromedp.SendKeys(chromedp.CSS("#dependent-pid"), population.DemoChildID))
	b.follow("#dependent-register", "#dependents-notice")
	assert.Contains(t, b.text("#dependents-list"), "Nguyễn Minh Khôi")
	assert.Contains(t, b.text("#dependents-list"), "02/09/2030", "authority until the 14th birthday")
	b.screenshot("dependents")

	guardian, err := e.g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	deps, err := e.g.Guardianship.ActingFor(ctx, guardian.ID)
	require.NoError(t, err)
	require.Len(t, deps, 1)
	dep := deps[0]

	// The guardian shared the child's name with the demo portal (as acting
	// for him at a service records it: on the child's consent records).
	_, err = e.g.Consent.Grant(ctx, consent.Approval{AccountID: dep.ID, ClientID: demoClientID, Scopes: []string{"openid", "profile"},
		Claims: []string{"name", "birthdate"}, PurposeVersion: "1", By: consent.Actor{Kind: audit.Citizen, ID: guardian.ID}})
	require.NoError(t, err)

	b.follow(".dependent-open", "#dependent-shares")
	assert.Equal(t, "Nguyễn Minh Khôi", b.text("#dependent-name"))
	assert.Contains(t, b.text("#dependent-shares"), "Họ và tên")
	b.follow(".share-revoke", "#dependent-notice")
	revoked, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`document.querySelector("#dependent-shares tr.share").dataset.revoked`))
	require.NoError(t, err)
	assert.Equal(t, "true", revoked)
	types, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#dependent-history td[data-type]")].map(td => td.dataset.type)`))
	require.NoError(t, err)
	assert.Contains(t, types, string(audit.ConsentRevoked), "in the child's history")
	assert.Contains(t, types, string(audit.DependentRegistered))
	b.screenshot("dependent")

	// English.
	b.open(e.gatewayURL+"/account/dependents?ui_locales=en", "#dependents-list")
	assert.Equal(t, "Dependents", b.text("h1"))
	assert.Contains(t, b.text("#dependents-list"), "2 Sep 2030")
	assert.Contains(t, b.text("#dependents-list"), "Acting for them")
	b.follow(".dependent-open", "#dependent-shares")
	assert.Contains(t, b.text("#dependent-shares"), "Revoked")

	// Both histories.
	hist := auditpg.NewStore(e.db.App, nil)
	gp, err := hist.History(ctx, guardian.ID, audit.Filter{})
	require.NoError(t, err)
	var gTypes []audit.EventType
	for _, en := range gp.Entries {
		gTypes = append(gTypes, en.Type)
	}
	assert.True(t, slices.Contains(gTypes, audit.DependentShareRevoked), "%v", gTypes)
	assert.True(t, slices.Contains(gTypes, audit.DependentRegistered), "%v", gTypes)
}
