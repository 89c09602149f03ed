package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
	consoleweb "github.com/dinhdanh/dinhdanh/oidc/console/web"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type nopAudit struct{}

func (nopAudit) Record(context.Context, audit.Event) error { return nil }

// fixedUsage is a usage source that always shows the same week.
type fixedUsage []oidc.UsageDay

func (fixedUsage) CatchUp(context.Context, int) (int64, error) { return 0, nil }
func (u fixedUsage) Last7Days(context.Context, string) ([]oidc.UsageDay, error) {
	if u == nil {
		return make([]oidc.UsageDay, oidc.UsageDays), nil
	}
	return u, nil
}

// server serves the pages with the member named by the X-Member header
// signed in (the staff console's session stands behind Principal in the
// product; CSRF is its middleware's, tested there).
func server(t *testing.T, usage ...oidc.UsageDay) (*httptest.Server, *oidc.Clients) {
	t.Helper()
	db := pgtest.New(t)
	hasher, err := oidc.NewSecretHasher([]byte("pepper-pepper-pepper-pepper-0123"))
	require.NoError(t, err)
	clients := &oidc.Clients{Store: oidcpg.NewStore(db.App, oidc.NewFositeSession), Hasher: hasher, Audit: nopAudit{}}
	tmpl, err := templates.New()
	require.NoError(t, err)
	sessions := scs.New()
	members := map[string]staff.Principal{
		"a":       {MemberID: "m-a", Username: "an", Name: "Nguyễn An", Roles: []staff.Role{staff.RoleOperator}},
		"b":       {MemberID: "m-b", Username: "binh", Name: "Trần Bình", Roles: []staff.Role{staff.RoleOperator}},
		"officer": {MemberID: "m-o", Username: "canbo", Roles: []staff.Role{staff.RoleOfficer}},
	}
	principal := func(r *http.Request) (staff.Principal, bool) {
		p, ok := members[r.Header.Get("X-Member")]
		return p, ok
	}
	h := &consoleweb.Handler{
		Clients: clients, Usage: fixedUsage(usage), Templates: tmpl, CSRF: &httpx.CSRF{Sessions: sessions},
		Principal: principal,
		Require: func(role staff.Role) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					p, ok := principal(r)
					if !ok || !p.Has(role) {
						http.Error(w, "forbidden", http.StatusForbidden)
						return
					}
					next.ServeHTTP(w, r)
				})
			}
		},
	}
	r := mux.NewRouter()
	h.Routes(r)
	srv := httptest.NewServer(sessions.LoadAndSave(r))
	t.Cleanup(srv.Close)
	return srv, clients
}

func send(t *testing.T, srv *httptest.Server, member, method, path string, form url.Values) (int, string) {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Member", member)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func goodForm(lang string) url.Values {
	return url.Values{
		"ui_locales": {lang}, "kind": {"public_service"}, "org_name": {"Sở Tư pháp"}, "org_code": {"0301234567"},
		"name_vi": {"Cổng dịch vụ công"}, "purpose_vi": {"Nộp hồ sơ trực tuyến"}, "legal_basis": {"Nghị định 42/2022/NĐ-CP"},
		"redirect_uris": {"https://dvc.example/cb"}, "scope": {"profile"}, "min_level": {"1"}, "auth": {"secret"},
	}
}

// TestFormErrors: each mistake on the form is named on the page in the
// page's language (422), and nothing is written.
func TestFormErrors(t *testing.T) {
	srv, clients := server(t)
	cases := []struct {
		name   string
		change func(url.Values)
		vi, en string
	}{
		{"no legal basis", func(f url.Values) { f.Set("legal_basis", " ") }, "Cần nêu căn cứ pháp lý.", "State the legal basis."},
		{"no organisation", func(f url.Values) { f.Del("org_name") }, "Cần nhập tên tổ chức.", "Enter the organisation&#39;s name."},
		{"bad tax code", func(f url.Values) { f.Set("org_code", "12a") }, "Mã số doanh nghiệp", "registration or tax code"},
		{"no purpose", func(f url.Values) { f.Del("purpose_vi") }, "Cần nêu mục đích", "State the purpose"},
		{"http redirect", func(f url.Values) { f.Set("redirect_uris", "http://dvc.example/cb") }, "địa chỉ chuyển hướng", "redirect URI"},
		{"scope the kind may not have", func(f url.Values) { f.Set("kind", "other"); f.Add("scope", "documents.health_insurance") },
			"không được phép cho loại", "not allowed for this kind"},
		{"bank at level 1", func(f url.Values) { f.Set("kind", "bank"); f.Set("auth", "secret") }, "ngân hàng cần mức 2", "a bank needs level 2"},
		{"keys missing", func(f url.Values) { f.Set("auth", "private_key_jwt") }, "cần JWKS hợp lệ", "needs a valid JWKS"},
		{"keys not a JWKS", func(f url.Values) { f.Set("auth", "private_key_jwt"); f.Set("jwks", `{"keys":"x"}`) }, "cần JWKS hợp lệ", "needs a valid JWKS"},
		{"unknown kind", func(f url.Values) { f.Set("kind", "casino") }, "Loại dịch vụ không hợp lệ.", "Unknown kind of service."},
	}
	for _, tc := range cases {
		for _, lang := range []string{"vi", "en"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				f := goodForm(lang)
				tc.change(f)
				status, page := send(t, srv, "a", http.MethodPost, "/staff/clients?ui_locales="+lang, f)
				assert.Equal(t, http.StatusUnprocessableEntity, status)
				assert.Contains(t, page, `id="error"`)
				assert.Contains(t, page, map[string]string{"vi": tc.vi, "en": tc.en}[lang])
			})
		}
	}
	all, err := clients.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, all, "nothing written")

	status, page := send(t, srv, "a", http.MethodPost, "/staff/clients?ui_locales=en", goodForm("en"))
	require.Equal(t, http.StatusCreated, status, page)
	assert.Contains(t, page, `id="client-secret"`)
	all, err = clients.List(t.Context())
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "Nghị định 42/2022/NĐ-CP", all[0].LegalBasis)
	assert.Equal(t, oidc.StatusPending, all[0].Status())
}

