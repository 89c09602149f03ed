package consentlink_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// idTokenClaims asks for name and nationality in the ID token too.
const idTokenClaims = `{"id_token":{"name":null,"nationality":null}}`

var profileTicked = []string{"name", "birthdate", "gender", "personal_id_number"} // nationality unticked

func TestConsentScreenThenSkipThenWidened(t *testing.T) {
	e := newEnv(t)
	alice := e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "personal_id", "email", "offline_access"}})
	r := e.rp(reg, "openid", "profile", "personal_id", "offline_access")
	b := e.Browser()

	// First sign-in: the screen, with the citizen's own values.
	a := r.start(b, oauth2.SetAuthURLParam("claims", idTokenClaims))
	require.True(t, a.onScreen(), "first sign-in shows the consent screen: %d %s", a.last.resp.StatusCode, a.last.resp.Request.URL)
	assert.Contains(t, a.last.body, "Nguyễn Văn An")
	assert.Contains(t, a.last.body, "01/05/1990", "dates as dd/mm/yyyy")
	assert.Contains(t, a.last.body, alice.PersonalID)
	assert.Contains(t, a.last.body, `value="nationality"`, "nationality is offered")
	f := r.finish(a, r.answer(b, a, "approve", profileTicked...))

	// The unticked voluntary claim is released nowhere.
	assert.Equal(t, "Nguyễn Văn An", f.Claims["name"])
	assert.NotContains(t, f.Claims, "nationality", "unticked claim not in the ID token")
	status, ui, _ := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Nguyễn Văn An", ui["name"])
	assert.Equal(t, alice.PersonalID, ui["personal_id_number"])
	assert.NotContains(t, ui, "nationality", "unticked claim not in userinfo")
	assert.NotContains(t, ui, "email", "email scope not requested")
	// Nor on refresh.
	require.NotEmpty(t, f.Token.RefreshToken)
	tok, err := r.Refresh(f.Token.RefreshToken)
	require.NoError(t, err)
	rf := r.Verify(tok, "")
	assert.Equal(t, "Nguyễn Văn An", rf.Claims["name"])
	assert.NotContains(t, rf.Claims, "nationality", "unticked claim not in a refreshed ID token")
	_, ui, _ = r.Userinfo(tok.AccessToken)
	assert.NotContains(t, ui, "nationality")

	// Recorded once, audited, and marked used by the token and userinfo.
	granted := e.Audit.Of(audit.ConsentGranted)
	require.Len(t, granted, 1)
	assert.Equal(t, alice.AccountID, granted[0].AccountID)
	assert.NotContains(t, granted[0].Claims, "nationality")
	g, err := e.consent.Current(t.Context(), alice.AccountID, reg.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"nationality"}, g.Declined)
	assert.False(t, g.LastUsedAt.IsZero(), "token issuance marks the consent used")

	// Second sign-in with the same request: no screen.
	a = r.start(b, oauth2.SetAuthURLParam("claims", idTokenClaims))
	require.False(t, a.onScreen(), "covered by the consent in force")
	f2 := r.finish(a, a.last)
	assert.Equal(t, f.Sub, f2.Sub)
	assert.NotContains(t, f2.Claims, "nationality", "the declined claim stays declined")
	require.Len(t, e.Audit.Of(audit.ConsentGranted), 1)

	// Widened scopes: the screen again, saying why.
	wide := e.rp(reg, "openid", "profile", "personal_id", "email")
	a = wide.start(b)
	require.True(t, a.onScreen(), "a new scope needs the screen")
	assert.Contains(t, a.last.body, "thêm thông tin so với lần trước")
	// prompt=none cannot show it.
	n := wide.start(b, oauth2.SetAuthURLParam("prompt", "none"))
	assert.Equal(t, "consent_required", callback(t, n.last).Get("error"))
	// Approving the widened request releases email too.
	f3 := wide.finish(a, wide.answer(b, a, "approve", "name", "email"))
	_, ui, _ = wide.Userinfo(f3.Token.AccessToken)
	assert.NotEmpty(t, ui["email"])
	assert.NotContains(t, ui, "birthdate", "unticked this time")

	assert.NotContains(t, string(e.Seen()), biometrics.PortraitSentinel(alice.PersonalID), "biometric data left the gateway")
}

