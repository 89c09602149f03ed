package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
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
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/pgtest"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/templates"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock drives the signing keys; fosite uses the real time.
type clock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// spy is the audit recorder of the tests.
type spy = audittest.Spy

// consentSwitch lets a test make consent need the (future) screen.
type consentSwitch struct {
	needsPrompt atomic.Bool
	refuse      atomic.Bool
}

func (c *consentSwitch) Decide(ctx context.Context, r oidc.ConsentRequest) (oidc.ConsentDecision, error) {
	if c.refuse.Load() {
		return oidc.ConsentDecision{}, oidc.ErrConsentRefused
	}
	d, err := oidc.AutoConsent{}.Decide(ctx, r)
	d.NeedsPrompt = c.needsPrompt.Load()
	return d, err
}

type accountsAdapter struct{ s *accountspg.Store }

func (a accountsAdapter) Get(ctx context.Context, id string) (accounts.Account, error) {
	r, err := a.s.Get(ctx, id)
	return r.Account, err
}

type env struct {
	t        testing.TB
	db       *pgtest.DB
	srv      *httptest.Server
	store    *oidcpg.Store
	provider *oidc.Provider
	clients  *oidc.Clients
	keys     *oidc.Keys
	audit    *spy
	clock    *clock
	consent  *consentSwitch
	accounts *accountspg.Store
	people   *attributespg.Store
	bio      *biometricspg.Store
	handler  *web.Handler

	loginAs atomic.Pointer[websession.Login]
	// seen records every response the server wrote (headers and bodies),
	// for the biometric byte search.
	seenMu sync.Mutex
	seen   []byte
	logins atomic.Int32
}

var (
	testKEK      = []byte("0123456789abcdef0123456789abcdef")
	testPepper   = []byte("pepper-pepper-pepper-pepper-0123")
	testTokenKey = []byte("token-secret-token-secret-012345")
	testPairwise = []byte("pairwise-key-pairwise-key-012345")
	adminToken   = "admin-token-for-tests"
)

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, db: pgtest.New(t), audit: &spy{}, clock: &clock{}, consent: &consentSwitch{}}
	e.store = oidcpg.NewStore(e.db.App, oidc.NewFositeSession)
	var err error
	e.keys, err = oidc.NewKeys(ctx, oidc.KeysConfig{Store: e.store, EncryptionKey: testKEK,
		SignDelay: time.Hour, Retention: 2 * time.Hour, Now: e.clock.Now})
	require.NoError(t, err)
	hasher, err := oidc.NewSecretHasher(testPepper)
	require.NoError(t, err)
	e.accounts = accountspg.NewStore(e.db.App)
	e.people = attributespg.NewStore(e.db.App)
	e.bio = biometricspg.NewStore(e.db.App, time.Now)
	sm := scs.New()
	sm.Cookie.Secure = false
	tpl, err := templates.New()
	require.NoError(t, err)

	r := mux.NewRouter()
	e.srv = httptest.NewServer(e.tap(httpx.RequestID(sm.LoadAndSave(r))))
	t.Cleanup(e.srv.Close)
	e.provider, err = oidc.NewProvider(oidc.Config{
		Issuer: e.srv.URL, Store: e.store, Keys: e.keys, Hasher: hasher,
		TokenSecret: testTokenKey, PairwiseKey: testPairwise,
		Accounts: accountsAdapter{e.accounts}, Registry: e.people, Documents: e.people,
		Consent: e.consent, Audit: e.audit,
		IDTokenLifespan: time.Hour,
	})
	require.NoError(t, err)
	e.clients = &oidc.Clients{Store: e.store, Hasher: hasher, Audit: e.audit}
	e.handler = &web.Handler{Provider: e.provider, Clients: e.clients, Sessions: sm, Templates: tpl, AdminToken: adminToken}
	e.handler.Routes(r)
	r.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		l := e.loginAs.Load()
		if l == nil {
			http.Error(w, "nobody to sign in", http.StatusUnauthorized)
			return
		}
		e.logins.Add(1)
		login := *l
		if login.AuthTime.IsZero() {
			login.AuthTime = time.Now()
		}
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

