package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/staff/passkeytest"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

// postJSON posts a passkey ceremony's JSON with the CSRF token in the
// header, as static/js/passkey.js does.
func (b *browser) postJSON(path, csrf string, body []byte) (page, map[string]any) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.site.srv.URL+path, bytes.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	p := b.do(req)
	m := map[string]any{}
	_ = json.Unmarshal([]byte(p.body), &m)
	return p, m
}

func TestPasskeyRegisterSignInAndRemove(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	factor := b.login("", pid, password)
	require.NotContains(t, factor.body, "passkey-use", "no passkey yet")
	done := b.code(factor, "otp", s.totp(t))
	require.True(t, shownOf(t, done).SignedIn)
	csrf := csrfOf(t, b.get("/login"))

	// The ceremonies need the CSRF token.
	refused, _ := b.postJSON("/account/passkeys/begin", "", []byte("{}"))
	require.Equal(t, http.StatusForbidden, refused.status)

	auth, err := passkeytest.New(accountstest.PasskeyOrigin)
	require.NoError(t, err)
	opts, _ := b.postJSON("/account/passkeys/begin", csrf, []byte("{}"))
	require.Equal(t, http.StatusOK, opts.status, opts.body)
	cred, err := auth.Create([]byte(opts.body))
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"name": "điện thoại", "credential": json.RawMessage(cred)})
	require.NoError(t, err)
	fin, m := b.postJSON("/account/passkeys/finish", csrf, body)
	require.Equal(t, http.StatusOK, fin.status, fin.body)
	require.Equal(t, "/account?done=passkey_added#passkeys", m["redirect"])
	require.Contains(t, s.env.Audit.Types(), "account.factor_changed")
	// The state was used: the same answer again is refused.
	again, _ := b.postJSON("/account/passkeys/finish", csrf, body)
	require.Equal(t, http.StatusBadRequest, again.status)

	// A few minutes later, adding another needs a new sign-in.
	s.env.Clock.Advance(accounts.PasskeyReauthWindow + time.Minute)
	stale, m := b.postJSON("/account/passkeys/begin", csrf, []byte("{}"))
	require.Equal(t, http.StatusForbidden, stale.status)
	require.Equal(t, "reauth_required", m["error"])
	require.Contains(t, m["redirect"], "/login?return_to=%2Faccount%23passkeys")

	// Another browser: the password, then the passkey, offered first.
	b2 := s.browser(t)
	factor = b2.login("?ui_locales=en", pid, password)
	require.Equal(t, http.StatusOK, factor.status)
	require.Contains(t, factor.body, `id="passkey-use"`)
	require.Contains(t, factor.body, "Use your passkey")
	require.Contains(t, factor.body, `src="/static/js/passkey.js"`)
	require.Contains(t, factor.body, "Use your authenticator app", "the other factors stay offered")
	csrf2 := csrfOf(t, factor)
	// The form cannot stand in for the ceremony.
	require.Equal(t, "/login/verify", b2.code(factor, "hwk", "123456").url.Path)

	opts, _ = b2.postJSON("/login/passkey/begin", csrf2, []byte("{}"))
	require.Equal(t, http.StatusOK, opts.status, opts.body)
	answer, err := auth.Get([]byte(opts.body))
	require.NoError(t, err)
	fin, m = b2.postJSON("/login/passkey/finish", csrf2, answer)
	require.Equal(t, http.StatusOK, fin.status, fin.body)
	require.Equal(t, "/account", m["redirect"])
	got := shownOf(t, b2.get("/account"))
	require.True(t, got.SignedIn)
	require.Equal(t, []string{"pwd", "hwk", "user"}, got.Login.AMR)
	require.Equal(t, s.account.Level, got.Login.ACRLevel())

	// The sign-in renewed the CSRF token; with the new one, a replayed
	// answer finds no ceremony.
	stale, _ = b2.postJSON("/login/passkey/finish", csrf2, answer)
	require.Equal(t, http.StatusForbidden, stale.status)
	csrf2 = csrfOf(t, b2.get("/login"))
	replay, _ := b2.postJSON("/login/passkey/finish", csrf2, answer)
	require.Equal(t, http.StatusUnauthorized, replay.status)

	// The fresh sign-in may remove the passkey (a form with CSRF).
	keys, err := s.env.Service.Passkeys(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	id := base64.RawURLEncoding.EncodeToString(keys[0].ID)
	noCSRF := b2.post("/account/passkeys/remove", url.Values{"id": {id}})
	require.Equal(t, http.StatusForbidden, noCSRF.status)
	removed := b2.post("/account/passkeys/remove", url.Values{"csrf_token": {csrf2}, "id": {id}})
	require.Equal(t, "/account?done=passkey_removed", removed.url.RequestURI())
	keys, err = s.env.Service.Passkeys(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Empty(t, keys)
}

func TestPasskeyFailuresCountLikeWrongCodes(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	ctx := t.Context()
	auth, err := passkeytest.New(accountstest.PasskeyOrigin)
	require.NoError(t, err)
	by := accounts.SignedIn{AccountID: s.account.ID, AuthTime: s.env.Clock.Now(), Strength: 2}
	opts, state, err := s.env.Service.BeginPasskeyRegistration(ctx, by)
	require.NoError(t, err)
	resp, err := auth.Create(opts)
	require.NoError(t, err)
	_, err = s.env.Service.FinishPasskeyRegistration(ctx, by, accounts.Actor{ID: s.account.ID}, state, resp, "key")
	require.NoError(t, err)

	b := s.browser(t)
	factor := b.login("", pid, password)
	csrf := csrfOf(t, factor)
	stranger, err := passkeytest.New(accountstest.PasskeyOrigin)
	require.NoError(t, err)
	var last page
	var m map[string]any
	for range 5 {
		opts, _ := b.postJSON("/login/passkey/begin", csrf, []byte("{}"))
		require.Equal(t, http.StatusOK, opts.status, opts.body)
		answer, err := stranger.Get([]byte(opts.body))
		require.NoError(t, err)
		last, m = b.postJSON("/login/passkey/finish", csrf, answer)
	}
	require.Equal(t, http.StatusTooManyRequests, last.status, last.body)
	require.Equal(t, "locked_out", m["error"])
	require.NotEmpty(t, last.header.Get("Retry-After"))
	require.Contains(t, s.env.Audit.Types(), "signin.second_factor.failed:bad_passkey")
}
