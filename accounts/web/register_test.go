package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

// The person who registers: in the registry, aged 36, no account yet.
const (
	regPID   = "001090000123"
	regName  = "Trần Văn Minh"
	regPhone = "+84912345321"
	regQR    = regPID + "||" + regName + "|17051990|Nam|1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01062021"
	childPID = "001216000777" // born 2016: under 14
)

func (s *site) people(t *testing.T) {
	t.Helper()
	require.NoError(t, s.env.Registry.Write(t.Context(), []attributes.Person{
		accountstest.Person(t, regPID, regName),
		accountstest.Person(t, childPID, "Trần Minh Khang"),
	}, nil))
}

func details(pid, name, birth, gender, phone string) url.Values {
	return url.Values{"personal_id": {pid}, "full_name": {name}, "birth_date": {birth}, "gender": {gender}, "phone": {phone}}
}

// register fetches the first step and posts fields with its CSRF token.
func (b *browser) register(fields url.Values) page {
	b.t.Helper()
	form := b.get("/register")
	require.Equal(b.t, http.StatusOK, form.status)
	fields.Set("csrf_token", csrfOf(b.t, form))
	return b.post("/register", fields)
}

func (b *browser) submit(p page, path string, fields url.Values) page {
	b.t.Helper()
	fields.Set("csrf_token", csrfOf(b.t, p))
	return b.post(path, fields)
}

func TestRegisterInVietnamese(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)

	form := b.get("/register")
	require.Equal(t, http.StatusOK, form.status)
	require.Contains(t, form.body, `<html lang="vi">`)
	require.Contains(t, form.body, "Đăng ký tài khoản định danh điện tử")
	require.Equal(t, "no-store", form.header.Get("Cache-Control"))

	// Typed as a citizen types: local phone number, spaces, no capitals.
	code := b.submit(form, "/register", details(regPID, "trần  văn minh", "17/05/1990", "male", "0912 345 321"))
	require.Equal(t, http.StatusOK, code.status, code.body)
	require.Equal(t, "/register/verify", code.url.Path)
	require.Contains(t, code.body, "Mã xác thực đã được gửi tới số &#43;84******321")

	pw := b.submit(code, "/register/verify", url.Values{"code": {s.env.Sender.LastCode(t, regPhone)}})
	require.Equal(t, http.StatusOK, pw.status, pw.body)
	require.Equal(t, "/register/password", pw.url.Path)
	require.Contains(t, pw.body, "Số điện thoại đã được xác nhận")

	weak := b.submit(pw, "/register/password", url.Values{"password": {"12345678"}, "password2": {"12345678"}})
	require.Equal(t, http.StatusBadRequest, weak.status)
	require.Contains(t, weak.body, "Mật khẩu quá yếu")

	done := b.submit(weak, "/register/password", url.Values{"password": {"mật khẩu mới 1"}, "password2": {"mật khẩu mới 1"}})
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, `id="register-done"`)
	require.Contains(t, done.body, "chưa được định danh (mức 0)")
	require.Contains(t, done.body, "ứng dụng VNeID", "the page says level 1 needs the app or the police")

	a, err := s.env.Service.ByPersonalID(t.Context(), regPID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, a.Level)
	require.Equal(t, accounts.Pending, a.Status)
	require.Equal(t, regPhone, a.Phone)
	require.Equal(t, []string{"otp.sent", "signin.second_factor.succeeded", "account.registered"}, s.env.Audit.Types())
	reg := s.env.Audit.Events()[2]
	require.Equal(t, a.ID, reg.AccountID)
	require.Equal(t, a.ID, reg.ActorID)
	require.Equal(t, map[string]string{"level": "0", "status": "pending", "channel": "web", "contact": "phone"}, reg.Detail)

	// The flow is over: its pages send the browser back to the start.
	again := b.get("/register/password")
	require.Equal(t, "/register", again.url.Path)

	// Registered, not identified, not activated: no sign-in.
	login := b.login("", regPID, "mật khẩu mới 1")
	require.Equal(t, http.StatusForbidden, login.status)
	require.Contains(t, login.body, "chưa được kích hoạt")
}

func TestRegisterFromQRCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)

	bad := b.register(url.Values{"qr": {"not|a|card"}, "action": {"qr"}})
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.Contains(t, bad.body, "Không đọc được mã QR")

	filled := b.submit(bad, "/register", url.Values{"qr": {regQR}, "action": {"qr"}})
	require.Equal(t, http.StatusOK, filled.status)
	require.Contains(t, filled.body, "Đã điền thông tin từ mã QR")
	require.Contains(t, filled.body, `value="`+regPID+`"`)
	require.Contains(t, filled.body, `value="`+regName+`"`)
	require.Contains(t, filled.body, `value="17/05/1990"`)
	require.Contains(t, filled.body, `<option value="male" selected>`)
	require.Zero(t, s.env.Sender.Count(), "filling the form sends nothing")

	// The QR text and a phone in one go: straight to the code.
	code := b.submit(filled, "/register", url.Values{"qr": {regQR}, "phone": {regPhone}, "action": {"register"}})
	require.Equal(t, http.StatusOK, code.status, code.body)
	require.Equal(t, "/register/verify", code.url.Path)
	require.Equal(t, 1, s.env.Sender.Count())
}

