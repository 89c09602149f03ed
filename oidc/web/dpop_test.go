package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/oidc/dpop"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/testsupport/josetest"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// dpopRP is a relying party that binds its tokens with DPoP: it keeps the
// newest DPoP-Nonce it was given, as RFC 9449 §8 asks.
type dpopRP struct {
	*rp
	t      *testing.T
	prover dpop.Prover
	nonce  string
	// base is where requests go (another replica in TestDPoPReplicas);
	// proofs always name the issuer's URLs.
	base string
}

func newDPoPRP(t *testing.T, r *rp) *dpopRP {
	return &dpopRP{rp: r, t: t, prover: dpop.Prover{Key: newECKey(t), Alg: jose.ES256}, base: r.Env.Server.URL}
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// proof is a proof for method at the issuer's path, with the current nonce
// and ath of token (when not empty); mod changes it.
func (d *dpopRP) proof(method, path, token string, mod ...func(*dpop.ProofOptions)) string {
	o := dpop.ProofOptions{Method: method, URL: d.Env.Server.URL + path, AccessToken: token, Nonce: d.nonce}
	for _, m := range mod {
		m(&o)
	}
	s, err := d.prover.Proof(o)
	require.NoError(d.t, err)
	return s
}

type dpopAnswer struct {
	status int
	body   map[string]any
	header http.Header
	raw    string
}

func (d *dpopRP) send(req *http.Request) dpopAnswer {
	resp, err := d.Env.Server.Client().Do(req)
	require.NoError(d.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if n := resp.Header.Get("DPoP-Nonce"); n != "" {
		d.nonce = n
	}
	return dpopAnswer{status: resp.StatusCode, body: m, header: resp.Header, raw: string(raw)}
}

// token posts form to the token endpoint with the given DPoP headers.
func (d *dpopRP) token(form url.Values, proofs ...string) dpopAnswer {
	req := d.TokenRequest(oidc.PathToken, form)
	req.URL, _ = url.Parse(d.base + oidc.PathToken)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return d.send(req)
}

// userinfo calls userinfo with "scheme token" and the proofs.
func (d *dpopRP) userinfo(method, scheme, token string, proofs ...string) dpopAnswer {
	req, err := http.NewRequest(method, d.base+oidc.PathUserinfo, nil)
	require.NoError(d.t, err)
	req.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return d.send(req)
}

// code runs the authorization step in browser b and returns the token
// request that redeems the code.
func (d *dpopRP) code(b *http.Client) url.Values {
	verifier := oauth2.GenerateVerifier()
	resp, body := d.Env.Visit(b, d.AuthURL(verifier, oidctest.NewNonce()))
	q := callback(d.t, resp, body)
	return url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {d.Conf.RedirectURL}, "code_verifier": {verifier}}
}

// exchange redeems a code with DPoP as a client does the first time: the
// proof without a nonce is refused with use_dpop_nonce and a DPoP-Nonce,
// the retry with it succeeds, the code still good.
func (d *dpopRP) exchange(b *http.Client) dpopAnswer {
	form := d.code(b)
	d.nonce = ""
	a := d.token(form, d.proof(http.MethodPost, oidc.PathToken, ""))
	require.Equal(d.t, http.StatusBadRequest, a.status, a.raw)
	require.Equal(d.t, "use_dpop_nonce", a.body["error"], a.raw)
	require.NotEmpty(d.t, a.header.Get("DPoP-Nonce"))
	a = d.token(form, d.proof(http.MethodPost, oidc.PathToken, ""))
	require.Equal(d.t, http.StatusOK, a.status, a.raw)
	return a
}

func challenge(a dpopAnswer) string { return a.header.Get("WWW-Authenticate") }

func TestDPoPCodeFlowUserinfoAndRefresh(t *testing.T) {
	for _, auth := range []string{oidc.AuthClientSecretBasic, oidc.AuthNone} {
		t.Run(auth, func(t *testing.T) {
			e := newEnv(t)
			c := e.citizen(1)
			e.signInAs(c, 1)
			reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}, TokenEndpointAuthMethod: auth})
			d := newDPoPRP(t, e.RP(reg, "openid", "profile", "offline_access"))

			tok := d.exchange(e.Browser())
			assert.Equal(t, "DPoP", tok.body["token_type"], "RFC 9449 §5")
			assert.NotEmpty(t, tok.header.Get("DPoP-Nonce"), "a fresh nonce on success too")
			at, rt := tok.body["access_token"].(string), tok.body["refresh_token"].(string)
			require.NotEmpty(t, rt)

			if auth == oidc.AuthClientSecretBasic {
				in := d.Introspect(at)
				assert.Equal(t, map[string]any{"jkt": d.prover.JKT()}, in["cnf"], "RFC 9449 §6.2")
				assert.Equal(t, "DPoP", in["token_type"])
				in = d.Introspect(rt)
				assert.Equal(t, map[string]any{"jkt": d.prover.JKT()}, in["cnf"], "the refresh token is bound too")
			}

			ui := d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at))
			require.Equal(t, http.StatusOK, ui.status, ui.raw)
			assert.Equal(t, "Nguyễn Văn An", ui.body["name"])
			assert.NotEmpty(t, ui.header.Get("DPoP-Nonce"))
			ui = d.userinfo(http.MethodPost, "DPoP", at, d.proof(http.MethodPost, oidc.PathUserinfo, at))
			require.Equal(t, http.StatusOK, ui.status, ui.raw)

			refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			// Another key: the grant is not that key's.
			other := newDPoPRP(t, d.rp)
			other.nonce = d.nonce
			a := other.token(refresh, other.proof(http.MethodPost, oidc.PathToken, ""))
			assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
			assert.Equal(t, "invalid_dpop_proof", a.body["error"], a.raw)
			// No proof at all.
			a = d.token(refresh)
			assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
			assert.Equal(t, "invalid_dpop_proof", a.body["error"], a.raw)
			misuse := func() []string {
				var out []string
				for _, ev := range e.Audit.Of(audit.TokenKeyMismatch) {
					if ev.ClientID == reg.ID {
						out = append(out, ev.Reason+":"+ev.Detail["presented"])
					}
				}
				return out
			}
			assert.Equal(t, []string{"token:another_key", "token:no_proof"}, misuse(),
				"a bound refresh token without its key is what a thief sends: both refusals are in the citizen's history")
			// The same key: new tokens, still bound.
			a = d.token(refresh, d.proof(http.MethodPost, oidc.PathToken, ""))
			require.Equal(t, http.StatusOK, a.status, a.raw)
			assert.Equal(t, "DPoP", a.body["token_type"])
			at2 := a.body["access_token"].(string)
			ui = d.userinfo(http.MethodGet, "Bearer", at2)
			assert.Equal(t, http.StatusUnauthorized, ui.status, "the refreshed token is bound: %s", ui.raw)
			assert.Equal(t, []string{"token:another_key", "token:no_proof", "userinfo:bearer"}, misuse())
			ui = d.userinfo(http.MethodGet, "DPoP", at2, d.proof(http.MethodGet, oidc.PathUserinfo, at2))
			assert.Equal(t, http.StatusOK, ui.status, ui.raw)
		})
	}
}

