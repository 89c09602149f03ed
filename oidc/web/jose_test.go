package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// encKeys are a relying party's decryption keys: one RSA and one P-256 key,
// published with use "enc".
type encKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

var testEncKeys = sync.OnceValue(func() encKeys {
	return encKeys{rsa: must(rsa.GenerateKey(rand.Reader, 2048)), ec: must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))}
})

// public is the JWKS a relying party registers: both keys for encryption
// and, to show that a signing key is never picked, a signature key.
func (k encKeys) public() []byte {
	sig := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	return must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: sig.Public(), KeyID: "rp-sig", Use: "sig", Algorithm: "ES256"},
		{Key: k.rsa.Public(), KeyID: "rp-rsa-enc", Use: "enc"},
		{Key: k.ec.Public(), KeyID: "rp-ec-enc", Use: "enc"},
	}}))
}

func (k encKeys) private(alg string) (crypto.PrivateKey, string) {
	if alg == oidc.RSAOAEP256 {
		return k.rsa, "rp-rsa-enc"
	}
	return k.ec, "rp-ec-enc"
}

// decrypt opens a compact JWE as the relying party would (go-jose, not the
// gateway's code): it checks the header's alg, enc, kid and cty and returns
// the plaintext.
func decrypt(t *testing.T, k encKeys, token, alg, enc, cty string) []byte {
	t.Helper()
	require.Equal(t, 4, strings.Count(token, "."), "a compact JWE has five parts: %s", token)
	obj, err := jose.ParseEncrypted(token, []jose.KeyAlgorithm{jose.KeyAlgorithm(alg)}, []jose.ContentEncryption{jose.ContentEncryption(enc)})
	require.NoError(t, err)
	priv, kid := k.private(alg)
	assert.Equal(t, kid, obj.Header.KeyID)
	got, _ := obj.Header.ExtraHeaders[jose.HeaderContentType].(string)
	assert.Equal(t, cty, got)
	plain, err := obj.Decrypt(priv)
	require.NoError(t, err)
	return plain
}

var encPairs = []struct{ alg, enc string }{
	{oidc.RSAOAEP256, oidc.A256GCM},
	{oidc.RSAOAEP256, oidc.A128CBCHS256},
	{oidc.ECDHESA256KW, oidc.A256GCM},
	{oidc.ECDHESA256KW, oidc.A128CBCHS256},
	{oidc.ECDHES, oidc.A256GCM},
	{oidc.ECDHES, oidc.A128CBCHS256},
}

// codeFlow runs the authorization request in browser b and redeems the
// code; it returns the raw token response.
func codeFlow(t *testing.T, e *env, r *rp, nonce string, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	resp, body := e.Visit(e.Browser(), r.AuthURL(verifier, nonce, opts...))
	q := callback(t, resp, body)
	require.Empty(t, q.Get("error"), "%v", q)
	tok, err := r.Conf.Exchange(r.Ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	return tok
}

// TestEncryptedIDTokenAndUserinfo: for each algorithm pair, the ID token is
// a JWE (cty JWT, the client's enc key id) whose payload is the provider's
// signed ID token, and userinfo is a signed-then-encrypted JWT with iss and
// aud; both open with the relying party's private key only.
func TestEncryptedIDTokenAndUserinfo(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	keys := testEncKeys()
	for _, p := range encPairs {
		t.Run(p.alg+"/"+p.enc, func(t *testing.T) {
			reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}, JWKS: keys.public(),
				ResponseSecurity: oidc.ResponseSecurity{
					IDTokenEncryptedResponseAlg: p.alg, IDTokenEncryptedResponseEnc: p.enc,
					UserinfoSignedResponseAlg: oidc.ES256, UserinfoEncryptedResponseAlg: p.alg, UserinfoEncryptedResponseEnc: p.enc,
				}})
			r := e.RP(reg, "openid", "profile")
			nonce := "nonce-" + p.alg + p.enc
			tok := codeFlow(t, e, r, nonce)
			raw, _ := tok.Extra("id_token").(string)
			inner := decrypt(t, keys, raw, p.alg, p.enc, "JWT")
			idt, err := r.Verifier.Verify(r.Ctx, string(inner))
			require.NoError(t, err, "the inner JWS verifies with the provider's JWKS")
			assert.Equal(t, nonce, idt.Nonce)

			status, hdr, body := userinfoRaw(t, e, tok.AccessToken)
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, "application/jwt", hdr.Get("Content-Type"))
			jws := decrypt(t, keys, body, p.alg, p.enc, "JWT")
			claims := verifyJWS(t, e, string(jws))
			assert.Equal(t, idt.Subject, claims["sub"])
			assert.Equal(t, e.Server.URL, claims["iss"])
			assert.Equal(t, reg.ID, claims["aud"])
			assert.Equal(t, "Nguyễn Văn An", claims["name"])
		})
	}
}

