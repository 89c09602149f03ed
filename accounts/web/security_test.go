package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/web"
)

var totpSecret = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

func TestReplaceAuthenticator(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	b.signedIn(s)

	page := b.get(web.PathSecurity)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, "&#43;84******002", "the phone of SMS codes, masked")
	require.Contains(t, page.body, "Ứng dụng xác thực (TOTP): đang dùng")

	// No CSRF token.
	require.Equal(t, http.StatusForbidden, b.post(web.PathSecurityTOTP, url.Values{}).status)

	p := b.submit(page, web.PathSecurityTOTP, url.Values{})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="totp-qr"`)
	m := totpSecret.FindStringSubmatch(p.body)
	require.NotNil(t, m, p.body)
	newSecret := m[1]

	// A wrong code: refused; the old authenticator still works meanwhile.
	good, err := accounts.TOTPCode(newSecret, s.env.Clock.Now())
	require.NoError(t, err)
	p = b.submit(p, web.PathSecurityConfirm, url.Values{"code": {wrong(good)}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "security.bad_code", errorCode(t, p))
	require.Contains(t, s.env.Audit.Types(), "account.factor_changed:wrong_code")

	p = b.submit(p, web.PathSecurityConfirm, url.Values{"code": {good}})
	require.Equal(t, http.StatusOK, p.status)
	require.Equal(t, "security.totp_done", errorCode(t, p))

	// The next sign-in takes the new app's code, not the old one's.
	s.env.Clock.Advance(time.Minute)
	other := s.browser(t)
	factor := other.login("", pid, password)
	require.Equal(t, http.StatusUnauthorized, other.code(factor, "otp", s.totp(t)).status)
	code, err := accounts.TOTPCode(newSecret, s.env.Clock.Now())
	require.NoError(t, err)
	require.True(t, shownOf(t, other.code(factor, "otp", code)).SignedIn)
}

func TestReplaceAuthenticatorNeedsFreshSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	b.signedIn(s)
	s.env.Clock.Advance(6 * time.Minute)
	page := b.get(web.PathSecurity)
	require.Contains(t, page.body, `id="security-reauth"`)
	require.NotContains(t, page.body, `id="totp-begin"`)
	p := b.submit(b.get(web.PathSessions), web.PathSecurityTOTP, url.Values{})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "security.reauth", errorCode(t, p))
}
