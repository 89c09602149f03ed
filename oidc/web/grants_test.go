package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
)

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.client(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.rp(reg, "openid", "profile", "offline_access")
	f := r.login(e.browser())
	rt1 := f.token.RefreshToken
	require.NotEmpty(t, rt1)

	status, tok, body := r.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	require.Equal(t, http.StatusOK, status, body)
	rt2, at2 := tok["refresh_token"].(string), tok["access_token"].(string)
	require.NotEqual(t, rt1, rt2, "rotated")
	idt, err := r.verifier.Verify(r.ctx, tok["id_token"].(string))
	require.NoError(t, err, "a refresh gives a fresh, valid ID token")
	assert.Equal(t, f.idToken.Subject, idt.Subject)
	st, _, _ := r.userinfo(f.token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st, "the old access token died with the rotation")
	st, _, _ = r.userinfo(at2)
	assert.Equal(t, http.StatusOK, st)
	require.Len(t, e.audit.Of(audit.TokenRefreshed), 1)

	// Reuse of rt1: invalid_grant, and the whole family is revoked.
	status, tok, _ = r.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", tok["error"])
	require.Len(t, e.audit.Of(audit.RefreshReuse), 1)
	status, tok, _ = r.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}})
	assert.Equal(t, "invalid_grant", tok["error"], "the family's newest token is revoked too (%d)", status)
	st, _, _ = r.userinfo(at2)
	assert.Equal(t, http.StatusUnauthorized, st)
}

func TestIntrospectionAndRevocation(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.client(oidc.Client{TokenEndpointAuthMethod: oidc.AuthClientSecretPost, Scopes: []string{"openid", "offline_access"}})
	r := e.rp(reg, "openid", "offline_access")
	f := r.login(e.browser())

	status, in, body := r.post("/introspect", url.Values{"token": {f.token.AccessToken}})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, f.idToken.Subject, in["sub"])
	assert.Equal(t, reg.ID, in["client_id"])
	assert.Equal(t, oidc.ACRLevel2, in["acr"])
	assert.Contains(t, in["scope"], "openid")
	require.NotEmpty(t, e.audit.Of(audit.Introspected))

	// Another client learns nothing about this token.
	other := e.rp(e.client(oidc.Client{Scopes: []string{"openid"}}))
	_, in, _ = other.post("/introspect", url.Values{"token": {f.token.AccessToken}})
	assert.Equal(t, false, in["active"])

	// Bearer authorisation is refused: only client authentication.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/introspect", strings.NewReader("token="+f.token.AccessToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.token.AccessToken)
	resp := must(e.srv.Client().Do(req))
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Revoking the refresh token revokes the grant.
	status, _, body = r.post("/revoke", url.Values{"token": {f.token.RefreshToken}, "token_type_hint": {"refresh_token"}})
	require.Equal(t, http.StatusOK, status, body)
	_, in, _ = r.post("/introspect", url.Values{"token": {f.token.AccessToken}})
	assert.Equal(t, false, in["active"])
	_, tok, _ := r.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.token.RefreshToken}})
	assert.Equal(t, "invalid_grant", tok["error"])
	require.NotEmpty(t, e.audit.Of(audit.TokenRevoked))
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	machine := e.rp(registered{}.with(e, oidc.Client{GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"}}))
	status, tok, body := machine.post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}})
	require.Equal(t, http.StatusOK, status, body)
	at := tok["access_token"].(string)
	assert.Nil(t, tok["id_token"])
	assert.Nil(t, tok["refresh_token"])
	st, ui, _ := machine.userinfo(at)
	assert.Equal(t, http.StatusForbidden, st, "no citizen behind a machine token")
	assert.Nil(t, ui["sub"])
	_, in, _ := machine.post("/introspect", url.Values{"token": {at}})
	assert.Equal(t, true, in["active"])
	assert.Nil(t, in["sub"])

	_, tok, _ = machine.post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"profile"}})
	assert.Equal(t, "invalid_scope", tok["error"])

	// A machine client cannot be registered with citizen scopes at all.
	_, _, err := e.clients.Create(t.Context(), "test", oidc.Client{Name: oidc.Text{VI: "x"}, GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"profile"}})
	require.ErrorIs(t, err, oidc.ErrInvalidClient)
}