// TestSignedAndEncryptedOnlyUserinfo: userinfo signed but not encrypted is a
// JWS; encrypted but not signed is the JSON encrypted (no cty, OIDC Core
// §5.3.2); a client that registered neither keeps JSON.
func TestSignedAndEncryptedOnlyUserinfo(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	keys := testEncKeys()

	signed := e.Register(oidc.Client{ResponseSecurity: oidc.ResponseSecurity{UserinfoSignedResponseAlg: oidc.RS256}})
	tok := codeFlow(t, e, e.RP(signed), oidctest.NewNonce())
	status, hdr, body := userinfoRaw(t, e, tok.AccessToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "application/jwt", hdr.Get("Content-Type"))
	claims := verifyJWS(t, e, body)
	assert.Equal(t, signed.ID, claims["aud"])
	assert.Equal(t, e.Server.URL, claims["iss"])
	assert.NotEmpty(t, claims["sub"])

	encOnly := e.Register(oidc.Client{JWKS: keys.public(), ResponseSecurity: oidc.ResponseSecurity{UserinfoEncryptedResponseAlg: oidc.ECDHESA256KW}})
	assert.Equal(t, oidc.A128CBCHS256, encOnly.UserinfoEncryptedResponseEnc, "enc defaults to A128CBC-HS256 (OIDC Registration §2)")
	tok = codeFlow(t, e, e.RP(encOnly), oidctest.NewNonce())
	_, err := e.RP(encOnly).Verifier.Verify(t.Context(), tok.Extra("id_token").(string))
	require.NoError(t, err, "the ID token stays a plain JWS when only userinfo is encrypted")
	status, hdr, body = userinfoRaw(t, e, tok.AccessToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "application/jwt", hdr.Get("Content-Type"))
	var m map[string]any
	require.NoError(t, json.Unmarshal(decrypt(t, keys, body, oidc.ECDHESA256KW, oidc.A128CBCHS256, ""), &m))
	assert.NotEmpty(t, m["sub"])
	assert.NotContains(t, m, "iss", "unsigned userinfo is the plain claims")

	plain := e.Register(oidc.Client{})
	tok = codeFlow(t, e, e.RP(plain), oidctest.NewNonce())
	status, hdr, body = userinfoRaw(t, e, tok.AccessToken)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
}

