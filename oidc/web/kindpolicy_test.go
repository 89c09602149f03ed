package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// TestKindPolicyAtAuthorization: a client whose kind the policy no longer
// allows a document scope is refused it with invalid_scope at /authorize
// (back to the relying party, before any page or sign-in) and at /par, from
// the request after the operator's change; its other scopes still work.
func TestKindPolicyAtAuthorization(t *testing.T) {
	e := newEnv(t)
	l2 := e.citizen(2)
	e.signInAs(l2, 2)
	reg := e.Register(oidc.Client{Kind: oidc.KindBank, Profile: oidc.ProfileBaseline,
		Scopes: []string{"openid", "profile", attributes.ScopeDrivingLicence}})
	r := e.RP(reg, "openid", attributes.ScopeDrivingLicence)
	require.NoError(t, e.Clients.SetKindRule(t.Context(), "op-1",
		oidc.KindRule{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence, Allowed: false}))

	b := e.Browser()
	logins := e.Logins()
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce()))
	q := callback(t, resp, body)
	assert.Equal(t, "invalid_scope", q.Get("error"))
	assert.Contains(t, q.Get("error_description"), attributes.ScopeDrivingLicence)
	assert.Equal(t, logins, e.Logins(), "refused before sign-in")

	par := func(scope string) (int, map[string]any, string) {
		return r.Post(oidc.PathPAR, url.Values{"response_type": {"code"}, "client_id": {reg.ID},
			"redirect_uri": {reg.RedirectURIs[0]}, "scope": {scope}, "state": {"state-0123456789"}, "nonce": {oidctest.NewNonce()},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}})
	}
	status, m, raw := par("openid " + attributes.ScopeDrivingLicence)
	assert.Equal(t, http.StatusBadRequest, status, raw)
	assert.Equal(t, "invalid_scope", m["error"])

	// What the policy still allows goes through.
	status, _, raw = par("openid profile")
	assert.Equal(t, http.StatusCreated, status, raw)
	f := e.RP(reg, "openid", "profile").Login(b)
	assert.NotEmpty(t, f.Sub)

	// Allowed again: the next request passes.
	require.NoError(t, e.Clients.SetKindRule(t.Context(), "op-1",
		oidc.KindRule{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence, Allowed: true}))
	status, _, raw = par("openid " + attributes.ScopeDrivingLicence)
	assert.Equal(t, http.StatusCreated, status, raw)
}