// with registers c in e (a helper so machine clients need no redirect).
func (registered) with(e *env, c oidc.Client) registered {
	reg := e.client(c)
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

func TestPrivateKeyJWT(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "bank-1", Algorithm: "ES256", Use: "sig"}}})
	reg := e.client(oidc.Client{Kind: oidc.KindBank, TokenEndpointAuthMethod: oidc.AuthPrivateKeyJWT,
		TokenEndpointAuthSigningAlg: oidc.ES256, JWKS: jwks, Scopes: []string{"openid", "personal_id"}})
	require.Empty(t, reg.Secret, "no secret for private_key_jwt")
	r := e.rp(reg, "openid", "personal_id")
	b := e.browser()

	code := func() (string, string) {
		verifier := oauth2.GenerateVerifier()
		resp, body := e.visit(b, r.authURL(verifier, "nonce-0123456789"))
		return callback(t, resp, body).Get("code"), verifier
	}
	exchange := func(code, verifier, assertion string) (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
			"redirect_uri": {reg.RedirectURIs[0]}, "client_id": {reg.ID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		resp := must(e.srv.Client().PostForm(e.srv.URL+"/token", form))
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	cd, v := code()
	assertion := signAssertion(t, key, "bank-1", reg.ID, e.srv.URL+"/token", uuid.NewString())
	status, tok := exchange(cd, v, assertion)
	require.Equal(t, http.StatusOK, status, "%v", tok)
	idt := must(r.verifier.Verify(r.ctx, tok["id_token"].(string)))
	assert.Equal(t, reg.ID, idt.Audience[0])

	// The same assertion again: its jti is spent.
	cd, v = code()
	status, tok = exchange(cd, v, assertion)
	assert.NotEqual(t, http.StatusOK, status)
	assert.NotEmpty(t, tok["error"])
	// A secret is no way in for this client.
	status, _ = func() (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cd}, "code_verifier": {v}, "redirect_uri": {reg.RedirectURIs[0]}}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(reg.ID, "guess")
		resp := must(e.srv.Client().Do(req))
		resp.Body.Close()
		return resp.StatusCode, nil
	}()
	assert.Equal(t, http.StatusUnauthorized, status)
	// A fresh assertion with the same code still works (the code was not spent by failures).
	status, tok = exchange(cd, v, signAssertion(t, key, "bank-1", reg.ID, e.srv.URL+"/token", uuid.NewString()))
	assert.Equal(t, http.StatusOK, status, "%v", tok)
}

func TestPushedAuthorizationRequests(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.client(oidc.Client{RequirePAR: true, Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	b := e.browser() // not signed in yet: PAR must survive the sign-in round trip

	// Without PAR: refused.
	resp, body := e.visit(b, r.authURL(oauth2.GenerateVerifier(), "nonce-0123456789"))
	q := callback(t, resp, body)
	assert.Equal(t, "invalid_request", q.Get("error"))

	verifier := oauth2.GenerateVerifier()
	status, par, body := r.post("/par", url.Values{"response_type": {"code"}, "client_id": {reg.ID},
		"redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid profile"}, "state": {"state-0123456789"},
		"nonce": {"nonce-0123456789"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}})
	require.Equal(t, http.StatusCreated, status, body)
	uri := par["request_uri"].(string)
	require.True(t, strings.HasPrefix(uri, oidc.PARPrefix))
	assert.NotZero(t, par["expires_in"])

	authz := e.srv.URL + "/authorize?" + url.Values{"client_id": {reg.ID}, "request_uri": {uri}}.Encode()
	before := e.logins.Load()
	resp, body = e.visit(b, authz)
	q = callback(t, resp, body)
	require.Empty(t, q.Get("error"), q.Get("error_description"))
	assert.Equal(t, before+1, e.logins.Load(), "signed in on the way")
	tok := must(r.conf.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier)))
	idt := must(r.verifier.Verify(r.ctx, tok.Extra("id_token").(string)))
	assert.Equal(t, "nonce-0123456789", idt.Nonce)

	// A request_uri is used once; an unknown one shows our error page.
	resp, body = e.visit(b, authz)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid_request_uri")

	// PAR with a scope the client may not use.
	_, par, _ = r.post("/par", url.Values{"response_type": {"code"}, "client_id": {reg.ID},
		"redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid email"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}})
	assert.Equal(t, "invalid_scope", par["error"])
}

