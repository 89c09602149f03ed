package web_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/consenttest"
	"github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) // 09:00 in Hà Nội

// biometricSentinel is what a leaking preview would show; it must never
// reach a page.
const biometricSentinel = "BIOMETRIC-SENTINEL-PORTRAIT"

type recorder = audittest.Spy

type challenges struct {
	mu        sync.Mutex
	pending   map[string]web.Pending
	begun     map[string]bool
	completed map[string]web.Outcome
}

func (c *challenges) Get(_ context.Context, id string) (web.Pending, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pending[id]
	if !ok {
		return web.Pending{}, fmt.Errorf("challenge %s: %w", id, web.ErrUnknownChallenge)
	}
	return p, nil
}

func (c *challenges) Begin(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[id]; !ok || c.begun[id] {
		return fmt.Errorf("challenge %s: %w", id, web.ErrUnknownChallenge)
	}
	c.begun[id] = true
	return nil
}

func (c *challenges) Complete(_ context.Context, id string, o web.Outcome) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[id]; !ok {
		return "", fmt.Errorf("challenge %s: %w", id, web.ErrUnknownChallenge)
	}
	delete(c.pending, id)
	c.completed[id] = o
	if !o.Approved {
		return "https://dichvucong.example.vn/cb?error=access_denied&state=s1", nil
	}
	return "https://dichvucong.example.vn/cb?code=c0de&state=s1", nil
}

// preview knows one citizen and, like a careless implementation might, also
// returns a portrait.
type preview struct{}

// values are as attributes.Release gives them: the page formats them.
var values = map[string]any{
	"name": "Nguyễn Văn A", "birthdate": "1990-03-15", "gender": "male", "nationality": "VN",
	"personal_id_number": "001090012345", "phone_number": "+84 912 345 678", "email": "a.nguyen@example.vn",
	"address": map[string]any{"formatted": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội", "country": "VN"},
}

func (preview) Preview(_ context.Context, accountID string, scopes, claims []string) ([]web.Item, error) {
	if accountID != "acc-1" {
		return nil, nil
	}
	var out []web.Item
	for _, c := range append(attributes.ClaimsForScopes(scopes), claims...) {
		if v, ok := values[c]; ok {
			out = append(out, web.Item{Claim: c, Value: v})
		}
	}
	return append(out, web.Item{Claim: "portrait", LabelKey: "consent.claim.name", Value: biometricSentinel}), nil
}

type clients map[string]consent.Client

func (c clients) Client(_ context.Context, id string) (consent.Client, error) {
	cl, ok := c[id]
	if !ok {
		return consent.Client{}, fmt.Errorf("client %s: not found", id)
	}
	return cl, nil
}

type subjects struct{}

func (subjects) Subject(_ context.Context, accountID, clientID string) (string, error) {
	return "pairwise-of-" + clientID, nil
}

var dvc = consent.Client{
	ID: "dvc", Name: "Cổng Dịch vụ công quốc gia", NameEN: "National Public Service Portal",
	Kind: "public_service", Purpose: "Xác định người nộp hồ sơ thủ tục hành chính", PurposeEN: "Identify applicants of administrative procedures",
	PurposeVersion: "2",
}

type fixture struct {
	srv        *httptest.Server
	store      consent.Store
	svc        *consent.Service
	audit      *recorder
	tokens     *consenttest.Tokens
	challenges *challenges
	key        *ecdsa.PrivateKey
	// handler may be adjusted before the first request.
	handler *web.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	signer := consenttest.NewSigner(t)
	f := &fixture{
		store: postgres.NewStore(pgtest.New(t).App), audit: &recorder{}, tokens: &consenttest.Tokens{}, key: signer.Key,
		challenges: &challenges{pending: map[string]web.Pending{}, begun: map[string]bool{}, completed: map[string]web.Outcome{}},
	}
	var err error
	f.svc, err = consent.NewService(consent.Config{
		Store: f.store, Audit: f.audit, Tokens: f.tokens, Signer: signer,
		Issuer: "https://id.example.vn", Now: func() time.Time { return t0 },
	})
	require.NoError(t, err)
	set, err := templates.New()
	require.NoError(t, err)
	sessions := scs.New()
	csrf := &httpx.CSRF{Sessions: sessions}
	h := &web.Handler{
		Consent: f.svc, Challenges: f.challenges, Preview: preview{}, Clients: clients{"dvc": dvc},
		Subjects: subjects{}, Templates: set, Sessions: sessions, CSRF: csrf,
	}
	f.handler = h
	r := mux.NewRouter()
	browser := r.NewRoute().Subrouter()
	browser.Use(sessions.LoadAndSave, csrf.Middleware, httpx.NoStore)
	h.Routes(browser)
	// Stands in for the sign-in pages.
	browser.HandleFunc("/test/signin", func(w http.ResponseWriter, r *http.Request) {
		websession.PutLogin(r.Context(), sessions, websession.Login{AccountID: r.URL.Query().Get("account"), Level: 2, Strength: 2, SID: "sid-1"})
	})
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) pending(id string, mut func(*web.Pending)) {
	p := web.Pending{
		AccountID: "acc-1", Client: dvc,
		Scopes:    []string{"openid", "profile", "personal_id", "phone"},
		Essential: []string{"name", "personal_id_number"},
		ACR:       "urn:vn:eid:loa:2", Reason: consent.ReasonFirst,
	}
	if mut != nil {
		mut(&p)
	}
	f.challenges.mu.Lock()
	defer f.challenges.mu.Unlock()
	f.challenges.pending[id] = p
}

func (f *fixture) outcome(id string) (web.Outcome, bool) {
	f.challenges.mu.Lock()
	defer f.challenges.mu.Unlock()
	o, ok := f.challenges.completed[id]
	return o, ok
}

// browser is a citizen's browser: cookies kept, redirects not followed.
func (f *fixture) browser(t *testing.T, account string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if account != "" {
		resp, err := c.Get(f.srv.URL + "/test/signin?account=" + account)
		require.NoError(t, err)
		resp.Body.Close()
	}
	return c
}

type page struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, path string, form url.Values, hdr map[string]string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotContains(t, string(b), biometricSentinel, "biometric data on a page")
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfToken(t *testing.T, p page) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(p.body)
	require.NotNil(t, m, "no CSRF token in the page")
	return m[1]
}