// TestApprovalNeedsAnotherOperator: the proposer sees no approve button and
// is refused if they post it anyway; another operator approves; an officer
// reaches none of it.
func TestApprovalNeedsAnotherOperator(t *testing.T) {
	srv, clients := server(t)
	status, _ := send(t, srv, "a", http.MethodPost, "/staff/clients", goodForm("vi"))
	require.Equal(t, http.StatusCreated, status)
	all, err := clients.List(t.Context())
	require.NoError(t, err)
	id := all[0].ID

	status, page := send(t, srv, "a", http.MethodGet, "/staff/clients/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, page, `id="client-approve"`)
	assert.Contains(t, page, `id="own-proposal"`)
	status, page = send(t, srv, "a", http.MethodPost, "/staff/clients/"+id+"/approve?ui_locales=en", url.Values{})
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, page, "another operator must approve it")

	for _, path := range []string{"/staff/clients", "/staff/clients/new", "/staff/clients/" + id} {
		status, _ = send(t, srv, "officer", http.MethodGet, path, nil)
		assert.Equal(t, http.StatusForbidden, status, path)
	}
	status, _ = send(t, srv, "officer", http.MethodPost, "/staff/clients/"+id+"/approve", url.Values{})
	assert.Equal(t, http.StatusForbidden, status)

	status, page = send(t, srv, "b", http.MethodGet, "/staff/clients/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `id="client-approve"`)
	status, _ = send(t, srv, "b", http.MethodPost, "/staff/clients/"+id+"/approve", url.Values{})
	assert.Equal(t, http.StatusSeeOther, status)
	c, err := clients.Get(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusActive, c.Status())
	assert.Equal(t, "m-b", c.Approval.DecidedBy)

	status, page = send(t, srv, "a", http.MethodPost, "/staff/clients/"+id+"/secret", url.Values{})
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `id="client-secret"`)
	status, _ = send(t, srv, "a", http.MethodPost, "/staff/clients/"+id+"/disable", url.Values{})
	assert.Equal(t, http.StatusSeeOther, status)
	c, err = clients.Get(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusDisabled, c.Status())
}

// TestUsageFigures: the week is shown as a table and as bars scaled to its
// largest day, with the error rate.
func TestUsageFigures(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	days := make([]oidc.UsageDay, oidc.UsageDays)
	for i := range days {
		days[i].Day = start.AddDate(0, 0, i)
	}
	days[5] = oidc.UsageDay{Day: days[5].Day, SignIns: 1, Tokens: 2}
	days[6] = oidc.UsageDay{Day: days[6].Day, SignIns: 3, Tokens: 4, Failures: 1}
	srv, clients := server(t, days...)
	c, _, err := clients.Propose(t.Context(), oidc.Operator{MemberID: "m-a"}, oidc.Client{
		Name: oidc.Text{VI: "Cổng"}, Kind: oidc.KindPublicService, Purpose: oidc.Text{VI: "Thủ tục"},
		Organisation: oidc.Organisation{Name: "Sở", Code: "0301234567"}, LegalBasis: "Nghị định 42/2022/NĐ-CP",
		RedirectURIs: []string{"https://dvc.example/cb"}})
	require.NoError(t, err)
	status, page := send(t, srv, "b", http.MethodGet, "/staff/clients/"+c.ID+"?ui_locales=en", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="usage-chart"`)
	assert.Contains(t, page, `data-category="2026-12-07"`)
	assert.Contains(t, page, `<g class="bar" data-series="tokens" data-value="4"><title>Tokens issued: 4</title>`)
	assert.Contains(t, page, `<g class="bar" data-series="failures" data-value="1">`)
	assert.Contains(t, page, `<g class="bar" data-series="sign_ins" data-value="3">`)
	assert.Contains(t, page, `<td data-metric="sign_ins">4</td>`)
	assert.Contains(t, page, "20.0 %", "one failure in five events on the last day")
}
