package templates

import "net/http"

// Steps of the forgotten-password and unlock pages (RecoverPage.Step).
const (
	RecoverStart    = "start"    // personal id number
	RecoverCode     = "code"     // the SMS code
	RecoverAnswers  = "answers"  // the two security answers, or the passcode
	RecoverPassword = "password" // a new password (forgotten password only)
	RecoverDone     = "done"
)

// RecoverPage is the forgotten-password flow (Flow "recover") or the
// holder's own unlock after a self-lock (Flow "unlock"): personal id
// number, an SMS code to the phone on record, the security answers, then a
// new password or the unlock.
type RecoverPage struct {
	Base
	// Flow is "recover" or "unlock": it names the paths, ids and message
	// keys.
	Flow string
	Step string
	// PersonalID is echoed back on the first step.
	PersonalID string
	// MaskedPhone is where the code went.
	MaskedPhone string
	// Questions are the ids of the account's security questions (their
	// wording is "activate.q.<id>"); Passcode offers the passcode instead.
	Questions []string
	Passcode  bool
	// Error and Notice are message keys, and Error the step's stable error
	// code; an Error with RetryMinutes > 0 is formatted with it.
	Error        string
	RetryMinutes int
	Notice       string
}

// Recover renders a step of the forgotten-password or unlock pages.
func (s *Set) Recover(w http.ResponseWriter, status int, p RecoverPage) error {
	if p.Flow == "" {
		p.Flow = "recover"
	}
	if p.Title == "" {
		p.Title = p.Flow + ".title"
	}
	if p.Step == "" {
		p.Step = RecoverStart
	}
	return s.render(w, status, "recover", p)
}

// PasswordPage is the change of password from the account page.
type PasswordPage struct {
	Base
	Error        string
	RetryMinutes int
	Done         bool
	// Reauth: the sign-in is too old (or lacked a second factor);
	// ReauthURL signs in again and comes back.
	Reauth    bool
	ReauthURL string
}

// Password renders the change of password page.
func (s *Set) Password(w http.ResponseWriter, status int, p PasswordPage) error {
	if p.Title == "" {
		p.Title = "password.title"
	}
	return s.render(w, status, "password", p)
}