func TestConsentScreenInBothLanguages(t *testing.T) {
	cases := []struct {
		name      string
		uiLocales string // the request's ui_locales
		query     string // added to the page URL
		accept    string
		want      []string
	}{
		{
			name: "VietnameseByDefault",
			want: []string{`lang="vi"`, "Cổng Dịch vụ công quốc gia đề nghị đọc thông tin của bạn", "Dịch vụ công",
				"Xác định người nộp hồ sơ thủ tục hành chính", "Phiên bản 2",
				"Họ và tên: <strong>Nguyễn Văn A</strong>", "Ngày sinh: <strong>15/03/1990</strong>",
				"Số định danh cá nhân: <strong>001090012345</strong>", "(bắt buộc)", "Mức độ xác thực yêu cầu: Mức độ 2",
				"Đồng ý", "Từ chối", "Xác nhận danh tính của bạn khi đăng nhập",
				"Số điện thoại đã xác minh: <strong>(chưa có)</strong>"},
		},
		{
			name: "EnglishThroughUILocales", uiLocales: "en-GB vi",
			want: []string{`lang="en"`, "National Public Service Portal asks to read your information", "Public service",
				"Identify applicants of administrative procedures", "Full name: <strong>Nguyễn Văn A</strong>",
				"(essential)", "Assurance level asked: Level 2", "Allow", "Refuse"},
		},
		{
			name: "EnglishThroughAcceptLanguage", accept: "en-US,en;q=0.9",
			want: []string{`lang="en"`, "Full name: <strong>Nguyễn Văn A</strong>"},
		},
		{
			name: "LanguageSwitchOverridesRequest", uiLocales: "en", query: "&ui_locales=vi",
			want: []string{`lang="vi"`, "Họ và tên"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pending("c1", func(p *web.Pending) { p.UILocales = tc.uiLocales })
			b := f.browser(t, "acc-1")
			p := do(t, b, http.MethodGet, f.srv.URL+"/consent?challenge=c1"+tc.query, nil, map[string]string{"Accept-Language": tc.accept})
			require.Equal(t, http.StatusOK, p.status, p.body)
			require.Equal(t, "no-store", p.header.Get("Cache-Control"))
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
			csrfToken(t, p)
			// Essential items cannot be unticked in the form; voluntary ones can.
			require.Contains(t, p.body, `id="claim-name" checked disabled`)
			require.Contains(t, p.body, `name="claim" value="birthdate" checked`)
			require.NotContains(t, p.body, `value="portrait"`)
		})
	}
}

