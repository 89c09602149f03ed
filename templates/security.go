package templates

import (
	"html/template"
	"net/http"
)

// SecurityPage shows the account's second factors and sets up or replaces
// the authenticator app.
type SecurityPage struct {
	Base
	// MaskedPhone receives SMS codes; empty when none.
	MaskedPhone string
	TOTP        bool
	// Passkeys counts them; PasskeysOn: passkeys are offered at all.
	Passkeys   int
	PasskeysOn bool
	// CanChange: the sign-in is recent enough; ReauthURL otherwise.
	CanChange bool
	ReauthURL string
	// Enrolment, when set, is a new authenticator to scan (QR, a data:
	// URL) or type (Secret), confirmed with a code.
	Enrolment *SecurityEnrolment
	// Notice and Error are message keys; RetryMinutes the lockout's.
	Notice, Error string
	RetryMinutes  int
}

// SecurityEnrolment is a new authenticator secret being set up.
type SecurityEnrolment struct {
	QR     template.URL
	Secret string
}

// Security renders the second factors page.
func (s *Set) Security(w http.ResponseWriter, status int, p SecurityPage) error {
	if p.Title == "" {
		p.Title = "security.title"
	}
	return s.render(w, status, "security", p)
}

func init() {
	Register(map[string][2]string{
		"security.title":          {"Bước xác thực thứ hai", "Second step of sign-in"},
		"security.link":           {"Bước xác thực thứ hai", "Second step"},
		"security.intro":          {"Sau mật khẩu, bạn xác thực bằng một trong các cách dưới đây.", "After your password, you confirm it is you in one of these ways."},
		"security.sms":            {"Mã SMS gửi đến %s", "SMS code sent to %s"},
		"security.sms_none":       {"Chưa có số điện thoại nhận mã SMS.", "No phone number receives SMS codes."},
		"security.change_phone":   {"Đổi số điện thoại", "Change phone number"},
		"security.totp_on":        {"Ứng dụng xác thực (TOTP): đang dùng", "Authenticator app (TOTP): in use"},
		"security.totp_off":       {"Ứng dụng xác thực (TOTP): chưa thiết lập", "Authenticator app (TOTP): not set up"},
		"security.totp_setup":     {"Thiết lập ứng dụng xác thực", "Set up an authenticator app"},
		"security.totp_replace":   {"Chuyển sang ứng dụng xác thực khác", "Move to another authenticator app"},
		"security.totp_scan":      {"Quét mã QR bằng ứng dụng xác thực (hoặc nhập khóa bên dưới), rồi nhập mã 6 số ứng dụng hiển thị. Ứng dụng cũ vẫn dùng được cho đến khi bạn xác nhận.", "Scan the QR code with the authenticator app (or type the key below), then enter the 6-digit code it shows. The old app keeps working until you confirm."},
		"security.totp_key":       {"Khóa", "Key"},
		"security.totp_code":      {"Mã từ ứng dụng mới", "Code from the new app"},
		"security.totp_confirm":   {"Xác nhận", "Confirm"},
		"security.totp_done":      {"Đã thiết lập ứng dụng xác thực mới. Ứng dụng cũ không còn dùng được.", "The new authenticator app is set up. The old one no longer works."},
		"security.passkeys":       {"Khóa truy cập (passkey): %d", "Passkeys: %d"},
		"security.passkeys_link":  {"Quản lý khóa truy cập", "Manage passkeys"},
		"security.reauth":         {"Để thay đổi bước xác thực thứ hai, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai) trong vòng 5 phút trước đó.", "To change the second step, please sign in again (password and second step) within the 5 minutes before."},
		"security.bad_code":       {"Mã không đúng. Kiểm tra giờ trên điện thoại và thử lại.", "Wrong code. Check your phone's clock and try again."},
		"security.expired":        {"Việc thiết lập đã hết hạn. Vui lòng bắt đầu lại.", "The setup expired. Please start again."},
		"security.locked_out":     {"Nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút.", "Too many wrong attempts. Please try again in %d minutes."},
		"security.account_locked": {"Tài khoản đang bị khóa.", "The account is locked."},
	})
}