// TestEncryptionKeyFromJWKSURI: the enc key comes from the client's
// jwks_uri (cached by fosite's fetcher), and a rotated-in key is fetched
// again when the cached set has none for the algorithm. With no usable key
// at all the token request fails with server_error and the grant's tokens
// are revoked.
func TestEncryptionKeyFromJWKSURI(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	keys := testEncKeys()
	var published atomic.Pointer[[]byte]
	publish := func(b []byte) { published.Store(&b) }
	var fetches atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		if r.URL.Path == "/sig-only" {
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys.rsa.Public(), KeyID: "sig-only", Use: "sig"}}})
			return
		}
		_, _ = w.Write(*published.Load())
	}))
	t.Cleanup(srv.Close)
	hc := retryablehttp.NewClient()
	hc.HTTPClient, hc.RetryMax, hc.Logger = srv.Client(), 0, nil
	e.Provider.FositeConfig.JWKSFetcherStrategy = fosite.NewDefaultJWKSFetcherStrategy(fosite.JWKSFetcherWithHTTPClient(hc))

	// Only the RSA key at first.
	publish(must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys.rsa.Public(), KeyID: "rp-rsa-enc", Use: "enc"}}})))
	reg := e.Register(oidc.Client{JWKSURI: srv.URL + "/jwks", ResponseSecurity: oidc.ResponseSecurity{
		IDTokenEncryptedResponseAlg: oidc.RSAOAEP256, IDTokenEncryptedResponseEnc: oidc.A256GCM}})
	r := e.RP(reg)
	tok := codeFlow(t, e, r, oidctest.NewNonce())
	inner := decrypt(t, keys, tok.Extra("id_token").(string), oidc.RSAOAEP256, oidc.A256GCM, "JWT")
	_, err := r.Verifier.Verify(r.Ctx, string(inner))
	require.NoError(t, err)

	// The client moves to ECDH-ES and publishes an EC key: fetched again.
	publish(keys.public())
	_, err = e.Clients.Update(t.Context(), "test", reg.ID, func(c *oidc.Client) error {
		c.IDTokenEncryptedResponseAlg = oidc.ECDHES
		return nil
	})
	require.NoError(t, err)
	before := fetches.Load()
	tok = codeFlow(t, e, r, oidctest.NewNonce())
	decrypt(t, keys, tok.Extra("id_token").(string), oidc.ECDHES, oidc.A256GCM, "JWT")
	assert.Greater(t, fetches.Load(), before, "the cached set had no EC key: fetched again")

	// No usable key at the jwks_uri: server_error, and no token leaves.
	none := e.Register(oidc.Client{JWKSURI: srv.URL + "/sig-only", ResponseSecurity: oidc.ResponseSecurity{
		IDTokenEncryptedResponseAlg: oidc.RSAOAEP256}})
	r = e.RP(none)
	verifier := oauth2.GenerateVerifier()
	resp, body := e.Visit(e.Browser(), r.AuthURL(verifier, oidctest.NewNonce()))
	q := callback(t, resp, body)
	status, out, raw := r.Post(oidc.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {r.Conf.RedirectURL}, "code_verifier": {verifier}})
	assert.Equal(t, http.StatusInternalServerError, status, raw)
	assert.Equal(t, "server_error", out["error"])
	assert.NotContains(t, raw, "access_token")

	// Userinfo to encrypt with no usable key: server_error, no claims.
	uiNone := e.Register(oidc.Client{JWKSURI: srv.URL + "/sig-only", ResponseSecurity: oidc.ResponseSecurity{
		UserinfoEncryptedResponseAlg: oidc.ECDHES}})
	tok = codeFlow(t, e, e.RP(uiNone), oidctest.NewNonce())
	st, _, uiBody := userinfoRaw(t, e, tok.AccessToken)
	assert.Equal(t, http.StatusInternalServerError, st, uiBody)
	assert.Contains(t, uiBody, `"error":"server_error"`)
	assert.NotContains(t, uiBody, "sub")
}