// TestConsentClaimOrder: claims are listed as an identity card reads (name,
// date of birth, sex, nationality, ID number, residence, then contact), not
// alphabetically, with values in the page's language.
func TestConsentClaimOrder(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		order []string
		want  []string
	}{
		{"vi", []string{"Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch", "Số định danh cá nhân", "Nơi thường trú", "Số điện thoại"},
			[]string{"15/03/1990", "<strong>Nam</strong>", "<strong>Việt Nam</strong>"}},
		{"en", []string{"Full name", "Date of birth", "Gender", "Nationality", "Personal identification number", "Permanent address", "Phone number"},
			[]string{"15 March 1990", "<strong>Male</strong>", "<strong>Viet Nam</strong>"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pending("c1", func(p *web.Pending) {
				p.Scopes = []string{"openid", "phone", "address", "personal_id", "profile"}
				p.UILocales = tc.lang
			})
			p := do(t, f.browser(t, "acc-1"), http.MethodGet, f.srv.URL+"/consent?challenge=c1", nil, nil)
			require.Equal(t, http.StatusOK, p.status, p.body)
			last := -1
			for _, label := range tc.order {
				i := strings.Index(p.body, ">"+label+": <strong>")
				if i < 0 {
					i = strings.Index(p.body, ">"+label+":")
				}
				require.Greater(t, i, last, "%s out of order", label)
				last = i
			}
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
		})
	}
}

func TestLanguageSwitchKeepsChallenge(t *testing.T) {
	f := newFixture(t)
	f.pending("c1", nil)
	b := f.browser(t, "acc-1")
	require.Equal(t, http.StatusOK, do(t, b, http.MethodGet, f.srv.URL+"/consent?challenge=c1", nil, nil).status)
	// The layout's switch links to "?ui_locales=en", dropping the challenge.
	p := do(t, b, http.MethodGet, f.srv.URL+"/consent?ui_locales=en", nil, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "Full name")
}

func TestConsentNeedsSignIn(t *testing.T) {
	f := newFixture(t)
	f.pending("c1", nil)
	p := do(t, f.browser(t, ""), http.MethodGet, f.srv.URL+"/consent?challenge=c1", nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/login?return_to=%2Fconsent%3Fchallenge%3Dc1", p.header.Get("Location"))
}

func TestConsentChallengeErrors(t *testing.T) {
	cases := []struct {
		name    string
		account string
		path    string
		status  int
		want    string
	}{
		{"Unknown", "acc-1", "/consent?challenge=nope", http.StatusBadRequest, "đã hết hạn hoặc đã được xử lý"},
		{"Missing", "acc-1", "/consent", http.StatusBadRequest, "đã hết hạn hoặc đã được xử lý"},
		{"AnotherCitizens", "acc-2", "/consent?challenge=c1", http.StatusForbidden, "thuộc về một phiên đăng nhập khác"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pending("c1", nil)
			p := do(t, f.browser(t, tc.account), http.MethodGet, f.srv.URL+tc.path, nil, nil)
			require.Equal(t, tc.status, p.status)
			require.Contains(t, p.body, tc.want)
			require.NotContains(t, p.body, "Nguyễn Văn A", "never another citizen's data")
		})
	}
}

