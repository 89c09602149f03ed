package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/staff/passkeytest"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/staff/web"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type site struct {
	srv   *httptest.Server
	svc   *staff.Service
	spy   *audittest.Spy
	clock *clock
	admin staff.Enrolment
	// clients keeps the kind policy (the policy page's domain path).
	clients *oidc.Clients
}

func newSite(t *testing.T) *site {
	t.Helper()
	db := pgtest.New(t)
	s := &site{spy: &audittest.Spy{}, clock: &clock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}}
	var err error
	s.svc, err = staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"), Audit: s.spy,
		Now: s.clock.Now, TOTPKey: []byte("totp-key-totp-key-totp-key-01234"),
		Argon2Params: accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Passkeys:     &staff.PasskeyConfig{RPID: "localhost", Origins: []string{passkeyOrigin}}})
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, s.svc.PutUnitDirect(ctx, staff.Unit{Code: "79", Name: "Công an TP Hồ Chí Minh", Level: staff.Province}, "test"))
	_, s.admin, err = s.svc.Bootstrap(ctx, staff.NewMember{Username: "admin", Name: "Nguyễn Quản Trị", UnitCode: "79", Password: "Quan-tri-vien-1"}, staff.Unit{}, "test")
	require.NoError(t, err)

	tmpl, err := templates.New()
	require.NoError(t, err)
	sm := web.NewSessions(pgxstore.NewWithCleanupInterval(db.App, 0), false)
	s.clients = &oidc.Clients{Store: oidcpg.NewStore(db.App, oidc.NewFositeSession), Audit: s.spy, Now: s.clock.Now}
	h := &web.Handler{Staff: s.svc, Templates: tmpl, Sessions: sm, CSRF: &httpx.CSRF{Sessions: sm}, Now: s.clock.Now, Policy: s.clients}
	r := mux.NewRouter()
	r.Use(httpx.RequestID)
	console := r.NewRoute().Subrouter()
	console.Use(h.Middleware)
	h.Routes(console)
	// A supervisors' page of another package, as the top floor mounts it.
	console.Handle("/staff/locks", web.Require(staff.RoleSupervisor)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := web.Principal(r)
		_, _ = io.WriteString(w, "locks for "+p.Username)
	})))
	s.srv = httptest.NewServer(r)
	t.Cleanup(s.srv.Close)
	return s
}

type browser struct {
	t      *testing.T
	s      *site
	client *http.Client
}

func (s *site) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, s: s, client: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	url    *url.URL
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return page{status: resp.StatusCode, body: string(body), url: resp.Request.URL, header: resp.Header}
}

func (b *browser) get(path string) page {
	req, err := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	m := csrfRE.FindStringSubmatch(p.body)
	require.NotNil(t, m, "no CSRF token in %s", p.url)
	return html.UnescapeString(m[1])
}

// post submits a form from the page at from (for its CSRF token).
func (b *browser) post(from page, path string, form url.Values) page {
	b.t.Helper()
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", csrfOf(b.t, from))
	}
	req, err := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) signIn(username string, e staff.Enrolment) page {
	b.t.Helper()
	p := b.get("/staff/login")
	p = b.post(p, "/staff/login", url.Values{"username": {username}, "password": {e.Password}})
	require.Equal(b.t, "/staff/login/verify", p.url.Path, p.body)
	code, err := staff.TOTPCode(e.TOTPSecret, b.s.clock.Now())
	require.NoError(b.t, err)
	p = b.post(p, "/staff/login/verify", url.Values{"code": {code}})
	b.s.clock.Add(31 * time.Second)
	return p
}

var secretRE = regexp.MustCompile(`id="enrol-(password|secret)">([^<]+)<`)

