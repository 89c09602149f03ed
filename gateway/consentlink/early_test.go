package consentlink_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// TestRefusedBeforeSignIn is RFC 7636 §4.4.1 and RFC 6749 §4.1.2.1: an
// authorization request that will be refused is refused at once, at
// /authorize and at /par alike, before the citizen is asked to sign in. The
// citizen here would be signed in by the test's sign-in page at once and
// would see the consent screen: nothing of that happens, no consent
// challenge is parked, no consent is recorded and no consent event audited.
func TestRefusedBeforeSignIn(t *testing.T) {
	e := newEnv(t)
	c := e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	verifier := oauth2.GenerateVerifier()
	s256 := oauth2.S256ChallengeFromVerifier(verifier)
	require.Len(t, s256, 43)
	tests := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"no code_challenge", nil, "invalid_request"},
		{"plain method", map[string]string{"code_challenge": verifier, "code_challenge_method": "plain"}, "invalid_request"},
		{"no method means plain", map[string]string{"code_challenge": s256}, "invalid_request"},
		{"42-character challenge", map[string]string{"code_challenge": s256[:42], "code_challenge_method": "S256"}, "invalid_request"},
		{"129-character challenge", map[string]string{"code_challenge": strings.Repeat("a", 129), "code_challenge_method": "S256"}, "invalid_request"},
		{"challenge outside base64url", map[string]string{"code_challenge": s256[:42] + "+", "code_challenge_method": "S256"}, "invalid_request"},
		{"unknown scope", map[string]string{"code_challenge": s256, "code_challenge_method": "S256", "scope": "openid profile fingerprints"}, "invalid_scope"},
		{"no openid scope", map[string]string{"code_challenge": s256, "code_challenge_method": "S256", "scope": "profile"}, "invalid_scope"},
		{"max_age not a number", map[string]string{"code_challenge": s256, "code_challenge_method": "S256", "max_age": "soon"}, "invalid_request"},
		{"claims not JSON", map[string]string{"code_challenge": s256, "code_challenge_method": "S256", "claims": "{"}, "invalid_request"},
		{"unknown essential acr", map[string]string{"code_challenge": s256, "code_challenge_method": "S256",
			"claims": `{"id_token":{"acr":{"essential":true,"value":"urn:other:loa:9"}}}`}, "unmet_authentication_requirements"},
	}
	for _, tc := range tests {
		t.Run("authorize/"+tc.name, func(t *testing.T) {
			var opts []oauth2.AuthCodeOption
			for k, v := range tc.params {
				opts = append(opts, oauth2.SetAuthURLParam(k, v))
			}
			// x/oauth2 builds the request as a relying party would, PKCE
			// left to the options.
			p := e.do(e.Browser(), http.MethodGet, r.Conf.AuthCodeURL(oidctest.State, opts...), nil)
			loc := p.resp.Header.Get("Location")
			require.True(t, strings.HasPrefix(loc, reg.RedirectURIs[0]+"?"), "an answer to the relying party, got %d %s: %s", p.resp.StatusCode, loc, p.body)
			u, err := url.Parse(loc)
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.Query().Get("error"), u.Query().Get("error_description"))
			assert.Equal(t, oidctest.State, u.Query().Get("state"))
			assert.Equal(t, e.Server.URL, u.Query().Get("iss"), "RFC 9207: the issuer in the error response too")
		})
		t.Run("par/"+tc.name, func(t *testing.T) {
			form := url.Values{"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {reg.RedirectURIs[0]},
				"scope": {"openid profile"}, "state": {oidctest.State}}
			for k, v := range tc.params {
				form.Set(k, v)
			}
			status, body, raw := r.Post(oidc.PathPAR, form)
			assert.Equal(t, http.StatusBadRequest, status, raw)
			assert.Equal(t, tc.want, body["error"], raw)
			assert.NotContains(t, body, "request_uri")
		})
	}

	assert.Zero(t, e.Logins(), "nobody was sent to sign in")
	assert.Zero(t, count(t, e, `SELECT count(*) FROM oidc_consent_challenges`), "no consent screen")
	assert.Zero(t, count(t, e, `SELECT count(*) FROM consent_changes WHERE account_id = $1`, c.AccountID), "no consent recorded")
	assert.Zero(t, count(t, e, `SELECT count(*) FROM oidc_requests WHERE kind = 'par'`), "nothing pushed")
	for _, ev := range e.Audit.Events() {
		assert.NotContains(t, []audit.EventType{audit.ConsentGranted, audit.ConsentRefused, audit.TokenIssued}, ev.Type)
	}

	// The same relying party with PKCE S256 goes through (the refusals were
	// about the requests, not the client).
	a := r.start(e.Browser())
	require.True(t, a.onScreen(), "a valid request reaches the consent screen: %s", a.last.body)
}

// TestFormPostErrorPage: an error answered by form post is a page whose one
// script, allowed by its hash in the page's own Content-Security-Policy,
// posts the error and state to the registered redirect URI. (Discovery
// lists only the query response mode, so a form_post request is itself
// refused, with unsupported_response_mode, by form post.)
func TestFormPostErrorPage(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	p := e.do(e.Browser(), http.MethodGet, r.Conf.AuthCodeURL(oidctest.State, oauth2.SetAuthURLParam("response_mode", "form_post")), nil)
	require.Equal(t, http.StatusOK, p.resp.StatusCode, p.body)
	csp := p.resp.Header.Get("Content-Security-Policy")
	assert.Equal(t, oidc.FormPostCSP, csp)
	m := regexp.MustCompile(`script-src '(sha256-[^']+)'`).FindStringSubmatch(csp)
	require.NotNil(t, m)
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(p.body)
	require.NotNil(t, script, "one script element: %s", p.body)
	assert.Equal(t, m[1], "sha256-"+sha256Base64(script[1]), "the CSP allows exactly the page's script")
	assert.NotContains(t, p.body, "onload=", "no inline handler, which a CSP hash cannot allow")
	assert.Contains(t, p.body, `action="`+reg.RedirectURIs[0]+`"`)
	assert.Contains(t, p.body, `name="error" value="unsupported_response_mode"`)
	assert.Contains(t, p.body, `name="state" value="`+oidctest.State+`"`)
	assert.Contains(t, p.body, `name="iss" value="`+e.Server.URL+`"`)
	assert.Zero(t, e.Logins())
}

func count(t *testing.T, e *env, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.DB.QueryRow(context.Background(), q, args...).Scan(&n))
	return n
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}
