package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "offline_access")
	f := r.Login(e.Browser())
	rt1 := f.Token.RefreshToken
	require.NotEmpty(t, rt1)

	status, tok, body := r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	require.Equal(t, http.StatusOK, status, body)
	rt2, at2 := tok["refresh_token"].(string), tok["access_token"].(string)
	require.NotEqual(t, rt1, rt2, "rotated")
	idt, err := r.Verifier.Verify(r.Ctx, tok["id_token"].(string))
	require.NoError(t, err, "a refresh gives a fresh, valid ID token")
	assert.Equal(t, f.IDToken.Subject, idt.Subject)
	st, _, _ := r.Userinfo(f.Token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st, "the old access token died with the rotation")
	st, _, _ = r.Userinfo(at2)
	assert.Equal(t, http.StatusOK, st)
	require.Len(t, e.Audit.Of(audit.TokenRefreshed), 1)

	// Reuse of rt1: invalid_grant, and the whole family is revoked.
	status, tok, _ = r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", tok["error"])
	require.Len(t, e.Audit.Of(audit.RefreshReuse), 1)
	status, tok, _ = r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}})
	assert.Equal(t, "invalid_grant", tok["error"], "the family's newest token is revoked too (%d)", status)
	st, _, _ = r.Userinfo(at2)
	assert.Equal(t, http.StatusUnauthorized, st)
}