// citizen is a seeded account with its population record, documents and
// biometric sentinels.
type citizen struct {
	AccountID  string
	PersonalID string
	Level      int
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

func (e *env) citizen(level int) citizen {
	t := e.t
	t.Helper()
	ctx := t.Context()
	pid := "001090" + randomDigits(6)
	c := citizen{AccountID: uuid.NewString(), PersonalID: pid, Level: level}
	now := time.Now().UTC()
	guardian := attributes.Person{
		PersonalID: pid, FullName: "Nguyễn Văn An", BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "12 Lý Thường Kiệt", Ward: "Phường Hàng Bài", District: "Quận Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
		Phone:     "+8490" + randomDigits(7), Email: "an." + randomDigits(4) + "@example.vn",
	}
	child := attributes.Person{PersonalID: "001210" + randomDigits(6), FullName: "Nguyễn Minh Khôi",
		BirthDate: time.Date(2018, 3, 3, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN", GuardianID: pid}
	exp := now.AddDate(5, 0, 0)
	docs := []attributes.Document{
		{Kind: attributes.DrivingLicence, Number: "DL" + randomDigits(10), HolderID: pid, IssuedOn: now.AddDate(-1, 0, 0), ExpiresOn: &exp,
			Issuer: "Sở GTVT Hà Nội", Fields: map[string]string{"class": "B2", "portrait": biometrics.PortraitSentinel(pid)}, Status: "valid"},
		{Kind: attributes.HealthInsurance, Number: "HI" + randomDigits(10), HolderID: pid, Issuer: "BHXH", Status: "valid"},
	}
	require.NoError(t, e.people.Write(ctx, []attributes.Person{guardian, child}, docs))
	require.NoError(t, e.accounts.Create(ctx, accounts.Record{Account: accounts.Account{
		ID: c.AccountID, PersonalID: pid, Level: accounts.Level(level), Status: accounts.Active,
		Phone: guardian.Phone, Email: guardian.Email, CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}))
	require.NoError(t, e.bio.Put(ctx, biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Portrait,
		Template: []byte(biometrics.PortraitSentinel(pid)), Format: "image/jpeg", CapturedAt: now, CapturedBy: "app"}))
	if level >= 2 {
		require.NoError(t, e.bio.Put(ctx, biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Fingerprint, Position: 1,
			Template: []byte(biometrics.FingerprintSentinel(pid)), Format: "iso-19794-2", CapturedAt: now, CapturedBy: "officer-1"}))
	}
	return c
}

// signInAs makes the test /login page sign this citizen in.
func (e *env) signInAs(c citizen, strength int) {
	amr := []string{"pwd"}
	if strength >= 2 {
		amr = append(amr, "otp")
	}
	e.loginAs.Store(&websession.Login{AccountID: c.AccountID, Level: c.Level, Strength: strength, AMR: amr})
}

// registered is a client and its secret.
type registered struct {
	oidc.Client
	Secret string
}

func (e *env) client(c oidc.Client) registered {
	e.t.Helper()
	if c.Name.VI == "" {
		c.Name = oidc.Text{VI: "Cổng dịch vụ công", EN: "Public service portal"}
	}
	if c.Kind == "" {
		c.Kind = oidc.KindPublicService
	}
	if len(c.RedirectURIs) == 0 && (len(c.GrantTypes) == 0 || c.GrantTypes[0] != oidc.GrantClientCredentials) {
		c.RedirectURIs = []string{"https://rp.example/cb"}
	}
	out, secret, err := e.clients.Create(e.t.Context(), "test", c)
	require.NoError(e.t, err)
	return registered{Client: out, Secret: secret}
}

// browser is a user agent with cookies that stops at the relying party.
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

// visit GETs url in the browser; the response is the relying party
// redirect, or the last page of ours.
func (e *env) visit(b *http.Client, u string) (*http.Response, string) {
	e.t.Helper()
	resp, err := b.Get(u)
	require.NoError(e.t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// callback returns the query of the redirect to the relying party.
func callback(t testing.TB, resp *http.Response, body string) url.Values {
	t.Helper()
	require.True(t, resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther, "want a redirect to the relying party, got %d: %s", resp.StatusCode, body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "rp.example", loc.Host, "redirect goes to the relying party")
	return loc.Query()
}

// rp is a relying party built from x/oauth2 and go-oidc.
type rp struct {
	e        *env
	reg      registered
	conf     oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	ctx      context.Context
}

func (e *env) rp(reg registered, scopes ...string) *rp {
	e.t.Helper()
	ctx := gooidc.ClientContext(e.t.Context(), e.srv.Client())
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.srv.Client())
	p, err := gooidc.NewProvider(ctx, e.srv.URL)
	require.NoError(e.t, err)
	style := oauth2.AuthStyleInHeader
	if reg.TokenEndpointAuthMethod == oidc.AuthClientSecretPost || reg.TokenEndpointAuthMethod == oidc.AuthNone {
		style = oauth2.AuthStyleInParams
	}
	if len(scopes) == 0 {
		scopes = []string{"openid"}
	}
	ep := p.Endpoint()
	ep.AuthStyle = style
	return &rp{e: e, reg: reg, provider: p, ctx: ctx,
		conf: oauth2.Config{ClientID: reg.ID, ClientSecret: reg.Secret, Endpoint: ep,
			RedirectURL: reg.RedirectURIs[0], Scopes: scopes},
		verifier: p.Verifier(&gooidc.Config{ClientID: reg.ID, SupportedSigningAlgs: []string{reg.IDTokenAlg()}}),
	}
}

// flow is one completed code flow.
type flow struct {
	token   *oauth2.Token
	idToken *gooidc.IDToken
	rawID   string
	nonce   string
	claims  map[string]any
}

// authURL is an authorization URL with PKCE S256, state and nonce.
func (r *rp) authURL(verifier, nonce string, opts ...oauth2.AuthCodeOption) string {
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)}, opts...)
	return r.conf.AuthCodeURL("state-0123456789", opts...)
}

