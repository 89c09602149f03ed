package templates

import (
	"html/template"
	"net/http"
)

// StaffBase is what every staff console page (under /staff) needs: the
// signed-in member shown in the console's bar, with a sign-out button.
// Other consoles' pages (counter, lock requests) embed it too.
type StaffBase struct {
	Base
	// StaffName and StaffUnit show who is signed in; empty on the sign-in
	// pages.
	StaffName string
	StaffUnit string
}

// StaffSignInPage is the staff sign-in: username and password, then the
// TOTP code (Step "code").
type StaffSignInPage struct {
	StaffBase
	Step     string // "password" or "code"
	Username string
	// Error and Notice are message keys; RetryMinutes fills a lockout
	// message.
	Error, Notice string
	RetryMinutes  int
	// Passkey offers the member's passkey instead of the code.
	Passkey bool
}

// StaffPasswordPage changes the member's own password; Forced when an
// operator chose the current one.
type StaffPasswordPage struct {
	StaffBase
	Forced       bool
	Error        string
	RetryMinutes int
}

// StaffPassword renders the password page.
func (s *Set) StaffPassword(w http.ResponseWriter, status int, p StaffPasswordPage) error {
	p.Title = "staff.password.title"
	return s.render(w, status, "staff_password", p)
}

// StaffPasskeyRow is one of the member's passkeys.
type StaffPasskeyRow struct {
	Name, CreatedAt, LastUsedAt string
}

// StaffPasskeysPage lists the member's passkeys and adds one.
type StaffPasskeysPage struct {
	StaffBase
	Enabled  bool
	Passkeys []StaffPasskeyRow
	Notice   string
}

// StaffPasskeys renders the passkeys page.
func (s *Set) StaffPasskeys(w http.ResponseWriter, status int, p StaffPasskeysPage) error {
	p.Title = "staff.passkeys.title"
	return s.render(w, status, "staff_passkeys", p)
}

// StaffLink is one section of the console home page.
type StaffLink struct {
	Path  string
	Label string // message key
	Hint  string // message key
}

// StaffHomePage lists what the member's roles allow.
type StaffHomePage struct {
	StaffBase
	Roles []string
	Links []StaffLink
}

// StaffMemberRow is one member in the members list.
type StaffMemberRow struct {
	ID, Username, Name, UnitCode, UnitName string
	Roles                                  []string
	Disabled                               bool
}

// StaffMembersPage lists the staff members (operators).
type StaffMembersPage struct {
	StaffBase
	Members []StaffMemberRow
	Notice  string
}

// StaffUnitOption is a unit to pick.
type StaffUnitOption struct {
	Code, Name, Level string
	Selected          bool
}

// StaffRoleOption is a role to tick.
type StaffRoleOption struct {
	Role    string
	Checked bool
}

// StaffMemberFormPage creates (New) or changes a member.
type StaffMemberFormPage struct {
	StaffBase
	New      bool
	Member   StaffMemberRow
	Units    []StaffUnitOption
	Roles    []StaffRoleOption
	Error    string
	Notice   string
	IsSelf   bool
	FormPath string
}

// StaffEnrolmentPage shows a member's initial password and TOTP secret,
// once.
type StaffEnrolmentPage struct {
	StaffBase
	Member     StaffMemberRow
	Password   string
	TOTPURI    string
	TOTPSecret string
	QR         template.URL
}

// StaffUnitsPage lists the police units and adds or renames one
// (operators).
type StaffUnitsPage struct {
	StaffBase
	Units         []StaffUnitOption
	Code, Name    string
	Error, Notice string
}

// StaffUnits renders the units page.
func (s *Set) StaffUnits(w http.ResponseWriter, status int, p StaffUnitsPage) error {
	p.Title = "staff.units.title"
	return s.render(w, status, "staff_units", p)
}

