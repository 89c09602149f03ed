package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// TestPendingClientRefusedEverywhere (issue 17): a relying party proposed
// from the console and not yet approved by a second operator is refused
// like a disabled one at every endpoint, with invalid_client, and at
// /authorize before anyone signs in; once approved it works.
func TestPendingClientRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	l1 := e.citizen(1)
	e.signInAs(l1, 1)
	proposer := oidc.Operator{MemberID: "member-a", Username: "an"}
	c, secret, err := e.Clients.Propose(t.Context(), proposer, oidc.Client{
		Name: oidc.Text{VI: "Cổng chờ duyệt"}, Kind: oidc.KindPublicService, Purpose: oidc.Text{VI: "Thủ tục"},
		Organisation: oidc.Organisation{Name: "Sở", Code: "0301234567"}, LegalBasis: "Nghị định 42/2022/NĐ-CP",
		RedirectURIs: []string{oidctest.RedirectURI}, Scopes: []string{"openid", "profile"},
		GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken, oidc.GrantClientCredentials},
	})
	require.NoError(t, err)
	reg := oidctest.Registered{Client: c, Secret: secret}
	r := e.RP(reg, "openid", "profile")

	b := e.Browser()
	logins := e.Logins()
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce()))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid_client")
	assert.Equal(t, logins, e.Logins(), "refused before sign-in")

	par := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {oidctest.RedirectURI},
		"scope": {"openid profile"}, "state": {"state-0123456789"}, "nonce": {oidctest.NewNonce()},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{oidc.PathPAR, par},
		{oidc.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {"made-up"}, "redirect_uri": {oidctest.RedirectURI}, "code_verifier": {oauth2.GenerateVerifier()}}},
		{oidc.PathToken, url.Values{"grant_type": {"client_credentials"}}},
		{oidc.PathIntrospect, url.Values{"token": {"made-up"}}},
		{oidc.PathRevoke, url.Values{"token": {"made-up"}}},
	} {
		status, m, raw := r.Post(tc.path, tc.form)
		assert.Equal(t, http.StatusUnauthorized, status, "%s %v: %s", tc.path, tc.form.Get("grant_type"), raw)
		assert.Equal(t, "invalid_client", m["error"], "%s: %s", tc.path, raw)
	}

	_, err = e.Clients.Approve(t.Context(), oidc.Operator{MemberID: "member-b", Username: "binh"}, c.ID)
	require.NoError(t, err)
	status, _, raw := r.Post(oidc.PathPAR, par)
	assert.Equal(t, http.StatusCreated, status, raw)
	f := r.Login(b)
	assert.NotEmpty(t, f.Sub)
}
