//go:build bankfeatures

package browsertest_test

// The bank tests of features still being built (issue 12): they run with
// `go test -tags bankfeatures` until each feature lands, then move to
// bank_test.go.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

func init() {
	bankFeatureCases = append(bankFeatureCases,
		bankCase{"dpop", bankDPoPRefusals},
	)
}

// bankDPoPRefusals: the fapi2 bank's tokens are DPoP-bound (RFC 9449);
// each wrong proof is refused for its one fault, a correct hand-made one is
// accepted.
func bankDPoPRefusals(t *testing.T, e *env, b *browser) {
	bk := newBank(t, e, "bank-dpop", map[string]any{"profile": oidc.ProfileFAPI2})
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
	assert.Equal(t, population.DemoLevel2ID, res.Userinfo["personal_id_number"])
	require.NotNil(t, res.Refreshed)
	assert.True(t, strings.EqualFold(res.Refreshed["token_type"].(string), "DPoP"), "refreshed: %v", res.Refreshed)

	p := res.Probes
	assert.Equal(t, http.StatusOK, p["userinfo_ok"].Status, "a correct hand-made proof: %+v", p["userinfo_ok"])
	assert.Equal(t, http.StatusOK, p["userinfo_replayed_jti"].FirstStatus, "the proof, the first time")
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
		if strings.HasPrefix(name, "userinfo_") && name != "userinfo_bearer" {
			assert.True(t, strings.HasPrefix(got.WWWAuthenticate, "DPoP "), "%s: WWW-Authenticate %q", name, got.WWWAuthenticate)
		}
		if strings.HasSuffix(name, "_nonce") {
			assert.True(t, got.DPoPNonce, "%s: a fresh DPoP-Nonce comes with the refusal", name)
		}
	}
}
