package browsertest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// bankCase is one part of TestBank: they share one gateway and one browser,
// in which the level 2 demo citizen signs in once (the first flow).
type bankCase struct {
	name string
	run  func(t *testing.T, e *env, b *browser)
}

// TestBank runs a bank's relying party that the project did not write,
// openid-client, against the gateway.
func TestBank(t *testing.T) {
	bankNode(t)
	e := newEnv(t)
	b := newBrowser(t, "vi")
	cases := []bankCase{
		{"fapi2", bankFAPI2},
		{"ps256", bankPS256},
		{"jar-jarm", bankJARAndJARM},
		{"dpop-refusals", bankDPoP},
		{"without-dpop", bankWithoutDPoP},
		{"encrypted", bankEncryptedResponses},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The same tab, under the subtest's own deadline.
			sub := b.on(t)
			var cancel context.CancelFunc
			sub.ctx, cancel = context.WithTimeout(b.tab, testTimeout)
			defer cancel()
			c.run(t, e, sub)
		})
	}
}

// bankFAPI2: a bank, held to the fapi2 profile by default, pushes its authorization
// request (PAR) authenticated with private_key_jwt, comes back with the
// code, the state and iss, exchanges the code with PKCE, reads userinfo and
// refreshes; a request outside PAR, an unsigned or expired request object
// and a client secret (at PAR and at the token endpoint) are refused.
func bankFAPI2(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-fapi2", nil)
	reg, err := e.g.Clients.Get(t.Context(), bk.id)
	require.NoError(t, err)
	require.Equal(t, oidc.ProfileFAPI2, reg.Profile, "a bank is held to fapi2 unless it says otherwise")
	res := bankRun(t, e, b, bk, map[string]any{
		"dpop":    true, // fapi2: sender-constrained tokens
		"refresh": true,
		"probes": []string{"par_client_secret", "token_client_secret_basic", "authorize_without_par",
			"par_signed_request_object", "par_unsigned_request_object", "par_expired_request_object"},
	})
	require.Nil(t, res.Error, "the flow: %s", res.raw)

	assert.Equal(t, []string{"client_id", "request_uri"}, res.AuthorizeParams, "after PAR the browser carries only client_id and request_uri")
	assert.Subset(t, res.CallbackParams, []string{"code", "state", "iss"}, "RFC 9207: iss in the authorization response")
	assert.True(t, strings.EqualFold(res.TokenType, "dpop"), "fapi2 tokens are DPoP-bound: %s", res.TokenType)
	assert.Equal(t, e.gatewayURL, res.IDToken["iss"])
	assert.Equal(t, assurance.ACR2, res.IDToken["acr"], "a bank gets level 2")
	assert.Equal(t, "Nguyễn Văn An", res.Userinfo["name"])
	assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
	assert.Equal(t, res.IDToken["sub"], res.Userinfo["sub"])
	assert.NotContains(t, res.raw, biometrics.SentinelPrefix, "no biometric data reaches the bank")
	require.NotNil(t, res.Refreshed, "refreshed: %s", res.raw)
	assert.Equal(t, res.IDToken["sub"], res.Refreshed["userinfo_sub"])

	// FAPI 2.0 §5.3.2.1: outside PAR the request is refused, back at the
	// bank (its redirect_uri is registered).
	outside := res.Probes["authorize_without_par"]
	assert.Equal(t, http.StatusSeeOther, outside.Status, "%+v", outside)
	assert.Equal(t, bk.redirect, outside.Location, "%+v", outside)
	assert.Equal(t, "invalid_request", outside.LocationError, "%+v", outside)
	// RFC 9101: a hand-made request object is accepted at PAR, and refused
	// unsigned (alg none) or past its exp.
	p := res.Probes
	assert.Equal(t, http.StatusCreated, p["par_signed_request_object"].Status, "%+v", p["par_signed_request_object"])
	for _, name := range []string{"par_unsigned_request_object", "par_expired_request_object"} {
		assert.Equal(t, http.StatusBadRequest, p[name].Status, "%s: %+v", name, p[name])
		assert.Equal(t, "invalid_request_object", p[name].Error, "%s: %+v", name, p[name])
	}
	// A client secret, whatever it is, is refused.
	for _, name := range []string{"par_client_secret", "token_client_secret_basic"} {
		p := res.Probes[name]
		assert.Equal(t, 401, p.Status, "%s: %+v", name, p)
		assert.Equal(t, "invalid_client", p.Error, "%s: %+v", name, p)
	}
}

