package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorRotatesSigningKeys: in Vietnamese and English, at 1280 px,
// an operator opens the signing keys from the console's home page, sees
// the two keys signing now, and rotates: two new keys are published (next,
// signing after keys.activation_delay), the old ones are shown with the
// time they stop signing and leave the JWKS, and the rotation is audited
// under the operator's name, as `dinhdanh keys rotate` does. At 390 px the
// page fits the width; both widths pass axe-core.
func TestOperatorRotatesSigningKeys(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			require.NoError(t, e.g.Staff.LoadDemo(ctx))
			op := staff.DemoMembers[0]

			b := newBrowser(t, lang)
			b.desktop()
			staffSignIn(t, b, e.gatewayURL, op)
			b.open(e.gatewayURL+"/staff?ui_locales="+lang, "#staff-who")
			b.follow(`a[href="/staff/keys"]`, "#keys")
			title := map[string]string{"vi": "Khóa ký mã thông báo", "en": "Token signing keys"}[lang]
			assert.Equal(t, title, b.text("main h1"))
			require.Equal(t, 2, count(b, `#keys tr[data-state="signing"]`), b.html())
			b.axe()

			b.follow("#keys-rotate-submit", "#keys-notice")
			assert.Contains(t, b.location(), "ui_locales="+lang)
			assert.Equal(t, 2, count(b, `#keys tr[data-state="next"][data-added="true"]`), b.html())
			assert.Equal(t, 2, count(b, `#keys tr[data-state="signing"]`), "the old keys sign until the new ones start")
			states, err := e.g.Keys.States(ctx)
			require.NoError(t, err)
			require.Len(t, states, 4)
			for _, s := range states {
				sel := `#keys tr[data-kid="` + s.KID + `"]`
				require.True(t, b.present(sel), "%s not shown", s.KID)
				if s.State == oidc.KeySigning {
					require.NotNil(t, s.PublishedUntil, "a replaced key has an end")
					dt, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel+" td:last-child time"), "datetime"))
					require.NoError(t, err)
					assert.Equal(t, s.PublishedUntil.Format("2006-01-02T15:04:05Z07:00"), dt.Value)
				}
			}
			var actor string
			require.NoError(t, e.db.App.QueryRow(ctx, `SELECT actor_id FROM audit_events WHERE type = $1 ORDER BY seq DESC LIMIT 1`, string(audit.KeyRotated)).Scan(&actor))
			assert.Equal(t, op.Username, actor)
			b.screenshot("staff-keys-" + lang)
			b.axe()

			b.phone()
			b.open(e.gatewayURL+"/staff/keys?ui_locales="+lang, "#keys")
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
			require.NoError(t, err)
			assert.Empty(t, got, "the signing keys page sticks out at 390 px")
			b.screenshot("staff-keys-phone-" + lang)
			b.axe()
		})
	}
}

// count is how many elements match sel.
func count(b *browser, sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
	require.NoError(b.t, err)
	return n
}
