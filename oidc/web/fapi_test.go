package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// bankKey is a bank's signing key and the alg it signs with.
type bankKey struct {
	alg string
	kid string
	key crypto.Signer
}

func newBankKey(t testing.TB, alg string) bankKey {
	t.Helper()
	var key crypto.Signer
	switch alg {
	case oidc.ES256:
		key = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	default:
		key = must(rsa.GenerateKey(rand.Reader, 2048))
	}
	return bankKey{alg: alg, kid: "bank-" + strings.ToLower(alg), key: key}
}

// jwks is the public key set of the bank.
func (k bankKey) jwks() []byte {
	return must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.key.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"}}}))
}

// sign signs claims as a JWS with the given typ.
func (k bankKey) sign(t testing.TB, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.alg), Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}}, opts)
	require.NoError(t, err)
	obj, err := sig.Sign(must(json.Marshal(claims)))
	require.NoError(t, err)
	return must(obj.CompactSerialize())
}

// bank is a fapi2 client with its key, in one browser that records every
// URL it visits on the gateway.
type bank struct {
	t   testing.TB
	e   *env
	reg registered
	key bankKey

	mu      sync.Mutex
	visited []string
	b       *http.Client
	dpopKey *ecdsa.PrivateKey // postDPoP's
}

func newBank(t testing.TB, e *env, key bankKey, c oidc.Client) *bank {
	t.Helper()
	c.Kind = oidc.KindBank
	if len(c.JWKS) == 0 && c.JWKSURI == "" {
		c.JWKS = key.jwks()
	}
	if c.TokenEndpointAuthSigningAlg == "" {
		c.TokenEndpointAuthSigningAlg = key.alg
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"openid", "personal_id"}
	}
	k := &bank{t: t, e: e, reg: e.Register(c), key: key}
	require.Equal(t, oidc.ProfileFAPI2, k.reg.Profile, "a bank is fapi2 by default")
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.Server.URL, "http://")
	k.b = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		k.mu.Lock()
		k.visited = append(k.visited, req.URL.String())
		k.mu.Unlock()
		if len(via) > 10 {
			return errors.New("redirect loop")
		}
		return nil
	}}
	return k
}