// TestConcurrentRefreshIsReuse sends two refreshes with one refresh token at
// once. Both read the token while it is still active; the first to rotate
// it wins, the second finds it rotated. That is a reuse like any other
// (RFC 9700 §4.14.2): the loser gets invalid_grant, not fosite's "retry"
// invalid_request, and the whole family, the winner's new tokens included,
// is revoked.
func TestConcurrentRefreshIsReuse(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "offline_access"}})
	r := e.RP(reg, "openid", "offline_access")
	rt := r.Login(e.Browser()).Token.RefreshToken
	require.NotEmpty(t, rt)

	// Hold the refresh token's row, so that both requests get past reading
	// it (a plain SELECT) and queue at the rotation (an UPDATE).
	ctx := t.Context()
	lock, err := e.DB.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = lock.Rollback(ctx) }()
	var sig string
	require.NoError(t, lock.QueryRow(ctx, `SELECT signature FROM oidc_requests
		WHERE kind = 'refresh' AND account_id = $1 AND active FOR UPDATE`, c.AccountID).Scan(&sig))

	type answer struct {
		status int
		body   map[string]any
		raw    string
	}
	answers := make(chan answer, 2)
	for range 2 {
		go func() {
			req := r.TokenRequest(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			resp, err := e.Server.Client().Do(req)
			if err != nil {
				answers <- answer{raw: err.Error()}
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var m map[string]any
			_ = json.Unmarshal(raw, &m)
			answers <- answer{status: resp.StatusCode, body: m, raw: string(raw)}
		}()
	}
	require.Eventually(t, func() bool {
		var waiting int
		err := e.DB.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == 2
	}, 10*time.Second, 5*time.Millisecond, "both refreshes queue at the rotation")
	require.NoError(t, lock.Rollback(ctx))

	won, lost := <-answers, <-answers
	if won.status != http.StatusOK {
		won, lost = lost, won
	}
	require.Equal(t, http.StatusOK, won.status, won.raw)
	assert.Equal(t, http.StatusBadRequest, lost.status, lost.raw)
	assert.Equal(t, "invalid_grant", lost.body["error"], "the loser is told of reuse, not asked to retry: %s", lost.raw)
	assert.Len(t, e.Audit.Of(audit.RefreshReuse), 1, "the reuse is audited")
	assert.Len(t, e.Audit.Of(audit.TokenRefreshed), 1)

	// The family is revoked: the winner's new tokens are dead too.
	st, _, _ := r.Userinfo(won.body["access_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, st, "the winner's access token is revoked")
	_, tok, _ := r.Post(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {won.body["refresh_token"].(string)}})
	assert.Equal(t, "invalid_grant", tok["error"], "the winner's refresh token is revoked")
	_, tok, _ = r.Post(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	assert.Equal(t, "invalid_grant", tok["error"])
}

func TestIntrospectionAndRevocation(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{TokenEndpointAuthMethod: oidc.AuthClientSecretPost, Scopes: []string{"openid", "offline_access"}})
	r := e.RP(reg, "openid", "offline_access")
	f := r.Login(e.Browser())

	status, in, body := r.Post("/introspect", url.Values{"token": {f.Token.AccessToken}})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, f.IDToken.Subject, in["sub"])
	assert.Equal(t, reg.ID, in["client_id"])
	assert.Equal(t, assurance.ACR2, in["acr"])
	assert.Contains(t, in["scope"], "openid")
	introspected := e.Audit.Of(audit.Introspected)
	require.Len(t, introspected, 1)
	assert.Equal(t, reg.ID, introspected[0].ClientID)
	assert.Equal(t, c.AccountID, introspected[0].AccountID)

	// Another client learns nothing about this token.
	other := e.RP(e.Register(oidc.Client{Scopes: []string{"openid"}}))
	_, in, _ = other.Post("/introspect", url.Values{"token": {f.Token.AccessToken}})
	assert.Equal(t, false, in["active"])

	// Bearer authorisation is refused: only client authentication.
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/introspect", strings.NewReader("token="+f.Token.AccessToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.Token.AccessToken)
	resp := must(e.Server.Client().Do(req))
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Revoking the refresh token revokes the grant.
	status, _, body = r.Post("/revoke", url.Values{"token": {f.Token.RefreshToken}, "token_type_hint": {"refresh_token"}})
	require.Equal(t, http.StatusOK, status, body)
	_, in, _ = r.Post("/introspect", url.Values{"token": {f.Token.AccessToken}})
	assert.Equal(t, false, in["active"])
	_, tok, _ := r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.Token.RefreshToken}})
	assert.Equal(t, "invalid_grant", tok["error"])
	revoked := e.Audit.Of(audit.TokenRevoked)
	require.Len(t, revoked, 1)
	assert.Equal(t, reg.ID, revoked[0].ClientID)
	assert.Len(t, e.Audit.Of(audit.Introspected), 1, "inactive answers are not audited as introspections")
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	machine := e.RP(machineClient(e, oidc.Client{GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"}}))
	status, tok, body := machine.Post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}})
	require.Equal(t, http.StatusOK, status, body)
	at := tok["access_token"].(string)
	assert.Nil(t, tok["id_token"])
	assert.Nil(t, tok["refresh_token"])
	st, ui, _ := machine.Userinfo(at)
	assert.Equal(t, http.StatusForbidden, st, "no citizen behind a machine token")
	assert.Nil(t, ui["sub"])
	_, in, _ := machine.Post("/introspect", url.Values{"token": {at}})
	assert.Equal(t, true, in["active"])
	assert.Nil(t, in["sub"])

	_, tok, _ = machine.Post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"profile"}})
	assert.Equal(t, "invalid_scope", tok["error"])

	// A machine client cannot be registered with citizen scopes at all.
	_, _, err := e.Clients.Create(t.Context(), "test", oidc.Client{Name: oidc.Text{VI: "x"}, GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"profile"}})
	require.ErrorIs(t, err, oidc.ErrInvalidClient)
}

// machineClient registers c in e, with a placeholder redirect URI so that
// an RP can be built for it.
func machineClient(e *env, c oidc.Client) registered {
	reg := e.Register(c)
	if len(reg.RedirectURIs) == 0 {
		reg.RedirectURIs = []string{"https://unused.example/"}
	}
	return reg
}

func signAssertion(t testing.TB, key crypto.Signer, kid, clientID, aud, jti string) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "jti": jti,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()})
	obj, err := sig.Sign(claims)
	require.NoError(t, err)
	return must(obj.CompactSerialize())
}

// keyClient drives the code flow of a private_key_jwt client in one
// browser.
type keyClient struct {
	t testing.TB
	e *env
	r *rp
	b *http.Client
}