func TestOperatorCreatesOfficer(t *testing.T) {
	s := newSite(t)
	op := s.browser(t)
	home := op.signIn("admin", s.admin)
	require.Equal(t, http.StatusOK, home.status)
	require.Equal(t, "/staff", home.url.Path)
	assert.Contains(t, home.body, "Nguyễn Quản Trị")
	assert.Contains(t, home.body, `href="/staff/members"`)
	assert.NotContains(t, home.body, `href="/staff/counter"`, "an operator never reaches citizen data")

	form := op.get("/staff/members/new")
	require.Equal(t, http.StatusOK, form.status)
	created := op.post(form, "/staff/members/new", url.Values{"username": {"canbo1"}, "name": {"Trần Cán Bộ"}, "unit": {"79"}, "role": {"officer"}})
	require.Equal(t, http.StatusOK, created.status, created.body)
	found := map[string]string{}
	for _, m := range secretRE.FindAllStringSubmatch(created.body, -1) {
		found[m[1]] = html.UnescapeString(m[2])
	}
	require.Len(t, found, 2, created.body)
	officerE := staff.Enrolment{Password: found["password"], TOTPSecret: found["secret"]}

	units := op.get("/staff/units")
	require.Equal(t, http.StatusOK, units.status)
	saved := op.post(units, "/staff/units", url.Values{"code": {"79.760"}, "name": {"Công an Quận 1"}})
	assert.Equal(t, "/staff/units", saved.url.Path)
	assert.Contains(t, saved.body, `data-code="79.760"`)
	bad := op.post(saved, "/staff/units", url.Values{"code": {"80.1"}, "name": {"Mồ côi"}})
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)

	list := op.get("/staff/members")
	assert.Contains(t, list.body, `data-username="canbo1"`)

	officer := s.browser(t)
	forced := officer.signIn("canbo1", officerE)
	// The operator chose the password: the officer chooses their own
	// before anything else.
	require.Equal(t, "/staff/password", forced.url.Path)
	assert.Contains(t, forced.body, `id="password-forced"`)
	assert.Equal(t, "/staff/password", officer.get("/staff/locks").url.Path)
	tests := []struct {
		name, current, next, confirm string
		status                       int
	}{
		{"mismatch", officerE.Password, "Mat-khau-rieng-1", "Mat-khau-rieng-2", http.StatusUnprocessableEntity},
		{"weak", officerE.Password, "12345678901", "12345678901", http.StatusUnprocessableEntity},
		{"same", officerE.Password, officerE.Password, officerE.Password, http.StatusUnprocessableEntity},
		{"wrong current", "not-the-password", "Mat-khau-rieng-1", "Mat-khau-rieng-1", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		p := officer.post(forced, "/staff/password", url.Values{"current": {tc.current}, "new": {tc.next}, "confirm": {tc.confirm}})
		assert.Equal(t, tc.status, p.status, tc.name)
	}
	oh := officer.post(forced, "/staff/password", url.Values{"current": {officerE.Password}, "new": {"Mat-khau-rieng-1"}, "confirm": {"Mat-khau-rieng-1"}})
	require.Equal(t, "/staff", oh.url.Path, oh.body)
	assert.Contains(t, oh.body, `href="/staff/counter"`)
	assert.Contains(t, oh.body, `href="/staff/locks"`)
	assert.NotContains(t, oh.body, `href="/staff/members"`)
	// Roles are enforced, not only hidden.
	assert.Equal(t, http.StatusForbidden, officer.get("/staff/members").status)
	assert.Equal(t, http.StatusForbidden, officer.get("/staff/units").status)
	assert.Equal(t, http.StatusForbidden, officer.get("/staff/locks").status)

	// The operator makes the officer a supervisor? Only roles they hold:
	// the bootstrap operator may.
	var id string
	for _, m := range mustMembers(t, s) {
		if m.Username == "canbo1" {
			id = m.ID
		}
	}
	edit := op.get("/staff/members/" + id)
	require.Equal(t, http.StatusOK, edit.status)
	saved = op.post(edit, "/staff/members/"+id, url.Values{"action": {"save"}, "unit": {"79"}, "role": {"officer", "supervisor"}})
	require.Equal(t, "/staff/members", saved.url.Path, saved.body)
	locks := officer.get("/staff/locks")
	require.Equal(t, http.StatusOK, locks.status)
	assert.Equal(t, "locks for canbo1", locks.body)

	// Credentials reset (a lost phone): the officer's sign-in ends.
	s.clock.Add(time.Second)
	edit = op.get("/staff/members/" + id)
	reset := op.post(edit, "/staff/members/"+id, url.Values{"action": {"reset"}})
	require.Equal(t, http.StatusOK, reset.status)
	assert.Contains(t, reset.body, `id="enrol-secret"`)
	assert.Equal(t, "/staff/login", officer.get("/staff").url.Path)
	officer = s.browser(t)
	found = map[string]string{}
	for _, m := range secretRE.FindAllStringSubmatch(reset.body, -1) {
		found[m[1]] = html.UnescapeString(m[2])
	}
	assert.Equal(t, "/staff/password", officer.signIn("canbo1", staff.Enrolment{Password: found["password"], TOTPSecret: found["secret"]}).url.Path)

	// Disabled: the officer's session ends on the next request.
	edit = op.get("/staff/members/" + id)
	op.post(edit, "/staff/members/"+id, url.Values{"action": {"disable"}})
	after := officer.get("/staff")
	assert.Equal(t, "/staff/login", after.url.Path)

	// Audited with the operator's member id.
	var actions []string
	for _, e := range s.spy.Of(audit.OperatorAction) {
		if e.ActorKind == audit.Operator && e.Detail["username"] == "canbo1" {
			actions = append(actions, e.Detail["action"]+":"+e.Detail["changed"])
		}
	}
	assert.Equal(t, []string{"staff_member_created:", "staff_member_changed:roles", "staff_member_changed:credentials_reset", "staff_member_changed:disabled"}, actions)

	// Sign-out ends the session.
	p := op.get("/staff")
	out := op.post(p, "/staff/logout", url.Values{})
	assert.Equal(t, "/staff/login", out.url.Path)
	assert.Equal(t, "/staff/login", op.get("/staff/members").url.Path)
}

