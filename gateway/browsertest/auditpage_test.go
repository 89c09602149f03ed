package browsertest_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorChecksAuditTrail: in Vietnamese and English, at 1280 px, an
// operator opens the audit trail from the console's home page and sees the
// newest event, its seal and the newest checkpoint as stored, that no
// witness is configured, verifies the newest events (intact, the seal the
// writer's) and downloads the checkpoints, the one just signed among them.
// At 390 px the page fits the width; both widths pass axe-core.
func TestOperatorChecksAuditTrail(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			var log *audit.Log
			e := newEnv(t, func(o *gateway.Options) { log = o.Audit.(*audit.Log) })
			ctx := t.Context()
			require.NoError(t, e.g.Staff.LoadDemo(ctx))

			b := newBrowser(t, lang)
			b.desktop()
			staffSignIn(t, b, e.gatewayURL, staff.DemoMembers[0])
			cp, err := log.Checkpoint(ctx)
			require.NoError(t, err)
			b.open(e.gatewayURL+"/staff?ui_locales="+lang, "#staff-who")
			b.follow(`a[href="/staff/audit"]`, "#audit-head")
			title := map[string]string{"vi": "Nhật ký kiểm toán", "en": "Audit trail"}[lang]
			assert.Equal(t, title, b.text("main h1"))
			seq := strconv.FormatInt(cp.Seq, 10)
			assert.True(t, b.present(`#audit-checkpoint[data-seq="`+seq+`"]`), "checkpoint %s: %s", seq, b.html())
			assert.True(t, b.present(`#audit-head[data-seq="`+seq+`"]`), "head %s: %s", seq, b.html())
			assert.True(t, b.present(`#audit-seal[data-seq="`+seq+`"]`), "seal %s: %s", seq, b.html())
			assert.True(t, b.present("#audit-witness-none"))
			assert.False(t, b.present("#audit-alarm"))
			b.axe()

			b.follow("#audit-verify-submit", "#audit-verify")
			assert.True(t, b.present(`#audit-verify[data-ok="true"]`), b.html())
			verified := map[string]string{"vi": "Niêm phong đầu chuỗi hợp lệ.", "en": "The head seal is valid."}[lang]
			assert.Contains(t, b.text("#audit-verify"), verified)
			export, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
				`fetch(document.getElementById("audit-export").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			cps, err := audit.ReadCheckpoints(strings.NewReader(export))
			require.NoError(t, err)
			require.NotEmpty(t, cps)
			assert.Equal(t, cp.JWS, cps[len(cps)-1].JWS, "the newest checkpoint is exported")
			b.screenshot("staff-audit-" + lang)
			b.axe()

			b.phone()
			b.open(e.gatewayURL+"/staff/audit?ui_locales="+lang, "#audit-head")
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
			require.NoError(t, err)
			assert.Empty(t, got, "the audit page sticks out at 390 px")
			b.screenshot("staff-audit-phone-" + lang)
			b.axe()
		})
	}
}
