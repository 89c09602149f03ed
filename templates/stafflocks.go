package templates

import "net/http"

// Pages of locks by authorities (/staff/locks, package lockrequest/web).
// Every text is already in the page language and every time in Vietnam
// time; the web package turns domain values into these.

// LockRequestRow is one lock request as the pages show it.
type LockRequestRow struct {
	ID, URL    string
	PersonalID string
	// Reason and State are labels, ReasonCode and StateCode their codes.
	Reason, ReasonCode, State, StateCode string
	Text                                 string
	FiledBy, FiledUnit                   string
	FiledAt, FiledAtISO                  string
	// DecidedBy and DecidedAt are empty while pending.
	DecidedBy, DecidedAt string
	Note                 string
}

// LockListPage lists the requests a supervisor may decide and those the
// member filed.
type LockListPage struct {
	StaffBase
	// Supervisor shows the pending list; Officer the links to file a
	// request and to unlock.
	Supervisor, Officer bool
	Pending, Filed      []LockRequestRow
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// LockFormPage is an officer's form to file a lock request.
type LockFormPage struct {
	StaffBase
	PersonalID, Text string
	Reasons          []Option
	// Error is a message key.
	Error string
}

// LockShowPage shows one request and the steps the member may take.
type LockShowPage struct {
	StaffBase
	Request LockRequestRow
	// CanDecide shows approve and refuse, CanWithdraw withdraw.
	CanDecide, CanWithdraw bool
	// Notice and Warning are message keys (a step done; an approval whose
	// lock held but whose cascade failed).
	Notice, Warning string
}

// UnlockPage is an officer's form to unlock an account after a chip read.
type UnlockPage struct {
	StaffBase
	PersonalID, ReadID string
	// Error is a message key; Done shows the confirmation.
	Error string
	Done  bool
}

// LockList renders /staff/locks.
func (s *Set) LockList(w http.ResponseWriter, status int, p LockListPage) error {
	if p.Title == "" {
		p.Title = "locks.title"
	}
	return s.render(w, status, "staff_locks", p)
}

// LockForm renders the filing form.
func (s *Set) LockForm(w http.ResponseWriter, status int, p LockFormPage) error {
	if p.Title == "" {
		p.Title = "locks.new.title"
	}
	return s.render(w, status, "staff_lock_new", p)
}

// LockShow renders one request.
func (s *Set) LockShow(w http.ResponseWriter, status int, p LockShowPage) error {
	if p.Title == "" {
		p.Title = "locks.show.title"
	}
	return s.render(w, status, "staff_lock_show", p)
}

// Unlock renders the unlock form.
func (s *Set) Unlock(w http.ResponseWriter, status int, p UnlockPage) error {
	if p.Title == "" {
		p.Title = "locks.unlock.title"
	}
	return s.render(w, status, "staff_unlock", p)
}

func init() {
	Register(map[string][2]string{
		"locks.title":           {"Yêu cầu khóa tài khoản", "Account lock requests"},
		"locks.pending":         {"Yêu cầu chờ phê duyệt", "Requests awaiting a decision"},
		"locks.pending.none":    {"Không có yêu cầu nào chờ phê duyệt.", "No request awaits a decision."},
		"locks.filed":           {"Yêu cầu do bạn lập", "Requests you filed"},
		"locks.filed.none":      {"Bạn chưa lập yêu cầu nào.", "You have not filed any request."},
		"locks.new.link":        {"Lập yêu cầu khóa", "File a lock request"},
		"locks.unlock.link":     {"Mở khóa tại quầy", "Unlock at the counter"},
		"locks.col.personal_id": {"Số định danh cá nhân", "Personal ID number"},
		"locks.col.reason":      {"Lý do", "Reason"},
		"locks.col.state":       {"Trạng thái", "Status"},
		"locks.col.filed_by":    {"Người lập", "Filed by"},
		"locks.col.filed_at":    {"Thời điểm lập (giờ Việt Nam)", "Filed at (Vietnam time)"},
		"locks.col.unit":        {"Đơn vị", "Unit"},
		"locks.col.text":        {"Nội dung", "Details"},
		"locks.col.decided_by":  {"Người xử lý", "Decided by"},
		"locks.col.decided_at":  {"Thời điểm xử lý", "Decided at"},
		"locks.col.note":        {"Ghi chú", "Note"},
		"locks.open":            {"Xem", "Open"},

		"locks.reason.misuse":       {"Sử dụng trái phép, vi phạm điều khoản", "Misuse, breach of the terms"},
		"locks.reason.card_revoked": {"Thẻ căn cước bị thu hồi", "ID card revoked"},
		"locks.reason.death":        {"Công dân đã chết", "Citizen deceased"},
		"locks.reason.court_order":  {"Theo yêu cầu của cơ quan tiến hành tố tụng", "At a court's or prosecutor's request"},
		"locks.reason.other":        {"Lý do khác", "Other reason"},

		"locks.state.pending":   {"Chờ phê duyệt", "Pending"},
		"locks.state.approved":  {"Đã phê duyệt, tài khoản đã khóa", "Approved, account locked"},
		"locks.state.refused":   {"Bị từ chối", "Refused"},
		"locks.state.withdrawn": {"Đã rút lại", "Withdrawn"},

		"locks.new.title":       {"Lập yêu cầu khóa tài khoản", "File an account lock request"},
		"locks.new.intro":       {"Yêu cầu chỉ có hiệu lực khi lãnh đạo đơn vị (hoặc đơn vị cấp trên) phê duyệt. Khi được phê duyệt, mọi phiên đăng nhập và quyền truy cập của các dịch vụ chấm dứt ngay.", "The request takes effect only when a supervisor of your unit (or a unit above it) approves it. On approval every sign-in and every service's access end at once."},
		"locks.new.text":        {"Nội dung, căn cứ (số văn bản, ngày)", "Details and grounds (document number, date)"},
		"locks.new.submit":      {"Gửi yêu cầu", "Submit the request"},
		"locks.show.title":      {"Yêu cầu khóa tài khoản", "Account lock request"},
		"locks.approve":         {"Phê duyệt và khóa tài khoản", "Approve and lock the account"},
		"locks.refuse":          {"Từ chối", "Refuse"},
		"locks.withdraw":        {"Rút lại yêu cầu", "Withdraw the request"},
		"locks.note":            {"Ghi chú của người phê duyệt", "Supervisor's note"},
		"locks.done.filed":      {"Đã gửi yêu cầu. Yêu cầu chờ lãnh đạo phê duyệt.", "Request filed. It awaits a supervisor's decision."},
		"locks.done.approved":   {"Đã phê duyệt. Tài khoản đã bị khóa; mọi phiên đăng nhập và quyền truy cập đã chấm dứt.", "Approved. The account is locked; every sign-in and access has ended."},
		"locks.done.refused":    {"Đã từ chối yêu cầu.", "Request refused."},
		"locks.done.withdrawn":  {"Đã rút lại yêu cầu.", "Request withdrawn."},
		"locks.warning.cascade": {"Tài khoản đã bị khóa, nhưng việc thu hồi quyền truy cập của các dịch vụ chưa hoàn tất. Trạng thái khóa vẫn chặn mọi truy cập; hãy báo cho quản trị viên.", "The account is locked, but ending the services' access did not complete. The locked status still refuses every access; tell an operator."},

		"locks.unlock.title":   {"Mở khóa tài khoản tại quầy", "Unlock an account at the counter"},
		"locks.unlock.intro":   {"Chỉ mở khóa khi đã đọc và xác thực chip thẻ căn cước của chính công dân đó. Nhập mã lần đọc thẻ do máy đọc trả về.", "Unlock only after the chip of this very citizen's ID card was read and verified. Enter the read id the card reader gave."},
		"locks.unlock.read_id": {"Mã lần đọc chip", "Chip read id"},
		"locks.unlock.submit":  {"Mở khóa", "Unlock"},
		"locks.unlock.done":    {"Tài khoản đã được mở khóa. Các phiên đăng nhập trước khi khóa vẫn chấm dứt; công dân đăng nhập lại.", "The account is unlocked. Sign-ins from before the lock stay ended; the citizen signs in again."},

		"locks.error.forbidden":       {"Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."},
		"locks.error.forbidden.hint":  {"Chỉ cán bộ lập yêu cầu; chỉ lãnh đạo của đơn vị lập (hoặc đơn vị cấp trên), không phải người lập, mới phê duyệt hoặc từ chối.", "Officers file requests; only a supervisor of the filing unit (or a unit above it), never the filer, approves or refuses."},
		"locks.error.signin":          {"Vui lòng đăng nhập trang cán bộ.", "Please sign in to the staff console."},
		"locks.error.signin.link":     {"Đăng nhập", "Sign in"},
		"locks.error.not_found":       {"Không tìm thấy yêu cầu.", "Request not found."},
		"locks.error.not_pending":     {"Yêu cầu này đã được xử lý.", "This request was already decided."},
		"locks.error.invalid":         {"Thông tin chưa hợp lệ. Kiểm tra số định danh, lý do và nội dung.", "Something is not valid. Check the personal ID number, the reason and the details."},
		"locks.error.no_account":      {"Không có tài khoản định danh điện tử với số định danh này.", "There is no electronic identity account with this personal ID number."},
		"locks.error.already_pending": {"Tài khoản này đã có một yêu cầu khóa đang chờ phê duyệt.", "A lock request for this account is already pending."},
		"locks.error.not_locked":      {"Tài khoản này không bị khóa.", "This account is not locked."},
		"locks.error.no_read":         {"Mã lần đọc chip không phải là lần đọc đã xác thực thẻ của công dân này.", "The chip read id is not a verified read of this citizen's card."},

		"history.type.lock_request.filed":               {"Cán bộ lập yêu cầu khóa tài khoản", "An officer asked to lock your account"},
		"history.type.lock_request.approved":            {"Lãnh đạo phê duyệt yêu cầu khóa tài khoản", "A supervisor approved locking your account"},
		"history.type.lock_request.refused":             {"Lãnh đạo từ chối yêu cầu khóa tài khoản", "A supervisor refused to lock your account"},
		"history.type.lock_request.withdrawn":           {"Cán bộ rút lại yêu cầu khóa tài khoản", "An officer withdrew the request to lock your account"},
		"history.type.lock_request.unlocked_at_counter": {"Mở khóa tại quầy sau khi đọc chip thẻ căn cước", "Unlocked at the counter after reading your ID card's chip"},
	})
}
