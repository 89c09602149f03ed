package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/guardianship"
	guardianshippg "github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship/web"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	guardianPID = "001085000201"
	wardPID     = "001214000202"
)

var members = map[string]staff.Principal{
	"officer":  {MemberID: "m-officer", Username: "officer", Name: "Trần Văn Bình", Unit: staff.Unit{Code: "01.001", Name: "Công an phường Hàng Bài"}, Roles: []staff.Role{staff.RoleOfficer}, Session: "s-1"},
	"operator": {MemberID: "m-op", Username: "operator", Name: "Hà Văn Hải", Unit: staff.Unit{Code: "01", Name: "Công an TP. Hà Nội"}, Roles: []staff.Role{staff.RoleOperator}},
}

func testStaff(r *http.Request) (staff.Principal, bool) {
	p, ok := members[r.Header.Get("X-Test-Staff")]
	return p, ok
}

type site struct {
	srv *httptest.Server
	acc *accountstest.Env
	svc *guardianship.Service
}

func newSite(t *testing.T) *site {
	t.Helper()
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	acc.Citizen(t, guardianPID, "correct horse battery", "+84901000201", assurance.Level2)
	ward := accountstest.Person(t, wardPID, "Trần Văn Phúc")
	require.NoError(t, acc.Registry.Write(t.Context(), []attributes.Person{ward}, nil))
	svc, err := guardianship.New(guardianship.Config{Store: guardianshippg.NewStore(db.App), Registry: acc.Registry,
		Accounts: acc.Service, Audit: acc.Audit, Now: acc.Clock.Now})
	require.NoError(t, err)
	tmpl, err := templates.New()
	require.NoError(t, err)
	sm := scs.New()
	csrf := &httpx.CSRF{Sessions: sm}
	h := &web.StaffHandler{Guardianship: svc, Principal: testStaff, Templates: tmpl, CSRF: csrf}
	r := mux.NewRouter()
	r.Use(httpx.RequestID)
	sub := r.NewRoute().Subrouter()
	sub.Use(sm.LoadAndSave, csrf.Middleware)
	h.Routes(sub)
	s := &site{srv: httptest.NewServer(r), acc: acc, svc: svc}
	t.Cleanup(s.srv.Close)
	return s
}

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

func (c *client) post(path string, v url.Values) (int, string, http.Header) {
	c.t.Helper()
	status, body, _ := c.do(http.MethodGet, web.PathRecords, nil)
	require.Equal(c.t, http.StatusOK, status, body)
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(c.t, m)
	v.Set("csrf_token", m[1])
	return c.do(http.MethodPost, path, v)
}

func TestStaffRecordsPage(t *testing.T) {
	s := newSite(t)
	// Who may see it.
	status, body, _ := s.as(t, "").do(http.MethodGet, web.PathRecords+"?ui_locales=en", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "Please sign in to the staff console.")
	status, body, _ = s.as(t, "operator").do(http.MethodGet, web.PathRecords, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Chỉ cán bộ tiếp nhận")

	o := s.as(t, "officer")
	status, body, _ = o.do(http.MethodGet, web.PathRecords+"?ui_locales=en", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Guardianship records")

	// Bad input: the form again with the values and a clear message, nothing stored.
	form := url.Values{"ward_id": {wardPID}, "guardian_id": {wardPID}, "number": {"7/2026/QĐ-UBND"}, "starts": {"2026-11-01"}}
	status, body, _ = o.post(web.PathRecords, form)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "Thông tin chưa hợp lệ")
	assert.Contains(t, body, `value="7/2026/QĐ-UBND"`)
	form.Set("guardian_id", "001085000299")
	status, body, _ = o.post(web.PathRecords, form)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, body, "không có trong Cơ sở dữ liệu")
	recs, err := s.svc.Records(t.Context(), 10)
	require.NoError(t, err)
	require.Empty(t, recs)

	// Entered.
	form.Set("guardian_id", guardianPID)
	status, _, h := o.post(web.PathRecords, form)
	require.Equal(t, http.StatusSeeOther, status)
	assert.Contains(t, h.Get("Location"), "done=entered")
	recs, err = s.svc.Records(t.Context(), 10)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "m-officer", recs[0].OfficerID)
	assert.Equal(t, "01.001 Công an phường Hàng Bài", recs[0].Unit)
	assert.Equal(t, time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), recs[0].Starts, "a day in Vietnam time")
	evs := s.acc.Audit.Of(audit.GuardianshipRecordEntered)
	require.Len(t, evs, 1)
	assert.Equal(t, "s-1", evs[0].Detail["session"])
	_, body, _ = o.do(http.MethodGet, web.PathRecords, nil)
	assert.Contains(t, body, "7/2026/QĐ-UBND")

	// Ended.
	status, _, h = o.post(web.PathRecords+"/"+recs[0].ID+"/end", url.Values{"ends": {"2027-01-01"}})
	require.Equal(t, http.StatusSeeOther, status)
	assert.Contains(t, h.Get("Location"), "done=ended")
	r, err := s.svc.RecordsFor(t.Context(), wardPID)
	require.NoError(t, err)
	require.NotNil(t, r[0].Ends)
	status, _, _ = o.post(web.PathRecords+"/"+recs[0].ID+"/end", url.Values{"ends": {"2020-01-01"}})
	assert.Equal(t, http.StatusBadRequest, status, "before the start")
	status, _, _ = o.post(web.PathRecords+"/00000000-0000-0000-0000-000000000000/end", url.Values{"ends": {"2027-01-01"}})
	assert.Equal(t, http.StatusNotFound, status)
	// Without the CSRF token.
	form.Del("csrf_token")
	status, _, _ = o.do(http.MethodPost, web.PathRecords, form)
	assert.Equal(t, http.StatusForbidden, status)
}
