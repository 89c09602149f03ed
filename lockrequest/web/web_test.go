package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	"github.com/dinhdanh/dinhdanh/lockrequest/web"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const pid = "001090012345"

var (
	commune  = staff.Unit{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: staff.Commune}
	district = staff.Unit{Code: "79.760", Name: "Công an Quận 1", Level: staff.District}
	members  = map[string]staff.Principal{
		"officer":  {MemberID: "m-officer", Username: "officer", Name: "Trần Văn Bình", Unit: commune, Roles: []staff.Role{staff.RoleOfficer}},
		"officer2": {MemberID: "m-officer2", Username: "officer2", Name: "Lê Thị Cúc", Unit: commune, Roles: []staff.Role{staff.RoleOfficer}},
		"sup":      {MemberID: "m-sup", Username: "sup", Name: "Phạm Văn Dũng", Unit: district, Roles: []staff.Role{staff.RoleSupervisor}},
		"hanoi":    {MemberID: "m-hn", Username: "hanoi", Name: "Đỗ Văn Phú", Unit: staff.Unit{Code: "01", Name: "Công an TP. Hà Nội"}, Roles: []staff.Role{staff.RoleSupervisor}},
		"operator": {MemberID: "m-op", Username: "operator", Name: "Hà Văn Hải", Unit: district, Roles: []staff.Role{staff.RoleOperator}},
	}
)

// testStaff is the test's stand-in for the staff console's sign-in: the
// X-Test-Staff header names a member.
func testStaff(r *http.Request) (staff.Principal, bool) {
	p, ok := members[r.Header.Get("X-Test-Staff")]
	return p, ok
}

type reads map[string]string

func (m reads) VerifiedRead(_ context.Context, readID, personalID string) error {
	if m[readID] != personalID {
		return errors.New("not a verified read of this citizen")
	}
	return nil
}

type site struct {
	srv     *httptest.Server
	acc     *accountstest.Env
	account accounts.Account
}

func newSite(t *testing.T) *site {
	t.Helper()
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	svc, err := lockrequest.New(lockrequest.Config{Store: lockrequestpg.NewStore(db.App), Accounts: acc.Service,
		Reads: reads{"read-1": pid}, Audit: acc.Audit, Now: acc.Clock.Now})
	require.NoError(t, err)
	tmpl, err := templates.New()
	require.NoError(t, err)
	sm := scs.New()
	sm.Cookie.Secure = false
	csrf := &httpx.CSRF{Sessions: sm}
	h := &web.Handler{Locks: svc, Principal: testStaff, Templates: tmpl, CSRF: csrf}
	r := mux.NewRouter()
	r.Use(httpx.RequestID)
	browser := r.NewRoute().Subrouter()
	browser.Use(sm.LoadAndSave, csrf.Middleware)
	h.Routes(browser)
	s := &site{srv: httptest.NewServer(r), acc: acc}
	t.Cleanup(s.srv.Close)
	s.account = acc.Citizen(t, pid, "correct horse battery", "+84901234567", assurance.Level2)
	return s
}

// client is one staff member's browser.
type client struct {
	t    *testing.T
	s    *site
	who  string
	http *http.Client
}

func (s *site) as(t *testing.T, who string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, who: who, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) do(method, path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.s.srv.URL+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.who != "" {
		req.Header.Set("X-Test-Staff", c.who)
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token is the CSRF token of the page at path (which must render a form).
func (c *client) token(path string) string {
	c.t.Helper()
	status, body, _ := c.do(http.MethodGet, path, nil)
	require.Equal(c.t, http.StatusOK, status, body)
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(c.t, m, "no CSRF token on %s", path)
	return m[1]
}

func (c *client) post(path, tokenFrom string, v url.Values) (int, string, http.Header) {
	c.t.Helper()
	v.Set("csrf_token", c.token(tokenFrom))
	return c.do(http.MethodPost, path, v)
}

// file files a request as c and returns its id.
func (c *client) file(reason string) string {
	c.t.Helper()
	status, body, h := c.post(web.PathLocks, web.PathNew, url.Values{"personal_id": {"001 090 012 345"}, "reason": {reason}, "text": {"Quyết định thu hồi thẻ số 12/QĐ"}})
	require.Equal(c.t, http.StatusSeeOther, status, body)
	loc := h.Get("Location")
	require.Contains(c.t, loc, "done=filed")
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], web.PathLocks+"/")
	require.Len(c.t, id, 36)
	return id
}