func TestRPInitiatedLogout(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	reg := e.client(oidc.Client{PostLogoutRedirectURIs: []string{"https://rp.example/bye"}, Scopes: []string{"openid"}})
	r := e.rp(reg)
	b := e.browser()
	f := r.login(b)

	// Unregistered post_logout_redirect_uri: an error page, no redirect.
	resp, body := e.visit(b, e.srv.URL+"/logout?"+url.Values{"id_token_hint": {f.rawID}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "invalid_request")

	resp, _ = e.visit(b, e.srv.URL+"/logout?"+url.Values{"id_token_hint": {f.rawID},
		"post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"st-1"}}.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "https://rp.example/bye?state=st-1", resp.Header.Get("Location"))
	require.Len(t, e.audit.Of(audit.SignedOut), 1)

	// Signed out: prompt=none now needs a sign-in.
	resp, body = e.visit(b, r.authURL(oauth2.GenerateVerifier(), "nonce-0123456789", oauth2.SetAuthURLParam("prompt", "none")))
	assert.Equal(t, "login_required", callback(t, resp, body).Get("error"))

	// Without an id_token_hint the citizen confirms.
	r.login(b)
	resp, body = e.visit(b, e.srv.URL+"/logout?client_id="+reg.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `name="logout_nonce"`)
	nonce := between(body, `name="logout_nonce" value="`, `"`)
	resp = must(b.PostForm(e.srv.URL+"/logout", url.Values{"logout_nonce": {nonce}, "client_id": {reg.ID}}))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, e.audit.Of(audit.SignedOut), 2)
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
	resp, body := e.visit(http.DefaultClient, e.srv.URL+"/jwks.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	return set
}

func TestKeyRotationWithCachedJWKS(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.rp(e.client(oidc.Client{Scopes: []string{"openid"}}))
	b := e.browser()
	f1 := r.login(b) // the relying party's verifier has now cached the JWKS
	k1 := kidOf(t, f1.rawID)

	require.NoError(t, e.keys.Rotate(t.Context()))
	require.NoError(t, e.provider.Keys.Rotate(t.Context()), "a second rotation in a row is fine")
	set := fetchJWKS(t, e)
	require.Len(t, set.Keys, 6, "new keys are published at once, old ones kept")
	f2 := r.login(b)
	assert.Equal(t, k1, kidOf(t, f2.rawID), "new keys do not sign before the delay")

	// A relying party that cached the JWKS right after the rotation.
	var pubs []crypto.PublicKey
	for _, k := range set.Keys {
		pubs = append(pubs, k.Key)
	}
	static := gooidc.NewVerifier(e.srv.URL, &gooidc.StaticKeySet{PublicKeys: pubs}, &gooidc.Config{ClientID: r.reg.ID, SupportedSigningAlgs: []string{"ES256"}})

	e.clock.Advance(61 * time.Minute)
	f3 := r.login(b) // verified by the remote key set that cached the old JWKS: it refetches
	k3 := kidOf(t, f3.rawID)
	assert.NotEqual(t, k1, k3, "the new key signs after the delay")
	_, err := static.Verify(r.ctx, f3.rawID)
	require.NoError(t, err, "a JWKS cached during the delay already holds the new key")
	_, err = r.verifier.Verify(r.ctx, f1.rawID)
	require.NoError(t, err, "old tokens still verify")

	// A second replica notices the rotation through the database.
	replica := must(oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: e.store, EncryptionKey: testKEK, Retention: 2 * time.Hour, Now: e.clock.Now}))
	require.NoError(t, e.keys.Rotate(t.Context()))
	changed, err := replica.Refresh(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.JSONEq(t, string(e.keys.JWKS()), string(replica.JWKS()))

	// Once everything k1 signed has expired, k1 leaves the JWKS.
	e.clock.Advance(3 * time.Hour)
	for _, k := range fetchJWKS(t, e).Keys {
		assert.NotEqual(t, k1, k.KeyID)
	}
	n, err := e.keys.Prune(t.Context())
	require.NoError(t, err)
	assert.Positive(t, n)
}

func TestLockedAccountGetsNothing(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.client(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.rp(reg, "openid", "profile", "offline_access")
	b := e.browser()
	f := r.login(b)
	_, err := e.accounts.Update(t.Context(), c.AccountID, func(rec *accounts.Record) error {
		rec.Status, rec.LockReason = accounts.Locked, "lost phone"
		return nil
	})
	require.NoError(t, err)
	st, _, _ := r.userinfo(f.token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st)
	_, in, _ := r.post("/introspect", url.Values{"token": {f.token.AccessToken}})
	assert.Equal(t, false, in["active"])
	_, tok, _ := r.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.token.RefreshToken}})
	assert.Equal(t, "invalid_grant", tok["error"])
	resp, body := e.visit(b, r.authURL(oauth2.GenerateVerifier(), "nonce-0123456789"))
	assert.Equal(t, "access_denied", callback(t, resp, body).Get("error"))
	require.NotEmpty(t, e.audit.Of(audit.AuthorizeDenied))
}

func TestAuditFailureFailsIssuance(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.rp(e.client(oidc.Client{Scopes: []string{"openid", "profile"}}), "openid", "profile")
	b := e.browser()
	verifier := oauth2.GenerateVerifier()
	resp, body := e.visit(b, r.authURL(verifier, "nonce-0123456789"))
	code := callback(t, resp, body).Get("code")
	e.audit.SetFail(errors.New("audit store down"))
	_, err := r.conf.Exchange(r.ctx, code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "server_error", re.ErrorCode)

	e.audit.SetFail(nil)
	f := r.login(b)
	e.audit.SetFail(errors.New("audit store down"))
	st, _, _ := r.userinfo(f.token.AccessToken)
	assert.Equal(t, http.StatusInternalServerError, st, "no unaudited attribute release")
}

func TestRS256PerClient(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(1)
	e.signInAs(c, 1)
	r := e.rp(e.client(oidc.Client{IDTokenSignedResponseAlg: oidc.RS256, Scopes: []string{"openid"}}))
	f := r.login(e.browser())
	assert.True(t, strings.HasPrefix(kidOf(t, f.rawID), "rs256-"))
	es := e.rp(e.client(oidc.Client{Scopes: []string{"openid"}}))
	f = es.login(e.browser())
	assert.True(t, strings.HasPrefix(kidOf(t, f.rawID), "es256-"), "ES256 by default")
}