// TestResponseSecurityRegistration: bad algorithms, an enc without alg and
// encryption without a key to encrypt to are refused at registration.
func TestResponseSecurityRegistration(t *testing.T) {
	e := newEnv(t)
	keys := testEncKeys()
	sigOnly := must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys.rsa.Public(), KeyID: "s", Use: "sig"}}}))
	ecOnly := must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys.ec.Public(), KeyID: "e", Use: "enc"}}}))
	for _, tc := range []struct {
		name string
		c    oidc.Client
		want string
	}{
		{"unknown alg", oidc.Client{JWKS: keys.public(), ResponseSecurity: oidc.ResponseSecurity{IDTokenEncryptedResponseAlg: "RSA1_5"}}, "id_token_encrypted_response_alg \"RSA1_5\" is not supported"},
		{"unknown enc", oidc.Client{JWKS: keys.public(), ResponseSecurity: oidc.ResponseSecurity{UserinfoEncryptedResponseAlg: oidc.RSAOAEP256, UserinfoEncryptedResponseEnc: "A128GCM"}}, "userinfo_encrypted_response_enc \"A128GCM\" is not supported"},
		{"enc without alg", oidc.Client{ResponseSecurity: oidc.ResponseSecurity{IDTokenEncryptedResponseEnc: oidc.A256GCM}}, "id_token_encrypted_response_enc needs id_token_encrypted_response_alg"},
		{"no keys", oidc.Client{ResponseSecurity: oidc.ResponseSecurity{IDTokenEncryptedResponseAlg: oidc.ECDHES}}, "needs jwks or jwks_uri"},
		{"signing key only", oidc.Client{JWKS: sigOnly, ResponseSecurity: oidc.ResponseSecurity{IDTokenEncryptedResponseAlg: oidc.RSAOAEP256}}, "jwks has no RSA key with use \"enc\""},
		{"wrong key type", oidc.Client{JWKS: ecOnly, ResponseSecurity: oidc.ResponseSecurity{UserinfoEncryptedResponseAlg: oidc.RSAOAEP256}}, "jwks has no RSA key"},
		{"bad userinfo alg", oidc.Client{ResponseSecurity: oidc.ResponseSecurity{UserinfoSignedResponseAlg: "none"}}, "userinfo_signed_response_alg \"none\" is not supported"},
		{"bad jarm alg", oidc.Client{ResponseSecurity: oidc.ResponseSecurity{AuthorizationSignedResponseAlg: "HS256"}}, "authorization_signed_response_alg \"HS256\""},
		{"bad introspection alg", oidc.Client{ResponseSecurity: oidc.ResponseSecurity{IntrospectionSignedResponseAlg: "PS512"}}, "introspection_signed_response_alg \"PS512\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Name = oidc.Text{VI: "Ngân hàng"}
			tc.c.RedirectURIs = []string{oidctest.RedirectURI}
			_, _, err := e.Clients.Create(t.Context(), "test", tc.c)
			require.ErrorIs(t, err, oidc.ErrInvalidClient)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	// The admin API takes the same metadata by its wire names.
	body := `{"name":{"vi":"Ngân hàng"},"redirect_uris":["` + oidctest.RedirectURI + `"],"jwks":` + string(keys.public()) +
		`,"id_token_encrypted_response_alg":"ECDH-ES+A256KW","userinfo_signed_response_alg":"ES256","authorization_signed_response_alg":"ES256"}`
	req := must(http.NewRequest(http.MethodPost, e.Server.URL+"/admin/api/clients", strings.NewReader(body)))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp := must(e.Server.Client().Do(req))
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(out))
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, "ECDH-ES+A256KW", got["id_token_encrypted_response_alg"])
	assert.Equal(t, "A128CBC-HS256", got["id_token_encrypted_response_enc"])
	assert.Equal(t, "ES256", got["userinfo_signed_response_alg"])
}

// userinfoRaw calls userinfo with a bearer token: status, headers, body.
func userinfoRaw(t *testing.T, e *env, accessToken string) (int, http.Header, string) {
	t.Helper()
	req := must(http.NewRequest(http.MethodGet, e.Server.URL+oidc.PathUserinfo, nil))
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp := must(e.Server.Client().Do(req))
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// verifyJWS checks a compact JWS against the provider's published JWKS, as
// a relying party would, and returns its claims.
func verifyJWS(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(e.Keys.JWKS(), &set))
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	require.NoError(t, err)
	keys := set.Key(obj.Signatures[0].Header.KeyID)
	require.Len(t, keys, 1, "the kid is in the provider's JWKS")
	payload, err := obj.Verify(keys[0].Key)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	return m
}