func openConsent(t *testing.T, f *fixture, b *http.Client, id string) string {
	t.Helper()
	p := do(t, b, http.MethodGet, f.srv.URL+"/consent?challenge="+id, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	return csrfToken(t, p)
}

func TestApproveGrantsOnlyWhatWasTicked(t *testing.T) {
	cases := []struct {
		name         string
		ticked       []string
		wantClaims   []string
		wantScopes   []string
		wantDeclined []string
	}{
		{
			name:       "AllTicked",
			ticked:     []string{"birthdate", "gender", "nationality", "phone_number", "phone_number_verified"},
			wantClaims: []string{"birthdate", "gender", "name", "nationality", "personal_id_number", "phone_number", "phone_number_verified"},
			wantScopes: []string{"openid", "profile", "personal_id", "phone"},
		},
		{
			name:         "VoluntaryUnticked",
			ticked:       []string{"birthdate"},
			wantClaims:   []string{"birthdate", "name", "personal_id_number"},
			wantScopes:   []string{"openid", "profile", "personal_id"},
			wantDeclined: []string{"gender", "nationality", "phone_number", "phone_number_verified"},
		},
		{
			name:         "EssentialCannotBeUnticked",
			ticked:       nil,
			wantClaims:   []string{"name", "personal_id_number"},
			wantScopes:   []string{"openid", "profile", "personal_id"},
			wantDeclined: []string{"birthdate", "gender", "nationality", "phone_number", "phone_number_verified"},
		},
		{
			name:         "NothingBeyondWhatWasOffered",
			ticked:       []string{"email", "address", "portrait", "birthdate"},
			wantClaims:   []string{"birthdate", "name", "personal_id_number"},
			wantScopes:   []string{"openid", "profile", "personal_id"},
			wantDeclined: []string{"gender", "nationality", "phone_number", "phone_number_verified"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pending("c1", nil)
			b := f.browser(t, "acc-1")
			tok := openConsent(t, f, b, "c1")
			p := do(t, b, http.MethodPost, f.srv.URL+"/consent",
				url.Values{"csrf_token": {tok}, "challenge": {"c1"}, "action": {"approve"}, "claim": tc.ticked}, nil)
			require.Equal(t, http.StatusSeeOther, p.status, p.body)
			require.Equal(t, "https://dichvucong.example.vn/cb?code=c0de&state=s1", p.header.Get("Location"))

			o, ok := f.outcome("c1")
			require.True(t, ok)
			require.Equal(t, web.Outcome{Approved: true, Scopes: tc.wantScopes, Claims: tc.wantClaims}, o)

			g, err := f.store.Current(t.Context(), "acc-1", "dvc")
			require.NoError(t, err)
			require.Equal(t, tc.wantClaims, g.Claims)
			require.Equal(t, slices.Sorted(slices.Values(tc.wantScopes)), g.Scopes)
			require.Equal(t, "2", g.PurposeVersion)
			if tc.wantDeclined == nil {
				require.Empty(t, g.Declined)
			} else {
				require.Equal(t, tc.wantDeclined, g.Declined)
			}
			require.Equal(t, []audit.EventType{audit.ConsentGranted}, f.audit.Types())
			require.Equal(t, "urn:vn:eid:loa:2", f.audit.Events()[0].ACR)

			// The same request next time needs no screen, and releases
			// only what was approved.
			d, err := f.svc.Decide(t.Context(), consent.Request{
				AccountID: "acc-1", ClientID: "dvc", PurposeVersion: "2", Prompt: "none",
				Scopes: []string{"openid", "profile", "personal_id", "phone"},
				Claims: attributes.ClaimsForScopes([]string{"openid", "profile", "personal_id", "phone"}),
			})
			require.NoError(t, err)
			require.False(t, d.NeedsScreen)
			require.Equal(t, tc.wantClaims, d.Claims)
		})
	}
}

func TestRefuse(t *testing.T) {
	f := newFixture(t)
	f.pending("c1", nil)
	b := f.browser(t, "acc-1")
	tok := openConsent(t, f, b, "c1")
	p := do(t, b, http.MethodPost, f.srv.URL+"/consent",
		url.Values{"csrf_token": {tok}, "challenge": {"c1"}, "action": {"refuse"}, "claim": {"birthdate"}}, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "https://dichvucong.example.vn/cb?error=access_denied&state=s1", p.header.Get("Location"))
	o, ok := f.outcome("c1")
	require.True(t, ok)
	require.Equal(t, web.Outcome{Approved: false}, o)
	_, err := f.store.Current(t.Context(), "acc-1", "dvc")
	require.ErrorIs(t, err, consent.ErrNotFound, "nothing granted")
	require.Equal(t, []audit.EventType{audit.ConsentRefused}, f.audit.Types())

	// The challenge is used up.
	p = do(t, b, http.MethodPost, f.srv.URL+"/consent",
		url.Values{"csrf_token": {tok}, "challenge": {"c1"}, "action": {"approve"}}, nil)
	require.Equal(t, http.StatusBadRequest, p.status)
}

func TestConsentAnswerWithoutActionShowsFormAgain(t *testing.T) {
	f := newFixture(t)
	f.pending("c1", nil)
	b := f.browser(t, "acc-1")
	tok := openConsent(t, f, b, "c1")
	p := do(t, b, http.MethodPost, f.srv.URL+"/consent", url.Values{"csrf_token": {tok}, "challenge": {"c1"}}, nil)
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Contains(t, p.body, "Vui lòng chọn Đồng ý hoặc Từ chối.")
	_, ok := f.outcome("c1")
	require.False(t, ok)
}

func TestCSRFRejected(t *testing.T) {
	cases := []struct {
		name  string
		path  string
		token string
	}{
		{"ConsentWithoutToken", "/consent", ""},
		{"ConsentWrongToken", "/consent", "forged"},
		{"RevokeWithoutToken", "/account/services/dvc/revoke", ""},
		{"RevokeWrongToken", "/account/services/dvc/revoke", "forged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid"}})
			require.NoError(t, err)
			f.pending("c1", nil)
			b := f.browser(t, "acc-1")
			openConsent(t, f, b, "c1")
			form := url.Values{"challenge": {"c1"}, "action": {"approve"}}
			if tc.token != "" {
				form.Set("csrf_token", tc.token)
			}
			p := do(t, b, http.MethodPost, f.srv.URL+tc.path, form, nil)
			require.Equal(t, http.StatusForbidden, p.status)
			_, ok := f.outcome("c1")
			require.False(t, ok, "challenge not completed")
			g, err := f.store.Current(t.Context(), "acc-1", "dvc")
			require.NoError(t, err)
			require.Equal(t, consent.StatusActive, g.Status(t0), "not revoked")
			require.Equal(t, []audit.EventType{audit.ConsentGranted}, f.audit.Types())
		})
	}
}

