package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	e := newEnv(t)
	resp, body := e.Visit(http.DefaultClient, e.Server.URL+"/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, e.Server.URL, doc["issuer"])
	assert.Equal(t, e.Server.URL+"/par", doc["pushed_authorization_request_endpoint"])
	assert.Equal(t, e.Server.URL+"/logout", doc["end_session_endpoint"])
	assert.Equal(t, []any{"S256"}, doc["code_challenge_methods_supported"])
	assert.Equal(t, []any{"code"}, doc["response_types_supported"])
	assert.Equal(t, []any{assurance.ACR1, assurance.ACR2}, doc["acr_values_supported"])
	assert.Equal(t, false, doc["backchannel_logout_supported"], "only what is implemented")
	for _, c := range doc["claims_supported"].([]any) {
		assert.NotContains(t, []string{"picture", "portrait", "fingerprint"}, c)
	}

	resp, body = e.Visit(http.DefaultClient, e.Server.URL+"/jwks.json")
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
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "address", "phone", "email", "dependents", "documents.driving_licence", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "personal_id", "address", "documents.driving_licence")
	b := e.Browser()
	f := r.Login(b)

	assert.Equal(t, assurance.ACR2, f.Claims["acr"])
	assert.Equal(t, []any{"pwd", "otp"}, f.Claims["amr"])
	assert.NotEmpty(t, f.Claims["sid"])
	assert.NotEmpty(t, f.Claims["auth_time"])
	assert.NotEqual(t, alice.AccountID, f.IDToken.Subject, "pairwise by default")
	assert.NotContains(t, f.RawID, alice.PersonalID)
	assert.Nil(t, f.Claims["name"], "scope claims go to userinfo")

	status, ui, raw := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, f.IDToken.Subject, ui["sub"])
	assert.Equal(t, "Nguyễn Văn An", ui["name"])
	assert.Equal(t, "1990-05-01", ui["birthdate"])
	assert.Equal(t, alice.PersonalID, ui["personal_id_number"])
	assert.NotNil(t, ui["address"])
	assert.NotNil(t, ui["driving_licence"])
	assert.Nil(t, ui["email"], "email scope not requested")
	assert.Nil(t, ui["dependents"])

	issued := e.Audit.Of(audit.TokenIssued)
	require.Len(t, issued, 1)
	assert.Equal(t, alice.AccountID, issued[0].AccountID)
	assert.Equal(t, reg.ID, issued[0].ClientID)
	assert.Equal(t, assurance.ACR2, issued[0].ACR)
	read := e.Audit.Of(audit.UserinfoRead)
	require.Len(t, read, 1)
	assert.True(t, slices.Contains(read[0].Claims, "personal_id_number"))
	assert.True(t, slices.Contains(read[0].Claims, "driving_licence"))

	// Single sign-on: a second client of another sector, no new sign-in.
	logins := e.Logins()
	other := e.Register(oidc.Client{RedirectURIs: []string{"https://bank.example/cb"}, Scopes: []string{"openid"}})
	f2 := loginAt(e.RP(other), b, "https://bank.example/cb")
	assert.Equal(t, logins, e.Logins(), "SSO: no second sign-in")
	assert.NotEqual(t, f.IDToken.Subject, f2.IDToken.Subject, "pairwise subjects differ across sectors")
	assert.Equal(t, f.Claims["sid"], f2.Claims["sid"], "same browser session")
	assert.Equal(t, assurance.ACR2, f2.Claims["acr"], "acr kept across SSO")

	// Same sector identifier → same sub; public subject type → account id.
	same := e.Register(oidc.Client{RedirectURIs: []string{"https://other.example/cb"}, SectorIdentifier: "rp.example", Scopes: []string{"openid"}})
	f3 := loginAt(e.RP(same), b, "https://other.example/cb")
	assert.Equal(t, f.IDToken.Subject, f3.IDToken.Subject)
	pub := e.Register(oidc.Client{SubjectType: oidc.SubjectPublic, Scopes: []string{"openid"}})
	f4 := e.RP(pub).Login(b)
	assert.Equal(t, alice.AccountID, f4.IDToken.Subject)
}

func TestClaimsRequestAndLevelOneLimits(t *testing.T) {
	e := newEnv(t)
	bob := e.citizen(1)
	e.signInAs(bob, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "email"}})
	r := e.RP(reg, "openid")
	claims := `{"id_token":{"name":null,"personal_id_number":{"essential":true},"fingerprint":null},"userinfo":{"email":null,"portrait":null}}`
	f := r.Login(e.Browser(), oauth2.SetAuthURLParam("claims", claims))
	assert.Equal(t, "Nguyễn Văn An", f.Claims["name"], "claims request puts name in the ID token")
	assert.Equal(t, bob.PersonalID, f.Claims["personal_id_number"])
	assert.Equal(t, assurance.ACR1, f.Claims["acr"])
	assert.Nil(t, f.Claims["fingerprint"])
	_, ui, _ := r.Userinfo(f.Token.AccessToken)
	assert.NotNil(t, ui["email"])
	assert.Nil(t, ui["portrait"])
	assert.Nil(t, ui["name"], "profile scope was not requested")
}