// TestDPoPUserinfoRefusals: each way a DPoP-bound token or its proof can
// be wrong at userinfo, next to a correct call.
func TestDPoPUserinfoRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	d := newDPoPRP(t, e.RP(reg, "openid", "profile"))
	at := d.exchange(e.Browser()).body["access_token"].(string)
	pub, priv := josetest.JWKMaps(t, d.prover.Key.(*ecdsa.PrivateKey))
	claims := func() map[string]any {
		return map[string]any{"jti": oidctest.RandomDigits(12), "htm": "GET", "htu": e.Server.URL + oidc.PathUserinfo,
			"iat": time.Now().Unix(), "nonce": d.nonce, "ath": dpop.TokenHash(at)}
	}
	replayed := d.proof(http.MethodGet, oidc.PathUserinfo, at)
	require.Equal(t, http.StatusOK, d.userinfo(http.MethodGet, "DPoP", at, replayed).status)

	for _, tc := range []struct {
		name   string
		call   func() dpopAnswer
		status int
		code   string
	}{
		{"correct", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at))
		}, 200, ""},
		{"bound token as bearer", func() dpopAnswer { return d.userinfo(http.MethodGet, "Bearer", at) }, 401, "invalid_token"},
		{"DPoP scheme without proof", func() dpopAnswer { return d.userinfo(http.MethodGet, "DPoP", at) }, 401, "invalid_dpop_proof"},
		{"two proofs", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at), d.proof(http.MethodGet, oidc.PathUserinfo, at))
		}, 401, "invalid_dpop_proof"},
		{"proof for another URL", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathToken, at))
		}, 401, "invalid_dpop_proof"},
		{"proof for another method", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodPost, oidc.PathUserinfo, at))
		}, 401, "invalid_dpop_proof"},
		{"replayed jti", func() dpopAnswer { return d.userinfo(http.MethodGet, "DPoP", at, replayed) }, 401, "invalid_dpop_proof"},
		{"stale iat", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, func(o *dpop.ProofOptions) { o.IssuedAt = time.Now().Add(-time.Hour) }))
		}, 401, "invalid_dpop_proof"},
		{"no nonce", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, func(o *dpop.ProofOptions) { o.Nonce = "" }))
		}, 401, "use_dpop_nonce"},
		{"old nonce", func() dpopAnswer {
			// A nonce this gateway never issued (another key).
			n := dpop.NewNonces([]byte("not the gateway's key, not at all"), nil).Current()
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, func(o *dpop.ProofOptions) { o.Nonce = n }))
		}, 401, "use_dpop_nonce"},
		{"wrong ath", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, "another-access-token"))
		}, 401, "invalid_dpop_proof"},
		{"another key's proof", func() dpopAnswer {
			o := newDPoPRP(t, d.rp)
			o.nonce = d.nonce
			return d.userinfo(http.MethodGet, "DPoP", at, o.proof(http.MethodGet, oidc.PathUserinfo, at))
		}, 401, "invalid_dpop_proof"},
		{"private key in jwk", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, josetest.SignRaw(t, d.prover.Key, jose.ES256, map[string]any{"typ": "dpop+jwt", "jwk": priv}, claims()))
		}, 401, "invalid_dpop_proof"},
		{"alg HS256", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", at, josetest.SignRaw(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, map[string]any{"typ": "dpop+jwt", "jwk": pub}, claims()))
		}, 401, "invalid_dpop_proof"},
		{"alg none", func() dpopAnswer {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dpop+jwt"}`))
			b, _ := json.Marshal(claims())
			return d.userinfo(http.MethodGet, "DPoP", at, h+"."+base64.RawURLEncoding.EncodeToString(b)+".")
		}, 401, "invalid_dpop_proof"},
		{"unknown token", func() dpopAnswer {
			return d.userinfo(http.MethodGet, "DPoP", "nope", d.proof(http.MethodGet, oidc.PathUserinfo, "nope"))
		}, 401, "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.call()
			require.Equal(t, tc.status, a.status, a.raw)
			if tc.code == "" {
				return
			}
			assert.Equal(t, tc.code, a.body["error"], a.raw)
			ch := challenge(a)
			assert.True(t, strings.HasPrefix(ch, `DPoP algs="ES256 PS256 EdDSA", error="`+tc.code+`", error_description="`), ch)
			if tc.code == "use_dpop_nonce" {
				assert.NotEmpty(t, a.header.Get("DPoP-Nonce"), "RFC 9449 §9: the nonce to use")
			}
		})
	}
}

