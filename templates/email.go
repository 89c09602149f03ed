package templates

import "net/http"

// EmailPage is the change of e-mail address from the account page: the
// new address, then the code sent to it.
type EmailPage struct {
	Base
	// Current is the address on record (empty when none).
	Current string
	// Code: a code was sent to Masked.
	Code   bool
	Masked string
	// Reauth: the sign-in is too old; ReauthURL signs in again.
	Reauth    bool
	ReauthURL string
	Address   string
	// Off: no e-mail is configured.
	Off bool
	// Error is a message key; RetryMinutes its argument after a lockout.
	Error        string
	RetryMinutes int
	Done         bool
}

// Email renders the change of e-mail address.
func (s *Set) Email(w http.ResponseWriter, status int, p EmailPage) error {
	if p.Title == "" {
		p.Title = "email.title"
	}
	return s.render(w, status, "email", p)
}

func init() {
	Register(map[string][2]string{
		"email.title":          {"Đổi địa chỉ thư điện tử", "Change of e-mail address"},
		"email.link":           {"Đổi thư điện tử", "Change e-mail"},
		"email.current":        {"Địa chỉ hiện tại: %s.", "Address on record: %s."},
		"email.none":           {"Tài khoản chưa có địa chỉ thư điện tử.", "The account has no e-mail address."},
		"email.intro":          {"Một mã xác thực sẽ được gửi đến địa chỉ mới; nhập mã để xác nhận.", "A code is sent to the new address; enter it to confirm."},
		"email.new":            {"Địa chỉ thư điện tử mới", "New e-mail address"},
		"email.send":           {"Gửi mã xác thực", "Send the code"},
		"email.code_intro":     {"Đã gửi mã đến %s. Mã có hiệu lực 10 phút.", "A code was sent to %s. It is valid for 10 minutes."},
		"email.code":           {"Mã xác thực", "Code"},
		"email.confirm":        {"Đổi địa chỉ", "Change the address"},
		"email.restart":        {"Nhập địa chỉ khác", "Use another address"},
		"email.done":           {"Đã đổi địa chỉ thư điện tử. Một tin nhắn đã được gửi đến số điện thoại của bạn.", "The e-mail address was changed. A text message was sent to your phone."},
		"email.reauth":         {"Để đổi địa chỉ thư điện tử, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai) trong vòng 5 phút trước đó.", "To change the e-mail address, please sign in again (password and second step) within the 5 minutes before."},
		"email.off":            {"Hệ thống chưa gửi được thư điện tử; vui lòng thử lại sau.", "E-mail cannot be sent yet; please try again later."},
		"email.invalid":        {"Địa chỉ thư điện tử không hợp lệ.", "The e-mail address is not valid."},
		"email.same":           {"Địa chỉ mới trùng với địa chỉ hiện tại.", "The new address is the one on record."},
		"email.wrong_code":     {"Mã xác thực không đúng.", "The code is wrong."},
		"email.expired":        {"Mã đã hết hạn. Vui lòng gửi lại mã.", "The code expired. Please send it again."},
		"email.locked_out":     {"Nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút.", "Too many wrong attempts. Please try again in %d minutes."},
		"email.limit":          {"Đã gửi quá nhiều mã. Vui lòng thử lại sau %d phút.", "Too many codes sent. Please try again in %d minutes."},
		"email.account_locked": {"Tài khoản đang bị khóa.", "The account is locked."},
	})
}
