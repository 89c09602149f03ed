package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// TestErrorCodes drives one request per error code the provider answers.
func TestErrorCodes(t *testing.T) {
	e := newEnv(t)
	l1 := e.citizen(1)
	e.signInAs(l1, 1)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.RP(reg, "openid", "profile")
	b := e.Browser()
	authErr := func(u string) string {
		t.Helper()
		resp, body := e.Visit(b, u)
		return callback(t, resp, body).Get("error")
	}
	v := oauth2.GenerateVerifier()

	t.Run("invalid_request", func(t *testing.T) {
		noPKCE := r.Conf.AuthCodeURL("state-0123456789", oauth2.SetAuthURLParam("nonce", "nonce-0123456789"))
		assert.Equal(t, "invalid_request", authErr(noPKCE), "PKCE is required")
		plain := r.Conf.AuthCodeURL("state-0123456789", oauth2.SetAuthURLParam("code_challenge", v),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"))
		assert.Equal(t, "invalid_request", authErr(plain), "plain is refused")
		assert.Equal(t, "invalid_request", authErr(r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("claims", "{not json"))))
	})
	t.Run("invalid_client", func(t *testing.T) {
		bad := *r
		bad.Conf.ClientSecret = "wrong"
		_, err := bad.Conf.Exchange(r.Ctx, "whatever", oauth2.VerifierOption(v))
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "invalid_client", re.ErrorCode)
		assert.Equal(t, http.StatusUnauthorized, re.Response.StatusCode)
	})
	t.Run("invalid_grant", func(t *testing.T) {
		resp, body := e.Visit(b, r.AuthURL(v, "nonce-0123456789"))
		code := callback(t, resp, body).Get("code")
		_, err := r.Conf.Exchange(r.Ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "invalid_grant", re.ErrorCode, "wrong code_verifier")
		_, err = r.Conf.Exchange(r.Ctx, "not-a-code", oauth2.VerifierOption(v))
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "invalid_grant", re.ErrorCode)
		resp, body = e.Visit(b, r.AuthURL(v, "nonce-0123456789"))
		code = callback(t, resp, body).Get("code")
		_, err = r.Conf.Exchange(r.Ctx, code, oauth2.VerifierOption(v))
		require.NoError(t, err)
		_, err = r.Conf.Exchange(r.Ctx, code, oauth2.VerifierOption(v))
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "invalid_grant", re.ErrorCode, "a code is redeemed once")
	})
	t.Run("invalid_scope", func(t *testing.T) {
		assert.Equal(t, "invalid_scope", authErr(r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("scope", "openid email"))))
		assert.Equal(t, "invalid_scope", authErr(r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("scope", "openid portrait"))))
		assert.Equal(t, "invalid_scope", authErr(r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("scope", "profile"))), "openid is required")
	})
	t.Run("unauthorized_client", func(t *testing.T) {
		_, tok, _ := r.Post("/token", url.Values{"grant_type": {"client_credentials"}})
		assert.Equal(t, "unauthorized_client", tok["error"])
	})
	t.Run("access_denied", func(t *testing.T) {
		e.consent.refuse.Store(true)
		defer e.consent.refuse.Store(false)
		assert.Equal(t, "access_denied", authErr(r.AuthURL(v, "nonce-0123456789")))
	})
	t.Run("login_required", func(t *testing.T) {
		fresh := e.Browser()
		resp, body := e.Visit(fresh, r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("prompt", "none")))
		assert.Equal(t, "login_required", callback(t, resp, body).Get("error"))
	})
	t.Run("consent_required", func(t *testing.T) {
		e.consent.needsPrompt.Store(true)
		defer e.consent.needsPrompt.Store(false)
		assert.Equal(t, "consent_required", authErr(r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("prompt", "none"))))
	})
	t.Run("unmet_authentication_requirements", func(t *testing.T) {
		bank := e.RP(e.Register(oidc.Client{Kind: oidc.KindBank, Profile: oidc.ProfileBaseline, Scopes: []string{"openid"}}))
		resp, body := e.Visit(b, bank.AuthURL(v, "nonce-0123456789"))
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "a page for the citizen")
		assert.Contains(t, body, "mức độ 2")
		assert.Contains(t, body, "công an")
		back := between(body, `class="button" href="`, `"`)
		back = strings.ReplaceAll(back, "&amp;", "&")
		u := must(url.Parse(back))
		assert.Equal(t, "rp.example", u.Host)
		assert.Equal(t, "unmet_authentication_requirements", u.Query().Get("error"))
		// Asking for level 2 by acr_values, or through an essential acr, or
		// through a level 2 scope, gives the same answer.
		resp, _ = e.Visit(b, r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("acr_values", assurance.ACR2)))
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		resp, body = e.Visit(b, r.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("claims", `{"id_token":{"acr":{"essential":true,"value":"urn:example:unknown"}}}`)))
		assert.Equal(t, "unmet_authentication_requirements", callback(t, resp, body).Get("error"))
		// English page on request.
		resp, body = e.Visit(b, bank.AuthURL(v, "nonce-0123456789", oauth2.SetAuthURLParam("ui_locales", "en")))
		assert.Contains(t, body, "police office")
	})
	t.Run("unverified redirect_uri gets a page, not a redirect", func(t *testing.T) {
		u := strings.Replace(r.AuthURL(v, "nonce-0123456789"), url.QueryEscape("https://rp.example/cb"), url.QueryEscape("https://evil.example/cb"), 1)
		resp, body := e.Visit(b, u)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, "Đã có lỗi xảy ra")
		assert.Contains(t, body, "invalid_request")
		resp, body = e.Visit(b, u+"&ui_locales=en")
		assert.Contains(t, body, "Something went wrong")
		unknown := strings.Replace(r.AuthURL(v, "nonce-0123456789"), "client_id="+reg.ID, "client_id=nobody", 1)
		resp, body = e.Visit(b, unknown)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a page, not an authentication challenge")
		assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
		assert.Contains(t, body, "invalid_client")
	})
}

