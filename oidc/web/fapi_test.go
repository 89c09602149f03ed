package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
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
	return k.post(oidc.PathToken, form)
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