// code runs the authorization request: a code and its PKCE verifier.
func (k keyClient) code() (string, string) {
	verifier := oauth2.GenerateVerifier()
	resp, body := k.e.Visit(k.b, k.r.AuthURL(verifier, "nonce-0123456789"))
	return callback(k.t, resp, body).Get("code"), verifier
}

// exchange redeems code, authenticating with assertion.
func (k keyClient) exchange(code, verifier, assertion string) (int, map[string]any) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {k.r.Reg.RedirectURIs[0]}, "client_id": {k.r.Reg.ID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	resp := must(k.e.Server.Client().PostForm(k.e.Server.URL+oidc.PathToken, form))
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// assert signs a fresh client assertion (new jti) with key under kid.
func (k keyClient) assert(key crypto.Signer, kid string) string {
	return signAssertion(k.t, key, kid, k.r.Reg.ID, k.e.Server.URL+oidc.PathToken, uuid.NewString())
}

// login is a whole code flow authenticated with assertion.
func (k keyClient) login(assertion string) (int, map[string]any) {
	code, verifier := k.code()
	return k.exchange(code, verifier, assertion)
}

func TestPrivateKeyJWT(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "bank-1", Algorithm: "ES256", Use: "sig"}}})
	reg := e.Register(oidc.Client{Kind: oidc.KindBank, Profile: oidc.ProfileBaseline, TokenEndpointAuthMethod: oidc.AuthPrivateKeyJWT,
		TokenEndpointAuthSigningAlg: oidc.ES256, JWKS: jwks, Scopes: []string{"openid", "personal_id"}})
	require.Empty(t, reg.Secret, "no secret for private_key_jwt")
	r := e.RP(reg, "openid", "personal_id")
	k := keyClient{t: t, e: e, r: r, b: e.Browser()}

	cd, v := k.code()
	assertion := k.assert(key, "bank-1")
	status, tok := k.exchange(cd, v, assertion)
	require.Equal(t, http.StatusOK, status, "%v", tok)
	idt := must(r.Verifier.Verify(r.Ctx, tok["id_token"].(string)))
	assert.Equal(t, reg.ID, idt.Audience[0])

	// The same assertion again: its jti is spent.
	cd, v = k.code()
	status, tok = k.exchange(cd, v, assertion)
	assert.NotEqual(t, http.StatusOK, status)
	assert.NotEmpty(t, tok["error"])
	// A secret is no way in for this client.
	status, _ = func() (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cd}, "code_verifier": {v}, "redirect_uri": {reg.RedirectURIs[0]}}
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(reg.ID, "guess")
		resp := must(e.Server.Client().Do(req))
		resp.Body.Close()
		return resp.StatusCode, nil
	}()
	assert.Equal(t, http.StatusUnauthorized, status)
	// A fresh assertion with the same code still works (the code was not spent by failures).
	status, tok = k.exchange(cd, v, k.assert(key, "bank-1"))
	assert.Equal(t, http.StatusOK, status, "%v", tok)

	// Revocation authenticated by assertion alone (no client_id) is
	// audited under the client the assertion names.
	resp := must(e.Server.Client().PostForm(e.Server.URL+oidc.PathRevoke, url.Values{"token": {tok["access_token"].(string)},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {k.assert(key, "bank-1")}}))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	revoked := e.Audit.Of(audit.TokenRevoked)
	require.Len(t, revoked, 1)
	assert.Equal(t, reg.ID, revoked[0].ClientID)
}

