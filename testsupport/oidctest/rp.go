package oidctest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// RP is a relying party built from x/oauth2 and go-oidc, talking to Env's
// server with the server's own HTTP client.
type RP struct {
	Env      *Env
	Reg      Registered
	Conf     oauth2.Config
	Provider *gooidc.Provider
	Verifier *gooidc.IDTokenVerifier
	// Ctx carries the HTTP client for x/oauth2 and go-oidc.
	Ctx context.Context
}

// RP is a relying party for reg asking for scopes ("openid" when none), at
// reg's first redirect URI, authenticating as reg's method says.
func (e *Env) RP(reg Registered, scopes ...string) *RP {
	e.T.Helper()
	ctx := gooidc.ClientContext(e.T.Context(), e.Server.Client())
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.Server.Client())
	p, err := gooidc.NewProvider(ctx, e.Server.URL)
	require.NoError(e.T, err)
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if reg.TokenEndpointAuthMethod == oidc.AuthClientSecretPost || reg.TokenEndpointAuthMethod == oidc.AuthNone {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	if len(scopes) == 0 {
		scopes = []string{"openid"}
	}
	return &RP{Env: e, Reg: reg, Provider: p, Ctx: ctx,
		Conf: oauth2.Config{ClientID: reg.ID, ClientSecret: reg.Secret, Endpoint: ep,
			RedirectURL: reg.RedirectURIs[0], Scopes: scopes},
		Verifier: p.Verifier(&gooidc.Config{ClientID: reg.ID, SupportedSigningAlgs: []string{reg.IDTokenAlg()}}),
	}
}

// Flow is one completed code flow, its ID token verified.
type Flow struct {
	Token   *oauth2.Token
	IDToken *gooidc.IDToken
	RawID   string
	Nonce   string
	Claims  map[string]any
	Sub     string
}

// AuthURL is an authorization URL with PKCE S256, State and nonce.
func (r *RP) AuthURL(verifier, nonce string, opts ...oauth2.AuthCodeOption) string {
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)}, opts...)
	return r.Conf.AuthCodeURL(State, opts...)
}

// NewNonce is a fresh nonce.
func NewNonce() string { return "nonce-" + RandomDigits(12) }

// Login runs the code flow in browser b, which must end at the relying
// party's redirect URI without stopping at a page of ours, and redeems the
// code.
func (r *RP) Login(b *http.Client, opts ...oauth2.AuthCodeOption) Flow {
	t := r.Env.T
	t.Helper()
	verifier, nonce := oauth2.GenerateVerifier(), NewNonce()
	resp, body := r.Env.Visit(b, r.AuthURL(verifier, nonce, opts...))
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode,
		"want a redirect to the relying party, got %d: %s", resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, r.Conf.RedirectURL+"?"), "redirect to %s, got %s", r.Conf.RedirectURL, loc)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	return r.Redeem(u.Query(), verifier, nonce)
}

// Redeem checks the callback query q (no error, State) and exchanges its
// code with the PKCE verifier; the ID token must carry nonce.
func (r *RP) Redeem(q url.Values, verifier, nonce string) Flow {
	t := r.Env.T
	t.Helper()
	require.Empty(t, q.Get("error"), "authorization error: %s %s", q.Get("error"), q.Get("error_description"))
	require.Equal(t, State, q.Get("state"))
	require.Equal(t, r.Env.Server.URL, q.Get("iss"), "RFC 9207: the issuer in the authorization response")
	tok, err := r.Conf.Exchange(r.Ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	f := r.Verify(tok, nonce)
	require.Equal(t, nonce, f.Nonce)
	return f
}

// Verify verifies the ID token of tok; nonce, when not empty, must be its
// nonce.
func (r *RP) Verify(tok *oauth2.Token, nonce string) Flow {
	t := r.Env.T
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, raw, "an ID token")
	idt, err := r.Verifier.Verify(r.Ctx, raw)
	require.NoError(t, err)
	if nonce != "" {
		require.Equal(t, nonce, idt.Nonce)
	}
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	return Flow{Token: tok, IDToken: idt, RawID: raw, Nonce: idt.Nonce, Claims: claims, Sub: idt.Subject}
}

// Refresh redeems a refresh token through x/oauth2.
func (r *RP) Refresh(rt string) (*oauth2.Token, error) {
	return r.Conf.TokenSource(r.Ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
}

// Userinfo calls the userinfo endpoint with an access token: the status,
// the JSON body decoded (nil if not an object) and the body.
func (r *RP) Userinfo(accessToken string) (int, map[string]any, string) {
	req, err := http.NewRequest(http.MethodGet, r.Env.Server.URL+oidc.PathUserinfo, nil)
	require.NoError(r.Env.T, err)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return r.do(req)
}

// TokenRequest is a POST of form to one of the server's endpoints,
// authenticated as the client's method says (client_secret_basic,
// client_secret_post or none; private_key_jwt callers add their own
// assertion). It is safe to use from any goroutine.
func (r *RP) TokenRequest(path string, form url.Values) *http.Request {
	form = cloneValues(form)
	switch r.Reg.TokenEndpointAuthMethod {
	case oidc.AuthClientSecretPost:
		form.Set("client_id", r.Reg.ID)
		form.Set("client_secret", r.Reg.Secret)
	case oidc.AuthNone:
		form.Set("client_id", r.Reg.ID)
	}
	req, _ := http.NewRequest(http.MethodPost, r.Env.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r.Reg.TokenEndpointAuthMethod == oidc.AuthClientSecretBasic {
		req.SetBasicAuth(url.QueryEscape(r.Reg.ID), url.QueryEscape(r.Reg.Secret))
	}
	return req
}

// Post sends TokenRequest(path, form): the status, the JSON body decoded
// and the body.
func (r *RP) Post(path string, form url.Values) (int, map[string]any, string) {
	return r.do(r.TokenRequest(path, form))
}

// Introspect asks the introspection endpoint about token, as the client.
func (r *RP) Introspect(token string) map[string]any {
	status, m, body := r.Post(oidc.PathIntrospect, url.Values{"token": {token}})
	require.Equal(r.Env.T, http.StatusOK, status, body)
	return m
}

func (r *RP) do(req *http.Request) (int, map[string]any, string) {
	resp, err := r.Env.Server.Client().Do(req)
	require.NoError(r.Env.T, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
