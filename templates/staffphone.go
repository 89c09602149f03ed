package templates

import "net/http"

// StaffPhonePage is an officer's form to change a citizen's phone number
// at the counter after a chip read.
type StaffPhonePage struct {
	StaffBase
	PersonalID, ReadID, Phone string
	// Error is a message key; Done shows the confirmation.
	Error string
	Done  bool
}

// StaffPhone renders /staff/locks/phone.
func (s *Set) StaffPhone(w http.ResponseWriter, status int, p StaffPhonePage) error {
	if p.Title == "" {
		p.Title = "locks.phone.title"
	}
	return s.render(w, status, "staff_phone", p)
}

func init() {
	Register(map[string][2]string{
		"locks.phone.link":    {"Đổi số điện thoại tại quầy", "Change phone number at the counter"},
		"locks.phone.title":   {"Đổi số điện thoại tại quầy", "Change a phone number at the counter"},
		"locks.phone.intro":   {"Dành cho công dân mất điện thoại cũ. Chỉ đổi số khi đã đọc và xác thực chip thẻ căn cước của chính công dân đó; số cũ sẽ nhận tin báo.", "For a citizen who lost the old phone. Change the number only after the chip of this very citizen's ID card was read and verified; the old number is told."},
		"locks.phone.new":     {"Số điện thoại mới", "New phone number"},
		"locks.phone.submit":  {"Đổi số điện thoại", "Change the phone number"},
		"locks.phone.done":    {"Đã đổi số điện thoại của tài khoản.", "The account's phone number was changed."},
		"locks.phone.invalid": {"Số điện thoại không hợp lệ hoặc trùng số hiện tại.", "The phone number is not valid, or is the one on record."},
		"locks.phone.taken":   {"Số điện thoại này đã gắn với một tài khoản khác.", "This phone number belongs to another account."},
	})
}