// assertion is a fresh private_key_jwt client assertion for aud.
func (k *bank) assertion(aud string) string {
	now := time.Now()
	return k.key.sign(k.t, "JWT", map[string]any{"iss": k.reg.ID, "sub": k.reg.ID, "aud": aud, "jti": uuid.NewString(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
}

// authn is the client authentication parameters for aud.
func (k *bank) authn(aud string) url.Values {
	return url.Values{"client_id": {k.reg.ID}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {k.assertion(aud)}}
}

// params is an authorization request with PKCE for verifier.
func (k *bank) params(verifier string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {k.reg.ID}, "redirect_uri": {k.reg.RedirectURIs[0]},
		"scope": {"openid personal_id"}, "state": {"state-0123456789"}, "nonce": {"nonce-0123456789"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
}

// post sends form to path and decodes the JSON answer.
func (k *bank) post(path string, form url.Values, basic ...string) (int, map[string]any) {
	req := must(http.NewRequest(http.MethodPost, k.e.Server.URL+path, strings.NewReader(form.Encode())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp := must(k.e.Server.Client().Do(req))
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// push sends the request to /par, authenticated for aud, and returns the
// request_uri (or the error answer).
func (k *bank) push(form url.Values, aud string) (int, map[string]any) {
	all := k.authn(aud)
	for key, v := range form {
		all[key] = v
	}
	return k.post(oidc.PathPAR, all)
}

// authorize visits /authorize with q and returns the relying party's
// callback query.
func (k *bank) authorize(q url.Values) url.Values {
	k.t.Helper()
	resp, body := k.e.Visit(k.b, k.e.Server.URL+oidc.PathAuthorize+"?"+q.Encode())
	return callback(k.t, resp, body)
}

// exchange redeems a code, authenticated for aud.
func (k *bank) exchange(code, verifier, aud string) (int, map[string]any) {
	form := k.authn(aud)
	form.Set("grant_type", "authorization_code")
	form.Set("code", code)
	form.Set("code_verifier", verifier)
	form.Set("redirect_uri", k.reg.RedirectURIs[0])
	return k.postDPoP(oidc.PathToken, form)
}

// code pushes a request and takes it through the browser: the callback.
func (k *bank) code(verifier string) url.Values {
	k.t.Helper()
	st, par := k.push(k.params(verifier), k.e.Server.URL+oidc.PathPAR)
	require.Equal(k.t, http.StatusCreated, st, "%v", par)
	return k.authorize(url.Values{"client_id": {k.reg.ID}, "request_uri": {par["request_uri"].(string)}})
}

func TestFAPI2Registration(t *testing.T) {
	e := newEnv(t)
	key := newBankKey(t, oidc.ES256)
	rsaKey := newBankKey(t, oidc.PS256)
	base := func(c oidc.Client) oidc.Client {
		c.Name = oidc.Text{VI: "Ngân hàng A"}
		c.Kind = oidc.KindBank
		c.RedirectURIs = []string{"https://bank.example/cb"}
		c.Scopes = []string{"openid", "personal_id"}
		return c
	}
	cases := []struct {
		name  string
		c     oidc.Client
		want  []string // error fragments; none: accepted
		check func(t *testing.T, c oidc.Client)
	}{
		{"bank defaults to fapi2", oidc.Client{JWKS: key.jwks()}, nil, func(t *testing.T, c oidc.Client) {
			assert.Equal(t, oidc.ProfileFAPI2, c.Profile)
			assert.True(t, c.RequirePAR)
			assert.Equal(t, oidc.AuthPrivateKeyJWT, c.TokenEndpointAuthMethod)
			assert.Equal(t, oidc.ES256, c.TokenEndpointAuthSigningAlg)
		}},
		{"PS256", oidc.Client{JWKS: rsaKey.jwks(), TokenEndpointAuthSigningAlg: oidc.PS256, RequestObjectSigningAlg: oidc.PS256}, nil, nil},
		{"client secret refused", oidc.Client{TokenEndpointAuthMethod: oidc.AuthClientSecretBasic},
			[]string{`profile fapi2 needs token_endpoint_auth_method private_key_jwt, not "client_secret_basic"`}, nil},
		{"client_secret_post refused", oidc.Client{TokenEndpointAuthMethod: oidc.AuthClientSecretPost},
			[]string{`not "client_secret_post"`}, nil},
		{"public client refused", oidc.Client{TokenEndpointAuthMethod: oidc.AuthNone}, []string{`not "none"`}, nil},
		{"RS256 assertions refused", oidc.Client{JWKS: rsaKey.jwks(), TokenEndpointAuthSigningAlg: oidc.RS256},
			[]string{`token_endpoint_auth_signing_alg ES256 or PS256, not "RS256"`}, nil},
		{"RS256 request objects refused", oidc.Client{JWKS: key.jwks(), RequestObjectSigningAlg: oidc.RS256},
			[]string{`request_object_signing_alg ES256 or PS256, not "RS256"`}, nil},
		{"no keys", oidc.Client{}, []string{"private_key_jwt needs jwks or jwks_uri"}, nil},
		{"RS256 ID tokens refused", oidc.Client{JWKS: key.jwks(), IDTokenSignedResponseAlg: oidc.RS256}, []string{`id_token_signed_response_alg ES256, not "RS256"`}, nil},
		{"unknown profile", oidc.Client{JWKS: key.jwks(), Profile: "fapi1"}, []string{`profile "fapi1" is not one of baseline, fapi2`}, nil},
		{"unknown request object alg", oidc.Client{Profile: oidc.ProfileBaseline, RequestObjectSigningAlg: "none"}, []string{`request_object_signing_alg "none"`}, nil},
		{"baseline bank keeps a secret", oidc.Client{Profile: oidc.ProfileBaseline}, nil, func(t *testing.T, c oidc.Client) {
			assert.Equal(t, oidc.ProfileBaseline, c.Profile)
			assert.False(t, c.RequirePAR)
			assert.Equal(t, oidc.AuthClientSecretBasic, c.TokenEndpointAuthMethod)
		}},
		{"a public service may opt in", oidc.Client{Kind: oidc.KindPublicService, Profile: oidc.ProfileFAPI2, JWKS: key.jwks()}, nil, func(t *testing.T, c oidc.Client) {
			assert.True(t, c.FAPI2())
			assert.True(t, c.RequirePAR)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base(tc.c)
			if tc.c.Kind != "" {
				c.Kind = tc.c.Kind
			}
			got, secret, err := e.Clients.Create(t.Context(), "test", c)
			if len(tc.want) > 0 {
				require.ErrorIs(t, err, oidc.ErrInvalidClient)
				for _, w := range tc.want {
					assert.ErrorContains(t, err, w)
				}
				return
			}
			require.NoError(t, err)
			if got.FAPI2() {
				assert.Empty(t, secret, "a fapi2 client has no secret")
			}
			// Stored as registered.
			loaded := must(e.Clients.Get(t.Context(), got.ID))
			assert.Equal(t, got.Profile, loaded.Profile)
			assert.Equal(t, got.RequestObjectSigningAlg, loaded.RequestObjectSigningAlg)
			if tc.check != nil {
				tc.check(t, loaded)
			}
		})
	}

	// A bank registered before profiles existed (profile "") keeps the
	// baseline, and its secret, through an update.
	old := must3(e.Clients.Create(t.Context(), "test", base(oidc.Client{Profile: oidc.ProfileBaseline})))
	_, err := e.DB.Exec(t.Context(), `UPDATE oidc_clients SET data = data - 'profile' WHERE id = $1`, old.ID)
	require.NoError(t, err)
	require.Equal(t, oidc.ProfileDefault, must(e.Clients.Get(t.Context(), old.ID)).Profile)
	upd, err := e.Clients.Update(t.Context(), "test", old.ID, func(c *oidc.Client) error { c.Name.EN = "Bank A"; return nil })
	require.NoError(t, err)
	assert.Equal(t, oidc.ProfileBaseline, upd.Profile)
	// Moving it to fapi2 with its secret is refused with the reason.
	_, err = e.Clients.Update(t.Context(), "test", old.ID, func(c *oidc.Client) error { c.Profile = oidc.ProfileFAPI2; return nil })
	require.ErrorContains(t, err, "client secrets are not allowed by FAPI 2.0")
}

func must3[T any](v T, _ string, err error) T { return must(v, err) }

// TestFAPI2Flow: a fapi2 bank pushes its request with private_key_jwt
// (ES256 and PS256), the browser carries only client_id and request_uri,
// even through the sign-in, and the code is redeemed with an assertion;
// the client assertion's audience may be the issuer, the PAR endpoint or
// the token endpoint (RFC 9126 §2, FAPI 2.0 §5.3.2.1).
func TestFAPI2Flow(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	issuer := e.Server.URL
	auds := []string{issuer, issuer + oidc.PathPAR, issuer + oidc.PathToken}
	for _, alg := range []string{oidc.ES256, oidc.PS256} {
		for _, aud := range auds {
			t.Run(alg+" aud "+strings.TrimPrefix(aud, issuer), func(t *testing.T) {
				k := newBank(t, e, newBankKey(t, alg), oidc.Client{})
				verifier := oauth2.GenerateVerifier()
				st, par := k.push(k.params(verifier), aud)
				require.Equal(t, http.StatusCreated, st, "%v", par)
				uri := par["request_uri"].(string)
				q := k.authorize(url.Values{"client_id": {k.reg.ID}, "request_uri": {uri}})
				require.Empty(t, q.Get("error"), q.Get("error_description"))
				assert.Equal(t, issuer, q.Get("iss"), "RFC 9207")
				assert.Equal(t, "state-0123456789", q.Get("state"))
				assert.False(t, q.Has("scope"), "the granted scope comes in the token response only")

				// Nothing pushed went back to the browser: it was sent to sign
				// in and back with client_id and request_uri only.
				require.NotEmpty(t, k.visited, "signed in on the way")
				for _, v := range k.visited {
					u := must(url.Parse(v))
					for _, pushed := range []string{"code_challenge", "scope", "redirect_uri", "nonce", "state", "personal_id", "S256"} {
						assert.NotContains(t, v, pushed, "pushed parameter in the browser URL %s", u.Path)
					}
				}
				st, tok := k.exchange(q.Get("code"), verifier, aud)
				require.Equal(t, http.StatusOK, st, "%v", tok)
				r := e.RP(k.reg, "openid", "personal_id")
				idt := must(r.Verifier.Verify(r.Ctx, tok["id_token"].(string)))
				assert.Equal(t, "nonce-0123456789", idt.Nonce)
			})
		}
	}
	t.Run("other audiences refused", func(t *testing.T) {
		k := newBank(t, e, newBankKey(t, oidc.ES256), oidc.Client{})
		for _, aud := range []string{issuer + "/", issuer + oidc.PathAuthorize, "https://other.example"} {
			st, par := k.push(k.params(oauth2.GenerateVerifier()), aud)
			assert.Equal(t, http.StatusUnauthorized, st, aud)
			assert.Equal(t, "invalid_client", par["error"], aud)
		}
	})
}

// TestFAPI2Refusals: every way a fapi2 bank can be refused on the way to
// its tokens, with status and error code (the integrator guide's table).
func TestFAPI2Refusals(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	issuer := e.Server.URL
	k := newBank(t, e, newBankKey(t, oidc.ES256), oidc.Client{})

	t.Run("request outside PAR", func(t *testing.T) {
		q := k.authorize(k.params(oauth2.GenerateVerifier()))
		assert.Equal(t, "invalid_request", q.Get("error"))
		assert.Contains(t, q.Get("error_description"), "pushed authorization request")
		assert.Equal(t, issuer, q.Get("iss"), "RFC 9207 on errors too")
	})
	t.Run("extra parameters beside request_uri", func(t *testing.T) {
		for _, extra := range []string{"scope", "state", "redirect_uri", "prompt", "response_type"} {
			st, par := k.push(k.params(oauth2.GenerateVerifier()), issuer)
			require.Equal(t, http.StatusCreated, st, "%v", par)
			q := url.Values{"client_id": {k.reg.ID}, "request_uri": {par["request_uri"].(string)}, extra: {"x"}}
			if extra == "redirect_uri" {
				q.Set(extra, k.reg.RedirectURIs[0])
			}
			got := k.authorize(q)
			assert.Equal(t, "invalid_request", got.Get("error"), extra)
			assert.Contains(t, got.Get("error_description"), "'"+extra+"'")
			assert.Equal(t, issuer, got.Get("iss"))
		}
	})
	t.Run("response_type token", func(t *testing.T) {
		p := k.params(oauth2.GenerateVerifier())
		p.Set("response_type", "token")
		st, par := k.push(p, issuer)
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "unsupported_response_type", par["error"])
	})
	t.Run("client secret", func(t *testing.T) {
		p := k.params(oauth2.GenerateVerifier())
		st, par := k.post(oidc.PathPAR, p, k.reg.ID, "guess")
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", par["error"])
		p.Set("client_secret", "guess")
		st, par = k.post(oidc.PathPAR, p)
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", par["error"])

		verifier := oauth2.GenerateVerifier()
		q := k.code(verifier)
		st, tok := k.post(oidc.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
			"code_verifier": {verifier}, "redirect_uri": {k.reg.RedirectURIs[0]}}, k.reg.ID, "guess")
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", tok["error"])
	})
	t.Run("code older than 60 s", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		q := k.code(verifier)
		e.Clock.Advance(61 * time.Second)
		st, tok := k.exchange(q.Get("code"), verifier, issuer)
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_grant", tok["error"])
		assert.Contains(t, tok["error_description"], "60 seconds")

		verifier = oauth2.GenerateVerifier()
		q = k.code(verifier)
		e.Clock.Advance(59 * time.Second)
		st, tok = k.exchange(q.Get("code"), verifier, issuer)
		assert.Equal(t, http.StatusOK, st, "%v", tok)
	})
}

// requestObject is the claims of a request object of client id with key,
// asking what params asks, valid from now for five minutes.
func requestObject(e *env, id string, params url.Values) map[string]any {
	now := time.Now()
	claims := map[string]any{"iss": id, "aud": e.Server.URL, "client_id": id,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": uuid.NewString()}
	for k := range params {
		if k != "client_id" {
			claims[k] = params.Get(k)
		}
	}
	return claims
}

// TestRequestObjectByValue: a client that is not fapi2 sends its request
// as a signed object at /authorize (RFC 9101); the parameters outside it are
// not used, and the browser goes to sign in and back with client_id and
// request only.
func TestRequestObjectByValue(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	key := newBankKey(t, oidc.ES256)
	reg := e.Register(oidc.Client{JWKS: key.jwks(), Scopes: []string{"openid", "profile"}})
	r := e.RP(reg, "openid", "profile")
	verifier := oauth2.GenerateVerifier()
	params := url.Values{"response_type": {"code"}, "redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid profile"},
		"state": {"state-from-object"}, "nonce": {"nonce-0123456789"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}}
	claims := requestObject(e, reg.ID, params)
	claims["claims"] = map[string]any{"id_token": map[string]any{"name": nil}}
	claims["max_age"] = 3600
	jar := key.sign(t, "oauth-authz-req+jwt", claims)
	b := e.Browser()
	var visited []string
	check := b.CheckRedirect
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return check(req, via)
	}
	// Outer parameters are ignored (RFC 9101 §6.3), even a wider scope.
	q := url.Values{"client_id": {reg.ID}, "request": {jar}, "scope": {"openid email"}, "state": {"outer"}}
	resp, body := e.Visit(b, e.Server.URL+oidc.PathAuthorize+"?"+q.Encode())
	cb := callback(t, resp, body)
	require.Empty(t, cb.Get("error"), cb.Get("error_description"))
	assert.Equal(t, "state-from-object", cb.Get("state"))
	assert.Equal(t, e.Server.URL, cb.Get("iss"))
	require.NotEmpty(t, visited)
	for _, v := range visited {
		assert.NotContains(t, v, "email", "outer parameters are not carried")
		assert.NotContains(t, v, "code_challenge", "the object's parameters stay in the object")
	}
	tok := must(r.Conf.Exchange(r.Ctx, cb.Get("code"), oauth2.VerifierOption(verifier)))
	idt := must(r.Verifier.Verify(r.Ctx, tok.Extra("id_token").(string)))
	var got map[string]any
	require.NoError(t, idt.Claims(&got))
	assert.Equal(t, "Nguyễn Văn An", got["name"], "the claims parameter inside the object is honoured")
	assert.NotContains(t, tok.Extra("scope"), "email")

	// Refusals at /authorize: a page, since nothing in a refused object can
	// be trusted to redirect to.
	expired := requestObject(e, reg.ID, params)
	expired["exp"] = time.Now().Add(-time.Minute).Unix()
	for name, tc := range map[string]struct {
		q    url.Values
		code string
	}{
		"expired object":       {url.Values{"client_id": {reg.ID}, "request": {key.sign(t, "JWT", expired)}}, "invalid_request_object"},
		"unsigned object":      {url.Values{"client_id": {reg.ID}, "request": {unsigned(claims)}}, "invalid_request_object"},
		"no client_id":         {url.Values{"request": {jar}}, "invalid_request"},
		"request by reference": {url.Values{"client_id": {reg.ID}, "request_uri": {"https://rp.example/request.jwt"}}, "request_uri_not_supported"},
	} {
		resp, body := e.Visit(e.Browser(), e.Server.URL+oidc.PathAuthorize+"?"+tc.q.Encode())
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		assert.Contains(t, body, tc.code, name)
	}
}

// unsigned is an alg=none JWT of claims.
func unsigned(claims map[string]any) string {
	enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(must(json.Marshal(claims))) + "."
}

// TestRequestObjectAtPAR: a fapi2 bank that must sign (require_signed_request_object)
// pushes signed objects, verified with inline keys (ES256) or keys at its
// jwks_uri (PS256), and every bad object is refused with
// invalid_request_object.
func TestRequestObjectAtPAR(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	issuer := e.Server.URL

	// The jwks_uri bank's key set, over TLS; the fetcher trusts the test
	// server's certificate.
	psKey := newBankKey(t, oidc.PS256)
	jwksServer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(psKey.jwks())
	}))
	t.Cleanup(jwksServer.Close)
	hc := retryablehttp.NewClient()
	hc.HTTPClient, hc.RetryMax, hc.Logger = jwksServer.Client(), 0, nil
	e.Provider.FositeConfig.JWKSFetcherStrategy = fosite.NewDefaultJWKSFetcherStrategy(fosite.JWKSFetcherWithHTTPClient(hc))

	banks := map[string]*bank{
		"inline ES256":   newBank(t, e, newBankKey(t, oidc.ES256), oidc.Client{RequireSignedRequestObject: true}),
		"jwks_uri PS256": newBank(t, e, psKey, oidc.Client{JWKSURI: jwksServer.URL + "/jwks.json", RequireSignedRequestObject: true, RequestObjectSigningAlg: oidc.PS256}),
	}
	for name, k := range banks {
		t.Run(name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			// Unsigned: refused, since this bank must sign.
			st, par := k.push(k.params(verifier), issuer)
			assert.Equal(t, http.StatusBadRequest, st)
			assert.Equal(t, "invalid_request", par["error"])
			assert.Contains(t, par["error_description"], "signed request object")

			jar := k.key.sign(t, "oauth-authz-req+jwt", requestObject(e, k.reg.ID, k.params(verifier)))
			st, par = k.push(url.Values{"request": {jar}}, issuer)
			require.Equal(t, http.StatusCreated, st, "%v", par)
			q := k.authorize(url.Values{"client_id": {k.reg.ID}, "request_uri": {par["request_uri"].(string)}})
			require.Empty(t, q.Get("error"), q.Get("error_description"))
			assert.Equal(t, "state-0123456789", q.Get("state"))
			st, tok := k.exchange(q.Get("code"), verifier, issuer)
			require.Equal(t, http.StatusOK, st, "%v", tok)

			// The same object by value at /authorize: not for fapi2 (PAR only).
			got := k.authorize(url.Values{"client_id": {k.reg.ID}, "request": {jar}})
			assert.Equal(t, "invalid_request", got.Get("error"))
			assert.Equal(t, issuer, got.Get("iss"))
		})
	}

	k := banks["inline ES256"]
	other := newBankKey(t, oidc.ES256)
	rsKey := newBankKey(t, oidc.RS256)
	now := time.Now()
	cases := []struct {
		name string
		sign func(map[string]any) string
		mod  func(map[string]any)
		hint string
	}{
		{"alg none", unsigned, nil, "alg none is never accepted"},
		{"another key", func(m map[string]any) string { return other.sign(t, "JWT", m) }, nil, "does not verify"},
		{"RS256 for fapi2", func(m map[string]any) string { return rsKey.sign(t, "JWT", m) }, nil, "ES256, PS256"},
		{"expired", nil, func(m map[string]any) { m["exp"] = now.Add(-time.Second).Unix() }, "expired"},
		{"no exp", nil, func(m map[string]any) { delete(m, "exp") }, "must have an exp"},
		{"no nbf", nil, func(m map[string]any) { delete(m, "nbf") }, "must have an nbf"},
		{"nbf in the future", nil, func(m map[string]any) { m["nbf"] = now.Add(time.Minute).Unix() }, "not valid yet"},
		{"nbf too old", nil, func(m map[string]any) { m["nbf"] = now.Add(-61 * time.Minute).Unix() }, "more than 60 minutes old"},
		{"valid too long", nil, func(m map[string]any) { m["exp"] = now.Add(61 * time.Minute).Unix() }, "at most 60 minutes"},
		{"wrong aud", nil, func(m map[string]any) { m["aud"] = issuer + oidc.PathPAR }, "aud must be the issuer"},
		{"wrong iss", nil, func(m map[string]any) { m["iss"] = "someone-else" }, "iss must be the client_id"},
		{"other client_id inside", nil, func(m map[string]any) { m["client_id"] = "someone-else" }, "client_id must be"},
		{"request_uri inside", nil, func(m map[string]any) { m["request_uri"] = oidc.PARPrefix + "x" }, "may not contain 'request_uri'"},
		{"not a JWS", func(map[string]any) string { return "a.b" }, nil, "signed JWT"},
		{"encrypted", func(map[string]any) string { return "a.b.c.d.e" }, nil, "signed JWT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := requestObject(e, k.reg.ID, k.params(oauth2.GenerateVerifier()))
			if tc.mod != nil {
				tc.mod(m)
			}
			sign := tc.sign
			if sign == nil {
				sign = func(m map[string]any) string { return k.key.sign(t, "JWT", m) }
			}
			st, par := k.push(url.Values{"request": {sign(m)}}, issuer)
			assert.Equal(t, http.StatusBadRequest, st, "%v", par)
			assert.Equal(t, "invalid_request_object", par["error"], "%v", par)
			assert.Contains(t, par["error_description"], tc.hint)
		})
	}
}
