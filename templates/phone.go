package templates

import "net/http"

// PhonePage is the change of phone number from the account page: first
// the new number, then the two codes (to the number on record and to the
// new one).
type PhonePage struct {
	Base
	// MaskedPhone is the number on record; empty when there is none.
	MaskedPhone string
	// Codes: the codes were sent to MaskedOld and MaskedNew.
	Codes                bool
	MaskedOld, MaskedNew string
	// Reauth: the sign-in is too old; ReauthURL signs in again.
	Reauth    bool
	ReauthURL string
	NewPhone  string
	// Error is a message key; RetryMinutes its argument after a lockout.
	Error        string
	RetryMinutes int
	Done         bool
}

// Phone renders the change of phone number.
func (s *Set) Phone(w http.ResponseWriter, status int, p PhonePage) error {
	if p.Title == "" {
		p.Title = "phone.title"
	}
	return s.render(w, status, "phone", p)
}

func init() {
	Register(map[string][2]string{
		"phone.title":          {"Đổi số điện thoại", "Change of phone number"},
		"phone.link":           {"Đổi số điện thoại", "Change phone number"},
		"phone.current":        {"Số điện thoại hiện tại: %s.", "Phone number on record: %s."},
		"phone.intro":          {"Mã xác thực sẽ được gửi đến cả số hiện tại và số mới; nhập cả hai mã để đổi số.", "A code is sent to both the number on record and the new number; enter both codes to change it."},
		"phone.lost":           {"Mất điện thoại cũ hoặc không còn dùng số cũ? Hãy khóa tài khoản nếu cần và đến Công an xã, phường mang theo thẻ căn cước để đổi số tại quầy.", "Lost the old phone or no longer use the old number? Lock the account if needed and go to the commune or ward police with your chip ID card to change it at the counter."},
		"phone.new":            {"Số điện thoại mới", "New phone number"},
		"phone.send":           {"Gửi mã xác thực", "Send the codes"},
		"phone.codes_intro":    {"Đã gửi một mã đến số hiện tại %s và một mã đến số mới %s. Mã có hiệu lực 10 phút.", "One code was sent to the number on record %s and one to the new number %s. The codes are valid for 10 minutes."},
		"phone.old_code":       {"Mã gửi đến số hiện tại", "Code sent to the number on record"},
		"phone.new_code":       {"Mã gửi đến số mới", "Code sent to the new number"},
		"phone.confirm":        {"Đổi số điện thoại", "Change the phone number"},
		"phone.restart":        {"Nhập số khác", "Use another number"},
		"phone.done":           {"Đã đổi số điện thoại. Một tin nhắn đã được gửi đến số cũ.", "The phone number was changed. A text message was sent to the old number."},
		"phone.reauth":         {"Để đổi số điện thoại, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai) trong vòng 5 phút trước đó.", "To change the phone number, please sign in again (password and second step) within the 5 minutes before."},
		"phone.no_old":         {"Tài khoản chưa có số điện thoại. Vui lòng đến Công an xã, phường để đăng ký số tại quầy.", "The account has no phone number on record. Please register one at the commune or ward police counter."},
		"phone.invalid":        {"Số điện thoại không hợp lệ.", "The phone number is not valid."},
		"phone.same":           {"Số mới trùng với số hiện tại.", "The new number is the one on record."},
		"phone.wrong_old":      {"Mã gửi đến số hiện tại không đúng.", "The code sent to the number on record is wrong."},
		"phone.wrong_new":      {"Mã gửi đến số mới không đúng.", "The code sent to the new number is wrong."},
		"phone.expired":        {"Mã đã hết hạn. Vui lòng gửi lại mã.", "The codes expired. Please send them again."},
		"phone.taken":          {"Số điện thoại này đã gắn với một tài khoản khác. Một số điện thoại chỉ dùng cho một tài khoản.", "This phone number belongs to another account. One phone number serves one account."},
		"phone.locked_out":     {"Nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút.", "Too many wrong attempts. Please try again in %d minutes."},
		"phone.sms_limit":      {"Đã gửi quá nhiều mã. Vui lòng thử lại sau %d phút.", "Too many codes sent. Please try again in %d minutes."},
		"phone.account_locked": {"Tài khoản đang bị khóa.", "The account is locked."},
	})
}
