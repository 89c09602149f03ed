package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const reportsAPI = "https://api.example/reports"

// jwksOver fetches the JWKS over HTTP, as a resource server does.
func jwksOver(t *testing.T, e *env) jose.JSONWebKeySet {
	t.Helper()
	resp, err := e.Server.Client().Get(e.Server.URL + oidc.PathJWKS)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	return set
}

// verifyAT validates a JWT access token as RFC 9068 §4 tells a resource
// server to, independently of the gateway's code: ES256 by a key of the
// JWKS named by kid, typ at+jwt; it returns the claims.
func verifyAT(t *testing.T, set jose.JSONWebKeySet, token string) map[string]any {
	t.Helper()
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Len(t, obj.Signatures, 1)
	h := obj.Signatures[0].Protected
	assert.Equal(t, "at+jwt", h.ExtraHeaders[jose.HeaderType], "RFC 9068 §2.1 typ")
	assert.Equal(t, "ES256", h.Algorithm)
	require.NotEmpty(t, h.KeyID)
	keys := set.Key(h.KeyID)
	require.Len(t, keys, 1, "the kid is in the JWKS")
	payload, err := obj.Verify(keys[0].Public())
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return claims
}

// ccClient is a client-credentials client; post form-posts as it.
type ccClient struct {
	e   *env
	reg registered
}

func (m ccClient) post(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, m.e.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(m.reg.ID), url.QueryEscape(m.reg.Secret))
	resp, err := m.e.Server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

func (m ccClient) introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	st, out := m.post(t, oidc.PathIntrospect, url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, st, out)
	return out
}

// token fetches a client-credentials token with x/oauth2.
func (m ccClient) token(t *testing.T, params url.Values) *oauth2.Token {
	t.Helper()
	cc := clientcredentials.Config{ClientID: m.reg.ID, ClientSecret: m.reg.Secret,
		TokenURL: m.e.Server.URL + oidc.PathToken, Scopes: []string{"reports.read"}, EndpointParams: params,
		AuthStyle: oauth2.AuthStyleInHeader}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, m.e.Server.Client())
	tok, err := cc.Token(ctx)
	require.NoError(t, err)
	return tok
}

func tokenRows(t *testing.T, e *env, clientID string) int {
	t.Helper()
	var n int
	require.NoError(t, e.DB.QueryRow(t.Context(), `SELECT count(*) FROM oidc_requests WHERE client_id = $1`, clientID).Scan(&n))
	return n
}

