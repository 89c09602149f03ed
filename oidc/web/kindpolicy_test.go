package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
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
	assert.Contains(t, q.Get("error_description"), "A client of kind bank may not have scope '"+attributes.ScopeDrivingLicence+"'")
	assert.Equal(t, logins, e.Logins(), "refused before sign-in")

	par := func(scope string) (int, map[string]any, string) {
		return r.Post(oidc.PathPAR, url.Values{"response_type": {"code"}, "client_id": {reg.ID},
			"redirect_uri": {reg.RedirectURIs[0]}, "scope": {scope}, "state": {"state-0123456789"}, "nonce": {oidctest.NewNonce()},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}})
	}
	status, m, raw := par("openid " + attributes.ScopeDrivingLicence)
	assert.Equal(t, http.StatusBadRequest, status, raw)
	assert.Equal(t, "invalid_scope", m["error"])
	assert.Contains(t, m["error_description"], "A client of kind bank may not have scope '"+attributes.ScopeDrivingLicence+"'")

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

// TestAdminKindPolicy: operators read and set the kind policy through the
// admin API; a bad rule or body is 400 and changes nothing.
func TestAdminKindPolicy(t *testing.T) {
	e := newEnv(t)
	call := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp := must(e.Server.Client().Do(req))
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, _ := call(http.MethodGet, "/admin/api/policy", "", "")
	assert.Equal(t, http.StatusUnauthorized, st)
	st, _ = call(http.MethodPut, "/admin/api/policy/bank/documents.health_insurance", "", `{"allowed":true}`)
	assert.Equal(t, http.StatusUnauthorized, st)

	st, p := call(http.MethodGet, "/admin/api/policy", adminToken, "")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, []any{attributes.ScopeDrivingLicence, attributes.ScopeVehicleRegistration}, p["bank"])
	assert.Equal(t, []any{}, p["other"])

	tests := []struct {
		name, path, body string
		status           int
	}{
		{"unknown kind", "/admin/api/policy/shop/documents.driving_licence", `{"allowed":true}`, http.StatusBadRequest},
		{"not a document scope", "/admin/api/policy/bank/profile", `{"allowed":false}`, http.StatusBadRequest},
		{"no allowed", "/admin/api/policy/bank/documents.health_insurance", `{}`, http.StatusBadRequest},
		{"unknown field", "/admin/api/policy/bank/documents.health_insurance", `{"allowed":true,"x":1}`, http.StatusBadRequest},
		{"allow", "/admin/api/policy/bank/documents.health_insurance", `{"allowed":true}`, http.StatusOK},
		{"refuse", "/admin/api/policy/bank/documents.driving_licence", `{"allowed":false}`, http.StatusOK},
	}
	for _, tc := range tests {
		st, _ := call(http.MethodPut, tc.path, adminToken, tc.body)
		assert.Equal(t, tc.status, st, tc.name)
	}
	_, p = call(http.MethodGet, "/admin/api/policy", adminToken, "")
	assert.Equal(t, []any{attributes.ScopeVehicleRegistration, attributes.ScopeHealthInsurance}, p["bank"])
}

// TestKindPolicyAtRefresh: a refresh token granted with a document scope
// the kind policy takes away afterwards gets invalid_scope; nothing slips
// through on refresh.
func TestKindPolicyAtRefresh(t *testing.T) {
	e := newEnv(t)
	l2 := e.citizen(2)
	e.signInAs(l2, 2)
	reg := e.Register(oidc.Client{Kind: oidc.KindInsurer,
		Scopes: []string{"openid", attributes.ScopeHealthInsurance, "offline_access"}})
	r := e.RP(reg, "openid", attributes.ScopeHealthInsurance, "offline_access")
	f := r.Login(e.Browser())
	require.NotEmpty(t, f.Token.RefreshToken)
	tok, err := r.Refresh(f.Token.RefreshToken)
	require.NoError(t, err, "allowed: refreshes")

	require.NoError(t, e.Clients.SetKindRule(t.Context(), "op-1",
		oidc.KindRule{Kind: oidc.KindInsurer, Scope: attributes.ScopeHealthInsurance, Allowed: false}))
	_, err = r.Refresh(tok.RefreshToken)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_scope", re.ErrorCode)
	assert.Contains(t, re.ErrorDescription, "A client of kind insurer may not have scope '"+attributes.ScopeHealthInsurance+"'")
}