func TestAccountPage(t *testing.T) {
	cases := []struct {
		name   string
		query  string
		want   []string
		absent []string
	}{
		{
			name: "Vietnamese",
			want: []string{"Dịch vụ đã kết nối", "Cổng Dịch vụ công quốc gia", "Họ và tên, Ngày sinh, Số định danh cá nhân", `id="services-count">1 dịch vụ<`,
				"23/11/2026 09:00", "23/11/2027 09:00", "Chưa sử dụng", "Đang hiệu lực", "Rút lại sự đồng ý",
				"/account/services/dvc/revoke", "/account/services/dvc/receipt",
				"Thông tin của bạn", "Nguyễn Văn A", "001090012345", "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội", "a.nguyen@example.vn",
				"không bao giờ được hiển thị"},
		},
		{
			name:  "English",
			query: "?ui_locales=en",
			want: []string{`lang="en"`, "Connected services", "National Public Service Portal", "Full name, Date of birth, Personal identification number", `id="services-count">1 service<`,
				"23 Nov 2026, 09:00", "Withdraw consent", "Your information", "Nguyễn Văn A"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.svc.Grant(t.Context(), consent.Approval{
				AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile", "personal_id"},
				Claims: []string{"name", "birthdate", "personal_id_number"}, PurposeVersion: "2",
			})
			require.NoError(t, err)
			p := do(t, f.browser(t, "acc-1"), http.MethodGet, f.srv.URL+"/account"+tc.query, nil, nil)
			require.Equal(t, http.StatusOK, p.status, p.body)
			require.Equal(t, "no-store", p.header.Get("Cache-Control"))
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
			csrfToken(t, p)
		})
	}
}

func TestAccountNeedsSignIn(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/account", "/account/services/dvc/receipt"} {
		p := do(t, f.browser(t, ""), http.MethodGet, f.srv.URL+path, nil, nil)
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, "/login?return_to=%2Faccount", p.header.Get("Location"))
	}
}

func TestRevokeFromAccountPage(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile"}, Claims: []string{"name"}, PurposeVersion: "2"})
	require.NoError(t, err)
	b := f.browser(t, "acc-1")
	tok := csrfToken(t, do(t, b, http.MethodGet, f.srv.URL+"/account", nil, nil))

	p := do(t, b, http.MethodPost, f.srv.URL+"/account/services/dvc/revoke", url.Values{"csrf_token": {tok}, "ui_locales": {"vi"}}, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "/account?done=revoked&ui_locales=vi#service-dvc", p.header.Get("Location"))

	g, err := f.store.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, consent.StatusRevoked, g.Status(t0))
	require.Equal(t, consent.Actor{Kind: audit.Citizen, ID: "acc-1"}, g.RevokedBy)
	require.Equal(t, []string{"acc-1/dvc"}, f.tokens.Revoked(), "its tokens stop working")
	require.Equal(t, []audit.EventType{audit.ConsentGranted, audit.ConsentRevoked}, f.audit.Types())

	page := do(t, b, http.MethodGet, f.srv.URL+"/account?done=revoked", nil, nil)
	require.Contains(t, page.body, "Đã rút lại sự đồng ý.")
	require.Contains(t, page.body, "Đã rút lại lúc")
	require.NotContains(t, page.body, `action="/account/services/dvc/revoke"`)

	p = do(t, b, http.MethodPost, f.srv.URL+"/account/services/bank/revoke", url.Values{"csrf_token": {tok}}, nil)
	require.Equal(t, http.StatusNotFound, p.status)
}

