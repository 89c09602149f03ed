package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestDiscoveryAndJWKS(t *testing.T) {
	e := newEnv(t)
	resp, body := e.visit(http.DefaultClient, e.srv.URL+"/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, e.srv.URL, doc["issuer"])
	assert.Equal(t, e.srv.URL+"/par", doc["pushed_authorization_request_endpoint"])
	assert.Equal(t, e.srv.URL+"/logout", doc["end_session_endpoint"])
	assert.Equal(t, []any{"S256"}, doc["code_challenge_methods_supported"])
	assert.Equal(t, []any{"code"}, doc["response_types_supported"])
	assert.Equal(t, []any{oidc.ACRLevel1, oidc.ACRLevel2}, doc["acr_values_supported"])
	assert.Equal(t, false, doc["backchannel_logout_supported"], "only what is implemented")
	for _, c := range doc["claims_supported"].([]any) {
		assert.NotContains(t, []string{"picture", "portrait", "fingerprint"}, c)
	}

	resp, body = e.visit(http.DefaultClient, e.srv.URL+"/jwks.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	algs := map[string]bool{}
	for _, k := range set.Keys {
		assert.NotEmpty(t, k["kid"])
		assert.Nil(t, k["d"], "no private parts")
		algs[k["alg"].(string)] = true
	}
	assert.Equal(t, map[string]bool{"ES256": true, "RS256": true}, algs)
}

func TestCodeFlowWithPKCE(t *testing.T) {
	e := newEnv(t)
	alice := e.citizen(2)
	e.signInAs(alice, 2)
	reg := e.client(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "address", "phone", "email", "dependents", "documents.driving_licence", "offline_access"}})
	r := e.rp(reg, "openid", "profile", "personal_id", "address", "documents.driving_licence")
	b := e.browser()
	f := r.login(b)

	assert.Equal(t, oidc.ACRLevel2, f.claims["acr"])
	assert.Equal(t, []any{"pwd", "otp"}, f.claims["amr"])
	assert.NotEmpty(t, f.claims["sid"])
	assert.NotEmpty(t, f.claims["auth_time"])
	assert.NotEqual(t, alice.AccountID, f.idToken.Subject, "pairwise by default")
	assert.NotContains(t, f.rawID, alice.PersonalID)
	assert.Nil(t, f.claims["name"], "scope claims go to userinfo")

	status, ui, raw := r.userinfo(f.token.AccessToken)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, f.idToken.Subject, ui["sub"])
	assert.Equal(t, "Nguyễn Văn An", ui["name"])
	assert.Equal(t, "1990-05-01", ui["birthdate"])
	assert.Equal(t, alice.PersonalID, ui["personal_id_number"])
	assert.NotNil(t, ui["address"])
	assert.NotNil(t, ui["driving_licence"])
	assert.Nil(t, ui["email"], "email scope not requested")
	assert.Nil(t, ui["dependents"])

	issued := e.audit.Of(audit.TokenIssued)
	require.Len(t, issued, 1)
	assert.Equal(t, alice.AccountID, issued[0].AccountID)
	assert.Equal(t, reg.ID, issued[0].ClientID)
	assert.Equal(t, oidc.ACRLevel2, issued[0].ACR)
	read := e.audit.Of(audit.UserinfoRead)
	require.Len(t, read, 1)
	assert.True(t, slices.Contains(read[0].Claims, "personal_id_number"))
	assert.True(t, slices.Contains(read[0].Claims, "driving_licence"))

	// Single sign-on: a second client of another sector, no new sign-in.
	logins := e.logins.Load()
	other := e.client(oidc.Client{RedirectURIs: []string{"https://bank.example/cb"}, Scopes: []string{"openid"}})
	f2 := e.rp(other).loginAt(b, "https://bank.example/cb")
	assert.Equal(t, logins, e.logins.Load(), "SSO: no second sign-in")
	assert.NotEqual(t, f.idToken.Subject, f2.idToken.Subject, "pairwise subjects differ across sectors")
	assert.Equal(t, f.claims["sid"], f2.claims["sid"], "same browser session")
	assert.Equal(t, oidc.ACRLevel2, f2.claims["acr"], "acr kept across SSO")

	// Same sector identifier → same sub; public subject type → account id.
	same := e.client(oidc.Client{RedirectURIs: []string{"https://other.example/cb"}, SectorIdentifier: "rp.example", Scopes: []string{"openid"}})
	f3 := e.rp(same).loginAt(b, "https://other.example/cb")
	assert.Equal(t, f.idToken.Subject, f3.idToken.Subject)
	pub := e.client(oidc.Client{SubjectType: oidc.SubjectPublic, Scopes: []string{"openid"}})
	f4 := e.rp(pub).login(b)
	assert.Equal(t, alice.AccountID, f4.idToken.Subject)
}

func TestClaimsRequestAndLevelOneLimits(t *testing.T) {
	e := newEnv(t)
	bob := e.citizen(1)
	e.signInAs(bob, 1)
	reg := e.client(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "email"}})
	r := e.rp(reg, "openid")
	claims := `{"id_token":{"name":null,"personal_id_number":{"essential":true},"fingerprint":null},"userinfo":{"email":null,"portrait":null}}`
	f := r.login(e.browser(), oauth2.SetAuthURLParam("claims", claims))
	assert.Equal(t, "Nguyễn Văn An", f.claims["name"], "claims request puts name in the ID token")
	assert.Equal(t, bob.PersonalID, f.claims["personal_id_number"])
	assert.Equal(t, oidc.ACRLevel1, f.claims["acr"])
	assert.Nil(t, f.claims["fingerprint"])
	_, ui, _ := r.userinfo(f.token.AccessToken)
	assert.NotNil(t, ui["email"])
	assert.Nil(t, ui["portrait"])
	assert.Nil(t, ui["name"], "profile scope was not requested")
}