func TestRefusalAndPromptNone(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	b := e.Browser()

	// prompt=none without any consent: consent_required once signed in.
	a := r.start(b) // signs in, stops at the screen
	require.True(t, a.onScreen())
	n := r.start(b, oauth2.SetAuthURLParam("prompt", "none"))
	q := callback(t, n.last)
	assert.Equal(t, "consent_required", q.Get("error"))

	// Refusal: access_denied at the relying party, with its state.
	q = callback(t, r.answer(b, a, "refuse"))
	assert.Equal(t, "access_denied", q.Get("error"))
	assert.Empty(t, q.Get("code"))
	require.Len(t, e.Audit.Of(audit.ConsentRefused), 1)
	_, err := e.consent.Current(t.Context(), e.SignedIn().AccountID, reg.ID)
	assert.ErrorIs(t, err, consent.ErrNotFound, "a refusal stores no consent")

	// The challenge is single use.
	again := r.answer(b, a, "approve", "name")
	assert.Equal(t, http.StatusBadRequest, again.resp.StatusCode)
	assert.Empty(t, e.Audit.Of(audit.ConsentGranted))
}

// TestLockedWhileOnScreen: an account locked while the citizen is on the
// consent screen gets no code, and the denial is audited.
func TestLockedWhileOnScreen(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	b := e.Browser()
	a := r.start(b)
	require.True(t, a.onScreen())
	accountID := e.SignedIn().AccountID
	_, err := e.Accounts.Update(t.Context(), accountID, func(rec *accounts.Record) error {
		rec.Status, rec.LockReason = accounts.Locked, "lost phone"
		return nil
	})
	require.NoError(t, err)
	q := callback(t, r.answer(b, a, "approve", "name"))
	assert.Equal(t, "access_denied", q.Get("error"))
	assert.Empty(t, q.Get("code"))
	denied := e.Audit.Of(audit.AuthorizeDenied)
	require.Len(t, denied, 1)
	assert.Equal(t, "account_locked", denied[0].Reason)
	assert.Equal(t, accountID, denied[0].AccountID)
	assert.Equal(t, reg.ID, denied[0].ClientID)
}

func TestDoubleSubmitRecordsOneConsent(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	b := e.Browser()
	a := r.start(b)
	first := r.answer(b, a, "approve", "name")
	second := r.answer(b, a, "approve", "name")
	assert.Empty(t, callback(t, first).Get("error"))
	assert.Equal(t, http.StatusBadRequest, second.resp.StatusCode)
	assert.Len(t, e.Audit.Of(audit.ConsentGranted), 1)
}

func TestOtherCitizenCannotAnswer(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile")
	a := r.start(e.Browser())
	require.True(t, a.onScreen())
	id := field(t, challengeRe, a.last.body)

	// Another citizen, in another browser, with the challenge id.
	e.citizen()
	other := e.Browser()
	e.do(other, http.MethodGet, e.Server.URL+"/login?return_to=/account", nil)
	p := e.do(other, http.MethodGet, e.Server.URL+"/consent?challenge="+url.QueryEscape(id), nil)
	assert.Equal(t, http.StatusForbidden, p.resp.StatusCode)
	assert.NotContains(t, p.body, "Nguyễn Văn An")
}

func TestRevocationEndsTokensAtOnce(t *testing.T) {
	e := newEnv(t)
	alice := e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"},
		BackchannelLogoutURI: "https://rp.example/backchannel"})
	r := e.rp(reg, "openid", "profile", "offline_access")
	b := e.Browser()
	a := r.start(b)
	f := r.finish(a, r.answer(b, a, "approve", "name"))
	require.Equal(t, true, r.Introspect(f.Token.AccessToken)["active"])
	require.Equal(t, true, r.Introspect(f.Token.RefreshToken)["active"])

	// The receipt verifies against the published JWKS, names the sub of
	// the ID tokens and the claims granted, typed consent-receipt+jwt.
	p := e.do(b, http.MethodGet, e.Server.URL+"/account/services/"+reg.ID+"/receipt?format=jwt", nil)
	require.Equal(t, http.StatusOK, p.resp.StatusCode, p.body)
	var receipt map[string]any
	verifyJWS(t, e, p.body, consent.ReceiptType, &receipt)
	assert.Equal(t, f.Sub, receipt["sub"])
	assert.Equal(t, e.Server.URL, receipt["iss"])
	assert.Equal(t, []any{"name"}, receipt["claims"])
	assert.NotContains(t, p.body, alice.AccountID)

	// Revoke from the account page (CSRF token from the page).
	acct := e.do(b, http.MethodGet, e.Server.URL+"/account", nil)
	require.Equal(t, http.StatusOK, acct.resp.StatusCode)
	rev := e.do(b, http.MethodPost, e.Server.URL+"/account/services/"+reg.ID+"/revoke",
		url.Values{"csrf_token": {field(t, csrfRe, acct.body)}})
	require.Equal(t, http.StatusOK, rev.resp.StatusCode, rev.body)

	assert.Equal(t, false, r.Introspect(f.Token.AccessToken)["active"], "access token inactive at once")
	assert.Equal(t, false, r.Introspect(f.Token.RefreshToken)["active"], "refresh token inactive at once")
	status, _, _ := r.Userinfo(f.Token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status)
	_, err := r.Refresh(f.Token.RefreshToken)
	var re *oauth2.RetrieveError
	require.True(t, errors.As(err, &re), "refresh must fail: %v", err)
	assert.Equal(t, "invalid_grant", re.ErrorCode)

	// The relying party is told through the back channel, with a logout
	// token that verifies against the JWKS.
	ds, err := e.deliveries.ListForAccount(t.Context(), alice.AccountID)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, consent.LogoutConsentRevoked, ds[0].Reason)
	tok, err := e.link.Sign(t.Context(), map[string]any{"iss": e.Server.URL, "sub": f.Sub}, "logout+jwt")
	require.NoError(t, err)
	verifyJWS(t, e, tok, "logout+jwt", &map[string]any{})

	// The next sign-in asks again.
	a = r.start(b)
	require.True(t, a.onScreen(), "revoked consent shows the screen")
	assert.Contains(t, a.last.body, "rút lại")
}

