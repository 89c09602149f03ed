package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// outage stops the database for the application role: its connections are
// ended and new ones refused, as when the primary goes away. The returned
// function brings it back.
func outage(t *testing.T, db *pgtest.DB) func() {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(db.SuperURL)
	require.NoError(t, err)
	cfg.Database = "postgres" // a database cannot refuse connections to itself
	super, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = super.Close(ctx) })
	exec := func(sql string) {
		_, err := super.Exec(ctx, sql)
		require.NoError(t, err)
	}
	exec(`ALTER DATABASE ` + pgx.Identifier{db.Name}.Sanitize() + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ` + quote(db.Name) + ` AND pid <> pg_backend_pid()`)
	return func() { exec(`ALTER DATABASE ` + pgx.Identifier{db.Name}.Sanitize() + ` ALLOW_CONNECTIONS true`) }
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// TestStoreOutageAnswers503 is issue 9's "errors that tell the truth under
// failure": while the database cannot be read, userinfo, introspection,
// token and revocation answer 503 temporarily_unavailable with Retry-After,
// never invalid_token or invalid_client, which would make a relying party
// throw a valid token or credential away; afterwards the same token works.
func TestStoreOutageAnswers503(t *testing.T) {
	db := pgtest.New(t)
	e := oidctest.New(t, db.App, oidctest.Options{})
	c := e.SeedCitizen(assurance.Level2)
	e.SignIn(c.Login(assurance.Level2))
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"},
		GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken}})
	r := e.RP(reg, "openid", "profile", "offline_access")
	f := r.Login(e.Browser())
	require.NotEmpty(t, f.Token.RefreshToken)

	userinfo := func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+oidc.PathUserinfo, nil)
		req.Header.Set("Authorization", "Bearer "+f.Token.AccessToken)
		return req
	}
	requests := map[string]func() *http.Request{
		"userinfo": userinfo,
		"introspect": func() *http.Request {
			return r.TokenRequest(oidc.PathIntrospect, url.Values{"token": {f.Token.AccessToken}})
		},
		"refresh": func() *http.Request {
			return r.TokenRequest(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.Token.RefreshToken}})
		},
		"revoke": func() *http.Request { return r.TokenRequest(oidc.PathRevoke, url.Values{"token": {"not-a-token"}}) },
	}
	require.Equal(t, http.StatusOK, send(t, userinfo()).status)

	restore := outage(t, db)
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			a := send(t, req())
			assert.Equal(t, http.StatusServiceUnavailable, a.status, a.raw)
			assert.NotEmpty(t, a.header.Get("Retry-After"), "tells when to retry")
			assert.Contains(t, a.raw, "temporarily_unavailable")
		})
	}
	restore()
	a := send(t, userinfo())
	assert.Equal(t, http.StatusOK, a.status, "the token was never invalid: %s", a.raw)
	assert.Equal(t, f.Sub, a.body["sub"])
}

// TestClientAuthenticationFailures: a client that fails to authenticate gets
// 401 invalid_client with a WWW-Authenticate challenge at every endpoint
// that authenticates clients (RFC 6749 §5.2), never 400 or 200.
func TestClientAuthenticationFailures(t *testing.T) {
	e := newEnv(t)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	bad := reg
	bad.Secret = "not-the-secret-0123456789"
	r := e.RP(bad, "openid", "profile")
	forms := map[string]url.Values{
		oidc.PathToken:      {"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {reg.RedirectURIs[0]}, "code_verifier": {strings.Repeat("a", 43)}},
		oidc.PathIntrospect: {"token": {"x"}},
		oidc.PathRevoke:     {"token": {"x"}},
		oidc.PathPAR: {"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid"},
			"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}},
	}
	for path, form := range forms {
		t.Run(path, func(t *testing.T) {
			a := send(t, r.TokenRequest(path, form))
			assert.Equal(t, http.StatusUnauthorized, a.status, a.raw)
			assert.Equal(t, "invalid_client", a.body["error"], a.raw)
			assert.Contains(t, a.header.Get("WWW-Authenticate"), "Basic", "a challenge in the scheme the client used")
		})
	}
}

// TestMalformedRequests: RFC 6749 §3.1 (no parameter twice) and RFC 6750
// §2.3 (no access token in the URI).
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.RP(reg, "openid", "profile")
	f := r.Login(e.Browser())

	t.Run("token in the userinfo query", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+oidc.PathUserinfo+"?access_token="+url.QueryEscape(f.Token.AccessToken), nil)
		a := send(t, req)
		assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
		assert.Equal(t, "invalid_request", a.body["error"])
		assert.Contains(t, a.header.Get("WWW-Authenticate"), `error="invalid_request"`)
	})
	auth := r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789")
	t.Run("scope twice goes back to the relying party", func(t *testing.T) {
		resp, _ := e.Visit(e.Browser(), auth+"&scope=openid")
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, reg.RedirectURIs[0], loc.Scheme+"://"+loc.Host+loc.Path)
		assert.Equal(t, "invalid_request", loc.Query().Get("error"))
		assert.Contains(t, loc.Query().Get("error_description"), "'scope'")
	})
	t.Run("redirect_uri twice gets a page", func(t *testing.T) {
		resp, body := e.Visit(e.Browser(), auth+"&redirect_uri="+url.QueryEscape("https://evil.example/cb"))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"), "never redirected")
		assert.Contains(t, body, "invalid_request")
	})
	t.Run("a parameter twice at /par", func(t *testing.T) {
		form := url.Values{"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {reg.RedirectURIs[0]},
			"scope": {"openid", "openid profile"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		a := send(t, r.TokenRequest(oidc.PathPAR, form))
		assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
		assert.Equal(t, "invalid_request", a.body["error"])
	})
	assert.Zero(t, e.Logins()-1, "no sign-in for any of them")
}