func TestDPoPTokenEndpointRefusals(t *testing.T) {
	e := newEnv(t)
	reg := machineClient(e, oidc.Client{GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"}})
	d := newDPoPRP(t, e.RP(reg))
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}}
	a := d.token(form, d.proof(http.MethodPost, oidc.PathToken, ""))
	require.Equal(t, "use_dpop_nonce", a.body["error"], a.raw)
	pub, _ := josetest.JWKMaps(t, d.prover.Key.(*ecdsa.PrivateKey))
	for _, tc := range []struct {
		name   string
		proofs func() []string
		code   string
	}{
		{"proof for userinfo", func() []string { return []string{d.proof(http.MethodPost, oidc.PathUserinfo, "")} }, "invalid_dpop_proof"},
		{"proof for GET", func() []string { return []string{d.proof(http.MethodGet, oidc.PathToken, "")} }, "invalid_dpop_proof"},
		{"stale iat", func() []string {
			return []string{d.proof(http.MethodPost, oidc.PathToken, "", func(o *dpop.ProofOptions) { o.IssuedAt = time.Now().Add(-5 * time.Minute) })}
		}, "invalid_dpop_proof"},
		{"no nonce", func() []string {
			return []string{d.proof(http.MethodPost, oidc.PathToken, "", func(o *dpop.ProofOptions) { o.Nonce = "" })}
		}, "use_dpop_nonce"},
		{"two proofs", func() []string {
			return []string{d.proof(http.MethodPost, oidc.PathToken, ""), d.proof(http.MethodPost, oidc.PathToken, "")}
		}, "invalid_dpop_proof"},
		{"alg HS256", func() []string {
			return []string{josetest.SignRaw(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, map[string]any{"typ": "dpop+jwt", "jwk": pub},
				map[string]any{"jti": "x", "htm": "POST", "htu": e.Server.URL + oidc.PathToken, "iat": time.Now().Unix(), "nonce": d.nonce})}
		}, "invalid_dpop_proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := d.token(form, tc.proofs()...)
			assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
			assert.Equal(t, tc.code, a.body["error"], a.raw)
			assert.NotEmpty(t, a.header.Get("DPoP-Nonce"))
		})
	}

	t.Run("client credentials bound", func(t *testing.T) {
		p := d.proof(http.MethodPost, oidc.PathToken, "")
		a := d.token(form, p)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		assert.Equal(t, "DPoP", a.body["token_type"])
		in := d.Introspect(a.body["access_token"].(string))
		assert.Equal(t, map[string]any{"jkt": d.prover.JKT()}, in["cnf"])
		assert.Equal(t, "DPoP", in["token_type"])
		a = d.token(form, p)
		assert.Equal(t, "invalid_dpop_proof", a.body["error"], "replayed jti: %s", a.raw)
	})
}

