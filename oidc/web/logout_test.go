package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// TestLogoutHintMustBeThisSignInsIDToken: a silent sign-out needs an ID
// token of this very sign-in (its sid). Another kind of token signed with
// the same keys (a consent receipt anyone can download, a logout token an
// RP received) or an ID token without sid only gets the confirmation page,
// never a sign-out behind the citizen's back (logout CSRF).
func TestLogoutHintMustBeThisSignInsIDToken(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{PostLogoutRedirectURIs: []string{"https://rp.example/bye"}, Scopes: []string{"openid"}})
	r := e.RP(reg)
	b := e.Browser()
	f := r.Login(b)
	now := time.Now().Unix()
	base := map[string]any{"iss": e.Server.URL, "sub": "someone", "aud": reg.ID, "iat": now, "exp": now + 600}

	receipt := must(e.Keys.SignType(oidc.ES256, "consent-receipt+jwt", base))
	logoutToken := must(e.Keys.SignType(oidc.ES256, "logout+jwt", base))
	for name, hint := range map[string]string{"receipt": receipt, "logout token": logoutToken} {
		resp, body := e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {hint}}.Encode())
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		assert.Contains(t, body, "invalid_request", name)
	}
	noAud := map[string]any{"iss": e.Server.URL, "sub": "someone", "iat": now}
	resp, _ := e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {must(e.Keys.Sign(oidc.ES256, noAud))}}.Encode())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a hint names its client")

	// A well-formed ID token without sid: the citizen is asked, even with a
	// registered post_logout_redirect_uri.
	noSID := must(e.Keys.Sign(oidc.ES256, base))
	resp, body := e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {noSID},
		"post_logout_redirect_uri": {"https://rp.example/bye"}}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `name="logout_nonce"`)
	assert.Empty(t, e.Audit.Of(audit.SignedOut), "nobody signed out")
	resp, body = e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789", oauth2.SetAuthURLParam("prompt", "none")))
	require.Empty(t, callback(t, resp, body).Get("error"), "still signed in")

	// This sign-in's own ID token still signs out at once.
	resp, _ = e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {f.RawID},
		"post_logout_redirect_uri": {"https://rp.example/bye"}}.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "https://rp.example/bye", resp.Header.Get("Location"))
	assert.Len(t, e.Audit.Of(audit.SignedOut), 1)
}

// TestNoCORSOnTokenEndpoints: the token-bearing endpoints never let a web
// page of another origin read their answers (see Handler.Routes); discovery
// and the JWKS do.
func TestNoCORSOnTokenEndpoints(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/token", "/userinfo", "/introspect", "/revoke", "/par"} {
		for _, method := range []string{http.MethodOptions, http.MethodPost} {
			req, err := http.NewRequest(method, e.Server.URL+path, nil)
			require.NoError(t, err)
			req.Header.Set("Origin", "https://spa.example")
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "%s %s", method, path)
			assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"), "%s %s", method, path)
		}
	}
	resp, err := http.Get(e.Server.URL + "/.well-known/openid-configuration")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
}
