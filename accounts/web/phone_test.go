package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts/web"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

const newPhone = "+84901000099"

// wrong returns a 6-digit code other than right.
func wrong(right string) string { return accountstest.WrongCode(right) }

func TestChangePhone(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)

	p := s.browser(t).get(web.PathPhone)
	require.Equal(t, "/login", p.url.Path, "signed out: sign in first")

	// A stale sign-in is refused, and so is a form without its CSRF token.
	b.signedIn(s)
	s.env.Clock.Advance(6 * time.Minute)
	form := b.get(web.PathPhone)
	require.Contains(t, form.body, `id="phone-reauth"`)
	require.Contains(t, form.body, `id="phone-lost"`, "the way to the counter for a lost phone")
	// (the re-authentication page has no form: a token from another page)
	p = b.submit(b.get(web.PathSessions), web.PathPhone, url.Values{"phone": {newPhone}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "phone.reauth", errorCode(t, p))
	require.Contains(t, s.env.Audit.Types(), "account.phone_changed:reauth_required")
	s.env.Clock.Advance(time.Minute)
	b.signedIn(s)
	p = b.post(web.PathPhone, url.Values{"phone": {newPhone}})
	require.Equal(t, http.StatusForbidden, p.status, "no CSRF token")

	form = b.get(web.PathPhone)
	for _, tc := range []struct{ phone, code string }{
		{"12ab", "phone.invalid"},
		{"0901 000 002", "phone.same"},
	} {
		p = b.submit(form, web.PathPhone, url.Values{"phone": {tc.phone}})
		require.Equal(t, http.StatusBadRequest, p.status, tc.phone)
		require.Equal(t, tc.code, errorCode(t, p), tc.phone)
	}

	// A code goes to each number.
	p = b.submit(form, web.PathPhone, url.Values{"phone": {"0901 000 099"}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="phone-confirm"`)
	oldCode, newCode := s.env.Sender.LastCode(t, phone), s.env.Sender.LastCode(t, newPhone)
	require.NotEqual(t, oldCode, newCode)

	for _, tc := range []struct {
		name, old, new, code string
	}{
		{"wrong code to the old phone", wrong(oldCode), newCode, "phone.wrong_old"},
		{"without the old phone's code", "", newCode, "phone.wrong_old"},
		{"the new phone's code twice", newCode, newCode, "phone.wrong_old"},
		{"wrong code to the new phone", oldCode, wrong(newCode), "phone.wrong_new"},
	} {
		p = b.submit(p, web.PathPhoneConfirm, url.Values{"old_code": {tc.old}, "new_code": {tc.new}})
		require.Equal(t, http.StatusUnauthorized, p.status, tc.name)
		require.Equal(t, tc.code, errorCode(t, p), tc.name)
		a, err := s.env.Service.Get(t.Context(), s.account.ID)
		require.NoError(t, err)
		require.Equal(t, phone, a.Phone, tc.name)
	}

	p = b.submit(p, web.PathPhoneConfirm, url.Values{"old_code": {oldCode}, "new_code": {newCode}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="phone-done"`)
	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, newPhone, a.Phone)
	require.Contains(t, s.env.Sender.Last(phone), "doi sang", "the old number is told")
	require.Contains(t, s.env.Audit.Types(), "account.phone_changed")
	require.Contains(t, s.env.Audit.Types(), "account.phone_changed:wrong_old_code")

	// Nothing to replay: the change is done.
	p = b.submit(b.get(web.PathSessions), web.PathPhoneConfirm, url.Values{"old_code": {oldCode}, "new_code": {newCode}})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Equal(t, "phone.expired", errorCode(t, p))
}

// A number held by another account is refused once both codes are
// proved; expired codes are refused too.
func TestChangePhoneRefusals(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	const theirs = "+84901000077"
	s.env.Citizen(t, "001085000077", password, theirs, assurance.Level2)
	b := s.browser(t)
	b.signedIn(s)

	form := b.get(web.PathPhone)
	p := b.submit(form, web.PathPhone, url.Values{"phone": {theirs}})
	require.Equal(t, http.StatusOK, p.status)
	p = b.submit(p, web.PathPhoneConfirm, url.Values{"old_code": {s.env.Sender.LastCode(t, phone)}, "new_code": {s.env.Sender.LastCode(t, theirs)}})
	require.Equal(t, http.StatusConflict, p.status)
	require.Equal(t, "phone.taken", errorCode(t, p))

	p = b.submit(b.get(web.PathPhone), web.PathPhone, url.Values{"phone": {newPhone}})
	require.Equal(t, http.StatusOK, p.status)
	s.env.Clock.Advance(11 * time.Minute)
	p = b.submit(p, web.PathPhoneConfirm, url.Values{"old_code": {s.env.Sender.LastCode(t, phone)}, "new_code": {s.env.Sender.LastCode(t, newPhone)}})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Equal(t, "phone.expired", errorCode(t, p))
	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, phone, a.Phone)
}
