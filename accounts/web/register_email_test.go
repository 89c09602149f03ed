package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

const regEmail = "Minh.Tran@example.vn"

func byEmail(email string) url.Values {
	v := details(regPID, regName, "17/05/1990", "male", "")
	v.Set("email", email)
	return v
}

// TestRegisterByEmail: a citizen with no phone registers with an e-mail
// address, on the English pages; the code goes by e-mail (in English), a
// wrong one is refused, the right one confirms the address, and the
// account keeps the address and the page's language and is told once.
func TestRegisterByEmail(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)

	form := b.get("/register?ui_locales=en")
	require.Contains(t, form.body, `id="email"`)
	fields := byEmail("  Minh.Tran@EXAMPLE.vn ")
	fields.Set("ui_locales", "en")
	code := b.submit(form, "/register", fields)
	require.Equal(t, http.StatusOK, code.status, code.body)
	require.Equal(t, "/register/verify", code.url.Path)
	require.Contains(t, code.body, "A code was sent to the e-mail address M***@example.vn.")
	mail := s.env.Sender.Last(regEmail)
	require.Contains(t, mail, "Your electronic identity verification code is ")
	require.Empty(t, s.env.Sender.Last(regPhone), "no SMS")
	right := accountstest.CodeIn(mail)

	wrong := b.submit(code, "/register/verify", url.Values{"code": {accountstest.WrongCode(right)}, "ui_locales": {"en"}})
	require.Equal(t, http.StatusUnauthorized, wrong.status)
	require.Contains(t, wrong.body, "The code is wrong.")

	pw := b.submit(wrong, "/register/verify", url.Values{"code": {right}, "ui_locales": {"en"}})
	require.Equal(t, "/register/password", pw.url.Path, pw.body)
	require.Contains(t, pw.body, "Your e-mail address is confirmed.")
	done := b.submit(pw, "/register/password", url.Values{"password": {"mật khẩu mới 1"}, "password2": {"mật khẩu mới 1"}, "ui_locales": {"en"}})
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, `id="register-done"`)

	a, err := s.env.Service.ByPersonalID(t.Context(), regPID)
	require.NoError(t, err)
	require.Equal(t, regEmail, a.Email)
	require.Empty(t, a.Phone)
	require.Equal(t, accounts.LangEN, a.Lang)
	require.Equal(t, []accounts.NoticeKind{accounts.NoticeRegistration}, s.env.Notices.Kinds(a.ID))
	types := s.env.Audit.Types()
	require.Equal(t, []string{"otp.sent", "signin.second_factor.failed:bad_code", "signin.second_factor.succeeded", "account.registered"}, types)
	require.Equal(t, "email", s.env.Audit.Events()[0].Detail["channel"])
	require.Equal(t, "email", s.env.Audit.Events()[3].Detail["contact"])
}

// TestRegisterEmailRefusals: an address that is not one is refused before
// anything is sent.
func TestRegisterEmailRefusals(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	for _, bad := range []string{"minh@", "Minh <minh@example.vn>", "minh@localhost", "minh example.vn"} {
		p := s.browser(t).register(byEmail(bad))
		require.Equal(t, http.StatusBadRequest, p.status, bad)
		require.Contains(t, p.body, "Địa chỉ thư điện tử không hợp lệ", bad)
	}
	require.Zero(t, s.env.Sender.Count())
}

// TestRegisterEmailLimitPerAddress: codes to one e-mail address are
// limited like codes to one phone, whatever the case of the address and
// the client address; the limit is the address's, not the citizen's
// elsewhere (a code to another address still goes).
func TestRegisterEmailLimitPerAddress(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	for i := range accounts.DefaultLockoutPolicy.SMSPerHour {
		addr := regEmail
		if i%2 == 1 {
			addr = "Minh.Tran@EXAMPLE.VN"
		}
		p := b.register(byEmail(addr))
		require.Equal(t, "/register/verify", p.url.Path, p.body)
	}
	b2 := s.browser(t)
	b2.ip = "198.51.100.7" // another address: the e-mail address's own limit applies
	p := b2.register(byEmail(regEmail))
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "Đã gửi quá nhiều mã")
	require.NotEmpty(t, p.header.Get("Retry-After"))
	require.Equal(t, accounts.DefaultLockoutPolicy.SMSPerHour, s.env.Sender.Count())

	other := b2.register(byEmail("minh.other@example.vn"))
	require.Equal(t, "/register/verify", other.url.Path, "another address is not held back")
}