// StaffSignIn renders the staff sign-in page.
func (s *Set) StaffSignIn(w http.ResponseWriter, status int, p StaffSignInPage) error {
	p.Title = "staff.signin.title"
	return s.render(w, status, "staff_signin", p)
}

// StaffHome renders the console home page.
func (s *Set) StaffHome(w http.ResponseWriter, status int, p StaffHomePage) error {
	p.Title = "staff.home.title"
	return s.render(w, status, "staff_home", p)
}

// StaffMembers renders the members list.
func (s *Set) StaffMembers(w http.ResponseWriter, status int, p StaffMembersPage) error {
	p.Title = "staff.members.title"
	return s.render(w, status, "staff_members", p)
}

// StaffMemberForm renders the new-member or change-member form.
func (s *Set) StaffMemberForm(w http.ResponseWriter, status int, p StaffMemberFormPage) error {
	p.Title = "staff.member.title"
	if p.New {
		p.Title = "staff.member.new_title"
	}
	return s.render(w, status, "staff_member", p)
}

// StaffEnrolment renders the one-time enrolment page.
func (s *Set) StaffEnrolment(w http.ResponseWriter, status int, p StaffEnrolmentPage) error {
	p.Title = "staff.enrolment.title"
	return s.render(w, status, "staff_enrolment", p)
}

// StaffError renders an error in the console (e.g. 403 for a missing role).
func (s *Set) StaffError(w http.ResponseWriter, status int, p StaffBase, message string) error {
	if p.Title == "" {
		p.Title = "error.title"
	}
	return s.render(w, status, "staff_error", struct {
		StaffBase
		Message string
	}{p, message})
}

