package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// TestOperatorLocksAndUnlocksAccount is issue 17's accounts page: at 1280
// and 390 px, in Vietnamese and English, an operator finds the demo
// citizen by personal id number (a wrong number is refused on the page),
// locks the account with a reason and a note (a lock without a note is
// refused, nothing changed), then unlocks it with a reason. The look-up,
// the lock and the unlock are each in the citizen's history under the
// operator's member id, the lock with its reason code and note; the pages
// fit the width and pass axe-core.
func TestOperatorLocksAndUnlocksAccount(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.g.Staff.LoadDemo(ctx))
	operator := staff.DemoMembers[0]
	var memberID string
	require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT id::text FROM staff_members WHERE username = $1`, operator.Username).Scan(&memberID))
	pid := population.DemoLevel2ID
	events := func(typ, reason string) int {
		var n int
		require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events
			WHERE type = $1 AND reason = $2 AND actor_kind = 'operator' AND actor_id = $3
			AND account_id = (SELECT id::text FROM accounts WHERE personal_id = $4)`, typ, reason, memberID, pid).Scan(&n))
		return n
	}
	status := func() string {
		var s string
		require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT status FROM accounts WHERE personal_id = $1`, pid).Scan(&s))
		return s
	}

	b := newBrowser(t, "vi")
	staffSignIn(t, b, e.gatewayURL, operator)
	eachConsoleView(t, b, func(t *testing.T, b *browser, run consoleView, i int) {
		b.open(e.gatewayURL+"/staff?ui_locales="+run.Lang, "#staff-who")
		b.follow(`a[href="/staff/accounts"]`, "#find-personal-id")
		b.axe()

		b.do("type a wrong number", chromedp.SendKeys(chromedp.CSS("#find-personal-id"), "12345"))
		b.follow("#account-find", "#error")
		b.do("type the citizen's number", chromedp.SetValue(chromedp.CSS("#find-personal-id"), pid))
		b.follow("#account-find", "#account-status")
		assert.Equal(t, "active", accountStatus(b))
		assert.Equal(t, "2", b.text("#account-level"))

		// No note (past the browser's own check): refused on the
		// page, nothing changed.
		b.do("drop the browser's check of the note", chromedp.Evaluate[chromedp.Void](`document.querySelector("#note").removeAttribute("required")`))
		b.follow("#account-change", "#error")
		assert.Equal(t, "active", status())
		b.do("choose a reason and write a note", chromedp.SetValue(chromedp.CSS("#reason"), "lost_phone"),
			chromedp.SendKeys(chromedp.CSS("#note"), "Công dân báo mất điện thoại qua tổng đài"))
		b.follow("#account-change", "#notice")
		assert.Equal(t, "locked", accountStatus(b))
		assert.Equal(t, "locked", status())
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflowJS))
		require.NoError(t, err)
		assert.Empty(t, got, "the page sticks out")
		b.screenshot("staff-accounts-" + run.Name())
		b.axe()

		b.do("choose why and write a note", chromedp.SetValue(chromedp.CSS("#reason"), "identity_verified"),
			chromedp.SendKeys(chromedp.CSS("#note"), "Đã xác minh tại quầy"))
		b.follow("#account-change", "#notice")
		assert.Equal(t, "active", accountStatus(b))
		assert.Equal(t, "active", status())

		assert.Equal(t, i+1, events("account.locked", "lost_phone"))
		assert.Equal(t, i+1, events("account.unlocked", "identity_verified"))
		assert.Equal(t, 3*(i+1), events("operator.action", "account_viewed"), "the look-up and the two pages after each change")
	})
	var note string
	require.NoError(t, e.db.Owner.QueryRow(ctx, `SELECT detail->>'note' FROM audit_events WHERE type = 'account.locked' ORDER BY seq DESC LIMIT 1`).Scan(&note))
	assert.Equal(t, "Công dân báo mất điện thoại qua tổng đài", note)
}

// accountStatus is the status code the accounts page shows.
func accountStatus(b *browser) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#account-status").dataset.status`))
	require.NoError(b.t, err)
	return s
}