func mustMembers(t *testing.T, s *site) []staff.Member {
	list, err := s.svc.AllMembers(t.Context())
	require.NoError(t, err)
	return list
}

func TestSignInPages(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name       string
		path       string
		wantPath   string
		wantStatus int
		wantBody   string
	}{
		{"members need a sign-in", "/staff/members", "/staff/login", http.StatusOK, "Đăng nhập cán bộ"},
		{"home needs a sign-in", "/staff", "/staff/login", http.StatusOK, "Tên đăng nhập"},
		{"English by ui_locales", "/staff/login?ui_locales=en", "/staff/login", http.StatusOK, "Staff sign-in"},
		{"code step needs the password first", "/staff/login/verify", "/staff/login", http.StatusOK, "hết hạn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := s.browser(t)
			p := b.get(tc.path)
			assert.Equal(t, tc.wantPath, p.url.Path)
			assert.Equal(t, tc.wantStatus, p.status)
			assert.Contains(t, p.body, tc.wantBody)
		})
	}

	b := s.browser(t)
	p := b.get("/staff/members")
	assert.Equal(t, "return_to=%2Fstaff%2Fmembers", p.url.RawQuery)
	// The staff cookie is its own, scoped to /staff.
	u, _ := url.Parse(s.srv.URL + "/staff")
	cookies := b.client.Jar.Cookies(u)
	require.Len(t, cookies, 1)
	assert.Equal(t, web.CookieName, cookies[0].Name)
	root, _ := url.Parse(s.srv.URL + "/")
	assert.Empty(t, b.client.Jar.Cookies(root), "the staff cookie never goes to citizens' pages")

	// A form without the CSRF token is refused.
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/staff/login", strings.NewReader("username=admin&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, http.StatusForbidden, b.do(req).status)

	// Wrong password, then the TOTP step with a wrong code.
	bad := b.post(p, "/staff/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	assert.Equal(t, http.StatusUnauthorized, bad.status)
	assert.Contains(t, bad.body, "không đúng")
	ok := b.post(bad, "/staff/login", url.Values{"username": {"admin"}, "password": {s.admin.Password}})
	require.Equal(t, "/staff/login/verify", ok.url.Path)
	wrong := b.post(ok, "/staff/login/verify", url.Values{"code": {"000000"}})
	assert.Equal(t, http.StatusUnauthorized, wrong.status)
	code, err := staff.TOTPCode(s.admin.TOTPSecret, s.clock.Now())
	require.NoError(t, err)
	// It returns where the sign-in started.
	home := b.post(wrong, "/staff/login/verify", url.Values{"code": {code}})
	assert.Equal(t, "/staff/members", home.url.Path)
}

