package browsertest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestBankFAPI2Baseline: a bank held to the fapi2 profile, with
// openid-client as its relying party, pushes its authorization request
// (PAR) authenticated with private_key_jwt, comes back with the code, the
// state and iss, exchanges the code with PKCE, reads userinfo and
// refreshes; a client secret is refused at PAR and at the token endpoint.
func TestBankFAPI2Baseline(t *testing.T) {
	bankNode(t)
	e := newEnv(t)
	bk := newBank(t, e, "bank-fapi2", map[string]any{"profile": oidc.ProfileFAPI2})
	b := newBrowser(t, "vi")
	res := bankRun(t, e, b, bk, map[string]any{
		"assertion_aud": "token_endpoint",
		"refresh":       true,
		"probes":        []string{"par_client_secret", "token_client_secret_basic"},
	})
	require.Nil(t, res.Error, "the flow: %s", res.raw)

	assert.Equal(t, []string{"client_id", "request_uri"}, res.AuthorizeParams, "after PAR the browser carries only client_id and request_uri")
	assert.Subset(t, res.CallbackParams, []string{"code", "state", "iss"}, "RFC 9207: iss in the authorization response")
	assert.True(t, strings.EqualFold(res.TokenType, "bearer") || strings.EqualFold(res.TokenType, "dpop"), res.TokenType)
	assert.Equal(t, e.gatewayURL, res.IDToken["iss"])
	assert.Equal(t, assurance.ACR2, res.IDToken["acr"], "a bank gets level 2")
	assert.Equal(t, "Nguyễn Văn An", res.Userinfo["name"])
	assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
	assert.Equal(t, res.IDToken["sub"], res.Userinfo["sub"])
	assert.NotContains(t, res.raw, biometrics.SentinelPrefix, "no biometric data reaches the bank")
	require.NotNil(t, res.Refreshed, "refreshed: %s", res.raw)
	assert.Equal(t, res.IDToken["sub"], res.Refreshed["userinfo_sub"])

	for _, name := range []string{"par_client_secret", "token_client_secret_basic"} {
		p := res.Probes[name]
		assert.Equal(t, 401, p.Status, "%s: %+v", name, p)
		assert.Equal(t, "invalid_client", p.Error, "%s: %+v", name, p)
	}
}