// TestDPoPFAPI2NeedsProof: a fapi2 bank's code exchange without a proof is
// refused; with one its tokens are DPoP-bound.
func TestDPoPFAPI2NeedsProof(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	k := newBank(t, e, newBankKey(t, oidc.ES256), oidc.Client{})
	redeem := func(verifier string, q url.Values) url.Values {
		form := k.authn(e.Server.URL)
		form.Set("grant_type", "authorization_code")
		form.Set("code", q.Get("code"))
		form.Set("code_verifier", verifier)
		form.Set("redirect_uri", k.reg.RedirectURIs[0])
		return form
	}
	verifier := oauth2.GenerateVerifier()
	st, tok := k.post(oidc.PathToken, redeem(verifier, k.code(verifier)))
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_dpop_proof", tok["error"], "%v", tok)

	verifier = oauth2.GenerateVerifier()
	st, tok = k.postDPoP(oidc.PathToken, redeem(verifier, k.code(verifier)))
	require.Equal(t, http.StatusOK, st, "%v", tok)
	assert.Equal(t, "DPoP", tok["token_type"])
}

// TestBearerUnchanged: without a proof, tokens stay bearer tokens.
func TestDPoPBearerUnchanged(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.RP(reg, "openid", "profile")
	f := r.Login(e.Browser())
	assert.True(t, strings.EqualFold(f.Token.TokenType, "bearer"), f.Token.TokenType)
	st, body, raw := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, st, raw)
	assert.Equal(t, "Nguyễn Văn An", body["name"])
	in := r.Introspect(f.Token.AccessToken)
	assert.Equal(t, "Bearer", in["token_type"])
	assert.NotContains(t, in, "cnf")
	// A bearer token under the DPoP scheme is refused.
	d := newDPoPRP(t, r)
	d.nonce = e.Provider.DPoPNonce()
	a := d.userinfo(http.MethodGet, "DPoP", f.Token.AccessToken, d.proof(http.MethodGet, oidc.PathUserinfo, f.Token.AccessToken))
	assert.Equal(t, http.StatusUnauthorized, a.status, a.raw)
	assert.Equal(t, "invalid_token", a.body["error"])
}