func TestAssuranceStepUpMaxAgeAndPromptLogin(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 1) // password only
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "documents.health_insurance"}})
	r := e.RP(reg)
	b := e.Browser()
	f := r.Login(b)
	assert.Equal(t, assurance.ACR1, f.Claims["acr"])

	// Level 2 asked: back to sign-in for the second factor.
	e.signInAs(c, 2)
	n := e.Logins()
	f = r.Login(b, oauth2.SetAuthURLParam("acr_values", assurance.ACR2+" "+assurance.ACR1))
	assert.Equal(t, n, e.Logins(), "acr_values lists level 1 too: no step-up needed")
	f = r.Login(b, oauth2.SetAuthURLParam("acr_values", assurance.ACR2))
	assert.Equal(t, n+1, e.Logins())
	assert.Equal(t, assurance.ACR2, f.Claims["acr"])
	assert.Equal(t, []any{"pwd", "otp"}, f.Claims["amr"])

	// A level 2 scope raises the requirement, and an essential acr is met.
	e.signInAs(c, 1)
	e.Visit(b, e.Server.URL+"/login?return_to=/") // weak session again
	e.signInAs(c, 2)
	n = e.Logins()
	f = r.Login(b, oauth2.SetAuthURLParam("scope", "openid documents.health_insurance"),
		oauth2.SetAuthURLParam("claims", `{"id_token":{"acr":{"essential":true,"values":["`+assurance.ACR2+`"]}}}`))
	assert.Equal(t, n+1, e.Logins())
	assert.Equal(t, assurance.ACR2, f.Claims["acr"])
	_, ui, _ := r.Userinfo(f.Token.AccessToken)
	assert.NotNil(t, ui["health_insurance"])

	// max_age: an old sign-in is renewed.
	old := websession.Login{AccountID: c.AccountID, Level: 2, Strength: 2, AMR: []string{"pwd", "otp"}, AuthTime: time.Now().Add(-time.Hour)}
	e.SignIn(old)
	e.Visit(b, e.Server.URL+"/login?return_to=/")
	e.signInAs(c, 2)
	n = e.Logins()
	f = r.Login(b, oauth2.SetAuthURLParam("max_age", "600"))
	assert.Equal(t, n+1, e.Logins())
	authTime := time.Unix(int64(f.Claims["auth_time"].(float64)), 0)
	assert.WithinDuration(t, time.Now(), authTime, time.Minute)

	// prompt=login forces exactly one fresh sign-in, without looping.
	n = e.Logins()
	f = r.Login(b, oauth2.SetAuthURLParam("prompt", "login"))
	assert.Equal(t, n+1, e.Logins())

	// prompt=none with a too-weak session: login_required.
	e.signInAs(c, 1)
	e.Visit(b, e.Server.URL+"/login?return_to=/")
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789",
		oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("acr_values", assurance.ACR2)))
	assert.Equal(t, "login_required", callback(t, resp, body).Get("error"))

	// A sign-in page that never delivers the second factor ends the request.
	resp, body = e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), "nonce-0123456789", oauth2.SetAuthURLParam("acr_values", assurance.ACR2)))
	assert.Equal(t, "unmet_authentication_requirements", callback(t, resp, body).Get("error"))
}

// allScopes are every scope a citizen-facing client may hold.
var allScopes = []string{"openid", "profile", "personal_id", "address", "phone", "email", "dependents",
	"documents.driving_licence", "documents.vehicle_registration", "documents.health_insurance",
	"documents.social_insurance", "offline_access"}