// bankDPoP: the fapi2 bank's tokens are DPoP-bound (RFC 9449), refreshed
// ones too; each wrong proof is refused for its one fault with the error,
// challenge and fresh nonce RFC 9449 asks for, and a correct hand-made one
// is accepted.
func bankDPoP(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-dpop-only", map[string]any{"profile": oidc.ProfileFAPI2})
	res := bankRun(t, e, b, bk, map[string]any{
		"dpop":    true,
		"refresh": true,
		"probes": []string{
			"userinfo_ok", "userinfo_bearer", "userinfo_other_url", "userinfo_other_method",
			"userinfo_replayed_jti", "userinfo_stale_iat", "userinfo_no_nonce", "userinfo_old_nonce",
			"userinfo_wrong_ath", "token_no_nonce", "refresh_other_key",
		},
	})
	require.Nil(t, res.Error, "the flow: %s", res.raw)
	assert.True(t, strings.EqualFold(res.TokenType, "DPoP"), "token_type %q", res.TokenType)
	require.NotNil(t, res.Refreshed)
	assert.True(t, strings.EqualFold(res.Refreshed["token_type"].(string), "DPoP"), "refreshed: %v", res.Refreshed)

	p := res.Probes
	assert.Equal(t, 200, p["userinfo_ok"].Status, "a correct hand-made proof: %+v", p["userinfo_ok"])
	assert.Equal(t, 200, p["userinfo_replayed_jti"].FirstStatus, "the proof, the first time")
	for name, want := range map[string]struct {
		status int
		code   string
	}{
		"userinfo_bearer":       {401, "invalid_token"},
		"userinfo_other_url":    {401, "invalid_dpop_proof"},
		"userinfo_other_method": {401, "invalid_dpop_proof"},
		"userinfo_replayed_jti": {401, "invalid_dpop_proof"},
		"userinfo_stale_iat":    {401, "invalid_dpop_proof"},
		"userinfo_no_nonce":     {401, "use_dpop_nonce"},
		"userinfo_old_nonce":    {401, "use_dpop_nonce"},
		"userinfo_wrong_ath":    {401, "invalid_dpop_proof"},
		"token_no_nonce":        {400, "use_dpop_nonce"},
		"refresh_other_key":     {400, "invalid_dpop_proof"},
	} {
		got := p[name]
		assert.Equal(t, want.status, got.Status, "%s: %+v", name, got)
		assert.Equal(t, want.code, got.Error, "%s: %+v", name, got)
		if strings.HasPrefix(name, "userinfo_") {
			assert.True(t, strings.HasPrefix(got.WWWAuthenticate, `DPoP algs="ES256 PS256 EdDSA", error="`+want.code+`"`), "%s: WWW-Authenticate %q", name, got.WWWAuthenticate)
		}
		if strings.HasSuffix(name, "_nonce") {
			assert.True(t, got.DPoPNonce, "%s: a fresh DPoP-Nonce comes with the refusal", name)
		}
	}
}

// bankWithoutDPoP: a fapi2 bank that does not prove possession of a key
// at the token endpoint gets no tokens (FAPI 2.0 §5.3.2.1: sender-constrained
// tokens only).
func bankWithoutDPoP(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-no-dpop", nil)
	res := bankRun(t, e, b, bk, map[string]any{"dpop": false})
	require.NotNil(t, res.Error, "tokens without DPoP: %s", res.raw)
	assert.Equal(t, "invalid_dpop_proof", res.Error["error"], "%s", res.raw)
	assert.EqualValues(t, http.StatusBadRequest, res.Error["status"], "%s", res.raw)
	assert.Empty(t, res.TokenType)
}

// bankEncryptedResponses: the bank's ID token and userinfo are encrypted
// to its key, and openid-client decrypts them with the private key, for
// each supported pair of algorithm and encryption.
func bankEncryptedResponses(t *testing.T, e *env, b *browser) {
	for _, alg := range []string{"RSA-OAEP-256", "ECDH-ES+A256KW", "ECDH-ES"} {
		for _, enc := range []string{"A256GCM", "A128CBC-HS256"} {
			t.Run(alg+"_"+enc, func(t *testing.T) {
				key := newBankKey(t, alg, "enc")
				id := "bank-" + strings.ToLower(strings.NewReplacer("+", "-", "_", "-").Replace(alg+"-"+enc))
				bk := newBank(t, e, id, map[string]any{
					"profile":                         oidc.ProfileFAPI2,
					"id_token_encrypted_response_alg": alg,
					"id_token_encrypted_response_enc": enc,
					"userinfo_signed_response_alg":    "ES256",
					"userinfo_encrypted_response_alg": alg,
					"userinfo_encrypted_response_enc": enc,
				}, key)
				res := bankRun(t, e, b.on(t), bk, map[string]any{
					"dpop":    true, // fapi2: sender-constrained tokens
					"decrypt": map[string]any{"keys": []any{key.priv}, "enc": []string{enc}},
					"metadata": map[string]any{
						"userinfo_signed_response_alg": "ES256",
					},
				})
				require.Nil(t, res.Error, "the flow: %s", res.raw)
				assert.True(t, res.IDTokenDecrypt, "the ID token came encrypted")
				assert.True(t, res.UserinfoDecrypt, "userinfo came encrypted")
				assert.Equal(t, e.gatewayURL, res.IDToken["iss"])
				assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
			})
		}
	}
}

// bankPS256: a bank whose key is RSA signs its client assertions and its
// request object with PS256, the other algorithm FAPI 2.0 allows.
func bankPS256(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-ps256", map[string]any{"token_endpoint_auth_signing_alg": "PS256", "request_object_signing_alg": "PS256"})
	require.Equal(t, "PS256", bk.sig.priv.Algorithm)
	res := bankRun(t, e, b, bk, map[string]any{"dpop": true, "jar": true})
	require.Nil(t, res.Error, "the flow: %s", res.raw)
	assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
}

// bankJARAndJARM: openid-client signs the authorization request (JAR
// by value, pushed), and decodes a JWT-secured authorization response
// (JARM).
func bankJARAndJARM(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-jarm", map[string]any{
		"profile":                           oidc.ProfileFAPI2,
		"request_object_signing_alg":        "ES256",
		"authorization_signed_response_alg": "ES256",
	})
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		back []string
	}{
		{"jar", map[string]any{"dpop": true, "jar": true}, []string{"code", "iss", "state"}},
		{"jarm", map[string]any{"dpop": true, "jarm": true}, []string{"response"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := bankRun(t, e, b.on(t), bk, tc.cfg)
			require.Nil(t, res.Error, "the flow: %s", res.raw)
			assert.Equal(t, tc.back, res.CallbackParams)
			assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
		})
	}
}