func init() {
	Register(map[string][2]string{
		"password.reauth":        {"Để đổi mật khẩu, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai) trong vòng 5 phút trước đó.", "To change the password, please sign in again (password and second step) within the 5 minutes before."},
		"recover.title":          {"Quên mật khẩu", "Forgotten password"},
		"recover.link":           {"Quên mật khẩu?", "Forgotten password?"},
		"recover.intro":          {"Nhập số định danh cá nhân. Mã xác thực sẽ được gửi đến số điện thoại đã đăng ký với tài khoản; sau đó bạn trả lời hai câu hỏi bảo mật và đặt mật khẩu mới.", "Enter your personal identification number. A code will be sent to the phone number registered with the account; you then answer your two security questions and choose a new password."},
		"recover.code_intro":     {"Mã xác thực đã được gửi đến số %s. Nhập mã để tiếp tục.", "A code was sent to %s. Enter it to continue."},
		"recover.answers_intro":  {"Trả lời hai câu hỏi bảo mật bạn đã chọn khi kích hoạt tài khoản (không phân biệt chữ hoa, chữ thường; giữ dấu tiếng Việt).", "Answer the two security questions you chose when activating the account (upper or lower case does not matter; keep the Vietnamese diacritics)."},
		"recover.or_passcode":    {"Hoặc nhập mật mã 6 số của tài khoản thay cho câu trả lời:", "Or enter the account's 6-digit passcode instead of the answers:"},
		"recover.password_intro": {"Đặt mật khẩu mới. Mọi phiên đăng nhập và quyền truy cập của các dịch vụ sẽ chấm dứt.", "Choose a new password. Every sign-in and every service's access will end."},
		"recover.done":           {"Mật khẩu đã được đặt lại. Mọi phiên đăng nhập cũ đã kết thúc; một tin nhắn đã được gửi đến điện thoại của bạn.", "Your password was reset. Every earlier sign-in has ended; a text message was sent to your phone."},
		"recover.unavailable":    {"Không thể khôi phục mật khẩu trực tuyến cho số định danh này (không có tài khoản hoặc chưa đăng ký số điện thoại). Vui lòng liên hệ Công an xã, phường nơi cư trú.", "The password cannot be recovered online for this number (no account, or no phone number on record). Please contact your commune or ward police."},
		"recover.bad_pid":        {"Số định danh cá nhân gồm 12 chữ số.", "A personal identification number has 12 digits."},
		"recover.wrong_answers":  {"Câu trả lời không đúng.", "The answers are wrong."},
		"recover.no_answers":     {"Tài khoản chưa có câu hỏi bảo mật. Vui lòng liên hệ Công an xã, phường nơi cư trú.", "The account has no security questions. Please contact your commune or ward police."},
		"recover.expired":        {"Phiên khôi phục đã hết hạn hoặc đã được dùng. Vui lòng bắt đầu lại.", "The recovery expired or was already used. Please start again."},
		"recover.code_expired":   {"Mã đã hết hạn hoặc đã được dùng. Vui lòng bắt đầu lại.", "The code has expired or was already used. Please start again."},
		"recover.locked":         {"Tài khoản đang bị khóa. Nếu chính bạn đã khóa, hãy mở khóa trước; nếu tài khoản bị cơ quan chức năng khóa, vui lòng đến Công an xã, phường.", "The account is locked. If you locked it yourself, unlock it first; if an authority locked it, please go to your commune or ward police."},
		"recover.passcode":       {"Mật mã 6 số", "6-digit passcode"},
		"recover.continue":       {"Tiếp tục", "Continue"},
		"recover.submit":         {"Đặt mật khẩu mới", "Set the new password"},
		"unlock.title":           {"Mở khóa tài khoản", "Unlock your account"},
		"unlock.link":            {"Mở khóa tài khoản bạn đã tự khóa", "Unlock an account you locked yourself"},
		"unlock.intro":           {"Nếu chính bạn đã khóa tài khoản (ví dụ khi mất điện thoại), bạn có thể mở khóa bằng số định danh cá nhân, mã gửi đến số điện thoại đã đăng ký và hai câu hỏi bảo mật. Tài khoản bị cơ quan chức năng khóa chỉ được mở tại Công an xã, phường.", "If you locked the account yourself (for instance when you lost your phone), you can unlock it with your personal identification number, a code sent to the phone on record and your two security questions. An account locked by an authority is unlocked at the commune or ward police only."},
		"unlock.code_intro":      {"Mã xác thực đã được gửi đến số %s. Nhập mã để tiếp tục.", "A code was sent to %s. Enter it to continue."},
		"unlock.submit":          {"Mở khóa", "Unlock"},
		"unlock.done":            {"Tài khoản đã được mở khóa; một tin nhắn đã được gửi đến điện thoại của bạn. Các phiên đăng nhập trước khi khóa vẫn đã kết thúc.", "Your account is unlocked; a text message was sent to your phone. Sign-ins from before the lock stay ended."},
		"unlock.authority":       {"Tài khoản bị cơ quan chức năng khóa và chỉ được mở khóa tại Công an xã, phường nơi cư trú.", "The account was locked by an authority and can only be unlocked at your commune or ward police."},
		"unlock.not_locked":      {"Tài khoản không bị khóa.", "The account is not locked."},
		"password.title":         {"Đổi mật khẩu", "Change password"},
		"password.link":          {"Đổi mật khẩu", "Change password"},
		"password.intro":         {"Nhập mật khẩu hiện tại và mật khẩu mới. Mọi phiên đăng nhập khác và quyền truy cập của các dịch vụ sẽ chấm dứt.", "Enter your current password and a new one. Every other sign-in and every service's access will end."},
		"password.current":       {"Mật khẩu hiện tại", "Current password"},
		"password.wrong":         {"Mật khẩu hiện tại không đúng.", "The current password is wrong."},
		"password.same":          {"Mật khẩu mới phải khác mật khẩu hiện tại.", "The new password must differ from the current one."},
		"password.submit":        {"Đổi mật khẩu", "Change password"},
		"password.done":          {"Mật khẩu đã được đổi. Các phiên đăng nhập khác đã kết thúc.", "Your password was changed. Other sign-ins have ended."},
	})
}
