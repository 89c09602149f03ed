package templates

import "net/http"

// SignInPage is the first sign-in step: personal identification number and
// password.
type SignInPage struct {
	Base
	// PersonalID is echoed back after an error; the password never is.
	PersonalID string
	// Error and Notice are message keys. An Error with RetryMinutes > 0 is
	// formatted with it ("try again in %d minutes").
	Error        string
	RetryMinutes int
	Notice       string
	// Requester is the service asking, when the sign-in answers an
	// authorization request; nil otherwise.
	Requester *Requester
}

// SignIn renders the sign-in form.
func (s *Set) SignIn(w http.ResponseWriter, status int, p SignInPage) error {
	if p.Title == "" {
		p.Title = "signin.title"
	}
	return s.render(w, status, "signin", p)
}

// SecondFactorPage is the second sign-in step: a code from an authenticator
// app (TOTP) or an SMS code.
type SecondFactorPage struct {
	Base
	// TOTP, SMS and Passkey say which factors the account has.
	TOTP    bool
	SMS     bool
	Passkey bool
	// Method is the factor whose form is shown ("otp", "sms" or "hwk" for a
	// passkey).
	Method string
	// SMSSentTo is the masked phone number a code went to, once sent.
	SMSSentTo    string
	Error        string
	RetryMinutes int
	Notice       string
	// Requester is the service asking, as on the sign-in page.
	Requester *Requester
}

// SecondFactor renders the second-factor step.
func (s *Set) SecondFactor(w http.ResponseWriter, status int, p SecondFactorPage) error {
	if p.Title == "" {
		p.Title = "signin.factor.title"
	}
	return s.render(w, status, "signin_factor", p)
}

// DevSMS is one message of the development SMS inbox.
type DevSMS struct {
	Phone  string
	Body   string
	SentAt string // formatted
}

// DevSMSPage is the development SMS inbox (dev mode only).
type DevSMSPage struct {
	Base
	Messages []DevSMS
}

// DevSMS renders the development SMS inbox.
func (s *Set) DevSMS(w http.ResponseWriter, status int, p DevSMSPage) error {
	if p.Title == "" {
		p.Title = "signin.devsms.title"
	}
	return s.render(w, status, "signin_devsms", p)
}

func init() {
	Register(map[string][2]string{
		"signin.title":                 {"Đăng nhập", "Sign in"},
		"signin.intro":                 {"Đăng nhập bằng tài khoản định danh điện tử (VNeID) của bạn.", "Sign in with your electronic identity (VNeID) account."},
		"signin.personal_id":           {"Số định danh cá nhân", "Personal identification number"},
		"signin.personal_id_hint":      {"12 chữ số, in trên thẻ căn cước.", "12 digits, printed on your ID card."},
		"signin.password":              {"Mật khẩu", "Password"},
		"signin.submit":                {"Đăng nhập", "Sign in"},
		"signin.bad_credentials":       {"Số định danh cá nhân hoặc mật khẩu không đúng.", "The personal identification number or password is wrong."},
		"signin.busy":                  {"Hệ thống đang bận. Vui lòng thử lại sau vài giây.", "The service is busy. Please try again in a few seconds."},
		"signin.account_locked":        {"Tài khoản của bạn đang bị khóa. Vui lòng liên hệ Công an xã, phường nơi cư trú hoặc mở khóa trên ứng dụng VNeID.", "Your account is locked. Please contact your commune or ward police, or unlock it in the VNeID app."},
		"signin.not_activated":         {"Tài khoản chưa được kích hoạt. Vui lòng kích hoạt tài khoản (tại trang Kích hoạt tài khoản hoặc trên ứng dụng VNeID) trước khi đăng nhập.", "Your account is not activated yet. Please activate it (on the Activate your account page or in the VNeID app) before signing in."},
		"signin.no_factor":             {"Tài khoản chưa có phương thức xác thực thứ hai. Vui lòng cập nhật số điện thoại trên ứng dụng VNeID.", "Your account has no second sign-in factor. Please add a phone number in the VNeID app."},
		"signin.expired":               {"Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.", "Your sign-in has expired. Please sign in again."},
		"signin.signed_out":            {"Bạn đã đăng xuất.", "You have signed out."},
		"signin.factor.title":          {"Xác thực hai bước", "Two-step verification"},
		"signin.factor.intro":          {"Để hoàn tất đăng nhập, hãy nhập mã xác thực.", "To finish signing in, enter a verification code."},
		"signin.factor.totp":           {"Mã từ ứng dụng xác thực", "Code from your authenticator app"},
		"signin.factor.totp_hint":      {"Mở ứng dụng xác thực và nhập mã 6 chữ số đang hiển thị.", "Open your authenticator app and enter the 6-digit code it shows."},
		"signin.factor.sms":            {"Mã gửi qua SMS", "Code sent by SMS"},
		"signin.factor.sms_send":       {"Gửi mã qua SMS", "Send a code by SMS"},
		"signin.factor.sms_resend":     {"Gửi lại mã", "Send a new code"},
		"signin.factor.sms_sent":       {"Mã xác thực đã được gửi tới số %s. Mã có hiệu lực trong 5 phút.", "A code was sent to %s. It is valid for 5 minutes."},
		"signin.factor.use_totp":       {"Dùng ứng dụng xác thực", "Use your authenticator app"},
		"signin.factor.use_sms":        {"Dùng mã SMS", "Use an SMS code"},
		"signin.factor.code":           {"Mã xác thực", "Verification code"},
		"signin.factor.submit":         {"Xác nhận", "Verify"},
		"signin.factor.bad_code":       {"Mã xác thực không đúng.", "The code is wrong."},
		"signin.factor.replayed":       {"Mã này đã được sử dụng. Vui lòng chờ mã mới trên ứng dụng.", "This code was already used. Please wait for the next code in your app."},
		"signin.factor.code_expired":   {"Mã đã hết hạn hoặc không còn hiệu lực. Vui lòng yêu cầu mã mới.", "The code has expired or is no longer valid. Please ask for a new one."},
		"signin.factor.passkey":        {"Dùng khóa truy cập (passkey) trên thiết bị của bạn: vân tay, khuôn mặt, mã PIN hoặc khóa bảo mật.", "Use your passkey on this device: fingerprint, face, PIN or security key."},
		"signin.factor.passkey_use":    {"Dùng khóa truy cập", "Use your passkey"},
		"signin.factor.use_passkey":    {"Dùng khóa truy cập (passkey)", "Use a passkey"},
		"signin.factor.passkey_failed": {"Không dùng được khóa truy cập. Vui lòng thử lại hoặc chọn cách xác thực khác.", "The passkey did not work. Please try again or choose another way."},
		"signin.factor.cancel":         {"Hủy và đăng nhập lại", "Cancel and sign in again"},
		"signin.devsms.title":          {"Hộp thư SMS (môi trường phát triển)", "SMS inbox (development)"},
		"signin.devsms.intro":          {"Các tin nhắn dưới đây không được gửi tới điện thoại thật.", "These messages were not sent to any real phone."},
		"signin.devsms.phone":          {"Số điện thoại", "Phone"},
		"signin.devsms.message":        {"Nội dung", "Message"},
		"signin.devsms.sent_at":        {"Thời gian (UTC)", "Sent (UTC)"},
		"signin.devsms.empty":          {"Chưa có tin nhắn nào.", "No messages yet."},
	})
}