func TestRequireToken(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	admin, err := s.svc.FindMember(ctx, "admin")
	require.NoError(t, err)
	op := admin.Principal("t")
	officer, _, err := s.svc.CreateMember(ctx, staff.Actor{Principal: op}, staff.NewMember{Username: "canbo", Name: "Cán bộ", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}})
	require.NoError(t, err)
	token, _, err := s.svc.Issue(ctx, officer.ID, "79", admin.ID)
	require.NoError(t, err)
	opToken, _, err := s.svc.Issue(ctx, admin.ID, "79", admin.ID)
	require.NoError(t, err)
	legacy, _, err := s.svc.Issue(ctx, "officer-7", "79", admin.ID)
	require.NoError(t, err)

	h := web.RequireToken(s.svc, staff.RoleOfficer, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := web.Principal(r)
		require.True(t, ok)
		_, _ = io.WriteString(w, p.Username+" "+p.Unit.Code)
	}))
	tests := []struct {
		name, auth string
		status     int
		body       string
	}{
		{"officer", "Bearer " + token, http.StatusOK, "canbo 79"},
		{"operator lacks the role", "Bearer " + opToken, http.StatusForbidden, ""},
		{"credential of no member", "Bearer " + legacy, http.StatusUnauthorized, ""},
		{"none", "", http.StatusUnauthorized, ""},
		{"garbage", "Bearer ddo_nothing", http.StatusUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/counter", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code)
			if tc.body != "" {
				assert.Equal(t, tc.body, rec.Body.String())
			}
		})
	}
}

// passkeyOrigin is the origin the software authenticator claims; the
// server checks it against its configuration, not the test server's URL.
const passkeyOrigin = "http://localhost:8080"

// postJSON posts body with the CSRF token of the page from in the header.
func (b *browser) postJSON(from page, path string, body []byte) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(string(body)))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(httpx.CSRFHeader, csrfOf(b.t, from))
	return b.do(req)
}