func TestDiscoveryAnnouncesBackchannelLogout(t *testing.T) {
	e := newEnv(t)
	p := e.do(e.Server.Client(), http.MethodGet, e.Server.URL+"/.well-known/openid-configuration", nil)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(p.body), &doc))
	assert.Equal(t, true, doc["backchannel_logout_supported"])
	assert.Equal(t, true, doc["backchannel_logout_session_supported"])
}

// verifyJWS checks a compact JWS against the JWKS with go-jose v4.
func verifyJWS(t *testing.T, e *env, token, typ string, out any) {
	t.Helper()
	p := e.do(e.Server.Client(), http.MethodGet, e.Server.URL+"/jwks.json", nil)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(p.body), &set))
	parsed, err := jwt.ParseSigned(strings.TrimSpace(token), []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	require.NoError(t, err)
	require.Len(t, parsed.Headers, 1)
	h := parsed.Headers[0]
	assert.Equal(t, typ, h.ExtraHeaders[jose.HeaderType])
	keys := set.Key(h.KeyID)
	require.Len(t, keys, 1, "kid %q in the JWKS", h.KeyID)
	require.NoError(t, parsed.Claims(keys[0].Key, out))
}

func TestPushedRequestThroughConsent(t *testing.T) {
	e := newEnv(t)
	e.citizen()
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}, RequirePAR: true})
	r := e.rp(reg, "openid", "profile")
	b := e.Browser()
	verifier := oauth2.GenerateVerifier()
	form := url.Values{
		"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {reg.RedirectURIs[0]},
		"scope": {"openid profile"}, "state": {"state-0123456789"}, "nonce": {"nonce-0123456789"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/par", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(reg.ID), url.QueryEscape(reg.Secret))
	resp, err := e.Server.Client().Do(req)
	require.NoError(t, err)
	var pushed struct {
		RequestURI string `json:"request_uri"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pushed))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	authURL := e.Server.URL + "/authorize?" + url.Values{"client_id": {reg.ID}, "request_uri": {pushed.RequestURI}}.Encode()
	a := attempt{verifier: verifier, nonce: "nonce-0123456789", last: e.do(b, http.MethodGet, authURL, nil)}
	require.True(t, a.onScreen(), "pushed request shows the screen: %s", a.last.body)
	f := r.finish(a, r.answer(b, a, "approve", "name"))
	assert.Equal(t, "nonce-0123456789", f.Claims["nonce"])
	_, ui, _ := r.Userinfo(f.Token.AccessToken)
	assert.Equal(t, "Nguyễn Văn An", ui["name"])
	assert.NotContains(t, ui, "birthdate")

	// The pushed request was used up when it was parked.
	again := e.do(b, http.MethodGet, authURL, nil)
	assert.Equal(t, "invalid_request_uri", callbackOrPage(t, again))
}

// callbackOrPage returns the error of a redirect to the relying party, or
// the error code shown on our error page.
func callbackOrPage(t *testing.T, p page) string {
	t.Helper()
	if loc := p.resp.Header.Get("Location"); loc != "" {
		u, err := url.Parse(loc)
		require.NoError(t, err)
		return u.Query().Get("error")
	}
	for _, code := range []string{"invalid_request_uri", "invalid_request"} {
		if strings.Contains(p.body, code) {
			return code
		}
	}
	return p.body
}