// TestPrivateKeyJWTWithJWKSURI: a bank publishes its keys at a jwks_uri
// rather than registering them. fosite (DefaultJWKSFetcherStrategy) caches
// the fetched set for an hour and fetches it again at once only when an
// assertion names a kid the cached set lacks. So a bank rotates by
// publishing a new kid, which is picked up on first use; a key replaced
// under the same kid is not seen until the cache expires, and assertions
// signed with it are refused until then.
func TestPrivateKeyJWTWithJWKSURI(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)

	// The bank's key set, served over TLS (a jwks_uri must be https).
	var published atomic.Pointer[[]byte]
	var fetches atomic.Int32
	publish := func(key *ecdsa.PrivateKey, kid string) {
		b := must(json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}}}))
		published.Store(&b)
	}
	bank := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(*published.Load())
	}))
	t.Cleanup(bank.Close)
	// fosite fetches with its own client: this one trusts the test
	// server's certificate and does not retry.
	hc := retryablehttp.NewClient()
	hc.HTTPClient, hc.RetryMax, hc.Logger = bank.Client(), 0, nil
	fetcher := fosite.NewDefaultJWKSFetcherStrategy(fosite.JWKSFetcherWithHTTPClient(hc)).(*fosite.DefaultJWKSFetcherStrategy)
	e.Provider.FositeConfig.JWKSFetcherStrategy = fetcher

	key1 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	publish(key1, "bank-1")
	reg := e.Register(oidc.Client{Kind: oidc.KindBank, Profile: oidc.ProfileBaseline, TokenEndpointAuthMethod: oidc.AuthPrivateKeyJWT,
		TokenEndpointAuthSigningAlg: oidc.ES256, JWKSURI: bank.URL + "/jwks.json", Scopes: []string{"openid", "personal_id"}})
	require.Empty(t, reg.Secret)
	require.Empty(t, reg.JWKS, "keys by reference only")
	r := e.RP(reg, "openid", "personal_id")
	k := keyClient{t: t, e: e, r: r, b: e.Browser()}
	// refused checks a refusal and its error code. A spent jti is
	// invalid_client (RFC 7523 §3.2; fosite's own code is jti_known). fosite
	// answers an unknown kid with invalid_request, where RFC 7523 would have
	// invalid_client: pinned here so that a change shows.
	refused := func(code string) func(int, map[string]any) {
		return func(status int, tok map[string]any) {
			t.Helper()
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, status, "%v", tok)
			assert.Equal(t, code, tok["error"], "%v", tok)
		}
	}

	// The assertion verifies against the fetched set.
	first := k.assert(key1, "bank-1")
	status, tok := k.login(first)
	require.Equal(t, http.StatusOK, status, "%v", tok)
	idt := must(r.Verifier.Verify(r.Ctx, tok["id_token"].(string)))
	assert.Equal(t, reg.ID, idt.Audience[0])
	assert.EqualValues(t, 1, fetches.Load())
	fetcher.WaitForCache()

	// Cached: the next assertion costs no fetch.
	status, tok = k.login(k.assert(key1, "bank-1"))
	require.Equal(t, http.StatusOK, status, "%v", tok)
	assert.EqualValues(t, 1, fetches.Load(), "the set is cached")

	// A jti is spent once, whatever the key source.
	refused("invalid_client")(k.login(first))

	// A key replaced under the same kid is not seen while the set is cached.
	swapped := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	publish(swapped, "bank-1")
	refused("invalid_client")(k.login(k.assert(swapped, "bank-1")))
	assert.EqualValues(t, 1, fetches.Load(), "a known kid is not fetched again")

	// Rotation to a new kid: fetched at once, and the old key is gone.
	key2 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	publish(key2, "bank-2")
	status, tok = k.login(k.assert(key2, "bank-2"))
	require.Equal(t, http.StatusOK, status, "%v", tok)
	assert.EqualValues(t, 2, fetches.Load(), "an unknown kid makes fosite fetch again")
	fetcher.WaitForCache()
	refused("invalid_request")(k.login(k.assert(key1, "bank-1")))
	assert.EqualValues(t, 3, fetches.Load(), "an unknown kid is looked up once more, then refused")
}

