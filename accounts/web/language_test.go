package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// TestNoticeLanguage: the signed-in citizen chooses the language of their
// notifications; the form needs the session's CSRF token and a language
// on offer, and the change is audited once.
func TestNoticeLanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)

	signedOut := s.browser(t)
	p := signedOut.submit(signedOut.get("/login"), "/account/language", url.Values{"notice_lang": {"en"}})
	require.Equal(t, "/login", p.url.Path, "signed out: sign in first")

	b := s.browser(t)
	b.signedIn(s)
	form := b.get("/account/password")
	p = b.post("/account/language", url.Values{"notice_lang": {"en"}})
	require.Equal(t, http.StatusForbidden, p.status, "no CSRF token")
	p = b.submit(form, "/account/language", url.Values{"notice_lang": {"fr"}})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Contains(t, p.body, "Ngôn ngữ không hợp lệ")
	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.LangVI, a.Lang, "unchanged")

	p = b.submit(form, "/account/language", url.Values{"notice_lang": {"en"}, "ui_locales": {"vi"}})
	require.Equal(t, "/account", p.url.Path)
	require.Equal(t, "language", p.url.Query().Get("done"))
	a, err = s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.LangEN, a.Lang)
	p = b.submit(form, "/account/language", url.Values{"notice_lang": {"en"}})
	require.Equal(t, "/account", p.url.Path)
	n := 0
	for _, typ := range s.env.Audit.Types() {
		if typ == "account.language_changed" {
			n++
		}
	}
	require.Equal(t, 1, n, "audited once; the same choice again changes nothing")
}
