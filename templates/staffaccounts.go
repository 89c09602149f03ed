package templates

import "net/http"

// StaffAccountPage is the operators' accounts page (/staff/accounts,
// package accounts/console/web): the search form, and the account found
// with its lock or unlock form.
type StaffAccountPage struct {
	StaffBase
	PersonalID string
	// Error and Notice are message keys (Notice: "locked", "unlocked").
	Error, Notice string
	Found         bool
	// Status is the label, StatusCode its code.
	Status, StatusCode string
	Level              int
	Locked             bool
	LockReason         string
	ActivatedAt        string
	LockReasons        []Option
	UnlockReasons      []Option
	Note               string
	MaxNote            int
}

// StaffAccount renders the accounts page.
func (s *Set) StaffAccount(w http.ResponseWriter, status int, p StaffAccountPage) error {
	p.Title = "opaccounts.title"
	return s.render(w, status, "staff_accounts", p)
}

func init() {
	Register(map[string][2]string{
		"opaccounts.title":                           {"Tài khoản công dân", "Citizens' accounts"},
		"opaccounts.intro":                           {"Tìm tài khoản theo số định danh cá nhân để xem trạng thái, khóa hoặc mở khóa. Mỗi lần xem và mỗi thay đổi đều có trong lịch sử của công dân, kèm mã cán bộ của bạn.", "Find an account by personal identification number to see its state, lock or unlock it. Every look-up and every change is in the citizen's history, with your member id."},
		"opaccounts.personal_id":                     {"Số định danh cá nhân", "Personal identification number"},
		"opaccounts.find":                            {"Tìm", "Find"},
		"opaccounts.col.status":                      {"Trạng thái", "Status"},
		"opaccounts.col.level":                       {"Mức định danh", "Identification level"},
		"opaccounts.col.lock_reason":                 {"Lý do khóa", "Reason for the lock"},
		"opaccounts.col.activated":                   {"Kích hoạt lúc", "Activated at"},
		"opaccounts.status.active":                   {"Đang hoạt động", "Active"},
		"opaccounts.status.pending":                  {"Chưa kích hoạt", "Not activated"},
		"opaccounts.status.locked":                   {"Đã khóa", "Locked"},
		"opaccounts.lock.title":                      {"Khóa tài khoản", "Lock the account"},
		"opaccounts.lock.hint":                       {"Khóa chấm dứt ngay mọi phiên đăng nhập và quyền truy cập đã cấp cho các dịch vụ. Công dân được thông báo.", "A lock ends at once every sign-in and every access granted to services. The citizen is told."},
		"opaccounts.lock.submit":                     {"Khóa tài khoản", "Lock the account"},
		"opaccounts.unlock.title":                    {"Mở khóa tài khoản", "Unlock the account"},
		"opaccounts.unlock.submit":                   {"Mở khóa tài khoản", "Unlock the account"},
		"opaccounts.reason":                          {"Lý do", "Reason"},
		"opaccounts.note":                            {"Ghi chú (bắt buộc, ghi vào nhật ký)", "Note (required, recorded in the audit trail)"},
		"opaccounts.lock_reason.lost_phone":          {"Mất điện thoại", "Lost phone"},
		"opaccounts.lock_reason.holder_request":      {"Theo yêu cầu của chủ tài khoản", "At the holder's request"},
		"opaccounts.lock_reason.misuse":              {"Sử dụng sai mục đích", "Misuse"},
		"opaccounts.lock_reason.card_revoked":        {"Thẻ căn cước bị thu hồi", "ID card revoked"},
		"opaccounts.lock_reason.other":               {"Lý do khác", "Other reason"},
		"opaccounts.unlock_reason.identity_verified": {"Đã xác minh lại danh tính", "Identity verified again"},
		"opaccounts.unlock_reason.holder_request":    {"Theo yêu cầu của chủ tài khoản", "At the holder's request"},
		"opaccounts.unlock_reason.locked_in_error":   {"Khóa nhầm", "Locked in error"},
		"opaccounts.unlock_reason.other":             {"Lý do khác", "Other reason"},
		"opaccounts.done.locked":                     {"Đã khóa tài khoản: mọi phiên và quyền truy cập đã chấm dứt.", "Account locked: every sign-in and access has ended."},
		"opaccounts.done.unlocked":                   {"Đã mở khóa tài khoản.", "Account unlocked."},
		"opaccounts.error.personal_id":               {"Số định danh cá nhân gồm 12 chữ số với mã tỉnh hợp lệ.", "A personal identification number has 12 digits with a valid province code."},
		"opaccounts.error.not_found":                 {"Không có tài khoản với số định danh này.", "No account has this personal identification number."},
		"opaccounts.error.reason":                    {"Hãy chọn một lý do.", "Choose a reason."},
		"opaccounts.error.note":                      {"Hãy ghi chú (tối đa 500 ký tự).", "Write a note (at most 500 characters)."},
		"opaccounts.error.already_locked":            {"Tài khoản đã bị khóa.", "The account is locked already."},
		"opaccounts.error.not_locked":                {"Tài khoản không bị khóa.", "The account is not locked."},
		"staff.link.accounts":                        {"Tài khoản công dân", "Citizens' accounts"},
		"staff.link.accounts_hint":                   {"Tìm theo số định danh, khóa hoặc mở khóa có lý do.", "Find by ID number, lock or unlock with a reason."},
	})
}
