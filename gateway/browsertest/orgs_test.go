package browsertest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorChecksStaffList is issue 17's staff-list test: at 1280 and
// 390 px, in Vietnamese and English, an operator adds an organisation from
// the console's home page, uploads its staff list (a CSV file on the wide
// screen, pasted on the phone) and sees the three groups: no account
// (none, or never activated), level 1 only, level 2, with nothing else
// about anyone. A list with a bad line is refused first, naming the line,
// and checks nothing. Every citizen looked up finds the check in their
// history; the pages fit the width and pass axe-core.
func TestOperatorChecksStaffList(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.g.Staff.LoadDemo(ctx))
	operator := staff.DemoMembers[0]
	require.Contains(t, operator.Roles, staff.RoleOperator)
	const unknown = "001199000001" // a valid number nobody registered
	history := func(pid string) int {
		var n int
		require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events
			WHERE type = 'organisation.staff_level_checked' AND account_id = (SELECT id::text FROM accounts WHERE personal_id = $1)`, pid).Scan(&n))
		return n
	}
	// An organisation per view (consoleViews' order).
	orgsAdded := []struct{ code, name string }{
		{"0100109106", "Bộ Y tế"},
		{"0101234567", "Ministry of Finance"},
		{"1234567", "Sở Y tế Hà Nội"},
		{"0101234567-001", "Ministry of Finance, Đà Nẵng branch"},
	}
	// A relying party's owner is an organisation too.
	rp, err := e.g.Clients.Get(ctx, demoClientID)
	require.NoError(t, err)
	rp.ID, rp.Organisation = "bank-orgs", oidc.Organisation{Code: "0100112437", Name: "Ngân hàng Thử nghiệm"}
	_, _, err = e.g.Clients.Create(ctx, "test", rp)
	require.NoError(t, err)

	b := newBrowser(t, "vi")
	staffSignIn(t, b, e.gatewayURL, operator)
	eachConsoleView(t, b, func(t *testing.T, b *browser, v consoleView, i int) {
		org := orgsAdded[i]
		b.open(e.gatewayURL+"/staff?ui_locales="+v.Lang, "#staff-who")
		b.follow(`a[href="/staff/organisations"]`, "#code")
		assert.Contains(t, b.text(`tr[data-code="0100112437"]`), "bank-orgs", "the relying party's owner is listed with it")
		b.axe()

		// A wrong code is refused on the form, nothing created.
		b.do("type a wrong code", chromedp.SendKeys(chromedp.CSS("#code"), "12345"), chromedp.SendKeys(chromedp.CSS("#name"), org.name))
		b.follow("#org-create", "#error")
		assert.Contains(t, b.text("#error"), map[string]string{"vi": "không hợp lệ", "en": "Invalid code"}[v.Lang])
		b.do("correct the code", chromedp.SetValue(chromedp.CSS("#code"), org.code))
		b.follow("#org-create", "#org-code")
		assert.Equal(t, org.code, b.text("#org-code"))
		assert.Equal(t, org.name, b.text("main h1"))

		// A bad line refuses the whole list.
		b.do("paste a list with a bad line", chromedp.SendKeys(chromedp.CSS("#list-text"), population.DemoLevel2ID+"\n12345\n"))
		b.follow("#org-check", "#error")
		assert.Contains(t, b.text("#error"), map[string]string{"vi": "(dòng 2)", "en": "(lines 2)"}[v.Lang])
		assert.False(t, b.present("#result-total"), "nothing checked")

		list := "so_dinh_danh;ho_ten\n" + population.DemoLevel2ID + ";A\n" + population.DemoLevel1ID + ";B\n" +
			population.DemoPendingID + ";C\n" + unknown + ";D\n" + strings.TrimPrefix(population.DemoLevel1ID, "0") + ";B again\n"
		if v.Phone {
			b.do("paste the list", chromedp.SetValue(chromedp.CSS("#list-text"), list))
		} else {
			file := filepath.Join(t.TempDir(), "can-bo.csv")
			require.NoError(t, os.WriteFile(file, []byte("\ufeff"+list), 0o600))
			b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#list-file"), []string{file}))
		}
		b.follow("#org-check", "#result-total")
		assert.Contains(t, b.text("#result-total"), "4 ", "four distinct numbers (one listed twice, once without its zero)")
		groups := map[string][]string{
			"no_account": {population.DemoPendingID, unknown},
			"level1":     {population.DemoLevel1ID},
			"level2":     {population.DemoLevel2ID},
		}
		for g, want := range groups {
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#group-`+g+` .org-numbers li")].map(li => li.textContent)`))
			require.NoError(t, err)
			assert.ElementsMatch(t, want, got, g)
		}
		html := b.html()
		for _, leak := range []string{"Nguyễn", "Trần", "+8490", "locked", "khóa"} {
			assert.NotContains(t, html, leak, "the result names nothing but the numbers and their groups")
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
		require.NoError(t, err)
		assert.Empty(t, got, "the page sticks out")
		b.screenshot("staff-orgs-" + v.Name())
		b.axe()

		for _, pid := range []string{population.DemoLevel2ID, population.DemoLevel1ID, population.DemoPendingID} {
			assert.Equal(t, i+1, history(pid), "the check is in %s's history once per upload", pid)
		}
	})
	// The four created are stored; the owner is not (it lives on its
	// relying party).
	var n int
	require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT count(*) FROM organisations`).Scan(&n))
	assert.Equal(t, len(orgsAdded), n)
}
