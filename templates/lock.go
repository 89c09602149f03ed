package templates

import "net/http"

// LockPage lets a citizen lock their own account, with the password alone:
// whoever lost their phone has lost their second factor too.
type LockPage struct {
	Base
	PersonalID string
	// Reason is the chosen reason code ("lost_phone" or "misuse").
	Reason string
	// Error and Notice are message keys; Done shows the confirmation.
	Error        string
	RetryMinutes int
	Done         bool
}

// Lock renders the lock page.
func (s *Set) Lock(w http.ResponseWriter, status int, p LockPage) error {
	if p.Title == "" {
		p.Title = "lock.title"
	}
	return s.render(w, status, "lock", p)
}

func init() {
	Register(map[string][2]string{
		"lock.title":      {"Khóa tài khoản tạm thời", "Lock your account temporarily"},
		"lock.intro":      {"Mất điện thoại hoặc nghi tài khoản bị sử dụng trái phép? Khóa tài khoản ngay: mọi phiên đăng nhập và quyền truy cập của các dịch vụ chấm dứt lập tức.", "Lost your phone, or think someone is using your account? Lock it now: every sign-in and every service's access ends at once."},
		"lock.reason":     {"Lý do", "Reason"},
		"lock.lost_phone": {"Mất điện thoại", "Lost phone"},
		"lock.misuse":     {"Nghi bị sử dụng trái phép", "Suspected misuse"},
		"lock.submit":     {"Khóa tài khoản", "Lock my account"},
		"lock.done":       {"Tài khoản của bạn đã bị khóa. Để mở khóa, hãy đến công an cấp xã nơi gần nhất hoặc gọi tổng đài hỗ trợ, mang theo thẻ căn cước.", "Your account is locked. To unlock it, visit the nearest commune police office or call the support line, with your ID card."},
		"lock.already":    {"Tài khoản này đã bị khóa.", "This account is already locked."},
		"lock.not_active": {"Tài khoản này chưa được kích hoạt nên không cần khóa.", "This account is not activated yet, so it need not be locked."},
		"lock.link":       {"Mất điện thoại? Khóa tài khoản", "Lost your phone? Lock your account"},
	})
}