// login runs the code flow in browser b and verifies the ID token.
func (r *rp) login(b *http.Client, opts ...oauth2.AuthCodeOption) flow {
	t := r.e.t
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	nonce := "nonce-" + randomDigits(12)
	resp, body := r.e.visit(b, r.authURL(verifier, nonce, opts...))
	q := callback(t, resp, body)
	require.Empty(t, q.Get("error"), "authorization error: %s %s", q.Get("error"), q.Get("error_description"))
	require.Equal(t, "state-0123456789", q.Get("state"))
	tok, err := r.conf.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, raw)
	idt, err := r.verifier.Verify(r.ctx, raw)
	require.NoError(t, err)
	require.Equal(t, nonce, idt.Nonce)
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	return flow{token: tok, idToken: idt, rawID: raw, nonce: nonce, claims: claims}
}

// userinfo calls the userinfo endpoint with an access token.
func (r *rp) userinfo(accessToken string) (int, map[string]any, string) {
	req, _ := http.NewRequest(http.MethodGet, r.e.srv.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := r.e.srv.Client().Do(req)
	require.NoError(r.e.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = jsonUnmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

// post sends a client-authenticated form to one of our endpoints.
func (r *rp) post(path string, form url.Values) (int, map[string]any, string) {
	req, _ := http.NewRequest(http.MethodPost, r.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	switch r.reg.TokenEndpointAuthMethod {
	case oidc.AuthClientSecretBasic:
		req.SetBasicAuth(url.QueryEscape(r.reg.ID), url.QueryEscape(r.reg.Secret))
	case oidc.AuthClientSecretPost:
		form.Set("client_id", r.reg.ID)
		form.Set("client_secret", r.reg.Secret)
		req.Body = io.NopCloser(strings.NewReader(form.Encode()))
		req.ContentLength = int64(len(form.Encode()))
	case oidc.AuthNone:
		form.Set("client_id", r.reg.ID)
		req.Body = io.NopCloser(strings.NewReader(form.Encode()))
		req.ContentLength = int64(len(form.Encode()))
	}
	resp, err := r.e.srv.Client().Do(req)
	require.NoError(r.e.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = jsonUnmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// must panics on err: for setup steps whose failure means a broken test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// loginAt runs the code flow for a client whose redirect URI is redirect.
func (r *rp) loginAt(b *http.Client, redirect string) flow {
	r.conf.RedirectURL = redirect
	return r.loginTo(b, redirect)
}

func (r *rp) loginTo(b *http.Client, redirect string) flow {
	t := r.e.t
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	nonce := "nonce-" + randomDigits(12)
	resp, body := r.e.visit(b, r.authURL(verifier, nonce))
	require.True(t, resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther, body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), redirect), loc.String())
	require.Empty(t, loc.Query().Get("error"), loc.Query().Get("error_description"))
	tok, err := r.conf.Exchange(r.ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(r.ctx, raw)
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	return flow{token: tok, idToken: idt, rawID: raw, nonce: nonce, claims: claims}
}

type tapWriter struct {
	http.ResponseWriter
	e *env
}

func (w tapWriter) WriteHeader(code int) {
	w.e.record([]byte(fmt.Sprint(w.Header())))
	w.ResponseWriter.WriteHeader(code)
}

func (w tapWriter) Write(b []byte) (int, error) {
	w.e.record(b)
	return w.ResponseWriter.Write(b)
}

func (e *env) record(b []byte) {
	e.seenMu.Lock()
	e.seen = append(e.seen, b...)
	e.seenMu.Unlock()
}

// tap records every response header and body of the server.
func (e *env) tap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(tapWriter{ResponseWriter: w, e: e}, r)
		e.record([]byte(fmt.Sprint(w.Header())))
	})
}

func (e *env) seenBytes() []byte {
	e.seenMu.Lock()
	defer e.seenMu.Unlock()
	return append([]byte(nil), e.seen...)
}

var base64RawURL = base64.RawURLEncoding
