package web_test

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

// pendingPhone is the demo pending account's phone (the population record's
// number, which the importer gives the account).
const pendingPhone = "+84901000004"

// demoPending imports the pending demo account (Lê Văn Cường, level 1,
// password population.DemoPassword) from the demo population file itself, so
// the documented demo stays activatable.
func (s *site) demoPending(t *testing.T) accounts.Account {
	t.Helper()
	var line []byte
	sc := bufio.NewScanner(bytes.NewReader(population.DemoFile()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"personal_id":"`+population.DemoPendingID+`"`)) {
			line = append([]byte(nil), sc.Bytes()...)
		}
	}
	require.NotNil(t, line, "the demo file has the pending account")
	_, err := population.Import(t.Context(), population.Target{Pool: s.db.App, Accounts: s.env.Service, Now: s.env.Clock.Now},
		bytes.NewReader(line), population.JSONLines)
	require.NoError(t, err)
	a, err := s.env.Service.ByPersonalID(t.Context(), population.DemoPendingID)
	require.NoError(t, err)
	require.Equal(t, accounts.Pending, a.Status)
	require.Equal(t, assurance.Level1, a.Level)
	require.Equal(t, pendingPhone, a.Phone)
	s.env.Audit.Reset()
	return a
}

func (b *browser) activate(id, phone string) page {
	b.t.Helper()
	form := b.get("/activate")
	require.Equal(b.t, http.StatusOK, form.status)
	return b.submit(form, "/activate", url.Values{"personal_id": {id}, "phone": {phone}})
}

func finish(passcode, q1, a1, q2, a2 string) url.Values {
	return url.Values{"passcode": {passcode}, "passcode2": {passcode}, "q1": {q1}, "a1": {a1}, "q2": {q2}, "a2": {a2}}
}

func TestActivateDemoPendingAccountThenSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	a := s.demoPending(t)
	b := s.browser(t)

	// Not activated: no sign-in yet.
	require.Equal(t, http.StatusForbidden, b.login("", population.DemoPendingID, population.DemoPassword).status)
	s.env.Audit.Reset()

	code := b.activate(population.DemoPendingID, "0901 000 004")
	require.Equal(t, http.StatusOK, code.status, code.body)
	require.Equal(t, "/activate/verify", code.url.Path)
	require.Contains(t, code.body, "Mã xác thực đã được gửi tới số &#43;84******004")

	fin := b.submit(code, "/activate/verify", url.Values{"code": {s.env.Sender.LastCode(t, pendingPhone)}})
	require.Equal(t, http.StatusOK, fin.status, fin.body)
	require.Equal(t, "/activate/finish", fin.url.Path)
	require.NotContains(t, fin.body, `id="password"`, "the demo account has a password already")
	require.Contains(t, fin.body, "Tên trường tiểu học đầu tiên của bạn?")

	weak := b.submit(fin, "/activate/finish", finish("123456", "first_school", "Kim Đồng", "mother_hometown", "Huế"))
	require.Equal(t, http.StatusBadRequest, weak.status)
	require.Contains(t, weak.body, "Mã PIN phải gồm đúng 6 chữ số")
	same := b.submit(weak, "/activate/finish", finish("480917", "first_school", "Kim Đồng", "first_school", "Huế"))
	require.Equal(t, http.StatusBadRequest, same.status)
	require.Contains(t, same.body, "hai câu hỏi bảo mật khác nhau")
	differ := finish("480917", "first_school", "Kim Đồng", "mother_hometown", "Huế")
	differ.Set("passcode2", "480918")
	require.Contains(t, b.submit(same, "/activate/finish", differ).body, "Hai mã PIN không giống nhau")

	done := b.submit(same, "/activate/finish", finish("480917", "first_school", "Trường Tiểu học Kim Đồng", "mother_hometown", "Huế"))
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, `id="activate-done"`)
	require.Contains(t, done.body, "Tài khoản đã được kích hoạt")

	got, err := s.env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
	require.Equal(t, s.env.Clock.Now(), *got.ActivatedAt)
	ok, err := s.env.Service.VerifyPasscode(t.Context(), a.ID, "480917")
	require.NoError(t, err)
	require.True(t, ok)
	// Answers are compared without case or extra spaces, but with their
	// diacritics (accounts.NormalizeAnswer).
	ok, err = s.env.Service.VerifySecurityAnswer(t.Context(), a.ID, "first_school", "  trường tiểu học KIM ĐỒNG ")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.env.Service.VerifySecurityAnswer(t.Context(), a.ID, "first_school", "truong tieu hoc kim dong")
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = s.env.Service.VerifySecurityAnswer(t.Context(), a.ID, "mother_hometown", "Hà Nội")
	require.NoError(t, err)
	require.False(t, ok)
	rec, err := s.env.Store.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(rec.PasscodeHash, "$argon2id$"), "the passcode is stored hashed")
	require.Len(t, rec.SecurityAnswers, 2)
	for _, sa := range rec.SecurityAnswers {
		require.True(t, strings.HasPrefix(sa.Hash, "$argon2id$"))
	}
	require.Equal(t, []string{"otp.sent", "signin.second_factor.succeeded", "account.activated"}, s.env.Audit.Types())
	act := s.env.Audit.Events()[2]
	require.Equal(t, a.ID, act.AccountID)
	require.Equal(t, audit.Citizen, act.ActorKind)
	require.Equal(t, "passcode,security_questions", act.Detail["set"])

	// Activated: the holder signs in with the password and an SMS code.
	factor := b.login("", population.DemoPendingID, population.DemoPassword)
	require.Equal(t, http.StatusOK, factor.status, factor.body)
	require.Equal(t, "/login/verify", factor.url.Path)
	sent := b.post("/login/sms", url.Values{"csrf_token": {csrfOf(t, factor)}})
	require.Equal(t, http.StatusOK, sent.status, sent.body)
	signedIn := b.code(sent, "sms", s.env.Sender.LastCode(t, pendingPhone))
	require.Equal(t, http.StatusOK, signedIn.status, signedIn.body)
	sh := shownOf(t, signedIn)
	require.True(t, sh.SignedIn)
	require.Equal(t, a.ID, sh.Login.AccountID)
	require.Equal(t, assurance.Level1, sh.Login.Level)

	// And activation now says so.
	again := b.activate(population.DemoPendingID, pendingPhone)
	require.Equal(t, http.StatusConflict, again.status)
	require.Contains(t, again.body, "Tài khoản này đã được kích hoạt")
}

func TestActivateLevel0IsNotIdentified(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	// Registered on the web: level 0.
	code := b.register(details(regPID, regName, "17/05/1990", "male", regPhone))
	pw := b.submit(code, "/register/verify", url.Values{"code": {s.env.Sender.LastCode(t, regPhone)}})
	b.submit(pw, "/register/password", url.Values{"password": {"a good password"}, "password2": {"a good password"}})
	sent := s.env.Sender.Count()

	p := b.activate(regPID, regPhone)
	require.Equal(t, http.StatusForbidden, p.status)
	require.Contains(t, p.body, "chưa được định danh (mức 0)")
	require.Equal(t, sent, s.env.Sender.Count(), "no code for an account that cannot be activated")

	// An officer checks the chip and portrait: level 1, and activation
	// goes ahead.
	a, err := s.env.Service.ByPersonalID(t.Context(), regPID)
	require.NoError(t, err)
	_, _, err = s.env.Service.Enrol(t.Context(), a.ID, *accountstest.Evidence(assurance.Level1), accounts.Actor{Kind: audit.Officer, ID: "officer-7"})
	require.NoError(t, err)
	p = b.activate(regPID, regPhone)
	require.Equal(t, "/activate/verify", p.url.Path, p.body)
}

func TestActivateAlreadyActiveAndMismatch(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.demoPending(t)
	b := s.browser(t)

	active := b.activate(pid, phone) // newSite's active level 2 citizen
	require.Equal(t, http.StatusConflict, active.status)
	require.Contains(t, active.body, "Tài khoản này đã được kích hoạt")

	// Another phone and an unknown number get the same answer.
	other := b.activate(population.DemoPendingID, "+84901999999")
	unknown := b.activate("001099000042", pendingPhone)
	for _, p := range []page{other, unknown} {
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, p.body, "Không tìm thấy tài khoản chờ kích hoạt")
	}
	require.Zero(t, s.env.Sender.Count())
	require.Equal(t, []string{"account.activated:already_active", "account.activated:phone_mismatch", "account.activated:unknown_account"}, s.env.Audit.Types())
}

func TestActivateWrongCodeLocksOut(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	a := s.demoPending(t)
	b := s.browser(t)
	code := b.activate(population.DemoPendingID, pendingPhone)
	right := s.env.Sender.LastCode(t, pendingPhone)
	p := code
	for range accounts.DefaultLockoutPolicy.AccountFailures - 1 {
		p = b.submit(p, "/activate/verify", url.Values{"code": {accountstest.WrongCode(right)}})
		require.Equal(t, http.StatusUnauthorized, p.status)
		require.Contains(t, p.body, "Mã xác thực không đúng")
	}
	p = b.submit(p, "/activate/verify", url.Values{"code": {accountstest.WrongCode(right)}})
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "Bạn đã nhập sai quá nhiều lần")
	require.NotEmpty(t, p.header.Get("Retry-After"))
	require.Contains(t, s.env.Audit.Types(), "signin.locked_out:second_factor_locked_out")

	// Starting again is refused while the lock runs, without a new code.
	sent := s.env.Sender.Count()
	again := b.activate(population.DemoPendingID, pendingPhone)
	require.Equal(t, http.StatusTooManyRequests, again.status)
	require.Equal(t, sent, s.env.Sender.Count())
	got, err := s.env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Pending, got.Status)
}

// An account without a password sets one at activation; in English.
func TestActivateWithoutPasswordInEnglish(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	ctx := t.Context()
	a, err := s.env.Service.Create(ctx, accounts.NewAccount{PersonalID: regPID, Level: assurance.Level1, Phone: regPhone, Evidence: accountstest.Evidence(assurance.Level1)},
		accounts.Actor{Kind: audit.Officer, ID: "officer-7"})
	require.NoError(t, err)
	b := s.browser(t)
	b.accept = "en"
	code := b.activate(regPID, regPhone)
	require.Contains(t, code.body, "A code was sent to &#43;84******321")
	fin := b.submit(code, "/activate/verify", url.Values{"code": {s.env.Sender.LastCode(t, regPhone)}})
	require.Contains(t, fin.body, `id="password"`)
	require.Contains(t, fin.body, "The name of your first primary school?")
	form := finish("480917", "favourite_food", "Phở bò", "childhood_street", "Hàng Bài")
	form.Set("password", "short")
	form.Set("password2", "short")
	weak := b.submit(fin, "/activate/finish", form)
	require.Equal(t, http.StatusBadRequest, weak.status)
	require.Contains(t, weak.body, "The password is too weak")
	form.Set("password", "a good password")
	form.Set("password2", "a good password")
	done := b.submit(weak, "/activate/finish", form)
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, "Your account is activated. You can sign in now.")
	require.Equal(t, "password,passcode,security_questions", s.env.Audit.Events()[len(s.env.Audit.Events())-1].Detail["set"])

	si, err := s.env.Service.SignIn(ctx, accounts.SignInRequest{PersonalID: regPID, Password: "a good password", IP: "192.0.2.1"})
	require.NoError(t, err)
	require.Equal(t, a.ID, si.Account.ID)
}
