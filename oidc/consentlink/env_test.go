package consentlink_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/biometrics"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/pgtest"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/oidc/consentlink"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	oidcweb "github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/templates"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// spy is the audit recorder of the tests.
type spy = audittest.Spy

type accountsAdapter struct{ s *accountspg.Store }

func (a accountsAdapter) Get(ctx context.Context, id string) (accounts.Account, error) {
	r, err := a.s.Get(ctx, id)
	return r.Account, err
}

var (
	testKEK      = []byte("0123456789abcdef0123456789abcdef")
	testPepper   = []byte("pepper-pepper-pepper-pepper-0123")
	testTokenKey = []byte("token-secret-token-secret-012345")
	testPairwise = []byte("pairwise-key-pairwise-key-012345")
)

// env is the gateway as internal/gateway wires it: the provider, the
// consent service and the real consent pages, joined by one consentlink.Link.
type env struct {
	t          testing.TB
	srv        *httptest.Server
	store      *oidcpg.Store
	keys       *oidc.Keys
	clients    *oidc.Clients
	consent    *consent.Service
	deliveries *consentpg.Deliveries
	link       *consentlink.Link
	audit      *spy
	accounts   *accountspg.Store
	people     *attributespg.Store
	bio        *biometricspg.Store

	loginAs atomic.Pointer[websession.Login]
	seenMu  sync.Mutex
	seen    []byte
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := t.Context()
	db := pgtest.New(t)
	e := &env{t: t, audit: &spy{}}
	e.store = oidcpg.NewStore(db.App, oidc.NewFositeSession)
	var err error
	e.keys, err = oidc.NewKeys(ctx, oidc.KeysConfig{Store: e.store, EncryptionKey: testKEK, SignDelay: time.Hour, Retention: 2 * time.Hour})
	require.NoError(t, err)
	hasher, err := oidc.NewSecretHasher(testPepper)
	require.NoError(t, err)
	e.accounts = accountspg.NewStore(db.App)
	e.people = attributespg.NewStore(db.App)
	e.bio = biometricspg.NewStore(db.App, time.Now)
	e.deliveries = consentpg.NewDeliveries(db.App)
	sm := scs.New()
	sm.Cookie.Secure = false
	tpl, err := templates.New()
	require.NoError(t, err)
	csrf := &httpx.CSRF{Sessions: sm, Skip: oidcweb.CSRFExempt}

	r := mux.NewRouter()
	e.srv = httptest.NewServer(e.tap(httpx.RequestID(sm.LoadAndSave(r))))
	t.Cleanup(e.srv.Close)

	// The wiring of internal/gateway, in its order.
	e.link, err = consentlink.New(consentlink.Config{
		Store: e.store, Clients: e.store, Keys: e.keys, PairwiseKey: testPairwise,
		Accounts: accountsAdapter{e.accounts}, Registry: e.people, Documents: e.people,
	})
	require.NoError(t, err)
	sender, err := backchannel.New(backchannel.Config{
		Queue: e.deliveries, Clients: e.link.BackchannelClients(), Subjects: e.link.Subjects(),
		Signer: e.link.Signer(), Issuer: e.srv.URL,
	})
	require.NoError(t, err)
	e.consent, err = consent.NewService(consent.Config{
		Store: consentpg.NewStore(db.App), Audit: e.audit, Tokens: e.link.TokenRevoker(), Logout: sender,
		Signer: e.link.Signer(), Issuer: e.srv.URL,
	})
	require.NoError(t, err)
	e.link.SetConsent(e.consent)
	provider, err := oidc.NewProvider(oidc.Config{
		Issuer: e.srv.URL, Store: e.store, Keys: e.keys, Hasher: hasher,
		TokenSecret: testTokenKey, PairwiseKey: testPairwise,
		Accounts: accountsAdapter{e.accounts}, Registry: e.people, Documents: e.people,
		Consent: e.link.Decider(), BackchannelLogout: true, Audit: e.audit, IDTokenLifespan: time.Hour,
	})
	require.NoError(t, err)
	e.clients = &oidc.Clients{Store: e.store, Hasher: hasher, Audit: e.audit}
	oh := &oidcweb.Handler{Provider: provider, Clients: e.clients, Sessions: sm, Templates: tpl, Challenges: e.store}
	oh.Routes(r)
	browser := r.NewRoute().Subrouter()
	browser.Use(csrf.Middleware, httpx.NoStore)
	ch := &consentweb.Handler{
		Consent: e.consent, Challenges: e.link.Challenges(oh), Preview: e.link.ValuePreview(),
		Clients: e.link.WebClients(), Subjects: e.link.Subjects(), Templates: tpl, Sessions: sm, CSRF: csrf,
	}
	ch.Routes(browser)

	r.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		l := e.loginAs.Load()
		if l == nil {
			http.Error(w, "nobody to sign in", http.StatusUnauthorized)
			return
		}
		login := *l
		login.AuthTime = time.Now()
		login.SID = uuid.NewString()
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		websession.PutLogin(r.Context(), sm, login)
		rt := r.URL.Query().Get("return_to")
		if !strings.HasPrefix(rt, "/") || strings.HasPrefix(rt, "//") {
			http.Error(w, "bad return_to", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, rt, http.StatusFound)
	})
	return e
}