// A client-credentials JWT access token: RFC 9068 claims verified against
// the JWKS fetched over HTTP, no token row, the issuance audited; the
// gateway's introspection accepts it and refuses it expired, tampered,
// signed by an unknown key, revoked or asked about by another client.
func TestJWTAccessTokenClientCredentials(t *testing.T) {
	e := newEnv(t)
	m := ccClient{e: e, reg: e.Register(oidc.Client{ID: "reports-batch", GrantTypes: []string{oidc.GrantClientCredentials},
		Scopes: []string{"reports.read"}, AccessTokenFormat: oidc.AccessTokenJWT, AccessTokenAudience: []string{reportsAPI}})}
	e.Audit.Reset()

	tok := m.token(t, url.Values{"resource": {reportsAPI}})
	assert.Equal(t, "Bearer", tok.Type())
	assert.InDelta(t, 300, time.Until(tok.Expiry).Seconds(), 5, "five minutes by default")
	set := jwksOver(t, e)
	claims := verifyAT(t, set, tok.AccessToken)
	assert.Equal(t, e.Server.URL, claims["iss"])
	assert.Equal(t, reportsAPI, claims["aud"])
	assert.Equal(t, "reports-batch", claims["sub"], "RFC 9068 §2.2: the client is the subject")
	assert.Equal(t, "reports-batch", claims["client_id"])
	assert.Equal(t, "reports.read", claims["scope"])
	assert.NotEmpty(t, claims["jti"])
	assert.InDelta(t, 300, claims["exp"].(float64)-claims["iat"].(float64), 1)
	assert.NotContains(t, claims, "acr", "no citizen")
	assert.NotContains(t, claims, "auth_time")

	assert.Zero(t, tokenRows(t, e, "reports-batch"), "no token row at all")
	issued := e.Audit.Of(audit.TokenIssued)
	require.Len(t, issued, 1, "the issuance is audited")
	assert.Equal(t, "reports-batch", issued[0].ClientID)
	assert.Equal(t, oidc.GrantClientCredentials, issued[0].Detail["grant_type"])
	assert.Equal(t, "jwt", issued[0].Detail["access_token_format"])

	in := m.introspect(t, tok.AccessToken)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, "reports-batch", in["client_id"])
	assert.Equal(t, "reports.read", in["scope"])
	assert.Equal(t, reportsAPI, in["aud"])
	assert.Equal(t, claims["jti"], in["jti"])
	assert.Equal(t, claims["exp"], in["exp"])

	// Without resource: the registered resource servers.
	assert.Equal(t, reportsAPI, verifyAT(t, set, m.token(t, nil).AccessToken)["aud"])
	st, out := m.post(t, oidc.PathToken, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://evil.example/"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_target", out["error"], "RFC 8707 §2: an unregistered resource")

	// Not a citizen's token: userinfo has nothing for it.
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+oidc.PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := e.Server.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Tampered: another scope under the same signature; a broken signature.
	parts := strings.Split(tok.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"reports.read"`, `"reports.write"`, 1)
	require.NotEqual(t, string(payload), forged)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	assert.Equal(t, false, m.introspect(t, strings.Join(parts, "."))["active"], "tampered claims")
	sig := []byte(tok.AccessToken)
	sig[len(sig)-2] ^= 'A' ^ 'B'
	assert.Equal(t, false, m.introspect(t, string(sig))["active"], "tampered signature")

	// Signed by a key the gateway does not have, with a kid it publishes.
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	kid := set.Keys[0].KeyID
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: stranger},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", kid))
	require.NoError(t, err)
	obj, err := signer.Sign(payload)
	require.NoError(t, err)
	fake, err := obj.CompactSerialize()
	require.NoError(t, err)
	assert.Equal(t, false, m.introspect(t, fake)["active"], "another key")
	signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: stranger},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "es256-unknown"))
	require.NoError(t, err)
	obj, err = signer.Sign(payload)
	require.NoError(t, err)
	fake, err = obj.CompactSerialize()
	require.NoError(t, err)
	assert.Equal(t, false, m.introspect(t, fake)["active"], "unknown kid")

	// Another client asks: not its token.
	other := ccClient{e: e, reg: e.Register(oidc.Client{ID: "other-batch", GrantTypes: []string{oidc.GrantClientCredentials},
		Scopes: []string{"reports.read"}})}
	assert.Equal(t, false, other.introspect(t, tok.AccessToken)["active"])
	// RFC 7009 §2.1: only its own client revokes it (fosite answers 200
	// either way, as for an opaque token, not to tell what exists).
	other.post(t, oidc.PathRevoke, url.Values{"token": {tok.AccessToken}})
	assert.Equal(t, true, m.introspect(t, tok.AccessToken)["active"], "another client cannot revoke it")

	// Revoked (RFC 7009): the gateway's introspection refuses it at once;
	// another token of the client is untouched.
	second := m.token(t, nil)
	st, _ = m.post(t, oidc.PathRevoke, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}})
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, false, m.introspect(t, tok.AccessToken)["active"], "revoked")
	assert.Equal(t, true, m.introspect(t, second.AccessToken)["active"])
	assert.Zero(t, tokenRows(t, e, "reports-batch"), "still no token row")

	// Expired: past exp the gateway refuses it.
	e.Clock.Advance(5*time.Minute + time.Second)
	assert.Equal(t, false, m.introspect(t, second.AccessToken)["active"], "expired")
}

// An opaque client (the default) is unchanged: HMAC tokens with a row.
func TestOpaqueClientCredentialsUnchanged(t *testing.T) {
	e := newEnv(t)
	m := ccClient{e: e, reg: e.Register(oidc.Client{ID: "opaque-batch", GrantTypes: []string{oidc.GrantClientCredentials},
		Scopes: []string{"reports.read"}})}
	tok := m.token(t, url.Values{"resource": {reportsAPI}})
	assert.Equal(t, 1, strings.Count(tok.AccessToken, "."), "an HMAC token, not a JWT")
	assert.Equal(t, 1, tokenRows(t, e, "opaque-batch"))
	assert.InDelta(t, 600, time.Until(tok.Expiry).Seconds(), 5, "the provider's lifespan")
	in := m.introspect(t, tok.AccessToken)
	assert.Equal(t, true, in["active"])
	assert.NotContains(t, in, "jti")
	assert.NotContains(t, in, "aud")
}

// A citizen's JWT access token (code flow): RFC 9068 claims with the ID
// token's sub, acr and auth_time and no attribute; userinfo and
// introspection accept it, and a locked account kills it at once at the
// gateway.
func TestJWTAccessTokenCodeFlowAndLock(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "offline_access"},
		AccessTokenFormat: oidc.AccessTokenJWT, AccessTokenLifetime: 120})
	r := e.RP(reg, "openid", "profile", "personal_id", "offline_access")
	f := r.Login(e.Browser())

	claims := verifyAT(t, jwksOver(t, e), f.Token.AccessToken)
	assert.Equal(t, f.Sub, claims["sub"], "the ID token's (pairwise) sub")
	assert.Equal(t, reg.ID, claims["aud"], "no resource: the client")
	assert.Equal(t, reg.ID, claims["client_id"])
	assert.Equal(t, assurance.ACR2, claims["acr"])
	assert.Equal(t, f.Claims["auth_time"], claims["auth_time"])
	assert.InDelta(t, 120, claims["exp"].(float64)-claims["iat"].(float64), 1, "the client's lifetime")
	for name := range claims {
		assert.Contains(t, []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti", "scope", "acr", "auth_time"}, name,
			"never an attribute in the token")
	}
	assert.NotContains(t, f.Token.AccessToken, biometrics.PortraitSentinel(c.PersonalID))

	st, info, body := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, st, body)
	assert.Equal(t, f.Sub, info["sub"])
	assert.Equal(t, c.Person.FullName, info["name"])
	in := r.Introspect(f.Token.AccessToken)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, f.Sub, in["sub"])
	assert.Equal(t, claims["jti"], in["jti"])

	// Refreshed: another JWT.
	tok, err := r.Refresh(f.Token.RefreshToken)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(tok.AccessToken, "."))
	assert.Equal(t, false, r.Introspect(f.Token.AccessToken)["active"], "the rotated grant's old access token is gone")
	st, _, _ = r.Userinfo(tok.AccessToken)
	require.Equal(t, http.StatusOK, st)

	_, err = e.Accounts.Update(t.Context(), c.AccountID, func(rec *accounts.Record) error {
		rec.Status, rec.LockReason = accounts.Locked, "lost phone"
		return nil
	})
	require.NoError(t, err)
	st, _, _ = r.Userinfo(tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st, "a lock kills the token at once")
	assert.Equal(t, false, r.Introspect(tok.AccessToken)["active"])
}

// A resource indicator named at the token endpoint (RFC 8707 §2.2) is the
// aud of the JWT access token, and of the ones the refresh token brings.
func TestJWTAccessTokenResourceSurvivesRefresh(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "offline_access"}, AccessTokenFormat: oidc.AccessTokenJWT,
		AccessTokenAudience: []string{reportsAPI, "https://api.example/tax"}})
	r := e.RP(reg, "openid", "offline_access")
	verifier, nonce := oauth2.GenerateVerifier(), "nonce-0123456789"
	resp, body := e.Visit(e.Browser(), r.AuthURL(verifier, nonce))
	q := callback(t, resp, body)
	tok, err := r.Conf.Exchange(r.Ctx, q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("resource", reportsAPI))
	require.NoError(t, err)
	set := jwksOver(t, e)
	assert.Equal(t, reportsAPI, verifyAT(t, set, tok.AccessToken)["aud"])
	refreshed, err := r.Refresh(tok.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, reportsAPI, verifyAT(t, set, refreshed.AccessToken)["aud"])
}

// A DPoP-bound client-credentials JWT carries cnf.jkt (RFC 9449 §6.1), and
// the gateway's introspection reports the binding, without a row.
func TestJWTAccessTokenDPoPBound(t *testing.T) {
	e := newEnv(t)
	reg := machineClient(e, oidc.Client{GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"},
		AccessTokenFormat: oidc.AccessTokenJWT})
	d := newDPoPRP(t, e.RP(reg))
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}}
	d.token(form, d.proof(http.MethodPost, oidc.PathToken, "")) // learns the nonce
	a := d.token(form, d.proof(http.MethodPost, oidc.PathToken, ""))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "DPoP", a.body["token_type"])
	token := a.body["access_token"].(string)
	claims := verifyAT(t, jwksOver(t, e), token)
	assert.Equal(t, map[string]any{"jkt": d.prover.JKT()}, claims["cnf"])
	in := d.Introspect(token)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, map[string]any{"jkt": d.prover.JKT()}, in["cnf"])
	assert.Equal(t, "DPoP", in["token_type"])
	assert.Zero(t, tokenRows(t, e, reg.ID))
}