func init() {
	Register(map[string][2]string{
		"staff.console":            {"Cổng cán bộ", "Staff console"},
		"staff.signout":            {"Đăng xuất", "Sign out"},
		"staff.signin.title":       {"Đăng nhập cán bộ", "Staff sign-in"},
		"staff.signin.intro":       {"Dành cho cán bộ công an và người vận hành hệ thống. Công dân đăng nhập tại trang chính.", "For police staff and the gateway's operators. Citizens sign in on the main site."},
		"staff.signin.username":    {"Tên đăng nhập", "Username"},
		"staff.signin.password":    {"Mật khẩu", "Password"},
		"staff.signin.code":        {"Mã xác thực (ứng dụng xác thực, 6 chữ số)", "Verification code (authenticator app, 6 digits)"},
		"staff.signin.submit":      {"Tiếp tục", "Continue"},
		"staff.signin.verify":      {"Xác nhận", "Verify"},
		"staff.signin.bad":         {"Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."},
		"staff.signin.bad_code":    {"Mã xác thực không đúng hoặc đã được dùng.", "The code is wrong or was already used."},
		"staff.signin.disabled":    {"Tài khoản cán bộ này đã bị vô hiệu hóa.", "This staff account is disabled."},
		"staff.signin.expired":     {"Phiên đăng nhập đã hết hạn, vui lòng nhập lại mật khẩu.", "The sign-in expired; please enter your password again."},
		"staff.signin.signed_out":  {"Bạn đã đăng xuất.", "You are signed out."},
		"staff.signin.busy":        {"Hệ thống đang bận, vui lòng thử lại sau ít phút.", "The system is busy; please try again in a few minutes."},
		"staff.home.title":         {"Cổng cán bộ", "Staff console"},
		"staff.home.roles":         {"Vai trò", "Roles"},
		"staff.home.nothing":       {"Vai trò của bạn chưa mở mục nào.", "Your roles open no section yet."},
		"staff.role.officer":       {"Cán bộ tiếp nhận", "Officer"},
		"staff.role.supervisor":    {"Lãnh đạo phê duyệt", "Supervisor"},
		"staff.role.operator":      {"Người vận hành", "Operator"},
		"staff.link.counter":       {"Quầy tiếp nhận", "Counter"},
		"staff.link.counter_hint":  {"Đọc thẻ căn cước, nâng mức định danh cho công dân.", "Read chip cards, raise citizens' identity level."},
		"staff.link.locks":         {"Yêu cầu khóa tài khoản", "Lock requests"},
		"staff.link.locks_hint":    {"Lập và phê duyệt yêu cầu khóa tài khoản định danh.", "File and approve requests to lock identity accounts."},
		"staff.link.members":       {"Quản lý cán bộ", "Staff members"},
		"staff.link.members_hint":  {"Tạo tài khoản cán bộ, phân quyền, đổi đơn vị, vô hiệu hóa.", "Create staff accounts, grant roles, change units, disable."},
		"staff.members.title":      {"Cán bộ", "Staff members"},
		"staff.members.new":        {"Thêm cán bộ", "New member"},
		"staff.members.username":   {"Tên đăng nhập", "Username"},
		"staff.members.name":       {"Họ và tên", "Name"},
		"staff.members.unit":       {"Đơn vị", "Unit"},
		"staff.members.roles":      {"Vai trò", "Roles"},
		"staff.members.status":     {"Trạng thái", "Status"},
		"staff.members.active":     {"Đang hoạt động", "Active"},
		"staff.members.disabled":   {"Đã vô hiệu hóa", "Disabled"},
		"staff.members.edit":       {"Sửa", "Edit"},
		"staff.members.saved":      {"Đã lưu thay đổi.", "Changes saved."},
		"staff.member.title":       {"Cán bộ", "Staff member"},
		"staff.member.new_title":   {"Thêm cán bộ", "New staff member"},
		"staff.member.create":      {"Tạo tài khoản", "Create account"},
		"staff.member.save":        {"Lưu thay đổi", "Save changes"},
		"staff.member.disable":     {"Vô hiệu hóa", "Disable"},
		"staff.member.enable":      {"Kích hoạt lại", "Enable again"},
		"staff.member.reset":       {"Cấp lại mật khẩu và mã xác thực", "Issue a new password and authenticator secret"},
		"staff.member.self":        {"Bạn không thể tự thay đổi tài khoản của mình; hãy nhờ người vận hành khác.", "You cannot change your own membership; ask another operator."},
		"staff.member.grant_rule":  {"Bạn chỉ có thể cấp hoặc thu hồi vai trò mà bạn đang có.", "You may grant or take away only roles you hold."},
		"staff.member.invalid":     {"Thông tin chưa hợp lệ: kiểm tra tên đăng nhập (3–64 chữ thường, số, . _ -), họ tên, đơn vị và chọn ít nhất một vai trò.", "Please check the username (3–64 lower case letters, digits, . _ -), the name, the unit, and pick at least one role."},
		"staff.member.taken":       {"Tên đăng nhập này đã có người dùng.", "This username is taken."},
		"staff.member.forbidden":   {"Bạn không được thực hiện thay đổi này.", "You may not make this change."},
		"staff.enrolment.title":    {"Thông tin đăng nhập lần đầu", "First sign-in details"},
		"staff.enrolment.once":     {"Chỉ hiển thị một lần. Trao trực tiếp cho cán bộ; không gửi qua tin nhắn hay thư điện tử.", "Shown once. Hand it to the member in person; never send it by message or e-mail."},
		"staff.enrolment.password": {"Mật khẩu ban đầu", "Initial password"},
		"staff.enrolment.totp":     {"Quét mã QR bằng ứng dụng xác thực, hoặc nhập khóa bí mật:", "Scan the QR code with an authenticator app, or type the secret key:"},
		"staff.enrolment.back":     {"Về danh sách cán bộ", "Back to staff members"},
		"staff.forbidden":          {"Vai trò của bạn không cho phép mở trang này.", "Your roles do not allow this page."},
		"staff.units.title":        {"Đơn vị công an", "Police units"},
		"staff.units.code":         {"Mã đơn vị (tỉnh 79, huyện 79.760, xã 79.760.26734)", "Unit code (province 79, district 79.760, commune 79.760.26734)"},
		"staff.units.name":         {"Tên đơn vị", "Unit name"},
		"staff.units.level":        {"Cấp", "Level"},
		"staff.units.save":         {"Thêm hoặc đổi tên", "Add or rename"},
		"staff.units.saved":        {"Đã lưu đơn vị.", "Unit saved."},
		"staff.units.invalid":      {"Mã hoặc tên đơn vị chưa hợp lệ, hoặc đơn vị cấp trên chưa có.", "The code or name is not valid, or the parent unit does not exist."},
		"staff.link.units":         {"Đơn vị công an", "Police units"},
		"staff.link.units_hint":    {"Thêm đơn vị cấp tỉnh, huyện, xã.", "Add province, district and commune units."},
		"staff.passkeys.title":     {"Khóa truy cập (passkey)", "Passkeys"},
		"staff.passkeys.intro":     {"Khóa truy cập thay cho mã xác thực 6 chữ số khi đăng nhập: dùng vân tay, khuôn mặt hoặc khóa bảo mật của thiết bị.", "A passkey replaces the 6-digit code at sign-in: your device's fingerprint, face or security key."},
		"staff.passkeys.none":      {"Bạn chưa có khóa truy cập nào.", "You have no passkey yet."},
		"staff.passkeys.name":      {"Tên gợi nhớ (ví dụ: máy tính quầy 2)", "A name to recognise it (e.g. counter 2 computer)"},
		"staff.passkeys.add":       {"Thêm khóa truy cập", "Add a passkey"},
		"staff.passkeys.added":     {"Đã thêm khóa truy cập.", "Passkey added."},
		"staff.passkeys.failed":    {"Không dùng được khóa truy cập. Vui lòng thử lại hoặc dùng mã xác thực.", "The passkey did not work. Please try again or use the code."},
		"staff.passkeys.disabled":  {"Khóa truy cập chưa được bật trên hệ thống này.", "Passkeys are not enabled on this gateway."},
		"staff.passkeys.created":   {"Thêm lúc", "Added"},
		"staff.passkeys.last_used": {"Dùng lần cuối", "Last used"},
		"staff.passkeys.link":      {"Khóa truy cập", "Passkeys"},
		"staff.signin.use_passkey": {"Dùng khóa truy cập", "Use a passkey"},
		"staff.signin.or":          {"hoặc", "or"},
		"staff.password.title":     {"Đổi mật khẩu", "Change your password"},
		"staff.password.forced":    {"Mật khẩu hiện tại do người vận hành cấp. Hãy đặt mật khẩu của riêng bạn trước khi làm việc.", "Your current password was set by an operator. Choose your own before you continue."},
		"staff.password.current":   {"Mật khẩu hiện tại", "Current password"},
		"staff.password.new":       {"Mật khẩu mới (ít nhất 8 ký tự, không chỉ gồm chữ số)", "New password (at least 8 characters, not only digits)"},
		"staff.password.confirm":   {"Nhập lại mật khẩu mới", "New password again"},
		"staff.password.submit":    {"Đổi mật khẩu", "Change password"},
		"staff.password.mismatch":  {"Hai lần nhập mật khẩu mới không khớp.", "The two new passwords differ."},
		"staff.password.weak":      {"Mật khẩu mới chưa đủ mạnh hoặc trùng mật khẩu cũ.", "The new password is too weak or the same as the current one."},
		"staff.password.wrong":     {"Mật khẩu hiện tại không đúng.", "The current password is wrong."},
		"staff.password.changed":   {"Đã đổi mật khẩu.", "Password changed."},
		"staff.password.link":      {"Đổi mật khẩu", "Password"},
		"staff.level.province":     {"Tỉnh/thành phố", "Province"},
		"staff.level.district":     {"Quận/huyện", "District"},
		"staff.level.commune":      {"Xã/phường", "Commune"},
	})
}
