package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// signedIn signs the site's level 2 citizen in with the password and the
// authenticator.
func (b *browser) signedIn(s *site) {
	b.t.Helper()
	factor := b.login("", pid, password)
	require.Equal(b.t, http.StatusOK, factor.status)
	require.True(b.t, shownOf(b.t, b.code(factor, "otp", s.totp(b.t))).SignedIn)
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)

	// Signed out: sign in first, then come back.
	p := s.browser(t).get("/account/password")
	require.Equal(t, "/login", p.url.Path)
	require.Equal(t, "/account/password", p.url.Query().Get("return_to"))

	b.signedIn(s)
	other := s.browser(t)
	other.ip = "192.0.2.77"
	s.env.Clock.Advance(time.Minute)
	other.signedIn(s)
	s.env.Clock.Advance(time.Minute)

	form := b.get("/account/password")
	require.Equal(t, http.StatusOK, form.status)
	require.Contains(t, form.body, "Mật khẩu hiện tại")
	p = b.submit(form, "/account/password", url.Values{"current": {"sai mật khẩu"}, "password": {"mật khẩu mới 2026"}, "password2": {"mật khẩu mới 2026"}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "password.wrong", errorCode(t, p))
	p = b.submit(form, "/account/password", url.Values{"current": {password}, "password": {password}, "password2": {password}})
	require.Equal(t, "password.same", errorCode(t, p))
	p = b.submit(form, "/account/password", url.Values{"current": {password}, "password": {"mật khẩu mới 2026"}, "password2": {"khác"}})
	require.Equal(t, "register.password_mismatch", errorCode(t, p))
	before := b.sessionCookie()
	p = b.submit(form, "/account/password", url.Values{"current": {password}, "password": {"mật khẩu mới 2026"}, "password2": {"mật khẩu mới 2026"}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="password-done"`)
	require.NotEqual(t, before, b.sessionCookie(), "a new session token")

	// Every sign-in up to the change ended (EndSignIns ends them on their
	// next request), but this one, whose time moved on.
	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.NotNil(t, a.SignInsEndedAt)
	mine := shownOf(t, b.get("/account"))
	require.True(t, mine.SignedIn)
	require.False(t, a.SignInEnded(mine.Login.AuthTime))
	require.Equal(t, "/login", other.get("/account").url.Path, "the other browser is signed out")
	revoked, _ := s.env.Cascade.Ended()
	require.Equal(t, []string{s.account.ID}, revoked, "tokens at relying parties end")
	require.Contains(t, s.env.Audit.Types(), "account.password_changed")
	require.Equal(t, []accounts.NoticeKind{accounts.NoticePasswordChanged}, s.env.Notices.Kinds(s.account.ID))

	require.Equal(t, http.StatusUnauthorized, s.browser(t).login("", pid, password).status)
	require.Equal(t, http.StatusOK, s.browser(t).login("?ui_locales=en", pid, "mật khẩu mới 2026").status)
}

// A change of password needs the second factor too: a complete sign-in
// within the last 5 minutes; an older one is sent to sign in again.
func TestChangePasswordNeedsFreshSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	b.signedIn(s)
	s.env.Clock.Advance(6 * time.Minute)
	form := b.get("/account/password")
	require.Equal(t, http.StatusOK, form.status)
	require.Contains(t, form.body, `id="password-reauth"`)
	require.NotContains(t, form.body, `id="password-submit"`)
	p := b.submit(b.get("/account/sessions"), "/account/password", url.Values{"current": {password}, "password": {"mật khẩu mới 2026"}, "password2": {"mật khẩu mới 2026"}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "password.reauth", errorCode(t, p))
	require.Contains(t, s.env.Audit.Types(), "account.password_changed:reauth_required")
	require.Equal(t, http.StatusOK, s.browser(t).login("", pid, password).status, "the password did not change")
}
