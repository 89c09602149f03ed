package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts/web"
)

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	const address = "an.nguyen@Example.VN"
	const stored = "an.nguyen@example.vn"

	b.signedIn(s)
	s.env.Clock.Advance(6 * time.Minute)
	require.Contains(t, b.get(web.PathEmail).body, `id="email-reauth"`)
	p := b.submit(b.get(web.PathSessions), web.PathEmail, url.Values{"email": {address}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "email.reauth", errorCode(t, p))
	require.Contains(t, s.env.Audit.Types(), "account.email_changed:reauth_required")

	s.env.Clock.Advance(time.Minute)
	b.signedIn(s)
	require.Equal(t, http.StatusForbidden, b.post(web.PathEmail, url.Values{"email": {address}}).status, "no CSRF token")
	form := b.get(web.PathEmail)
	for _, bad := range []string{"not an address", "An <an@example.vn>", "an@localhost"} {
		p = b.submit(form, web.PathEmail, url.Values{"email": {bad}})
		require.Equal(t, http.StatusBadRequest, p.status, bad)
		require.Equal(t, "email.invalid", errorCode(t, p), bad)
	}
	p = b.submit(form, web.PathEmail, url.Values{"email": {address}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "a***@example.vn")
	code := s.env.Sender.LastCode(t, stored)

	p = b.submit(p, web.PathEmailConfirm, url.Values{"code": {wrong(code)}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "email.wrong_code", errorCode(t, p))
	p = b.submit(p, web.PathEmailConfirm, url.Values{"code": {code}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="email-done"`)
	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, stored, a.Email)
	require.Contains(t, s.env.Notices.Kinds(s.account.ID), accounts.NoticeEmailChanged, "the citizen is told")
	require.Contains(t, s.env.Audit.Types(), "account.email_changed")

	p = b.submit(b.get(web.PathSessions), web.PathEmailConfirm, url.Values{"code": {code}})
	require.Equal(t, "email.expired", errorCode(t, p), "nothing to replay")
	p = b.submit(b.get(web.PathEmail), web.PathEmail, url.Values{"email": {stored}})
	require.Equal(t, "email.same", errorCode(t, p))
}