func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	cases := []struct {
		name   string
		fields url.Values
		status int
		want   string
	}{
		{"not in the registry", details("001091000555", "Lê Thị Hoa", "17/05/1991", "male", regPhone), http.StatusBadRequest, "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư"},
		{"name differs", details(regPID, "Trần Văn Mình Sai", "17/05/1990", "male", regPhone), http.StatusBadRequest, "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư"},
		{"birth date differs", details(regPID, regName, "18/05/1990", "male", regPhone), http.StatusBadRequest, "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư"},
		{"number disagrees with gender", details(regPID, regName, "17/05/1990", "female", regPhone), http.StatusBadRequest, "không khớp với năm sinh hoặc giới tính"},
		{"bad number", details("999090000123", regName, "17/05/1990", "male", regPhone), http.StatusBadRequest, "Số định danh cá nhân không hợp lệ"},
		{"bad phone", details(regPID, regName, "17/05/1990", "male", "12345"), http.StatusBadRequest, "Số điện thoại không hợp lệ"},
		{"bad date", details(regPID, regName, "31/02/1990", "male", regPhone), http.StatusBadRequest, "Ngày sinh không hợp lệ"},
		{"missing", details(regPID, "", "17/05/1990", "male", regPhone), http.StatusBadRequest, "Vui lòng nhập đủ"},
		{"under 14", details(childPID, "Trần Minh Khang", "17/05/2016", "male", regPhone), http.StatusForbidden, "dưới 14 tuổi"},
		// The level 2 citizen of newSite: the right details of a registered
		// person.
		{"already registered", details(pid, "Nguyễn Văn An", "17/05/1985", "male", regPhone), http.StatusConflict, "đã được đăng ký tài khoản"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := s.browser(t)
			b.ip = "192.0.2.50" // refusals count against the address; 10 stay under its limit
			p := b.register(tc.fields)
			require.Equal(t, tc.status, p.status, p.body)
			require.Contains(t, p.body, tc.want)
			require.Equal(t, "/register", p.url.Path)
		})
	}
	require.Zero(t, s.env.Sender.Count(), "no code goes out for a refused registration")
	_, err := s.env.Service.ByPersonalID(t.Context(), childPID)
	require.ErrorIs(t, err, accounts.ErrNotFound)
}

// An unknown number and a known number with wrong details get the same
// page: the form does not tell who is in the registry.
func TestRegisterMismatchIsGeneric(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	unknown := b.register(details("001091000555", "Lê Thị Hoa", "17/05/1991", "male", regPhone))
	wrong := b.register(details(regPID, "Lê Thị Hoa", "17/05/1990", "male", regPhone))
	errOf := func(p page) string {
		i := strings.Index(p.body, `id="register-error"`)
		require.Positive(t, i)
		return p.body[i : i+strings.Index(p.body[i:], "</p>")]
	}
	require.Equal(t, unknown.status, wrong.status)
	require.Equal(t, errOf(unknown), errOf(wrong))
}

func TestRegisterPhoneHeldByAnotherAccount(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	// The level 2 citizen's phone: refused only once the code proved the
	// caller holds it.
	code := b.register(details(regPID, regName, "17/05/1990", "male", phone))
	require.Equal(t, "/register/verify", code.url.Path, code.body)
	taken := b.submit(code, "/register/verify", url.Values{"code": {s.env.Sender.LastCode(t, phone)}})
	require.Equal(t, http.StatusConflict, taken.status)
	require.Contains(t, taken.body, "Số điện thoại này đã được dùng cho một tài khoản định danh điện tử khác")
	require.Contains(t, taken.body, `id="register-details"`, "back to the first step")
	// The registration is over: the password step is not reachable.
	require.Equal(t, "/register", b.get("/register/password").url.Path)
	_, err := s.env.Service.ByPersonalID(t.Context(), regPID)
	require.ErrorIs(t, err, accounts.ErrNotFound)
}

func TestRegisterWrongAndExpiredCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	code := b.register(details(regPID, regName, "17/05/1990", "male", regPhone))
	right := s.env.Sender.LastCode(t, regPhone)

	wrong := b.submit(code, "/register/verify", url.Values{"code": {accountstest.WrongCode(right)}})
	require.Equal(t, http.StatusUnauthorized, wrong.status)
	require.Contains(t, wrong.body, "Mã xác thực không đúng")

	s.env.Clock.Advance(6 * time.Minute)
	expired := b.submit(wrong, "/register/verify", url.Values{"code": {right}})
	require.Equal(t, http.StatusGone, expired.status)
	require.Contains(t, expired.body, "Mã đã hết hạn")
	require.Equal(t, []string{"otp.sent", "signin.second_factor.failed:bad_code", "signin.second_factor.failed:expired_code"}, s.env.Audit.Types())

	// Wrong codes count against the personal id number across codes: the
	// fifth failure locks it out, and the right code no longer helps.
	code = b.register(details(regPID, regName, "17/05/1990", "male", regPhone))
	right = s.env.Sender.LastCode(t, regPhone)
	p := code
	for range 2 {
		p = b.submit(p, "/register/verify", url.Values{"code": {accountstest.WrongCode(right)}})
		require.Equal(t, http.StatusUnauthorized, p.status)
	}
	p = b.submit(p, "/register/verify", url.Values{"code": {accountstest.WrongCode(right)}})
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "Bạn đã nhập sai quá nhiều lần")
	require.NotEmpty(t, p.header.Get("Retry-After"))
	sent := s.env.Sender.Count()
	p = b.register(details(regPID, regName, "17/05/1990", "male", regPhone))
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Equal(t, sent, s.env.Sender.Count(), "no new code while locked out")
	require.Contains(t, s.env.Audit.Types(), "signin.locked_out:second_factor_locked_out")
	_, err := s.env.Service.ByPersonalID(t.Context(), regPID)
	require.ErrorIs(t, err, accounts.ErrNotFound)
}

func TestRegisterSMSLimitPerPhone(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	for range accounts.DefaultLockoutPolicy.SMSPerHour {
		p := b.register(details(regPID, regName, "17/05/1990", "male", regPhone))
		require.Equal(t, "/register/verify", p.url.Path)
	}
	b2 := s.browser(t)
	b2.ip = "198.51.100.7" // another address: the phone's own limit applies
	p := b2.register(details(regPID, regName, "17/05/1990", "male", regPhone))
	require.Equal(t, http.StatusTooManyRequests, p.status)
	require.Contains(t, p.body, "Đã gửi quá nhiều mã SMS")
	require.NotEmpty(t, p.header.Get("Retry-After"))
	require.Equal(t, accounts.DefaultLockoutPolicy.SMSPerHour, s.env.Sender.Count())
}

func TestRegisterCSRFRejected(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	b.get("/register") // a session with a token, which the forms below lack
	for _, path := range []string{"/register", "/register/verify", "/register/password", "/activate", "/activate/verify", "/activate/finish"} {
		p := b.post(path, details(regPID, regName, "17/05/1990", "male", regPhone))
		require.Equal(t, http.StatusForbidden, p.status, path)
		forged := details(regPID, regName, "17/05/1990", "male", regPhone)
		forged.Set("csrf_token", "forged")
		require.Equal(t, http.StatusForbidden, b.post(path, forged).status, path)
	}
	require.Zero(t, s.env.Sender.Count())
	require.Empty(t, s.env.Audit.Types())
}

func TestRegisterInEnglish(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.people(t)
	b := s.browser(t)
	b.accept = "en-GB,en;q=0.9"
	form := b.get("/register")
	require.Contains(t, form.body, `<html lang="en">`)
	require.Contains(t, form.body, "Register for an electronic identity account")

	mismatch := b.submit(form, "/register", details(regPID, "Someone Else", "17/05/1990", "male", regPhone))
	require.Contains(t, mismatch.body, "The details do not match the national population database")
	child := b.submit(mismatch, "/register", details(childPID, "Tran Minh Khang", "17/05/2016", "male", regPhone))
	require.Contains(t, child.body, "Citizens under 14 cannot register an account of their own")

	// Diacritics are optional in the name.
	code := b.submit(child, "/register", details(regPID, "Tran Van Minh", "1990-05-17", "male", regPhone))
	require.Contains(t, code.body, "A code was sent to &#43;84******321")
	pw := b.submit(code, "/register/verify", url.Values{"code": {s.env.Sender.LastCode(t, regPhone)}})
	mismatchPw := b.submit(pw, "/register/password", url.Values{"password": {"a good password"}, "password2": {"another one"}})
	require.Contains(t, mismatchPw.body, "The two passwords differ")
	done := b.submit(mismatchPw, "/register/password", url.Values{"password": {"a good password"}, "password2": {"a good password"}})
	require.Contains(t, done.body, "It is not yet identified (level 0)")
	require.Contains(t, done.body, "cannot be done on a computer")
}