func TestPasskeySignIn(t *testing.T) {
	s := newSite(t)
	auth, err := passkeytest.New(passkeyOrigin)
	require.NoError(t, err)

	b := s.browser(t)
	b.signIn("admin", s.admin)
	keys := b.get("/staff/passkeys")
	require.Equal(t, http.StatusOK, keys.status)
	assert.Contains(t, keys.body, `id="passkey-add"`)
	options := b.postJSON(keys, "/staff/passkeys/begin", nil)
	require.Equal(t, http.StatusOK, options.status, options.body)
	cred, err := auth.Create([]byte(options.body))
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"name": "máy quầy 2", "credential": json.RawMessage(cred)})
	done := b.postJSON(keys, "/staff/passkeys/finish", body)
	require.Equal(t, http.StatusOK, done.status, done.body)
	assert.Contains(t, done.body, "/staff/passkeys?added=1")
	assert.Contains(t, b.get("/staff/passkeys").body, "máy quầy 2")

	// Another browser: password, then the passkey instead of the code.
	o := s.browser(t)
	p := o.get("/staff/login")
	verify := o.post(p, "/staff/login", url.Values{"username": {"admin"}, "password": {s.admin.Password}})
	require.Equal(t, "/staff/login/verify", verify.url.Path)
	assert.Contains(t, verify.body, `id="passkey-use"`)
	options = o.postJSON(verify, "/staff/login/passkey/begin", nil)
	require.Equal(t, http.StatusOK, options.status, options.body)
	answer, err := auth.Get([]byte(options.body))
	require.NoError(t, err)
	signedIn := o.postJSON(verify, "/staff/login/passkey/finish", answer)
	require.Equal(t, http.StatusOK, signedIn.status, signedIn.body)
	assert.JSONEq(t, `{"redirect":"/staff"}`, signedIn.body)
	home := o.get("/staff")
	assert.Equal(t, "/staff", home.url.Path)
	assert.Contains(t, home.body, "Nguyễn Quản Trị")

	// Without a pending sign-in, the ceremony does not start.
	x := s.browser(t)
	lp := x.get("/staff/login")
	assert.Equal(t, http.StatusUnauthorized, x.postJSON(lp, "/staff/login/passkey/begin", nil).status)
	// Without the CSRF token, nothing either.
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/staff/passkeys/begin", strings.NewReader("{}"))
	assert.Equal(t, http.StatusForbidden, o.do(req).status)

	var factors []string
	for _, e := range s.spy.Of(audit.SecondFactorOK) {
		factors = append(factors, e.Detail["factor"])
	}
	assert.Equal(t, []string{"totp", "passkey"}, factors)
}

// TestOperatorSetsKindPolicy: an operator reads the kind policy and
// toggles one entry through the same domain path as the admin API
// (oidc.Clients.SetKindRule), audited with the operator's username; an
// officer may not open the page.
func TestOperatorSetsKindPolicy(t *testing.T) {
	s := newSite(t)
	op := s.browser(t)
	op.signIn("admin", s.admin)
	page := op.get("/staff/policy")
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, `data-kind="bank"`)
	assert.Contains(t, page.body, `<td data-scope="documents.driving_licence" data-allowed="true">`)
	assert.Contains(t, page.body, "Ngân hàng")
	// Each button says what it changes to a screen reader, not only "Từ chối".
	assert.Contains(t, page.body, `aria-label="Từ chối: Ngân hàng, documents.driving_licence"`)

	saved := op.post(page, "/staff/policy", url.Values{"kind": {"bank"}, "scope": {"documents.driving_licence"}, "allowed": {"false"}})
	require.Equal(t, http.StatusOK, saved.status)
	assert.Equal(t, "/staff/policy", saved.url.Path)
	assert.Contains(t, saved.body, `id="policy-notice"`)
	p, err := s.clients.KindPolicy(t.Context())
	require.NoError(t, err)
	assert.False(t, p.Allows(oidc.KindBank, "documents.driving_licence"))
	ev := s.spy.Of(audit.ClientChanged)
	require.Len(t, ev, 1)
	assert.Equal(t, "kind_policy_refused", ev[0].Reason)
	assert.Equal(t, "admin", ev[0].ActorID)

	bad := op.post(saved, "/staff/policy", url.Values{"kind": {"pirate"}, "scope": {"documents.driving_licence"}, "allowed": {"true"}})
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
	noToken := op.post(saved, "/staff/policy", url.Values{"csrf_token": {"wrong"}, "kind": {"bank"}, "scope": {"documents.driving_licence"}, "allowed": {"true"}})
	assert.Equal(t, http.StatusForbidden, noToken.status)
	p, err = s.clients.KindPolicy(t.Context())
	require.NoError(t, err)
	assert.False(t, p.Allows(oidc.KindBank, "documents.driving_licence"), "nothing changed by refused posts")
	assert.Len(t, s.spy.Of(audit.ClientChanged), 1)
}