func TestPagesNeedStaff(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		who, method, path string
		status            int
		want              string
	}{
		{"", http.MethodGet, web.PathLocks, http.StatusUnauthorized, "/staff/login?return_to=%2Fstaff%2Flocks"},
		{"", http.MethodGet, web.PathLocks + "?ui_locales=en", http.StatusUnauthorized, "Please sign in to the staff console."},
		{"operator", http.MethodGet, web.PathLocks, http.StatusForbidden, "Bạn không có quyền thực hiện thao tác này."},
		{"sup", http.MethodGet, web.PathNew, http.StatusForbidden, "không có quyền"},
		{"sup", http.MethodGet, web.PathUnlock, http.StatusForbidden, "không có quyền"},
		{"officer", http.MethodGet, web.PathNew, http.StatusOK, `action="/staff/locks"`},
		{"officer", http.MethodGet, web.PathNew + "?ui_locales=en", http.StatusOK, "File an account lock request"},
		{"officer", http.MethodGet, web.PathLocks, http.StatusOK, "Yêu cầu do bạn lập"},
		{"sup", http.MethodGet, web.PathLocks, http.StatusOK, "Không có yêu cầu nào chờ phê duyệt."},
		{"officer", http.MethodGet, web.PathLocks + "/00000000-0000-0000-0000-000000000000", http.StatusNotFound, "Không tìm thấy yêu cầu."},
	}
	for _, tc := range cases {
		t.Run(tc.who+" "+tc.path, func(t *testing.T) {
			status, body, _ := s.as(t, tc.who).do(tc.method, tc.path, nil)
			assert.Equal(t, tc.status, status)
			assert.Contains(t, body, tc.want)
		})
	}
}

func TestCSRF(t *testing.T) {
	s := newSite(t)
	officer := s.as(t, "officer")
	id := officer.file("card_revoked")
	sup := s.as(t, "sup")
	sup.token(web.PathLocks + "/" + id) // a session with a token
	for _, tc := range []struct{ name, token string }{{"none", ""}, {"wrong", "forged"}} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, _ := sup.do(http.MethodPost, web.PathLocks+"/"+id+"/approve", url.Values{"csrf_token": {tc.token}})
			require.Equal(t, http.StatusForbidden, status)
			status, _, _ = officer.do(http.MethodPost, web.PathLocks, url.Values{"csrf_token": {tc.token}, "personal_id": {pid}, "reason": {"death"}, "text": {"x"}})
			require.Equal(t, http.StatusForbidden, status)
		})
	}
	a, err := s.acc.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, a.Status, "nothing forged went through")
}

