package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

var knowledge = [2]accounts.Answer{{Question: "first_school", Answer: "Trường Kim Đồng"}, {Question: "mother_hometown", Answer: "Huế"}}

// withAnswers gives the site's citizen two security answers.
func (s *site) withAnswers(t *testing.T) {
	t.Helper()
	require.NoError(t, s.env.Service.SetSecurityAnswers(t.Context(), s.account.ID, knowledge, accounts.Actor{Kind: audit.Officer, ID: "o"}))
	s.env.Audit.Reset()
}

// startFlow opens /<flow> and posts the personal id number.
func (b *browser) startFlow(flow, query, id string) page {
	b.t.Helper()
	form := b.get("/" + flow + query)
	require.Equal(b.t, http.StatusOK, form.status)
	return b.submit(form, "/"+flow, url.Values{"personal_id": {id}})
}

// errorCode is the stable error code a recovery page shows.
func errorCode(t *testing.T, p page) string {
	t.Helper()
	m := errorCodeAttr.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestRecoverForgottenPasswordInVietnamese(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.withAnswers(t)
	b := s.browser(t)

	code := b.startFlow("recover", "", pid)
	require.Equal(t, http.StatusOK, code.status, code.body)
	require.Equal(t, "/recover/verify", code.url.Path)
	require.Contains(t, code.body, "Mã xác thực đã được gửi đến số &#43;84******002")
	sent := s.env.Sender.LastCode(t, phone)

	p := b.submit(code, "/recover/verify", url.Values{"code": {accountsWrong(sent)}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "register.bad_code", errorCode(t, p))
	ans := b.submit(p, "/recover/verify", url.Values{"code": {sent}})
	require.Equal(t, http.StatusOK, ans.status, ans.body)
	require.Equal(t, "/recover/answers", ans.url.Path)
	require.Contains(t, ans.body, "Tên trường tiểu học đầu tiên của bạn?")

	// The used code does not pass again.
	p = b.submit(ans, "/recover/verify", url.Values{"code": {sent}})
	require.Equal(t, http.StatusGone, p.status)
	require.Equal(t, "recover.code_expired", errorCode(t, p))

	// Start again; wrong answers, then right ones.
	code = b.startFlow("recover", "", pid)
	ans = b.submit(code, "/recover/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	require.Equal(t, "/recover/answers", ans.url.Path)
	p = b.submit(ans, "/recover/answers", url.Values{"a0": {"Truong Kim Dong"}, "a1": {"Hue"}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "recover.wrong_answers", errorCode(t, p))
	require.Contains(t, p.body, "Câu trả lời không đúng.")
	pw := b.submit(p, "/recover/answers", url.Values{"a0": {"trường kim đồng"}, "a1": {" HUẾ "}})
	require.Equal(t, http.StatusOK, pw.status, pw.body)
	require.Equal(t, "/recover/password", pw.url.Path)

	p = b.submit(pw, "/recover/password", url.Values{"password": {"ngắn"}, "password2": {"ngắn"}})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Equal(t, "register.weak_password", errorCode(t, p))
	done := b.submit(p, "/recover/password", url.Values{"password": {"mật khẩu mới 2026"}, "password2": {"mật khẩu mới 2026"}})
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, `id="recover-done"`)
	require.Contains(t, s.env.Audit.Types(), "account.password_changed")
	require.Contains(t, s.env.Notices.Kinds(s.account.ID), accounts.NoticeRecovery)
	revoked, _ := s.env.Cascade.Ended()
	require.Equal(t, []string{s.account.ID}, revoked)

	// Posting the last step again finds no recovery.
	p = b.submit(pw, "/recover/password", url.Values{"password": {"mật khẩu khác 2026"}, "password2": {"mật khẩu khác 2026"}})
	require.Equal(t, "/recover", p.url.Path)

	require.Equal(t, http.StatusUnauthorized, b.login("", pid, password).status)
	require.Equal(t, http.StatusOK, b.login("", pid, "mật khẩu mới 2026").status)
}

func TestRecoverRefusalsInEnglish(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b := s.browser(t)
	p := b.startFlow("recover", "?ui_locales=en", "001090999999")
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Equal(t, "recover.unavailable", errorCode(t, p))
	require.Contains(t, p.body, "The password cannot be recovered online for this number")
	p = b.startFlow("recover", "?ui_locales=en", "12")
	require.Equal(t, "recover.bad_pid", errorCode(t, p))

	// The citizen has no security answers: the answers step says so.
	code := b.startFlow("recover", "?ui_locales=en", pid)
	ans := b.submit(code, "/recover/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	require.Equal(t, "recover.no_answers", errorCode(t, ans))
	p = b.submit(ans, "/recover/answers", url.Values{"a0": {"x"}, "a1": {"y"}})
	require.Equal(t, "recover.wrong_answers", errorCode(t, p))
	require.Contains(t, p.body, "The answers are wrong.")

	// Skipping steps goes back to the start.
	b2 := s.browser(t)
	require.Equal(t, "/recover", b2.get("/recover/password").url.Path)
	require.Equal(t, "/recover", b2.get("/recover/answers").url.Path)
}

// A stranger at another address who holds the code (say, a stolen phone)
// and guesses answers locks out only their own (account, address) pair.
func TestRecoverWrongAnswersLockOutOnlyTheStranger(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.withAnswers(t)
	stranger := s.browser(t)
	stranger.ip = "198.51.100.9"
	code := stranger.startFlow("recover", "", pid)
	ans := stranger.submit(code, "/recover/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	p := ans
	for range accounts.DefaultLockoutPolicy.AccountFailures - 1 {
		p = stranger.submit(ans, "/recover/answers", url.Values{"a0": {"sai"}, "a1": {"sai"}})
		require.Equal(t, http.StatusUnauthorized, p.status)
	}
	p = stranger.submit(ans, "/recover/answers", url.Values{"a0": {"sai"}, "a1": {"sai"}})
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Equal(t, "register.locked_out", errorCode(t, p))
	require.Equal(t, "900", p.header.Get("Retry-After"))

	// The citizen signs in and recovers from home as ever.
	b := s.browser(t)
	require.Equal(t, http.StatusOK, b.login("", pid, password).status)
	code = b.startFlow("recover", "", pid)
	ans = b.submit(code, "/recover/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	p = b.submit(ans, "/recover/answers", url.Values{"a0": {knowledge[0].Answer}, "a1": {knowledge[1].Answer}})
	require.Equal(t, "/recover/password", p.url.Path, p.body)
	got, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
}

func TestUnlockAfterSelfLock(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.withAnswers(t)
	b := s.browser(t)
	require.Contains(t, b.lock(pid, password).body, `id="lock-done"`)

	// A forgotten password on a self-locked account: unlock first.
	code := b.startFlow("recover", "", pid)
	ans := b.submit(code, "/recover/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	pw := b.submit(ans, "/recover/answers", url.Values{"a0": {knowledge[0].Answer}, "a1": {knowledge[1].Answer}})
	p := b.submit(pw, "/recover/password", url.Values{"password": {"mật khẩu mới 2026"}, "password2": {"mật khẩu mới 2026"}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "recover.locked", errorCode(t, p))

	code = b.startFlow("unlock", "", pid)
	require.Equal(t, "/unlock/verify", code.url.Path, code.body)
	ans = b.submit(code, "/unlock/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	require.Equal(t, "/unlock/answers", ans.url.Path)
	p = b.submit(ans, "/unlock/answers", url.Values{"a0": {"sai"}, "a1": {knowledge[1].Answer}})
	require.Equal(t, "recover.wrong_answers", errorCode(t, p))
	done := b.submit(p, "/unlock/answers", url.Values{"a0": {knowledge[0].Answer}, "a1": {knowledge[1].Answer}})
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, `id="unlock-done"`)
	require.Contains(t, s.env.Audit.Types(), "account.unlocked")
	kinds := s.env.Notices.Kinds(s.account.ID)
	require.NotEmpty(t, kinds)
	require.Equal(t, accounts.NoticeUnlocked, kinds[len(kinds)-1])
	require.Equal(t, http.StatusOK, b.login("", pid, password).status)
}

func TestUnlockRefusesAnAuthoritysLock(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.withAnswers(t)
	_, err := s.env.Service.Lock(t.Context(), s.account.ID, "authority_court_order", accounts.Actor{Kind: audit.Officer, ID: "o"})
	require.NoError(t, err)
	b := s.browser(t)
	b.accept = "en"
	code := b.startFlow("unlock", "", pid)
	ans := b.submit(code, "/unlock/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	p := b.submit(ans, "/unlock/answers", url.Values{"a0": {knowledge[0].Answer}, "a1": {knowledge[1].Answer}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "unlock.authority", errorCode(t, p))
	require.Contains(t, p.body, "can only be unlocked at your commune or ward police")
	got, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, got.Status)
}

var errorCodeAttr = regexp.MustCompile(`data-code="([^"]+)"`)

func accountsWrong(code string) string { return accountstest.WrongCode(code) }