// TestDPoPReplicas: two replicas of one issuer on one database agree on
// nonces, and a proof used at one is refused at the other.
func TestDPoPReplicas(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	d := newDPoPRP(t, e.RP(reg, "openid", "profile"))
	at := d.exchange(e.Browser()).body["access_token"].(string)

	store := oidcpg.NewStore(e.DB, oidc.NewFositeSession)
	p2, err := oidc.NewProvider(oidc.Config{Issuer: e.Server.URL, Store: store, Keys: e.Keys, Hasher: e.Hasher,
		TokenSecret: oidctest.TokenKey, PairwiseKey: oidctest.PairwiseKey, Accounts: oidctest.Accounts{Store: e.Accounts},
		Registry: e.People, Documents: e.People, Consent: oidc.AutoConsent{}, Audit: e.Audit})
	require.NoError(t, err)
	router := mux.NewRouter()
	(&web.Handler{Provider: p2}).MountAll(router)
	replica := httptest.NewServer(router)
	t.Cleanup(replica.Close)
	assert.Equal(t, e.Provider.DPoPNonce(), p2.DPoPNonce(), "one nonce for all replicas")

	p := d.proof(http.MethodGet, oidc.PathUserinfo, at)
	a := d.userinfo(http.MethodGet, "DPoP", at, p)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	d.base = replica.URL
	a = d.userinfo(http.MethodGet, "DPoP", at, p)
	assert.Equal(t, http.StatusUnauthorized, a.status, a.raw)
	assert.Equal(t, "invalid_dpop_proof", a.body["error"], "replayed on another replica: %s", a.raw)
	a = d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at))
	assert.Equal(t, http.StatusOK, a.status, "a fresh proof at the replica, with the first one's nonce: %s", a.raw)
}

// postDPoP is post with a DPoP proof for path (fapi2 tokens are
// sender-constrained), made with a key of the bank's and the gateway's
// current nonce, at the provider's time.
func (k *bank) postDPoP(path string, form url.Values) (int, map[string]any) {
	k.mu.Lock()
	if k.dpopKey == nil {
		k.dpopKey = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	}
	key := k.dpopKey
	k.mu.Unlock()
	proof := must((dpop.Prover{Key: key, Alg: jose.ES256}).Proof(dpop.ProofOptions{Method: http.MethodPost,
		URL: k.e.Server.URL + path, Nonce: k.e.Provider.DPoPNonce(), IssuedAt: k.e.Clock.Now()}))
	req := must(http.NewRequest(http.MethodPost, k.e.Server.URL+path, strings.NewReader(form.Encode())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	resp := must(k.e.Server.Client().Do(req))
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestDPoPNonceRotation: a nonce is good in its five-minute window and the
// next; after that a proof with it is answered use_dpop_nonce with the
// current one, and the retry passes.
func TestDPoPNonceRotation(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	d := newDPoPRP(t, e.RP(reg, "openid", "profile"))
	at := d.exchange(e.Browser()).body["access_token"].(string)
	now := func(o *dpop.ProofOptions) { o.IssuedAt = e.Clock.Now() }
	first := d.nonce

	e.Clock.Advance(dpop.NoncePeriod)
	a := d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, now))
	require.Equal(t, http.StatusOK, a.status, "the previous window's nonce: %s", a.raw)
	assert.NotEqual(t, first, d.nonce, "a new nonce came with the answer")

	d.nonce = first
	e.Clock.Advance(dpop.NoncePeriod)
	a = d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, now))
	require.Equal(t, http.StatusUnauthorized, a.status, a.raw)
	assert.Equal(t, "use_dpop_nonce", a.body["error"])
	require.NotEqual(t, first, d.nonce, "DPoP-Nonce carries the current nonce")
	a = d.userinfo(http.MethodGet, "DPoP", at, d.proof(http.MethodGet, oidc.PathUserinfo, at, now))
	assert.Equal(t, http.StatusOK, a.status, "the retry with it: %s", a.raw)
}
