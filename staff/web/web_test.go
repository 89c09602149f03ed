package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
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
	"github.com/dinhdanh/dinhdanh/reconcile"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
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
	// recon is the vehicle reconciliation (the reconciliation page's
	// domain path); its background runs run at once, before
	// StartBackground returns.
	recon      *reconcile.Service
	reconStore *reconcilepg.Store
	db         *pgtest.DB
}

func newSite(t *testing.T) *site {
	t.Helper()
	db := pgtest.New(t)
	s := &site{db: db, spy: &audittest.Spy{}, clock: &clock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}}
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
	s.reconStore = reconcilepg.NewStore(db.App, nil)
	s.recon, err = reconcile.New(reconcile.Config{Store: s.reconStore, Audit: s.spy,
		Go: func(fn func(context.Context)) { fn(context.WithoutCancel(ctx)) }})
	require.NoError(t, err)
	h := &web.Handler{Staff: s.svc, Templates: tmpl, Sessions: sm, CSRF: &httpx.CSRF{Sessions: sm}, Now: s.clock.Now, Policy: s.clients,
		Reconcile: s.recon}
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

// noFollow sends req without following a redirect.
func (b *browser) noFollow(req *http.Request) *http.Response {
	b.t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(b.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signedInOfficer creates an officer and signs them in, their own
// password chosen.
func (s *site) signedInOfficer(t *testing.T) *browser {
	t.Helper()
	admin, err := s.svc.FindMember(t.Context(), "admin")
	require.NoError(t, err)
	_, e, err := s.svc.CreateMember(t.Context(), staff.Actor{Principal: admin.Principal("t")},
		staff.NewMember{Username: "canbo", Name: "Trần Cán Bộ", UnitCode: "79", Roles: []staff.Role{staff.RoleOfficer}})
	require.NoError(t, err)
	b := s.browser(t)
	forced := b.signIn("canbo", e)
	done := b.post(forced, "/staff/password", url.Values{"current": {e.Password}, "new": {"Mat-khau-rieng-1"}, "confirm": {"Mat-khau-rieng-1"}})
	require.Equal(t, "/staff", done.url.Path, done.body)
	return b
}

// seedVehicles writes a person and vehicle records with one completion,
// wrong numbers in two provinces and a retired vehicle.
func seedVehicles(t *testing.T, s *site) {
	t.Helper()
	ctx := t.Context()
	_, err := s.db.App.Exec(ctx, `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province)
		VALUES ('001190000002', 'Trần Thị Bình', '1990-05-06', 'female', 'VN', '5 Kim Mã', 'Kim Mã', 'Ba Đình', 'Hà Nội')`)
	require.NoError(t, err)
	_, err = s.db.App.Exec(ctx, `INSERT INTO vehicle_records (number, owner_id, owner_name, owner_birth_date, owner_street, owner_ward, owner_district, owner_province, status) VALUES
		('29A-00002', '', 'Trần Thị Bình', '1990-05-06', '5 Kim Mã', 'Kim Mã', 'Ba Đình', 'Hà Nội', 'active'),
		('29A-00005', '12345', 'Trần Thị Bình', '1990-05-06', '', '', '', 'Hà Nội', 'active'),
		('51F-00006', '079999999999', 'Lê Văn Cường', '1999-03-04', '', '', '', 'Hồ Chí Minh', 'active'),
		('29A-00013', 'bad', 'Trần Thị Bình', '1990-05-06', '', '', '', 'Hà Nội', 'retired')`)
	require.NoError(t, err)
}

func reconcileActions(s *site, reason string) []string {
	var out []string
	for _, e := range s.spy.Of(audit.OperatorAction) {
		if e.Reason == reason {
			out = append(out, e.ActorID+":"+string(e.Outcome))
		}
	}
	return out
}

// TestOperatorReconciles: an operator starts the vehicle reconciliation
// from the console (audited with their username), reads the figures per
// province and kind, downloads both CSVs and undoes one vehicle's
// completion; refused input gets a 4xx and a notice, never a 500.
func TestOperatorReconciles(t *testing.T) {
	s := newSite(t)
	seedVehicles(t, s)
	ctx := t.Context()
	op := s.browser(t)
	home := op.signIn("admin", s.admin)
	assert.Contains(t, home.body, `href="/staff/reconcile"`)

	empty := op.get("/staff/reconcile")
	require.Equal(t, http.StatusOK, empty.status)
	assert.Contains(t, empty.body, `id="reconcile-none"`)
	assert.Contains(t, empty.body, "Đối soát đăng ký xe với dữ liệu dân cư")

	// Without the CSRF token nothing starts.
	refused := op.post(empty, "/staff/reconcile/run", url.Values{"csrf_token": {"wrong"}})
	assert.Equal(t, http.StatusForbidden, refused.status)
	_, err := s.recon.GetRun(ctx, 1)
	require.ErrorIs(t, err, reconcile.ErrNotFound)

	// Run now: 303 back to the page with a notice.
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/staff/reconcile/run",
		strings.NewReader(url.Values{"csrf_token": {csrfOf(t, empty)}, "ui_locales": {"vi"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := op.noFollow(req)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/staff/reconcile?done=started&run=1&ui_locales=vi", resp.Header.Get("Location"))
	assert.Equal(t, []string{"admin:success"}, reconcileActions(s, reconcile.ReasonAuditRun))

	page := op.get(resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, `id="reconcile-notice"`)
	assert.Contains(t, page.body, `<h2 id="reconcile-run" data-run="1" data-state="done">`)
	assert.Contains(t, page.body, `<tr data-province="Hà Nội"><th scope="row">Hà Nội</th><td>1</td><td>0</td><td>1</td><td>0</td><td>1</td><td>3</td></tr>`)
	assert.Contains(t, page.body, `<tr data-province="Hồ Chí Minh"><th scope="row">Hồ Chí Minh</th><td>0</td><td>0</td><td>1</td><td>0</td><td>0</td><td>1</td></tr>`)
	assert.Regexp(t, `id="reconcile-totals"><th scope="row">Tổng</th><td>1</td><td>0</td><td>2</td><td>0</td><td>1</td><td>4</td>`, page.body)
	assert.Contains(t, page.body, `<tr data-run="1" data-state="done">`)
	assert.Contains(t, page.body, `href="/staff/reconcile/report.csv?run=1"`)
	assert.Contains(t, page.body, `href="/staff/reconcile/findings.csv?run=1"`)
	assert.Contains(t, page.body, ">admin<", "who started it")

	// The CSVs.
	for _, tc := range []struct{ path, header, row, file string }{
		{"/staff/reconcile/report.csv?run=1", "province,kind,count", "Hà Nội,completed,1", "vehicle-reconciliation-1-report.csv"},
		{"/staff/reconcile/findings.csv?run=1", "run,vehicle,kind,reason,province,owner_id_before,owner_id_after,undone_at", "1,29A-00002,completed,", "vehicle-reconciliation-1-findings.csv"},
	} {
		csv := op.get(tc.path)
		require.Equal(t, http.StatusOK, csv.status, tc.path)
		assert.Equal(t, "text/csv; charset=utf-8", csv.header.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="`+tc.file+`"`, csv.header.Get("Content-Disposition"))
		assert.Equal(t, tc.header, strings.SplitN(csv.body, "\n", 2)[0])
		assert.Contains(t, csv.body, tc.row)
	}
	assert.Equal(t, http.StatusBadRequest, op.get("/staff/reconcile/report.csv?run=x").status)
	assert.Equal(t, http.StatusBadRequest, op.get("/staff/reconcile/findings.csv").status)
	assert.Equal(t, http.StatusNotFound, op.get("/staff/reconcile/findings.csv?run=99").status)

	// Undo: refusals first, each a 4xx with its notice and nothing undone.
	tests := []struct {
		name, run, vehicle string
		status             int
		notice             string
	}{
		{"no vehicle (would undo the whole run)", "1", " ", http.StatusUnprocessableEntity, "Hãy nhập biển số xe"},
		{"not a run id", "x", "29A-00002", http.StatusBadRequest, "Mã lần chạy không hợp lệ"},
		{"no such run", "99", "29A-00002", http.StatusNotFound, "không có phát hiện nào"},
		{"no such vehicle", "1", "99Z-99999", http.StatusNotFound, "không có phát hiện nào"},
		{"not a completion", "1", "29A-00005", http.StatusUnprocessableEntity, "Chỉ hoàn tác được"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := op.post(page, "/staff/reconcile/undo", url.Values{"run": {tc.run}, "vehicle": {tc.vehicle}})
			assert.Equal(t, tc.status, p.status)
			assert.Contains(t, p.body, `id="reconcile-error"`)
			assert.Contains(t, p.body, tc.notice)
		})
	}
	owner, err := s.reconStore.OwnerID(ctx, "29A-00002")
	require.NoError(t, err)
	assert.Equal(t, "001190000002", owner, "nothing undone by refused posts")
	assert.Equal(t, http.StatusForbidden, op.post(page, "/staff/reconcile/undo", url.Values{"csrf_token": {"wrong"}, "run": {"1"}, "vehicle": {"29A-00002"}}).status)

	undone := op.post(page, "/staff/reconcile/undo", url.Values{"run": {"1"}, "vehicle": {"29A-00002"}})
	require.Equal(t, http.StatusOK, undone.status, undone.body)
	assert.Equal(t, "done=undone&run=1&ui_locales=vi", undone.url.RawQuery)
	assert.Contains(t, undone.body, "Đã khôi phục số định danh chủ xe")
	owner, err = s.reconStore.OwnerID(ctx, "29A-00002")
	require.NoError(t, err)
	assert.Empty(t, owner)
	// The refusals the domain saw are audited too (input the form refused
	// never reached it).
	assert.Equal(t, []string{"admin:failure", "admin:failure", "admin:failure", "admin:success"}, reconcileActions(s, reconcile.ReasonAuditUndo))
	again := op.post(undone, "/staff/reconcile/undo", url.Values{"run": {"1"}, "vehicle": {"29A-00002"}})
	assert.Equal(t, http.StatusConflict, again.status)
	assert.Contains(t, again.body, "đã được hoàn tác trước đó")
	// The completion left the figures.
	assert.Contains(t, again.body, `<tr data-province="Hà Nội"><th scope="row">Hà Nội</th><td>0</td>`)

	// A run in progress (another replica's): the page says so, and run
	// now is refused with a notice.
	running, err := s.reconStore.Start(ctx, reconcile.ScheduleActor, "")
	require.NoError(t, err)
	busyPage := op.get("/staff/reconcile")
	assert.Contains(t, busyPage.body, `data-run="`+strconv.FormatInt(running.ID, 10)+`" data-state="running"`)
	assert.Contains(t, busyPage.body, `id="reconcile-running"`)
	assert.Contains(t, busyPage.body, "theo lịch")
	assert.NotContains(t, busyPage.body, `id="reconcile-undo"`)
	busy := op.post(busyPage, "/staff/reconcile/run", url.Values{})
	assert.Equal(t, http.StatusConflict, busy.status)
	assert.Contains(t, busy.body, "Đang có một lần đối soát chạy")
	assert.Len(t, reconcileActions(s, reconcile.ReasonAuditRun), 1)

	// Another run by its id, a bad one and an unknown one.
	assert.Contains(t, op.get("/staff/reconcile?run=1").body, `<h2 id="reconcile-run" data-run="1" data-state="done">`)
	bad := op.get("/staff/reconcile?run=abc")
	assert.Equal(t, http.StatusBadRequest, bad.status)
	assert.Contains(t, bad.body, "Mã lần chạy không hợp lệ")
	unknown := op.get("/staff/reconcile?run=99")
	assert.Equal(t, http.StatusNotFound, unknown.status)
	assert.Contains(t, unknown.body, "Không có lần chạy này")

	// English.
	en := op.get("/staff/reconcile?run=1&ui_locales=en")
	require.Equal(t, http.StatusOK, en.status)
	assert.Contains(t, en.body, `<html lang="en">`)
	assert.Contains(t, en.body, "Vehicle registry reconciliation")
	assert.Contains(t, en.body, "Run the reconciliation now")
	assert.Contains(t, en.body, "ID number completed")
	assert.Contains(t, en.body, "scheduled")
}

// TestFindingsExportAudited: the findings CSV holds vehicle numbers and
// owners' ID numbers, so each download is in the audit log (the operator,
// the run, the rows sent) before its first byte; when the audit log
// refuses the event the download is refused with a 500 and no CSV, while
// the report (figures, no personal data) still downloads unaudited.
func TestFindingsExportAudited(t *testing.T) {
	s := newSite(t)
	seedVehicles(t, s)
	op := s.browser(t)
	op.signIn("admin", s.admin)
	_, err := s.recon.Reconcile(t.Context(), "admin", nil)
	require.NoError(t, err)
	require.Empty(t, s.spy.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings))

	csv := op.get("/staff/reconcile/findings.csv?run=1")
	require.Equal(t, http.StatusOK, csv.status)
	rows := strings.Count(csv.body, "\n") - 1
	require.Equal(t, 4, rows)
	ev := s.spy.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings)
	require.Len(t, ev, 1)
	assert.Equal(t, audit.Operator, ev[0].ActorKind)
	assert.Equal(t, "admin", ev[0].ActorID)
	assert.Equal(t, audit.Success, ev[0].Outcome)
	assert.Equal(t, map[string]string{"run": "1", "rows": strconv.Itoa(rows)}, ev[0].Detail)

	assert.Equal(t, http.StatusOK, op.get("/staff/reconcile/report.csv?run=1").status)
	assert.Len(t, s.spy.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings), 1, "the report is not a findings export")
	head, err := http.NewRequest(http.MethodHead, s.srv.URL+"/staff/reconcile/findings.csv?run=1", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusMethodNotAllowed, op.do(head).status)

	s.spy.SetFail(errors.New("audit store down"))
	refused := op.get("/staff/reconcile/findings.csv?run=1")
	s.spy.SetFail(nil)
	assert.Equal(t, http.StatusInternalServerError, refused.status)
	assert.Empty(t, refused.header.Get("Content-Disposition"), "no download")
	assert.NotContains(t, refused.body, "29A-00002")
	assert.NotContains(t, refused.body, "owner_id_before")
	assert.Contains(t, refused.body, templates.T(templates.VI, "error.generic"))
	assert.Len(t, s.spy.OfReason(audit.OperatorAction, reconcile.ReasonAuditFindings), 1, "the refused download recorded nothing")
}

// TestReconcileForOperatorsOnly: an officer gets the console's refusal on
// every reconciliation page and action; signed out, the sign-in page.
func TestReconcileForOperatorsOnly(t *testing.T) {
	s := newSite(t)
	seedVehicles(t, s)
	officer := s.signedInOfficer(t)
	home := officer.get("/staff")
	assert.NotContains(t, home.body, `href="/staff/reconcile"`)
	refusal := templates.T(templates.VI, "staff.forbidden")
	policy := officer.get("/staff/policy")
	require.Equal(t, http.StatusForbidden, policy.status)
	require.Contains(t, policy.body, refusal)
	for _, path := range []string{"/staff/reconcile", "/staff/reconcile/report.csv?run=1", "/staff/reconcile/findings.csv?run=1"} {
		p := officer.get(path)
		assert.Equal(t, http.StatusForbidden, p.status, path)
		assert.Contains(t, p.body, refusal, "the same refusal as /staff/policy")
	}
	for _, path := range []string{"/staff/reconcile/run", "/staff/reconcile/undo"} {
		p := officer.post(home, path, url.Values{"run": {"1"}, "vehicle": {"29A-00002"}})
		assert.Equal(t, http.StatusForbidden, p.status, path)
	}
	_, err := s.recon.GetRun(t.Context(), 1)
	require.ErrorIs(t, err, reconcile.ErrNotFound, "an officer started nothing")

	out := s.browser(t).get("/staff/reconcile")
	assert.Equal(t, "/staff/login", out.url.Path)
}
