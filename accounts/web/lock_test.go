package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

func (b *browser) lock(id, pw string) page {
	b.t.Helper()
	form := b.get("/lock")
	require.Equal(b.t, http.StatusOK, form.status)
	return b.submit(form, "/lock", url.Values{"personal_id": {id}, "password": {pw}, "reason": {"misuse"}})
}

// The lock page answers a refused password as sign-in does (same throttles,
// same lockout wording), and an account's state in its own words.
func TestLockPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)

	for range accounts.DefaultLockoutPolicy.AccountFailures - 1 {
		p := b.lock(pid, "wrong password!")
		require.Equal(t, http.StatusUnauthorized, p.status)
		require.Contains(t, p.body, "Số định danh cá nhân hoặc mật khẩu không đúng")
	}
	p := b.lock(pid, "wrong password!")
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.")
	require.Equal(t, "900", p.header.Get("Retry-After"))
	p = b.lock(pid, password)
	require.Equal(t, http.StatusTooManyRequests, p.status, "the right password waits for the lockout too")

	// The lockout runs out after 15 minutes; then the right password locks.
	s.env.Clock.Advance(14 * time.Minute)
	b.accept = "en"
	p = b.lock(pid, password)
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "try again in 1 minute.", "one minute, singular")
	s.env.Clock.Advance(time.Minute)
	b.accept = ""
	p = b.lock(pid, password)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="lock-done"`)
	got, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, got.Status)
	require.Equal(t, "holder request: suspected misuse", got.LockReason)
	require.Contains(t, s.env.Audit.Types(), "account.locked:holder request: suspected misuse")

	p = b.lock(pid, password)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "Tài khoản này đã bị khóa.")
}