func TestPushedAuthorizationRequests(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{RequirePAR: true, Scopes: []string{"openid", "profile"}})
	r := e.RP(reg, "openid", "profile")
	b := e.Browser() // not signed in yet: PAR must survive the sign-in round trip

	// Without PAR: refused.
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789"))
	q := callback(t, resp, body)
	assert.Equal(t, "invalid_request", q.Get("error"))

	verifier := oauth2.GenerateVerifier()
	status, par, body := r.Post("/par", url.Values{"response_type": {"code"}, "client_id": {reg.ID},
		"redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid profile"}, "state": {"state-0123456789"},
		"nonce": {"nonce-0123456789"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
	require.Equal(t, http.StatusCreated, status, body)
	uri := par["request_uri"].(string)
	require.True(t, strings.HasPrefix(uri, oidc.PARPrefix))
	assert.NotZero(t, par["expires_in"])

	authz := e.Server.URL + "/authorize?" + url.Values{"client_id": {reg.ID}, "request_uri": {uri}}.Encode()
	before := e.Logins()
	resp, body = e.Visit(b, authz)
	q = callback(t, resp, body)
	require.Empty(t, q.Get("error"), q.Get("error_description"))
	assert.Equal(t, before+1, e.Logins(), "signed in on the way")
	tok := must(r.Conf.Exchange(r.Ctx, q.Get("code"), oauth2.VerifierOption(verifier)))
	idt := must(r.Verifier.Verify(r.Ctx, tok.Extra("id_token").(string)))
	assert.Equal(t, "nonce-0123456789", idt.Nonce)

	// A request_uri is used once; an unknown one shows our error page.
	resp, body = e.Visit(b, authz)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid_request_uri")

	// PAR with a scope the client may not use.
	_, par, _ = r.Post("/par", url.Values{"response_type": {"code"}, "client_id": {reg.ID},
		"redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid email"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
	assert.Equal(t, "invalid_scope", par["error"])
}

func TestRPInitiatedLogout(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.Register(oidc.Client{PostLogoutRedirectURIs: []string{"https://rp.example/bye"}, Scopes: []string{"openid"}})
	r := e.RP(reg)
	b := e.Browser()
	f := r.Login(b)

	// Unregistered post_logout_redirect_uri: an error page, no redirect.
	resp, body := e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {f.RawID}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid_request")

	resp, _ = e.Visit(b, e.Server.URL+"/logout?"+url.Values{"id_token_hint": {f.RawID},
		"post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"st-1"}}.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "https://rp.example/bye?state=st-1", resp.Header.Get("Location"))
	require.Len(t, e.Audit.Of(audit.SignedOut), 1)

	// Signed out: prompt=none now needs a sign-in.
	resp, body = e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789", oauth2.SetAuthURLParam("prompt", "none")))
	assert.Equal(t, "login_required", callback(t, resp, body).Get("error"))

	// Without an id_token_hint the citizen confirms.
	r.Login(b)
	resp, body = e.Visit(b, e.Server.URL+"/logout?client_id="+reg.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `name="logout_nonce"`)
	nonce := between(body, `name="logout_nonce" value="`, `"`)
	resp = must(b.PostForm(e.Server.URL+"/logout", url.Values{"logout_nonce": {nonce}, "client_id": {reg.ID}}))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, e.Audit.Of(audit.SignedOut), 2)
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

func kidOf(t testing.TB, jws string) string {
	head, _, _ := strings.Cut(jws, ".")
	raw := must(base64.RawURLEncoding.DecodeString(head))
	var h struct {
		KID string `json:"kid"`
	}
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.KID
}

func fetchJWKS(t testing.TB, e *env) jose.JSONWebKeySet {
	resp, body := e.Visit(http.DefaultClient, e.Server.URL+"/jwks.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	return set
}

func TestKeyRotationWithCachedJWKS(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.RP(e.Register(oidc.Client{Scopes: []string{"openid"}}))
	b := e.Browser()
	f1 := r.Login(b) // the relying party's verifier has now cached the JWKS
	k1 := kidOf(t, f1.RawID)

	require.NoError(t, e.Keys.Rotate(t.Context()))
	require.NoError(t, e.Provider.Keys.Rotate(t.Context()), "a second rotation in a row is fine")
	set := fetchJWKS(t, e)
	require.Len(t, set.Keys, 6, "new keys are published at once, old ones kept")
	f2 := r.Login(b)
	assert.Equal(t, k1, kidOf(t, f2.RawID), "new keys do not sign before the delay")

	// A relying party that cached the JWKS right after the rotation.
	var pubs []crypto.PublicKey
	for _, k := range set.Keys {
		pubs = append(pubs, k.Key)
	}
	static := gooidc.NewVerifier(e.Server.URL, &gooidc.StaticKeySet{PublicKeys: pubs}, &gooidc.Config{ClientID: r.Reg.ID, SupportedSigningAlgs: []string{"ES256"}})

	e.Clock.Advance(61 * time.Minute)
	f3 := r.Login(b) // verified by the remote key set that cached the old JWKS: it refetches
	k3 := kidOf(t, f3.RawID)
	assert.NotEqual(t, k1, k3, "the new key signs after the delay")
	_, err := static.Verify(r.Ctx, f3.RawID)
	require.NoError(t, err, "a JWKS cached during the delay already holds the new key")
	_, err = r.Verifier.Verify(r.Ctx, f1.RawID)
	require.NoError(t, err, "old tokens still verify")

	// A second replica notices the rotation through the database.
	replica := must(oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: e.Store, EncryptionKey: oidctest.KEK, Retention: 2 * time.Hour, Now: e.Clock.Now}))
	require.NoError(t, e.Keys.Rotate(t.Context()))
	changed, err := replica.Refresh(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.JSONEq(t, string(e.Keys.JWKS()), string(replica.JWKS()))

	// Once everything k1 signed has expired, k1 leaves the JWKS.
	e.Clock.Advance(3 * time.Hour)
	for _, k := range fetchJWKS(t, e).Keys {
		assert.NotEqual(t, k1, k.KeyID)
	}
	n, err := e.Keys.Prune(t.Context())
	require.NoError(t, err)
	assert.Positive(t, n)
}

func TestLockedAccountGetsNothing(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "offline_access")
	b := e.Browser()
	f := r.Login(b)
	_, err := e.Accounts.Update(t.Context(), c.AccountID, func(rec *accounts.Record) error {
		rec.Status, rec.LockReason = accounts.Locked, "lost phone"
		return nil
	})
	require.NoError(t, err)
	st, _, _ := r.Userinfo(f.Token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st)
	_, in, _ := r.Post("/introspect", url.Values{"token": {f.Token.AccessToken}})
	assert.Equal(t, false, in["active"])
	_, tok, _ := r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.Token.RefreshToken}})
	assert.Equal(t, "invalid_grant", tok["error"])
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789"))
	assert.Equal(t, "access_denied", callback(t, resp, body).Get("error"))
	denied := e.Audit.Of(audit.AuthorizeDenied)
	require.Len(t, denied, 1)
	assert.Equal(t, "account_locked", denied[0].Reason)
	assert.Equal(t, c.AccountID, denied[0].AccountID)
	assert.Equal(t, audit.Denied, denied[0].Outcome)
}

func TestAuditFailureFailsIssuance(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.RP(e.Register(oidc.Client{Scopes: []string{"openid", "profile"}}), "openid", "profile")
	b := e.Browser()
	verifier := oauth2.GenerateVerifier()
	resp, body := e.Visit(b, r.AuthURL(verifier, "nonce-0123456789"))
	code := callback(t, resp, body).Get("code")
	e.Audit.SetFail(errors.New("audit store down"))
	_, err := r.Conf.Exchange(r.Ctx, code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "server_error", re.ErrorCode)

	e.Audit.SetFail(nil)
	f := r.Login(b)
	e.Audit.SetFail(errors.New("audit store down"))
	st, _, _ := r.Userinfo(f.Token.AccessToken)
	assert.Equal(t, http.StatusInternalServerError, st, "no unaudited attribute release")
}

func TestRS256PerClient(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.RP(e.Register(oidc.Client{IDTokenSignedResponseAlg: oidc.RS256, Scopes: []string{"openid"}}))
	f := r.Login(e.Browser())
	assert.True(t, strings.HasPrefix(kidOf(t, f.RawID), "rs256-"))
	es := e.RP(e.Register(oidc.Client{Scopes: []string{"openid"}}))
	f = es.Login(e.Browser())
	assert.True(t, strings.HasPrefix(kidOf(t, f.RawID), "es256-"), "ES256 by default")
}