// jarmResponse extracts the "response" JWT of a JARM answer in mode: from
// the redirect's query (jwt, query.jwt) or fragment (fragment.jwt), or from
// the form post page (form_post.jwt), which carries nothing else.
func jarmResponse(t *testing.T, resp *http.Response, body, mode string) string {
	t.Helper()
	if mode == "form_post.jwt" {
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, oidc.FormPostCSP, resp.Header.Get("Content-Security-Policy"))
		assert.Contains(t, body, `action="`+oidctest.RedirectURI+`"`)
		assert.Equal(t, 1, strings.Count(body, `<input type="hidden"`), "only the response parameter: %s", body)
		return between(body, `name="response" value="`, `"`)
	}
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := must(url.Parse(resp.Header.Get("Location")))
	require.Equal(t, "rp.example", loc.Host)
	q := loc.Query()
	if mode == "fragment.jwt" {
		assert.Empty(t, loc.RawQuery)
		q = must(url.ParseQuery(loc.Fragment))
	}
	require.Len(t, q, 1, "only the response parameter: %v", q)
	return q.Get("response")
}

// TestJARM: for every JWT response mode the authorization response is a JWT
// signed by the provider (its JWKS verifies it) with iss, aud, exp, code and
// state, and nothing else travels in the URL; the code redeems. Errors are
// JWTs too. An encrypting client gets the JWT nested in a JWE.
func TestJARM(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	keys := testEncKeys()
	reg := e.Register(oidc.Client{ResponseSecurity: oidc.ResponseSecurity{AuthorizationSignedResponseAlg: oidc.RS256}})
	r := e.RP(reg)
	for _, mode := range []string{"jwt", "query.jwt", "fragment.jwt", "form_post.jwt"} {
		t.Run(mode, func(t *testing.T) {
			verifier, nonce := oauth2.GenerateVerifier(), oidctest.NewNonce()
			resp, body := e.Visit(e.Browser(), r.AuthURL(verifier, nonce, oauth2.SetAuthURLParam("response_mode", mode)))
			jwt := jarmResponse(t, resp, body, mode)
			obj := must(jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.RS256}))
			assert.Equal(t, "RS256", obj.Signatures[0].Header.Algorithm, "the registered authorization_signed_response_alg")
			claims := verifyJWS(t, e, jwt)
			assert.Equal(t, e.Server.URL, claims["iss"])
			assert.Equal(t, reg.ID, claims["aud"])
			assert.Equal(t, oidctest.State, claims["state"])
			exp := int64(claims["exp"].(float64))
			assert.InDelta(t, e.Clock.Now().Add(oidc.JARMLifespan).Unix(), exp, 60)
			f := r.Redeem(url.Values{"code": {claims["code"].(string)}, "state": {claims["state"].(string)},
				"iss": {claims["iss"].(string)}}, verifier, nonce)
			assert.NotEmpty(t, f.Sub)
		})
	}
	t.Run("error", func(t *testing.T) {
		e.consent.refuse.Store(true)
		defer e.consent.refuse.Store(false)
		resp, body := e.Visit(e.Browser(), r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce(), oauth2.SetAuthURLParam("response_mode", "query.jwt")))
		claims := verifyJWS(t, e, jarmResponse(t, resp, body, "query.jwt"))
		assert.Equal(t, "access_denied", claims["error"])
		assert.Equal(t, oidctest.State, claims["state"])
		assert.Equal(t, reg.ID, claims["aud"])
		assert.NotContains(t, claims, "code")
	})
	t.Run("refused request", func(t *testing.T) {
		// A request error found after the redirect URI was validated (no
		// PKCE) goes back as a JWT too, by form post when asked.
		u := strings.Replace(r.Conf.AuthCodeURL(oidctest.State), "response_type=", "response_mode=form_post.jwt&response_type=", 1)
		resp, body := e.Visit(e.Browser(), u)
		claims := verifyJWS(t, e, jarmResponse(t, resp, body, "form_post.jwt"))
		assert.Equal(t, "invalid_request", claims["error"])
		assert.Contains(t, claims["error_description"], "code_challenge")
	})
	t.Run("unmet link", func(t *testing.T) {
		bank := e.RP(e.Register(oidc.Client{MinLevel: 2}))
		resp, body := e.Visit(e.Browser(), bank.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce(), oauth2.SetAuthURLParam("response_mode", "form_post.jwt")))
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		back := strings.ReplaceAll(between(body, `class="button" href="`, `"`), "&amp;", "&")
		u := must(url.Parse(back))
		assert.Equal(t, "rp.example", u.Host)
		require.Len(t, u.Query(), 1, "a link carries the JWT in the query: %s", back)
		claims := verifyJWS(t, e, u.Query().Get("response"))
		assert.Equal(t, "unmet_authentication_requirements", claims["error"])
	})
	t.Run("encrypted", func(t *testing.T) {
		enc := e.Register(oidc.Client{JWKS: keys.public(), ResponseSecurity: oidc.ResponseSecurity{
			AuthorizationEncryptedResponseAlg: oidc.ECDHESA256KW, AuthorizationEncryptedResponseEnc: oidc.A256GCM}})
		er := e.RP(enc)
		verifier, nonce := oauth2.GenerateVerifier(), oidctest.NewNonce()
		resp, body := e.Visit(e.Browser(), er.AuthURL(verifier, nonce, oauth2.SetAuthURLParam("response_mode", "jwt")))
		inner := decrypt(t, keys, jarmResponse(t, resp, body, "jwt"), oidc.ECDHESA256KW, oidc.A256GCM, "JWT")
		claims := verifyJWS(t, e, string(inner))
		assert.Equal(t, enc.ID, claims["aud"])
		er.Redeem(url.Values{"code": {claims["code"].(string)}, "state": {oidctest.State}, "iss": {e.Server.URL}}, verifier, nonce)
	})
	t.Run("pushed", func(t *testing.T) {
		verifier, nonce := oauth2.GenerateVerifier(), oidctest.NewNonce()
		form := url.Values{"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {oidctest.RedirectURI},
			"scope": {"openid"}, "state": {oidctest.State}, "nonce": {nonce}, "response_mode": {"fragment.jwt"},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		status, out, raw := r.Post(oidc.PathPAR, form)
		require.Equal(t, http.StatusCreated, status, raw)
		resp, body := e.Visit(e.Browser(), e.Server.URL+oidc.PathAuthorize+"?"+url.Values{"client_id": {reg.ID}, "request_uri": {out["request_uri"].(string)}}.Encode())
		claims := verifyJWS(t, e, jarmResponse(t, resp, body, "fragment.jwt"))
		r.Redeem(url.Values{"code": {claims["code"].(string)}, "state": {oidctest.State}, "iss": {e.Server.URL}}, verifier, nonce)
	})
}