// biometricProbe runs one complete flow (authorize, token, userinfo,
// introspection, refresh) with the given scopes and claims request.
func biometricProbe(t testing.TB, e *env, r *rp, b *http.Client, scopes []string, claims string, strength int, c citizen) {
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", strings.Join(scopes, " "))}
	if claims != "" {
		opts = append(opts, oauth2.SetAuthURLParam("claims", claims))
	}
	resp, body := e.Visit(b, r.AuthURL(verifier, "nonce-0123456789", opts...))
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return // an error page: its bytes are in the tap
	}
	loc := must(url.Parse(resp.Header.Get("Location")))
	code := loc.Query().Get("code")
	if code == "" {
		return
	}
	tok, err := r.Conf.Exchange(r.Ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return
	}
	r.Userinfo(tok.AccessToken)
	r.Post("/introspect", url.Values{"token": {tok.AccessToken}})
	if tok.RefreshToken != "" {
		r.Post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	}
	_ = body
}

func assertNoBiometrics(t testing.TB, e *env) {
	t.Helper()
	seen := e.Seen()
	require.NotEmpty(t, seen)
	// Tokens are base64url: decode every JWS payload we saw as well.
	require.False(t, bytes.Contains(seen, []byte(biometrics.SentinelPrefix)), "a biometric sentinel left the gateway")
	for _, field := range bytes.FieldsFunc(seen, func(r rune) bool { return r == '"' || r == ' ' || r == '&' || r == '=' || r == '\n' }) {
		parts := bytes.Split(field, []byte("."))
		if len(parts) == 3 {
			payload := make([]byte, len(parts[1]))
			n, err := base64.RawURLEncoding.Decode(payload, parts[1])
			if err == nil {
				require.False(t, bytes.Contains(payload[:n], []byte(biometrics.SentinelPrefix)), "a biometric sentinel inside a token")
			}
		}
	}
	for _, l := range []string{"portrait", "fingerprint", "vân tay", "chân dung"} {
		// Names of biometric data may appear only in our explanatory
		// pages' prose, never as a claim.
		assert.NotContains(t, claimNames(seen), l)
	}
}

// claimNames lists JSON object keys in the responses (crudely).
func claimNames(b []byte) string {
	var out []string
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var m map[string]any
		if dec.Decode(&m) != nil {
			break
		}
		for k := range m {
			out = append(out, k)
		}
	}
	return strings.Join(out, " ")
}

func TestNoBiometricLeak(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	reg := e.Register(oidc.Client{Scopes: allScopes})
	r := e.RP(reg)
	b := e.Browser()
	claimSets := []string{"",
		`{"userinfo":{"portrait":null,"fingerprint":{"essential":true},"picture":null},"id_token":{"portrait":null,"biometrics":null}}`,
		`{"id_token":{"name":null,"driving_licence":null,"dependents":null,"address":null},"userinfo":{"driving_licence":{"essential":true}}}`,
	}
	for _, s := range allScopes {
		biometricProbe(t, e, r, b, []string{"openid", s}, "", 2, c)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 12 {
		var scopes []string
		for _, s := range allScopes {
			if rnd.IntN(2) == 0 || s == "openid" {
				scopes = append(scopes, s)
			}
		}
		biometricProbe(t, e, r, b, scopes, claimSets[rnd.IntN(len(claimSets))], 2, c)
	}
	biometricProbe(t, e, r, b, []string{"openid", "portrait", "fingerprints"}, "", 2, c)
	e.Visit(b, e.Server.URL+"/.well-known/openid-configuration")
	e.Visit(b, e.Server.URL+"/jwks.json")
	assertNoBiometrics(t, e)
	// The probe did release documents: the sentinel in the document's
	// "portrait" field was filtered, not absent.
	assert.Contains(t, string(e.Seen()), `"driving_licence"`)
	assert.Contains(t, string(e.Seen()), `"B2"`)
}

func FuzzNoBiometricLeak(f *testing.F) {
	f.Add(uint16(0xffff), `{"userinfo":{"portrait":null}}`)
	f.Add(uint16(1), `{"id_token":{"fingerprint":{"essential":true,"value":"x"}}}`)
	f.Add(uint16(0x0aaa), `{"id_token":{"driving_licence":null}}`)
	f.Add(uint16(3), `not json`)
	e := newEnv(f)
	c := e.citizen(2)
	e.signInAs(c, 2)
	r := e.RP(e.Register(oidc.Client{Scopes: allScopes}))
	b := e.Browser()
	f.Fuzz(func(t *testing.T, mask uint16, claims string) {
		e.T = t // helpers must not touch f inside the target
		scopes := []string{"openid"}
		for i, s := range attributes.Scopes() {
			if mask&(1<<i) != 0 {
				scopes = append(scopes, s)
			}
		}
		if mask&(1<<15) != 0 {
			scopes = append(scopes, "portrait")
		}
		biometricProbe(t, e, r, b, scopes, claims, 2, c)
		if bytes.Contains(e.Seen(), []byte(biometrics.SentinelPrefix)) {
			t.Fatalf("biometric sentinel leaked with scopes %v claims %q", scopes, claims)
		}
	})
}

var _ = fmt.Sprint