type citizen struct {
	AccountID  string
	PersonalID string
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

// citizen seeds an account with its population record and a portrait
// whose sentinel must never reach a response.
func (e *env) citizen() citizen {
	t := e.t
	t.Helper()
	ctx := t.Context()
	pid := "001090" + randomDigits(6)
	c := citizen{AccountID: uuid.NewString(), PersonalID: pid}
	now := time.Now().UTC()
	p := attributes.Person{
		PersonalID: pid, FullName: "Nguyễn Văn An", BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "12 Lý Thường Kiệt", Ward: "Phường Hàng Bài", District: "Quận Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
		Phone:     "+8490" + randomDigits(7), Email: "an." + randomDigits(4) + "@example.vn",
	}
	require.NoError(t, e.people.Write(ctx, []attributes.Person{p}, nil))
	require.NoError(t, e.accounts.Create(ctx, accounts.Record{Account: accounts.Account{
		ID: c.AccountID, PersonalID: pid, Level: 2, Status: accounts.Active,
		Phone: p.Phone, Email: p.Email, CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}))
	require.NoError(t, e.bio.Put(ctx, biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Portrait,
		Template: []byte(biometrics.PortraitSentinel(pid)), Format: "image/jpeg", CapturedAt: now, CapturedBy: "app"}))
	e.loginAs.Store(&websession.Login{AccountID: c.AccountID, Level: 2, Strength: 2, AMR: []string{"pwd", "otp"}})
	return c
}

type registered struct {
	oidc.Client
	Secret string
}

func (e *env) client(c oidc.Client) registered {
	e.t.Helper()
	c.Name = oidc.Text{VI: "Cổng dịch vụ công", EN: "Public service portal"}
	c.Purpose = oidc.Text{VI: "Giải quyết thủ tục hành chính", EN: "Administrative procedures"}
	c.Kind = oidc.KindPublicService
	if len(c.RedirectURIs) == 0 {
		c.RedirectURIs = []string{"https://rp.example/cb"}
	}
	out, secret, err := e.clients.Create(e.t.Context(), "test", c)
	require.NoError(e.t, err)
	return registered{Client: out, Secret: secret}
}

// browser keeps cookies and follows redirects on our host only.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return errors.New("redirect loop")
		}
		return nil
	}}
}

type page struct {
	resp *http.Response
	body string
}

func (e *env) do(b *http.Client, method, u string, form url.Values) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{resp: resp, body: string(raw)}
}

var (
	csrfRe      = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	challengeRe = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
)

func field(t testing.TB, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	require.NotNil(t, m, "field %s not in page: %s", re, body)
	return m[1]
}

// rp is a relying party on x/oauth2 and go-oidc.
type rp struct {
	e        *env
	reg      registered
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
	ctx      context.Context
}

func (e *env) rp(reg registered, scopes ...string) *rp {
	e.t.Helper()
	ctx := gooidc.ClientContext(e.t.Context(), e.srv.Client())
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.srv.Client())
	p, err := gooidc.NewProvider(ctx, e.srv.URL)
	require.NoError(e.t, err)
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &rp{e: e, reg: reg, ctx: ctx,
		conf:     oauth2.Config{ClientID: reg.ID, ClientSecret: reg.Secret, Endpoint: ep, RedirectURL: reg.RedirectURIs[0], Scopes: scopes},
		verifier: p.Verifier(&gooidc.Config{ClientID: reg.ID, SupportedSigningAlgs: []string{oidc.ES256}}),
	}
}

