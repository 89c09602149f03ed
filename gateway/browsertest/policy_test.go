package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorTogglesKindPolicy: on a phone (390 px), in Vietnamese and
// English, an operator opens the kind policy from the console's home page
// and refuses banks the driving licence; the page fits the width, passes
// axe-core, and the policy in force changed.
func TestOperatorTogglesKindPolicy(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.g.Staff.LoadDemo(t.Context()))
			b := newBrowser(t, lang)
			b.phone()
			staffSignIn(t, b, e.gatewayURL, staff.DemoMembers[0])
			b.open(e.gatewayURL+"/staff/policy?ui_locales="+lang, "#policy")
			title := map[string]string{"vi": "Chính sách giấy tờ theo loại dịch vụ", "en": "Document policy by kind of service"}[lang]
			assert.Equal(t, title, b.text("main h1"))
			assert.Contains(t, b.html(), `<tr data-kind="bank">`)
			b.follow("#policy-bank-documents\\.driving_licence", "#policy-notice")
			assert.Contains(t, b.html(), `data-allowed="false"`)
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
			require.NoError(t, err)
			assert.Empty(t, got, "the policy page sticks out at 390 px")
			b.screenshot("staff-policy-" + lang)
			b.axe()
			p, err := e.g.Clients.KindPolicy(t.Context())
			require.NoError(t, err)
			assert.False(t, p.Allows(oidc.KindBank, "documents.driving_licence"))
		})
	}
}
