package browsertest_test

import (
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// chartBar is one bar as the browser reads it from the SVG.
type chartBar struct {
	Category string `json:"category"`
	Series   string `json:"series"`
	Value    string `json:"value"`
	Label    string `json:"label"`
}

// readBarsJS reads every bar of the chart with id %s: its category (the
// group's), series, exact number and the text drawn next to it.
const readBarsJS = `Array.from(document.querySelectorAll('#%s g.bar')).map(g => ({
	category: g.closest('g.group').getAttribute('data-category'),
	series: g.getAttribute('data-series'),
	value: g.getAttribute('data-value'),
	label: g.querySelector('text').textContent,
}))`

// fetchJS downloads the link sel points to with the page's cookies.
const fetchJS = `fetch(document.querySelector('%s').href).then(r => r.ok ? r.text() : 'HTTP ' + r.status)`

// TestOperatorReadsFigures (issue 17): at 1280 px and on a phone (390 px),
// in Vietnamese and English, an operator opens the figures from the
// console's home page over the demo data, one citizen having signed in
// (so "issued" counts them). The numbers the province chart draws equal a
// query this test runs itself; each chart's CSV holds exactly the numbers
// drawn; the table lists provinces in Vietnamese order and sorts by a
// column through its header; every page fits and passes axe-core.
func TestOperatorReadsFigures(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.g.Staff.LoadDemo(ctx))

	// The level 1 demo citizen signs in (password, then the SMS code).
	si, err := e.g.Accounts.SignIn(ctx, accounts.SignInRequest{PersonalID: population.DemoLevel1ID, Password: population.DemoPassword, IP: "192.0.2.7"})
	require.NoError(t, err)
	_, err = e.g.Accounts.SendSMSCode(ctx, accounts.SMSRequest{AccountID: si.Account.ID, IP: "192.0.2.7"})
	require.NoError(t, err)
	_, err = e.g.Accounts.VerifySecondFactor(ctx, accounts.SecondFactorRequest{AccountID: si.Account.ID, Factor: accounts.FactorSMS,
		Code: e.lastSMSCode(t, si.Account.Phone), IP: "192.0.2.7"})
	require.NoError(t, err)

	// What the province chart must draw, counted here: registered,
	// activated, and activated with a first sign-in, per province of
	// residence.
	want := map[[2]string]string{}
	var registered, issued int64
	rows, err := e.db.App.Query(ctx, `SELECT coalesce(p.province, ''), count(*),
			count(*) FILTER (WHERE a.activated_at IS NOT NULL),
			count(*) FILTER (WHERE a.activated_at IS NOT NULL AND a.first_sign_in_at IS NOT NULL)
		FROM accounts a LEFT JOIN population p ON p.personal_id = a.personal_id GROUP BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var p string
		var reg, act, iss int64
		require.NoError(t, rows.Scan(&p, &reg, &act, &iss))
		want[[2]string{p, "registered"}] = strconv.FormatInt(reg, 10)
		want[[2]string{p, "activated"}] = strconv.FormatInt(act, 10)
		want[[2]string{p, "issued"}] = strconv.FormatInt(iss, 10)
		registered += reg
		issued += iss
	}
	require.NoError(t, rows.Err())
	require.Equal(t, int64(1), issued, "the citizen who signed in is the one issued account")

	// One sign-in for the four views: the operator's TOTP code cannot be
	// used twice in its 30 seconds. The page's language is ui_locales'.
	browser := newBrowser(t, "vi")
	browser.desktop()
	staffSignIn(t, browser, e.gatewayURL, staff.DemoMembers[0])
	for _, width := range []string{"desktop", "phone"} {
		if width == "phone" {
			browser.phone()
		}
		for _, lang := range []string{"vi", "en"} {
			t.Run(width+"-"+lang, func(t *testing.T) {
				b := browser.on(t)
				b.open(e.gatewayURL+"/staff?ui_locales="+lang, "#staff-who")
				b.follow(`a[href="/staff/figures"]`, "#chart-provinces")
				b.open(e.gatewayURL+"/staff/figures?ui_locales="+lang, "#chart-provinces")
				title := map[string]string{"vi": "Số liệu tài khoản định danh điện tử", "en": "Electronic identity account figures"}[lang]
				assert.Equal(t, title, b.text("main h1"))

				bars, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]chartBar](strings.ReplaceAll(readBarsJS, "%s", "chart-provinces")))
				require.NoError(t, err)
				got := map[[2]string]string{}
				for _, br := range bars {
					got[[2]string{br.Category, br.Series}] = br.Value
					assert.Equal(t, br.Value, br.Label, "the bar's text is its number (below 1,000 no grouping)")
				}
				assert.Equal(t, want, got, "the chart draws what the database holds")

				// The CSVs are exactly the numbers drawn, in the order drawn.
				for _, c := range []struct{ chart, link string }{{"chart-provinces", "#figures-provinces-csv"}, {"chart-months", "#figures-months-csv"}} {
					drawn, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]chartBar](strings.ReplaceAll(readBarsJS, "%s", c.chart)))
					require.NoError(t, err)
					body, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](strings.ReplaceAll(fetchJS, "%s", c.link), chromedp.EvalAwaitPromise))
					require.NoError(t, err)
					recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
					require.NoError(t, err, body)
					require.NotEmpty(t, recs)
					var fromCSV []chartBar
					for _, rec := range recs[1:] {
						for i, series := range recs[0][1:] {
							fromCSV = append(fromCSV, chartBar{Category: rec[0], Series: series, Value: rec[i+1]})
						}
					}
					for i := range drawn {
						drawn[i].Label = ""
					}
					assert.Equal(t, drawn, fromCSV, "%s: the CSV is the chart's numbers", c.chart)
					if c.chart == "chart-months" {
						var sum int64
						for _, br := range drawn {
							if br.Series == "registered" {
								n, _ := strconv.ParseInt(br.Value, 10, 64)
								sum += n
							}
						}
						assert.Equal(t, registered, sum, "every account is registered in a month drawn")
					}
				}

				// The table: provinces in Vietnamese order, then by a column.
				provinces, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
					`Array.from(document.querySelectorAll('#figures-table tbody tr:not([data-district])')).map(r => r.getAttribute('data-province'))`))
				require.NoError(t, err)
				require.Contains(t, provinces, "Đà Nẵng")
				c := collate.New(language.Vietnamese)
				assert.True(t, slices.IsSortedFunc(provinces, c.CompareString), "Vietnamese order: %v", provinces)
				assert.Less(t, slices.Index(provinces, "Đà Nẵng"), slices.Index(provinces, "Hà Nội"))
				assert.True(t, b.present(`#figures-table tr[data-province="Hà Nội"][data-district]`), "district rows where the data has them")
				checkConsolePage(t, b, "staff-figures-"+width+"-"+lang)

				b.follow(`th[data-column="registered"] a`, `th[data-column="registered"][aria-sort="descending"]`)
				values, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
					`Array.from(document.querySelectorAll('#figures-table tbody tr:not([data-district]) td[data-column="registered"]')).map(d => d.getAttribute('data-value'))`))
				require.NoError(t, err)
				assert.True(t, slices.IsSortedFunc(values, func(a, b string) int {
					x, _ := strconv.Atoi(a)
					y, _ := strconv.Atoi(b)
					return y - x
				}), "largest first: %v", values)
				assert.Contains(t, b.location(), "ui_locales="+lang)
			})
		}
	}
}