func TestReceiptDownload(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile"}, Claims: []string{"name"}, PurposeVersion: "2"})
	require.NoError(t, err)
	b := f.browser(t, "acc-1")
	p := do(t, b, http.MethodGet, f.srv.URL+"/account/services/dvc/receipt?format=jwt", nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Equal(t, "application/jwt", p.header.Get("Content-Type"))
	require.Contains(t, p.header.Get("Content-Disposition"), "attachment;")
	require.Equal(t, "no-store", p.header.Get("Cache-Control"))

	tok, err := jwt.ParseSigned(p.body, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	var r consent.Receipt
	require.NoError(t, tok.Claims(&f.key.PublicKey, &r))
	require.Equal(t, "pairwise-of-dvc", r.Subject)
	require.Equal(t, "Cổng Dịch vụ công quốc gia", r.ClientName)
	require.Equal(t, []string{"name"}, r.Claims)
	require.Equal(t, consent.Purpose{Version: "2", Text: dvc.Purpose, TextEN: dvc.PurposeEN}, r.Purpose)
	require.Equal(t, consent.StatusActive, r.Status)
	require.NotContains(t, p.body, "acc-1")
	require.Equal(t, []audit.EventType{audit.ConsentGranted, audit.ReceiptDownloaded}, f.audit.Types())

	p = do(t, b, http.MethodGet, f.srv.URL+"/account/services/bank/receipt", nil, nil)
	require.Equal(t, http.StatusNotFound, p.status)
	require.Len(t, f.audit.Types(), 2, "no receipt, no event")
}

// TestReceiptPage: the receipt link opens a page a citizen can read, in
// their language, carrying the signed receipt, which verifies.
func TestReceiptPage(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"vi", []string{"Biên nhận đồng ý chia sẻ thông tin", "Cổng Dịch vụ công quốc gia", "Họ và tên, Ngày sinh", "Đang hiệu lực", "pairwise-of-dvc", "Xác định người nộp hồ sơ thủ tục hành chính"}},
		{"en", []string{"Consent receipt", "National Public Service Portal", "Full name, Date of birth", "Active", "pairwise-of-dvc", "Identify applicants of administrative procedures"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile"},
				Claims: []string{"birthdate", "name"}, PurposeVersion: "2"})
			require.NoError(t, err)
			p := do(t, f.browser(t, "acc-1"), http.MethodGet, f.srv.URL+"/account/services/dvc/receipt?ui_locales="+tc.lang, nil, nil)
			require.Equal(t, http.StatusOK, p.status, p.body)
			require.Contains(t, p.header.Get("Content-Type"), "text/html")
			require.Equal(t, "no-store", p.header.Get("Cache-Control"))
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
			require.NotContains(t, p.body, "acc-1")
			// The attached file is the signed receipt.
			m := regexp.MustCompile(`id="receipt-download" href="data:application/jwt;base64,([^"]+)" download="(consent-receipt-[^"]+\.jwt)"`).FindStringSubmatch(p.body)
			require.NotNil(t, m, p.body)
			raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
			require.NoError(t, err)
			tok, err := jwt.ParseSigned(string(raw), []jose.SignatureAlgorithm{jose.ES256})
			require.NoError(t, err)
			var r consent.Receipt
			require.NoError(t, tok.Claims(&f.key.PublicKey, &r))
			require.Equal(t, "consent-receipt-"+r.ID+".jwt", m[2])
			require.Equal(t, []string{"birthdate", "name"}, r.Claims)
			require.Contains(t, p.body, r.ID, "the page names the receipt it carries")
		})
	}
}
