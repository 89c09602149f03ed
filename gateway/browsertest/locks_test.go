package browsertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// otherBrowser is a second, separate browser (its own cookies) in b's
// Chromium: the staff member's, beside the citizen's.
func (b *browser) otherBrowser(t *testing.T) *browser {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.tab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		t.Fatalf("open a second browser context: %v", err)
	}
	ctx, cancelCtx := context.WithTimeout(tab, testTimeout)
	t.Cleanup(cancelCtx)
	return &browser{t: t, ctx: ctx, tab: tab, shots: b.shots}
}

// TestSupervisorApprovesLock is issue 10's browser test of locks by
// authorities: the demo citizen is signed in at the demo relying party; an
// officer files a lock request and, holding no supervisor role, cannot
// approve it even by posting the form; a supervisor of the officer's
// district approves it; the relying party's tokens are dead at once, and
// each step is in the citizen's history under the staff member's id.
func TestSupervisorApprovesLock(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.g.Staff.LoadDemo(t.Context()))
	supervisor, officerMember := staff.DemoMembers[1], staff.DemoMembers[2]
	require.Equal(t, []staff.Role{staff.RoleSupervisor}, supervisor.Roles)
	require.Equal(t, []staff.Role{staff.RoleOfficer}, officerMember.Roles)
	citizen := newBrowser(t, "vi")

	// The citizen signs in to the relying party (password, authenticator
	// code, consent).
	citizen.open(e.rpURL+"/", "#login")
	citizen.follow("#login", "#personal_id")
	citizen.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	citizen.follow(`form[action="/login"] button[type=submit]`, "#code")
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	citizen.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	citizen.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	citizen.follow(`button[name=action][value=approve]`, "#message")
	citizen.requireAt(e.rpURL + "/callback")
	require.Equal(t, "signed in", citizen.text("#message"))
	citizen.follow("#refresh", "#message")
	require.Equal(t, "refreshed", citizen.text("#message"), "the relying party's refresh token works before the lock")

	// Staff pages refuse whoever is not signed in to the staff console.
	officer := citizen.otherBrowser(t)
	officer.open(e.gatewayURL+"/staff/locks", "main")
	assert.Contains(t, officer.text("main"), "Vui lòng đăng nhập trang cán bộ.")

	// The officer files a request.
	staffSignIn(t, officer, e.gatewayURL, officerMember)
	officer.open(e.gatewayURL+"/staff/locks", "#locks-new")
	assert.Equal(t, "Yêu cầu khóa tài khoản", officer.text("main h1"))
	officer.follow("#locks-new", "#personal_id")
	officer.do("fill in the request",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
		chromedp.SetValue(chromedp.CSS("#reason"), "card_revoked"),
		chromedp.SendKeys(chromedp.CSS("#text"), "Quyết định thu hồi thẻ căn cước số 12/QĐ-CAP"),
	)
	officer.screenshot("lock-request-new")
	officer.follow("#file-submit", "#notice")
	assert.Contains(t, officer.text("#notice"), "Đã gửi yêu cầu")
	assert.Contains(t, officer.text("#state"), "Chờ phê duyệt")
	requestURL := officer.location()

	// No approve button for an officer; posting the approval anyway (the
	// withdraw form, pointed at /approve) is refused.
	_, err = chromedp.Run(officer.ctx, chromedp.Query(chromedp.CSS("#approve"), chromedp.NodeNotPresent))
	require.NoError(t, err, "an officer sees no approve button")
	officer.do("post an approval as the officer", chromedp.Evaluate[chromedp.Void](
		`(() => { const f = document.querySelector('form[action$="/withdraw"]'); f.action = f.action.replace(/\/withdraw$/, "/approve"); f.submit(); })()`))
	officer.do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS("section.error")))
	assert.Contains(t, officer.text("main"), "Bạn không có quyền thực hiện thao tác này.")
	officer.screenshot("lock-request-officer-refused")
	a, err := e.g.Accounts.ByPersonalID(t.Context(), population.DemoLevel2ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, a.Status, "the officer's post locked nothing")

	// A supervisor of the officer's district approves it.
	sup := citizen.otherBrowser(t)
	staffSignIn(t, sup, e.gatewayURL, supervisor)
	sup.open(e.gatewayURL+"/staff/locks", "#pending")
	assert.Contains(t, sup.text("#pending"), population.DemoLevel2ID)
	sup.follow("#pending a", "#approve")
	require.Equal(t, requestURL[:len(e.gatewayURL+"/staff/locks/")+36], sup.location()[:len(e.gatewayURL+"/staff/locks/")+36])
	sup.do("write a note", chromedp.SendKeys(chromedp.CSS("#note"), "Đã đối chiếu quyết định thu hồi"))
	sup.screenshot("lock-request-approve")
	sup.follow("#approve", "#notice")
	assert.Contains(t, sup.text("#notice"), "Tài khoản đã bị khóa")
	assert.Contains(t, sup.text("#decided-by"), supervisor.Name)

	// The relying party's tokens are dead.
	citizen.open(e.rpURL+"/", "#refresh")
	citizen.follow("#refresh", "#error")
	assert.Contains(t, citizen.text("#error"), "invalid_grant")

	// The citizen's history shows each step, by the staff member's id.
	a, err = e.g.Accounts.ByPersonalID(t.Context(), population.DemoLevel2ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, a.Status)
	page, err := auditpg.NewStore(e.db.App, nil).History(t.Context(), a.ID, audit.Filter{Types: []audit.EventType{
		audit.LockRequested, audit.LockApproved, audit.AccountLocked,
	}})
	require.NoError(t, err)
	var steps []string
	for _, en := range page.Entries {
		steps = append(steps, string(en.Type)+":"+string(en.ActorKind)+":"+en.ActorID)
	}
	supID, err := e.g.Staff.FindMember(t.Context(), supervisor.Username)
	require.NoError(t, err)
	offID, err := e.g.Staff.FindMember(t.Context(), officerMember.Username)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"lock_request.approved:officer:" + supID.ID, "account.locked:officer:" + supID.ID, "lock_request.filed:officer:" + offID.ID,
	}, steps)
}
