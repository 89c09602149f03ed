package templates

import "net/http"

// Steps of the activation page.
const (
	ActivateStart  = "start"  // personal id number and phone
	ActivateCode   = "code"   // the SMS code
	ActivateFinish = "finish" // password (if none yet), passcode, security questions
	ActivateDone   = "done"
)

// ActivatePage is account activation (MISSION "Activation"), on a computer
// where the citizen has no suitable smartphone.
type ActivatePage struct {
	Base
	// Step is one of ActivateStart, ActivateCode, ActivateFinish,
	// ActivateDone.
	Step string
	// PersonalID and Phone are echoed back on the first step.
	PersonalID string
	Phone      string
	// MaskedPhone is where the code went.
	MaskedPhone string
	// NeedPassword shows the password fields (the account has none yet).
	NeedPassword bool
	// Questions are the security question ids to choose from (their
	// wording is "activate.q.<id>"); Q1 and Q2 the chosen ones.
	Questions []string
	Q1, Q2    string
	// Error and Notice are message keys; an Error with RetryMinutes > 0 is
	// formatted with it.
	Error        string
	RetryMinutes int
	Notice       string
}

// Activate renders an activation step.
func (s *Set) Activate(w http.ResponseWriter, status int, p ActivatePage) error {
	if p.Title == "" {
		p.Title = "activate.title"
	}
	if p.Step == "" {
		p.Step = ActivateStart
	}
	return s.render(w, status, "activate", p)
}

func init() {
	Register(map[string][2]string{
		"activate.title":              {"Kích hoạt tài khoản", "Activate your account"},
		"activate.link":               {"Kích hoạt tài khoản", "Activate your account"},
		"activate.intro":              {"Tài khoản định danh điện tử chỉ dùng được sau khi kích hoạt. Nhập số định danh cá nhân và số điện thoại đã đăng ký với tài khoản.", "An electronic identity account can be used once activated. Enter your personal identification number and the phone number registered with the account."},
		"activate.phone":              {"Số điện thoại đã đăng ký", "Registered phone number"},
		"activate.phone_hint":         {"Mã xác thực được gửi tới số điện thoại đã đăng ký. Nếu bạn đã đổi số, hãy cập nhật trên ứng dụng VNeID hoặc tại Công an xã, phường.", "The code goes to the phone number on record. If your number changed, update it in the VNeID app or at your commune or ward police."},
		"activate.continue":           {"Tiếp tục", "Continue"},
		"activate.mismatch":           {"Không tìm thấy tài khoản chờ kích hoạt khớp với số định danh cá nhân và số điện thoại này. Nếu bạn đã đổi số điện thoại, hãy cập nhật trên ứng dụng VNeID hoặc tại Công an xã, phường.", "No account awaiting activation matches this identification number and phone number. If your phone number changed, update it in the VNeID app or at your commune or ward police."},
		"activate.not_identified":     {"Tài khoản của bạn chưa được định danh (mức 0) nên chưa thể kích hoạt. Hãy xác thực chip thẻ căn cước và ảnh chân dung trên ứng dụng VNeID, hoặc tại Công an xã, phường nơi cư trú.", "Your account is not yet identified (level 0), so it cannot be activated yet. Have your ID card's chip and your portrait verified in the VNeID app, or at your commune or ward police."},
		"activate.already_active":     {"Tài khoản này đã được kích hoạt. Bạn có thể đăng nhập.", "This account is already activated. You can sign in."},
		"activate.code_intro":         {"Mã xác thực đã được gửi tới số %s. Mã có hiệu lực trong 5 phút.", "A code was sent to %s. It is valid for 5 minutes."},
		"activate.code_expired":       {"Mã đã hết hạn hoặc không còn hiệu lực. Vui lòng bắt đầu lại để nhận mã mới.", "The code has expired or is no longer valid. Please start again to get a new code."},
		"activate.expired":            {"Phiên kích hoạt đã hết hạn. Vui lòng bắt đầu lại.", "Your activation has expired. Please start again."},
		"activate.finish_intro":       {"Hoàn tất kích hoạt: đặt mã PIN 6 số để dùng các tính năng trong ứng dụng và chọn hai câu hỏi bảo mật để lấy lại tài khoản khi cần.", "Finish the activation: choose a 6-digit passcode for in-app features and two security questions to recover your account if needed."},
		"activate.passcode":           {"Mã PIN (6 chữ số)", "Passcode (6 digits)"},
		"activate.passcode2":          {"Nhập lại mã PIN", "Repeat the passcode"},
		"activate.passcode_hint":      {"Không dùng 6 số giống nhau hoặc liên tiếp (111111, 123456).", "Do not use one digit six times or a run (111111, 123456)."},
		"activate.passcode_mismatch":  {"Hai mã PIN không giống nhau.", "The two passcodes differ."},
		"activate.weak_passcode":      {"Mã PIN phải gồm đúng 6 chữ số, không phải 6 số giống nhau hay liên tiếp.", "The passcode must be exactly 6 digits, not one digit repeated or a run."},
		"activate.question1":          {"Câu hỏi bảo mật 1", "Security question 1"},
		"activate.question2":          {"Câu hỏi bảo mật 2", "Security question 2"},
		"activate.answer":             {"Câu trả lời", "Answer"},
		"activate.answer_hint":        {"Không phân biệt chữ hoa, chữ thường, dấu và khoảng trắng.", "Capitals, accents and spacing do not matter."},
		"activate.bad_questions":      {"Vui lòng chọn hai câu hỏi bảo mật khác nhau và trả lời cả hai.", "Please choose two different security questions and answer both."},
		"activate.submit":             {"Kích hoạt", "Activate"},
		"activate.done":               {"Tài khoản đã được kích hoạt. Bạn có thể đăng nhập ngay.", "Your account is activated. You can sign in now."},
		"activate.q.first_school":     {"Tên trường tiểu học đầu tiên của bạn?", "The name of your first primary school?"},
		"activate.q.mother_hometown":  {"Quê của mẹ bạn ở đâu?", "Your mother's home town?"},
		"activate.q.childhood_friend": {"Tên người bạn thân thời thơ ấu?", "The name of your childhood best friend?"},
		"activate.q.first_teacher":    {"Tên cô giáo hoặc thầy giáo đầu tiên của bạn?", "The name of your first teacher?"},
		"activate.q.favourite_food":   {"Món ăn bạn thích nhất?", "Your favourite dish?"},
		"activate.q.childhood_street": {"Tên con đường nơi bạn lớn lên?", "The street where you grew up?"},
	})
}