func TestFileApproveUnlock(t *testing.T) {
	s := newSite(t)
	officer, officer2, sup, hanoi := s.as(t, "officer"), s.as(t, "officer2"), s.as(t, "sup"), s.as(t, "hanoi")

	// Form errors re-render the form.
	for _, tc := range []struct {
		name   string
		v      url.Values
		status int
		want   string
	}{
		{"bad personal id", url.Values{"personal_id": {"123"}, "reason": {"misuse"}, "text": {"x"}}, http.StatusBadRequest, "Thông tin chưa hợp lệ"},
		{"no account", url.Values{"personal_id": {"079085000123"}, "reason": {"misuse"}, "text": {"x"}}, http.StatusNotFound, "Không có tài khoản"},
		{"no text", url.Values{"personal_id": {pid}, "reason": {"misuse"}, "text": {""}}, http.StatusBadRequest, "Thông tin chưa hợp lệ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := officer.post(web.PathLocks, web.PathNew, tc.v)
			assert.Equal(t, tc.status, status)
			assert.Contains(t, body, tc.want)
			assert.Contains(t, body, `<form method="post" action="/staff/locks">`)
		})
	}

	id := officer.file("card_revoked")
	page := web.PathLocks + "/" + id
	status, body, _ := officer.do(http.MethodGet, page+"?done=filed", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Đã gửi yêu cầu")
	assert.Contains(t, body, "Thẻ căn cước bị thu hồi")
	assert.Contains(t, body, `id="withdraw"`, "the filer may withdraw")
	assert.NotContains(t, body, `id="approve"`)

	status, _, _ = officer2.post(web.PathLocks, web.PathNew, url.Values{"personal_id": {pid}, "reason": {"misuse"}, "text": {"x"}})
	assert.Equal(t, http.StatusConflict, status, "one pending request per account")

	// Another officer of the unit sees it without the buttons, and cannot
	// approve it by posting.
	status, body, _ = officer2.do(http.MethodGet, page, nil)
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, body, `id="approve"`)
	status, body, _ = officer2.post(page+"/approve", web.PathUnlock, url.Values{})
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "không có quyền")
	status, _, _ = officer2.post(page+"/withdraw", web.PathUnlock, url.Values{})
	assert.Equal(t, http.StatusForbidden, status)

	// A supervisor of another province does not see it.
	status, _, _ = hanoi.do(http.MethodGet, page, nil)
	assert.Equal(t, http.StatusNotFound, status)

	// The district supervisor has it in the list and approves it.
	status, body, _ = sup.do(http.MethodGet, web.PathLocks, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `data-id="`+id+`"`)
	status, body, _ = sup.do(http.MethodGet, page+"?ui_locales=en", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Approve and lock the account")
	assert.Contains(t, body, `<html lang="en">`)
	supToken := sup.token(page)
	status, _, h := sup.do(http.MethodPost, page+"/approve", url.Values{"csrf_token": {supToken}, "note": {"Đã xác minh"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Contains(t, h.Get("Location"), "done=approved")
	status, body, _ = sup.do(http.MethodGet, h.Get("Location"), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Tài khoản đã bị khóa")
	assert.NotContains(t, body, `id="approve"`)

	a, err := s.acc.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	assert.Equal(t, accounts.Locked, a.Status)
	revoked, _ := s.acc.Cascade.Ended()
	assert.Equal(t, []string{s.account.ID}, revoked, "the account's tokens end")

	// Deciding again is a conflict.
	status, _, _ = sup.do(http.MethodPost, page+"/refuse", url.Values{"csrf_token": {supToken}})
	assert.Equal(t, http.StatusConflict, status)

	// Unlock at the counter: only with a verified read of this citizen.
	for _, tc := range []struct {
		name, read string
		status     int
		want       string
	}{
		{"unknown read", "read-x", http.StatusUnprocessableEntity, "không phải là lần đọc đã xác thực"},
		{"verified read", "read-1", http.StatusOK, "Tài khoản đã được mở khóa"},
		{"not locked any more", "read-1", http.StatusConflict, "không bị khóa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := officer2.post(web.PathUnlock, web.PathUnlock, url.Values{"personal_id": {pid}, "read_id": {tc.read}})
			assert.Equal(t, tc.status, status)
			assert.Contains(t, body, tc.want)
		})
	}
	status, _, _ = sup.do(http.MethodPost, web.PathUnlock, url.Values{"csrf_token": {supToken}, "personal_id": {pid}, "read_id": {"read-1"}})
	assert.Equal(t, http.StatusForbidden, status, "a supervisor alone does not unlock")

	// Every step is audited as the staff member, on the citizen's account.
	var steps []string
	for _, e := range s.acc.Audit.Events() {
		if e.AccountID == s.account.ID && e.ActorKind == audit.Officer && e.ActorID != "officer-1" {
			steps = append(steps, string(e.Type)+":"+e.ActorID)
		}
	}
	assert.Equal(t, []string{
		"lock_request.filed:m-officer", "account.locked:m-sup", "lock_request.approved:m-sup",
		"account.unlocked:m-officer2", "lock_request.unlocked_at_counter:m-officer2",
	}, steps)
}

func TestRefuseAndWithdraw(t *testing.T) {
	s := newSite(t)
	officer, sup := s.as(t, "officer"), s.as(t, "sup")
	id := officer.file("misuse")
	page := web.PathLocks + "/" + id
	status, _, h := sup.post(page+"/refuse", page, url.Values{"note": {"Chưa đủ căn cứ"}})
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ := officer.do(http.MethodGet, h.Get("Location"), nil)
	assert.Contains(t, body, "Bị từ chối")
	assert.Contains(t, body, "Chưa đủ căn cứ")

	id = officer.file("death")
	page = web.PathLocks + "/" + id
	status, _, h = officer.post(page+"/withdraw", page, url.Values{})
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ = officer.do(http.MethodGet, h.Get("Location"), nil)
	assert.Contains(t, body, "Đã rút lại yêu cầu.")
	a, err := s.acc.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	assert.Equal(t, accounts.Active, a.Status)
}