// TestUnknownResponseModeRefused: a response mode the gateway does not know
// is refused before the redirect URI is trusted: an error page, no redirect
// (fosite parses response_mode first). fragment and form_post, which the
// code flow's answers here do not use, are refused to the relying party.
func TestUnknownResponseModeRefused(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.RP(e.Register(oidc.Client{}))
	for _, mode := range []string{"jwt.query", "JWT", "query.jwt.jwt", "web_message"} {
		resp, body := e.Visit(e.Browser(), r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce(), oauth2.SetAuthURLParam("response_mode", mode)))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, mode)
		assert.Empty(t, resp.Header.Get("Location"), mode)
		assert.Contains(t, body, "unsupported_response_mode", mode)
	}
	resp, body := e.Visit(e.Browser(), r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce(), oauth2.SetAuthURLParam("response_mode", "fragment")))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := must(url.Parse(resp.Header.Get("Location")))
	assert.Equal(t, "unsupported_response_mode", must(url.ParseQuery(loc.Fragment)).Get("error"), "answered in the mode asked for")
}

// TestSignedIntrospection: a resource server that sends Accept:
// application/token-introspection+jwt gets the introspection response as a
// JWS typed token-introspection+jwt (RFC 9701) with iss, aud (itself), iat
// and token_introspection, signed with its introspection_signed_response_alg;
// other callers keep JSON, and errors stay JSON.
func TestSignedIntrospection(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{ResponseSecurity: oidc.ResponseSecurity{IntrospectionSignedResponseAlg: oidc.RS256}})
	r := e.RP(reg)
	f := r.Login(e.Browser())
	introspect := func(token, accept string) (*http.Response, string) {
		t.Helper()
		req := r.TokenRequest(oidc.PathIntrospect, url.Values{"token": {token}})
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp := must(e.Server.Client().Do(req))
		defer resp.Body.Close()
		return resp, string(must(io.ReadAll(resp.Body)))
	}
	resp, body := introspect(f.Token.AccessToken, "application/json;q=0.5, application/token-introspection+jwt")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, oidc.IntrospectionJWTType, resp.Header.Get("Content-Type"))
	obj := must(jose.ParseSigned(body, []jose.SignatureAlgorithm{jose.RS256}))
	assert.Equal(t, "token-introspection+jwt", obj.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])
	claims := verifyJWS(t, e, body)
	assert.Equal(t, e.Server.URL, claims["iss"])
	assert.Equal(t, reg.ID, claims["aud"])
	assert.NotZero(t, claims["iat"])
	ti, _ := claims["token_introspection"].(map[string]any)
	require.NotNil(t, ti, "%v", claims)
	assert.Equal(t, true, ti["active"])
	assert.Equal(t, f.Sub, ti["sub"])
	assert.Equal(t, reg.ID, ti["client_id"])

	// An inactive token: the same envelope around {"active": false}.
	resp, body = introspect("not-a-token", oidc.IntrospectionJWTType)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	claims = verifyJWS(t, e, body)
	assert.Equal(t, map[string]any{"active": false}, claims["token_introspection"])
	assert.Equal(t, reg.ID, claims["aud"])

	// No Accept (or JSON preferred): JSON as before.
	for _, accept := range []string{"", "application/json", "application/token-introspection+jwt;q=0.1, application/json"} {
		resp, body = introspect(f.Token.AccessToken, accept)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), accept)
		assert.Contains(t, body, `"active":true`)
	}

	// A resource server that registered encryption gets the JWS nested in a
	// JWE to its key.
	keys := testEncKeys()
	rs := e.Register(oidc.Client{JWKS: keys.public(), ResponseSecurity: oidc.ResponseSecurity{
		IntrospectionEncryptedResponseAlg: oidc.RSAOAEP256, IntrospectionEncryptedResponseEnc: oidc.A256GCM}})
	rsRP := e.RP(rs)
	f2 := rsRP.Login(e.Browser())
	req := rsRP.TokenRequest(oidc.PathIntrospect, url.Values{"token": {f2.Token.AccessToken}})
	req.Header.Set("Accept", oidc.IntrospectionJWTType)
	resp = must(e.Server.Client().Do(req))
	body = string(must(io.ReadAll(resp.Body)))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, oidc.IntrospectionJWTType, resp.Header.Get("Content-Type"))
	claims = verifyJWS(t, e, string(decrypt(t, keys, body, oidc.RSAOAEP256, oidc.A256GCM, "JWT")))
	assert.Equal(t, rs.ID, claims["aud"])
	assert.Equal(t, true, claims["token_introspection"].(map[string]any)["active"])

	// A client that failed to authenticate gets a JSON error whatever it accepts.
	req = r.TokenRequest(oidc.PathIntrospect, url.Values{"token": {f.Token.AccessToken}})
	req.SetBasicAuth(reg.ID, "wrong")
	req.Header.Set("Accept", oidc.IntrospectionJWTType)
	resp = must(e.Server.Client().Do(req))
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
}

// TestEncryptedIDTokenOnRefresh: the ID token of a refresh is encrypted too.
func TestEncryptedIDTokenOnRefresh(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	keys := testEncKeys()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "offline_access"}, JWKS: keys.public(),
		ResponseSecurity: oidc.ResponseSecurity{IDTokenEncryptedResponseAlg: oidc.RSAOAEP256, IDTokenEncryptedResponseEnc: oidc.A256GCM}})
	r := e.RP(reg, "openid", "offline_access")
	tok := codeFlow(t, e, r, oidctest.NewNonce())
	require.NotEmpty(t, tok.RefreshToken)
	status, out, body := r.Post(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	require.Equal(t, http.StatusOK, status, body)
	inner := decrypt(t, keys, out["id_token"].(string), oidc.RSAOAEP256, oidc.A256GCM, "JWT")
	_, err := r.Verifier.Verify(r.Ctx, string(inner))
	require.NoError(t, err)
}
