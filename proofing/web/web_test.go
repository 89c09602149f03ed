package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/gateway/server"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/proofing"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	"github.com/dinhdanh/dinhdanh/proofing/web"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type noChips struct{}

func (noChips) VerifyChip(cardreader.ChipData, time.Time) (proofing.ChipResult, error) {
	return proofing.ChipResult{}, proofing.ErrInvalid
}

// staffHeader names the signed-in staff member in these tests, where the
// staff console's sign-in is not mounted.
const staffHeader = "X-Test-Staff"

var members = map[string]staff.Principal{
	"officer":  {MemberID: "officer-1", Username: "canbo1", Name: "Trần Văn Cán", Roles: []staff.Role{staff.RoleOfficer}, Unit: staff.Unit{Code: "01.001", Name: "Công an phường Phúc Xá"}},
	"operator": {MemberID: "operator-1", Roles: []staff.Role{staff.RoleOperator}, Unit: staff.Unit{Code: "01"}},
}

type env struct {
	*accountstest.Env
	srv     *httptest.Server
	svc     *proofing.Service
	citizen emulator.Person
	account accounts.Account
}

func newEnv(t *testing.T) *env {
	db := pgtest.New(t)
	e := &env{Env: accountstest.New(t, db.App, nil), citizen: emulator.Synthetic()}
	store := proofingpg.NewStore(db.App)
	svc, err := proofing.New(proofing.Config{Store: store, Chips: noChips{}, Registry: e.Registry, Accounts: e.Service,
		Biometrics: biometricspg.NewStore(db.App, nil), Matcher: proofing.TemplateMatcher{References: store}, Audit: e.Audit, Now: e.Clock.Now})
	require.NoError(t, err)
	e.svc = svc
	ctx := t.Context()
	p := e.citizen
	require.NoError(t, e.Registry.Write(ctx, []attributes.Person{{PersonalID: p.PersonalID, FullName: p.FullName,
		BirthDate: p.BirthDate, Gender: p.Gender, Nationality: "VN"}}, nil))
	e.account, err = e.Service.Create(ctx, accounts.NewAccount{PersonalID: p.PersonalID, Status: accounts.Active}, accounts.Actor{Kind: audit.System, ID: "t"})
	require.NoError(t, err)

	tmpl, err := templates.New()
	require.NoError(t, err)
	sessions := scs.New()
	csrf := &httpx.CSRF{Sessions: sessions, Failed: server.CSRFFailed(tmpl)}
	h := &web.Handler{Proofing: svc, Templates: tmpl, CSRF: csrf, LoginPath: "/staff/login",
		Principal: func(r *http.Request) (staff.Principal, bool) {
			p, ok := members[r.Header.Get(staffHeader)]
			return p, ok
		}}
	e.srv = httptest.NewServer(server.New(server.Options{Logger: slog.New(slog.DiscardHandler), Templates: tmpl,
		Sessions: sessions, CSRF: csrf, Browser: []server.Mounter{h}}))
	t.Cleanup(e.srv.Close)
	return e
}

type browser struct {
	c  *http.Client
	as string
}

func (e *env) browser(t *testing.T, as string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{as: as, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(t *testing.T, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set(staffHeader, b.as)
	resp, err := b.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestCounterNeedsASignedInOfficer(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.browser(t, "").do(t, http.MethodGet, e.srv.URL+"/staff/counter?ui_locales=en", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/staff/login", loc.Path)
	require.Equal(t, "/staff/counter?ui_locales=en", loc.Query().Get("return_to"))
	require.Equal(t, "en", loc.Query().Get("ui_locales"))

	resp, body := e.browser(t, "operator").do(t, http.MethodGet, e.srv.URL+"/staff/counter", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "Bạn không có quyền thực hiện việc này.")
	require.NotContains(t, body, e.citizen.FullName)
}

func TestCounterLookUp(t *testing.T) {
	e := newEnv(t)
	e.Audit.Reset()
	b := e.browser(t, "officer")
	resp, body := b.do(t, http.MethodGet, e.srv.URL+"/staff/counter?personal_id="+e.citizen.PersonalID, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Quầy định danh")
	require.Contains(t, body, e.citizen.FullName)
	require.Contains(t, body, `id="citizen-level">0<`)
	require.Equal(t, []string{string(audit.HistoryViewed) + ":counter_lookup"}, e.Audit.Types())

	resp, body = b.do(t, http.MethodGet, e.srv.URL+"/staff/counter?personal_id=12&ui_locales=en", nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "A personal ID number has 12 digits.")
	resp, body = b.do(t, http.MethodGet, e.srv.URL+"/staff/counter?personal_id=001090099999&ui_locales=en", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "No population record has this personal ID number.")
}

func TestCounterDecidesAppSubmissions(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sub, err := e.svc.Submit(ctx, proofing.AppSubmission{PersonalID: e.citizen.PersonalID, QR: e.citizen.QR(),
		Portrait: []byte("\xff\xd8\xff\xe0jpeg"), PortraitFormat: "image/jpeg"})
	require.NoError(t, err)

	b := e.browser(t, "officer")
	resp, body := b.do(t, http.MethodGet, e.srv.URL+"/staff/counter/submissions", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="sub-`+sub.ID+`"`)
	require.Contains(t, body, `src="data:image/jpeg;base64,`)
	token := csrfRe.FindStringSubmatch(body)[1]

	// Without the CSRF token nothing is decided.
	resp, _ = b.do(t, http.MethodPost, e.srv.URL+"/staff/counter/submissions/"+sub.ID, url.Values{"decision": {"approve"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	got, err := e.Service.Get(ctx, e.account.ID)
	require.NoError(t, err)
	require.EqualValues(t, 0, got.Level)

	// An operator cannot decide.
	resp, _ = e.browser(t, "operator").do(t, http.MethodPost, e.srv.URL+"/staff/counter/submissions/"+sub.ID,
		url.Values{"decision": {"approve"}, "csrf_token": {token}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, body = b.do(t, http.MethodPost, e.srv.URL+"/staff/counter/submissions/"+sub.ID+"?ui_locales=en",
		url.Values{"decision": {"approve"}, "csrf_token": {token}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Approved; the citizen is told.")
	require.Contains(t, body, "No submission is waiting.")
	got, err = e.Service.Get(ctx, e.account.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1, got.Level)
}