// attempt is an authorization request under way in a browser.
type attempt struct {
	verifier, nonce string
	last            page
}

// start sends the browser to /authorize and follows our redirects: the
// last page is the consent screen or the redirect to the relying party.
func (r *rp) start(b *http.Client, opts ...oauth2.AuthCodeOption) attempt {
	a := attempt{verifier: oauth2.GenerateVerifier(), nonce: "nonce-" + randomDigits(12)}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), gooidc.Nonce(a.nonce)}, opts...)
	a.last = r.e.do(b, http.MethodGet, r.conf.AuthCodeURL("state-0123456789", opts...), nil)
	return a
}

// onScreen reports whether the attempt stopped at the consent screen.
func (a attempt) onScreen() bool {
	return a.last.resp.StatusCode == http.StatusOK && a.last.resp.Request.URL.Path == "/consent"
}

// answer posts the consent form with the given action and ticked claims.
func (r *rp) answer(b *http.Client, a attempt, action string, ticked ...string) page {
	t := r.e.t
	t.Helper()
	require.True(t, a.onScreen(), "consent screen expected, got %d at %s", a.last.resp.StatusCode, a.last.resp.Request.URL)
	form := url.Values{
		"challenge":  {field(t, challengeRe, a.last.body)},
		"csrf_token": {field(t, csrfRe, a.last.body)},
		"action":     {action},
		"claim":      ticked,
	}
	return r.e.do(b, http.MethodPost, r.e.srv.URL+"/consent", form)
}

// callback is the query of the redirect to the relying party.
func callback(t testing.TB, p page) url.Values {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, p.resp.StatusCode, "redirect to the relying party expected: %s", p.body)
	loc, err := url.Parse(p.resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "rp.example", loc.Host)
	require.Equal(t, "state-0123456789", loc.Query().Get("state"))
	return loc.Query()
}

// flow is a completed code flow.
type flow struct {
	token  *oauth2.Token
	claims map[string]any
	sub    string
}

// finish exchanges the code of the redirect and verifies the ID token.
func (r *rp) finish(a attempt, p page) flow {
	t := r.e.t
	t.Helper()
	q := callback(t, p)
	require.Empty(t, q.Get("error"), "%s: %s", q.Get("error"), q.Get("error_description"))
	tok, err := r.conf.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier))
	require.NoError(t, err)
	return r.verify(tok, a.nonce)
}

func (r *rp) verify(tok *oauth2.Token, nonce string) flow {
	t := r.e.t
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, raw)
	idt, err := r.verifier.Verify(r.ctx, raw)
	require.NoError(t, err)
	if nonce != "" {
		require.Equal(t, nonce, idt.Nonce)
	}
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	return flow{token: tok, claims: claims, sub: idt.Subject}
}

// userinfo calls /userinfo with an access token.
func (r *rp) userinfo(at string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, r.e.srv.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := r.e.srv.Client().Do(req)
	require.NoError(r.e.t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = jsonDecode(resp.Body, &m)
	return resp.StatusCode, m
}

// introspect asks /introspect about a token, as the client.
func (r *rp) introspect(token string) map[string]any {
	req, _ := http.NewRequest(http.MethodPost, r.e.srv.URL+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(r.reg.ID), url.QueryEscape(r.reg.Secret))
	resp, err := r.e.srv.Client().Do(req)
	require.NoError(r.e.t, err)
	defer resp.Body.Close()
	require.Equal(r.e.t, http.StatusOK, resp.StatusCode)
	var m map[string]any
	require.NoError(r.e.t, jsonDecode(resp.Body, &m))
	return m
}

// refresh redeems a refresh token.
func (r *rp) refresh(rt string) (*oauth2.Token, error) {
	return r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
}

func (e *env) record(b []byte) {
	e.seenMu.Lock()
	e.seen = append(e.seen, b...)
	e.seenMu.Unlock()
}

type tapWriter struct {
	http.ResponseWriter
	e *env
}

func (w tapWriter) Write(b []byte) (int, error) {
	w.e.record(b)
	return w.ResponseWriter.Write(b)
}

// tap records every response body and header, for the biometric search.
func (e *env) tap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(tapWriter{ResponseWriter: w, e: e}, r)
		e.record([]byte(strings.Join(w.Header().Values("Location"), " ")))
	})
}

func (e *env) seenString() string {
	e.seenMu.Lock()
	defer e.seenMu.Unlock()
	return string(e.seen)
}
