package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// The whole gateway, with the real audit trail: a client-credentials JWT
// access token (RFC 9068) writes no token row, only its audit event, and
// verifies against the JWKS served over HTTP.
func TestJWTAccessTokenClientCredentialsAudited(t *testing.T) {
	srv, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	reg, secret, err := g.Clients.Create(ctx, "test", oidc.Client{ID: "tax-sync", Name: oidc.Text{VI: "Đồng bộ thuế"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"tax.read"}, AccessTokenFormat: oidc.AccessTokenJWT})
	require.NoError(t, err)

	cc := clientcredentials.Config{ClientID: reg.ID, ClientSecret: secret, TokenURL: srv.URL + oidc.PathToken,
		Scopes: []string{"tax.read"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, srv.Client()))
	require.NoError(t, err)

	resp, err := srv.Client().Get(srv.URL + oidc.PathJWKS)
	require.NoError(t, err)
	var set jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	resp.Body.Close()
	obj, err := jose.ParseSigned(tok.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	h := obj.Signatures[0].Protected
	assert.Equal(t, "at+jwt", h.ExtraHeaders[jose.HeaderType])
	keys := set.Key(h.KeyID)
	require.Len(t, keys, 1)
	payload, err := obj.Verify(keys[0].Public())
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	assert.Equal(t, "tax-sync", claims["client_id"])
	assert.Equal(t, "tax-sync", claims["sub"])
	assert.Equal(t, "tax.read", claims["scope"])

	var rows, events int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM oidc_requests WHERE client_id = $1`, reg.ID).Scan(&rows))
	assert.Zero(t, rows, "no token row")
	require.NoError(t, db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE type = 'token.issued' AND client_id = $1
		AND detail->>'grant_type' = 'client_credentials' AND detail->>'access_token_format' = 'jwt'`, reg.ID).Scan(&events))
	assert.Equal(t, 1, events, "the issuance is in the audit trail once acknowledged")

	req, _ := http.NewRequest(http.MethodGet, srv.URL+oidc.PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a client's token reads no citizen")
}
