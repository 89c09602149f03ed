package browsertest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorRunsReconciliation: on a phone (390 px), in Vietnamese and
// English, an operator opens the vehicle reconciliation from the console's
// home page, starts a run, and reads its figures per province and kind of
// finding; the CSV links name the run; the page fits the width and passes
// axe-core.
func TestOperatorRunsReconciliation(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			require.NoError(t, e.g.Staff.LoadDemo(ctx))
			// A record the demo citizen's name, birth date and address
			// complete, a malformed number and a retired vehicle.
			_, err := e.db.App.Exec(ctx, `INSERT INTO vehicle_records (number, owner_id, owner_name, owner_birth_date, owner_street, owner_ward, owner_district, owner_province, status)
				SELECT '29A-90001', '', full_name, birth_date, street, ward, district, province, 'active' FROM population WHERE personal_id = $1`, population.DemoLevel2ID)
			require.NoError(t, err)
			_, err = e.db.App.Exec(ctx, `INSERT INTO vehicle_records (number, owner_id, owner_name, owner_province, status) VALUES
				('29A-90002', '12345', 'Trần Văn Sai', 'Hà Nội', 'active'), ('51F-90003', 'bad', 'Lê Thị Cũ', 'Hồ Chí Minh', 'retired')`)
			require.NoError(t, err)

			b := newBrowser(t, lang)
			b.phone()
			staffSignIn(t, b, e.gatewayURL, staff.DemoMembers[0])
			b.open(e.gatewayURL+"/staff?ui_locales="+lang, "#staff-who")
			b.follow(`a[href="/staff/reconcile"]`, "#reconcile-none")
			b.open(e.gatewayURL+"/staff/reconcile?ui_locales="+lang, "#reconcile-none")
			title := map[string]string{"vi": "Đối soát đăng ký xe với dữ liệu dân cư", "en": "Vehicle registry reconciliation"}[lang]
			assert.Equal(t, title, b.text("main h1"))

			b.follow("#reconcile-start", "#reconcile-notice")
			// The run goes on in the background: the page says so until it
			// is done (four records: at once, or after a reload or two).
			deadline := time.Now().Add(20 * time.Second)
			for b.present(`#reconcile-running`) && time.Now().Before(deadline) {
				b.follow("#reconcile-refresh", "#reconcile-run")
			}
			require.True(t, b.present(`#reconcile-run[data-state="done"]`), "the run did not finish: %s", b.html())
			assert.Contains(t, b.location(), "ui_locales="+lang)
			totals := map[string]string{"vi": "Tổng 1 0 1 0 1 3", "en": "Total 1 0 1 0 1 3"}[lang]
			assert.Equal(t, totals, normalise(b.text("#reconcile-totals")))
			assert.Contains(t, b.html(), `<tr data-province="Hồ Chí Minh">`)
			for sel, want := range map[string]string{
				"#reconcile-report-csv":   `^/staff/reconcile/report\.csv\?run=\d+$`,
				"#reconcile-findings-csv": `^/staff/reconcile/findings\.csv\?run=\d+$`,
			} {
				href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), "href"))
				require.NoError(t, err)
				assert.Regexp(t, want, href.Value, sel)
			}

			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
			require.NoError(t, err)
			assert.Empty(t, got, "the reconciliation page sticks out at 390 px")
			b.screenshot("staff-reconcile-" + lang)
			b.axe()
		})
	}
}

// normalise collapses white space (a table row's text has tabs between
// its cells).
func normalise(s string) string { return strings.Join(strings.Fields(s), " ") }
