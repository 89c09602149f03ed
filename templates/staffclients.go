package templates

import (
	"html/template"
	"net/http"
)

// StaffClientRow is one relying party in the operators' list.
type StaffClientRow struct {
	ID, Name, Organisation, OrgCode, Kind string
	// Status is pending, active, disabled or rejected.
	Status    string
	CreatedAt string
	URL       string
}

// StaffClientsPage lists the relying parties (operators).
type StaffClientsPage struct {
	StaffBase
	Rows []StaffClientRow
}

// StaffClients renders the list of relying parties.
func (s *Set) StaffClients(w http.ResponseWriter, status int, p StaffClientsPage) error {
	p.Title = "staff.clients.title"
	return s.render(w, status, "staff_clients", p)
}

// StaffClientOption is a choice of a select or a group of checkboxes.
type StaffClientOption struct {
	Value, Label string
	Selected     bool
}

// StaffClientForm is the registration form's values, as typed (shown
// again with the errors).
type StaffClientForm struct {
	Kind                 string
	NameVI, NameEN       string
	OrgName, OrgCode     string
	PurposeVI, PurposeEN string
	LegalBasis           string
	RedirectURIs         string
	MinLevel             string
	Auth                 string // "secret" or "private_key_jwt"
	JWKS, JWKSURI        string
}

// StaffClientNewPage is the registration form (operators). Without Kind
// it asks for the kind first: the scopes offered are the ones the kind
// policy allows that kind.
type StaffClientNewPage struct {
	StaffBase
	Kinds  []StaffClientOption
	Form   StaffClientForm
	Scopes []StaffClientOption
	Levels []StaffClientOption
	// Errors are message keys; Detail is the registry's own words (English)
	// for a problem the form's checks did not name.
	Errors []string
	Detail string
}

// StaffClientNew renders the registration form.
func (s *Set) StaffClientNew(w http.ResponseWriter, status int, p StaffClientNewPage) error {
	p.Title = "staff.clients.new.title"
	return s.render(w, status, "staff_client_new", p)
}

// StaffClientField is one line of a relying party's registration.
type StaffClientField struct {
	Label string // message key
	Value string
	Code  bool // shown as code
}

// StaffUsageRow is one day of a relying party's use.
type StaffUsageRow struct {
	Day, DayISO               string
	SignIns, Tokens, Failures int64
	ErrorRate                 string
}

// StaffClientPage is one relying party (operators): its registration, the
// approval and the actions open to the viewer, and its use over the last
// days.
type StaffClientPage struct {
	StaffBase
	ID, Name, Status string
	Fields           []StaffClientField
	RedirectURIs     []string
	Scopes           []string
	ProposedBy       string
	DecidedBy        string
	RejectReason     string
	// CanDecide: pending and the viewer did not propose it.
	CanDecide bool
	// OwnProposal: pending and proposed by the viewer.
	OwnProposal bool
	CanDisable  bool
	CanRotate   bool
	// Secret is a client secret shown this once (after creation or
	// rotation).
	Secret string
	Notice string
	Error  string
	Usage  []StaffUsageRow
	// UsageTotal sums the week.
	UsageTotal StaffUsageRow
	// Chart is the week as bars (internal/svgchart's SVG).
	Chart template.HTML
}

// StaffClient renders one relying party.
func (s *Set) StaffClient(w http.ResponseWriter, status int, p StaffClientPage) error {
	p.Title = "staff.clients.title"
	return s.render(w, status, "staff_client", p)
}

func init() {
	Register(map[string][2]string{
		"staff.link.clients":            {"Dịch vụ kết nối", "Relying parties"},
		"staff.link.clients_hint":       {"Đăng ký, phê duyệt, vô hiệu hoá dịch vụ; mức sử dụng và lỗi.", "Register, approve and disable services; their use and errors."},
		"staff.clients.title":           {"Dịch vụ kết nối", "Relying parties"},
		"staff.clients.intro":           {"Mỗi dịch vụ được đăng ký với tổ chức, mục đích và căn cứ pháp lý, và chỉ dùng được sau khi một người vận hành khác phê duyệt.", "Each service is registered with its organisation, purpose and legal basis, and can be used only once another operator approves it."},
		"staff.clients.new.link":        {"Đăng ký dịch vụ", "Register a service"},
		"staff.clients.none":            {"Chưa có dịch vụ nào.", "No service registered yet."},
		"staff.clients.open":            {"Xem", "Open"},
		"staff.clients.col.name":        {"Tên dịch vụ", "Service"},
		"staff.clients.col.org":         {"Tổ chức", "Organisation"},
		"staff.clients.col.kind":        {"Loại", "Kind"},
		"staff.clients.col.status":      {"Trạng thái", "Status"},
		"staff.clients.col.created":     {"Ngày đăng ký", "Registered"},
		"staff.clients.status.pending":  {"Chờ phê duyệt", "Pending approval"},
		"staff.clients.status.active":   {"Đang hoạt động", "Active"},
		"staff.clients.status.disabled": {"Đã vô hiệu hoá", "Disabled"},
		"staff.clients.status.rejected": {"Bị từ chối", "Rejected"},

		"staff.clients.new.title":        {"Đăng ký dịch vụ kết nối", "Register a relying party"},
		"staff.clients.new.kind_intro":   {"Chọn loại dịch vụ trước: các phạm vi dữ liệu được đề xuất tuỳ theo loại.", "Choose the kind of service first: the data scopes offered depend on it."},
		"staff.clients.new.next":         {"Tiếp tục", "Continue"},
		"staff.clients.new.change_kind":  {"Đổi loại dịch vụ", "Change the kind"},
		"staff.clients.new.submit":       {"Gửi đề nghị phê duyệt", "Submit for approval"},
		"staff.clients.new.pending_note": {"Dịch vụ chỉ dùng được sau khi một người vận hành khác phê duyệt.", "The service can be used only once another operator approves it."},
		"staff.clients.f.kind":           {"Loại dịch vụ", "Kind of service"},
		"staff.clients.f.name_vi":        {"Tên dịch vụ (tiếng Việt)", "Service name (Vietnamese)"},
		"staff.clients.f.name_en":        {"Tên dịch vụ (tiếng Anh, không bắt buộc)", "Service name (English, optional)"},
		"staff.clients.f.org_name":       {"Tên tổ chức", "Organisation name"},
		"staff.clients.f.org_code":       {"Mã số doanh nghiệp / mã số thuế", "Registration or tax code"},
		"staff.clients.f.purpose_vi":     {"Mục đích sử dụng dữ liệu (tiếng Việt)", "Purpose of use (Vietnamese)"},
		"staff.clients.f.purpose_en":     {"Mục đích sử dụng dữ liệu (tiếng Anh, không bắt buộc)", "Purpose of use (English, optional)"},
		"staff.clients.f.legal_basis":    {"Căn cứ pháp lý (nghị định, hợp đồng…)", "Legal basis (decree, contract…)"},
		"staff.clients.f.redirect_uris":  {"Địa chỉ chuyển hướng (mỗi dòng một địa chỉ, https)", "Redirect URIs (one per line, https)"},
		"staff.clients.f.scopes":         {"Phạm vi dữ liệu được phép cho loại dịch vụ này", "Data scopes allowed for this kind of service"},
		"staff.clients.f.min_level":      {"Mức định danh tối thiểu", "Minimum identification level"},
		"staff.clients.f.level":          {"Mức %s", "Level %s"},
		"staff.clients.f.auth":           {"Xác thực của dịch vụ", "How the service authenticates"},
		"staff.clients.f.auth_secret":    {"Khoá bí mật (hiển thị một lần)", "Client secret (shown once)"},
		"staff.clients.f.auth_jwt":       {"Khoá công khai (private_key_jwt, FAPI 2.0)", "Public keys (private_key_jwt, FAPI 2.0)"},
		"staff.clients.f.jwks":           {"Bộ khoá JWKS (JSON)", "JWKS (JSON)"},
		"staff.clients.f.jwks_uri":       {"Hoặc địa chỉ jwks_uri (https)", "Or a jwks_uri (https)"},
		"staff.clients.f.id":             {"Mã dịch vụ (client_id)", "Client ID"},
		"staff.clients.f.profile":        {"Hồ sơ bảo mật", "Security profile"},

		"staff.clients.err.title":             {"Chưa đăng ký được. Vui lòng sửa:", "Not registered. Please correct:"},
		"staff.clients.err.kind":              {"Loại dịch vụ không hợp lệ.", "Unknown kind of service."},
		"staff.clients.err.name":              {"Cần nhập tên dịch vụ bằng tiếng Việt.", "Enter the service's name in Vietnamese."},
		"staff.clients.err.organisation_name": {"Cần nhập tên tổ chức.", "Enter the organisation's name."},
		"staff.clients.err.organisation_code": {"Mã số doanh nghiệp / mã số thuế gồm chữ số (có thể có một dấu gạch ngang, ví dụ 0101234567-001).", "The registration or tax code is digits (with at most one hyphen, e.g. 0101234567-001)."},
		"staff.clients.err.purpose":           {"Cần nêu mục đích sử dụng dữ liệu.", "State the purpose of use."},
		"staff.clients.err.legal_basis":       {"Cần nêu căn cứ pháp lý.", "State the legal basis."},
		"staff.clients.err.redirect_uris":     {"Cần ít nhất một địa chỉ chuyển hướng đầy đủ, dùng https (http chỉ cho localhost), không có #.", "Enter at least one full redirect URI, https (http only for localhost), without #."},
		"staff.clients.err.scopes":            {"Có phạm vi dữ liệu không được phép cho loại dịch vụ này.", "A scope is not allowed for this kind of service."},
		"staff.clients.err.min_level":         {"Mức định danh tối thiểu không hợp lệ (ngân hàng cần mức 2).", "Invalid minimum level (a bank needs level 2)."},
		"staff.clients.err.auth":              {"Chọn cách xác thực của dịch vụ.", "Choose how the service authenticates."},
		"staff.clients.err.keys":              {"Với private_key_jwt cần JWKS hợp lệ hoặc một jwks_uri https.", "private_key_jwt needs a valid JWKS or an https jwks_uri."},
		"staff.clients.err.other":             {"Đăng ký bị từ chối:", "The registration was refused:"},
		"staff.clients.err.self":              {"Bạn đã đề nghị dịch vụ này: một người vận hành khác phải phê duyệt.", "You proposed this service: another operator must approve it."},
		"staff.clients.err.not_pending":       {"Dịch vụ không còn chờ phê duyệt.", "The service is no longer waiting for approval."},
		"staff.clients.err.reason":            {"Lý do quá dài.", "The reason is too long."},

		"staff.clients.proposed_by":   {"Người đề nghị", "Proposed by"},
		"staff.clients.decided_by":    {"Người quyết định", "Decided by"},
		"staff.clients.reject_reason": {"Lý do từ chối", "Reason for rejection"},
		"staff.clients.approve":       {"Phê duyệt", "Approve"},
		"staff.clients.reject":        {"Từ chối", "Reject"},
		"staff.clients.disable":       {"Vô hiệu hoá", "Disable"},
		"staff.clients.rotate":        {"Tạo khoá bí mật mới", "Rotate the secret"},
		"staff.clients.rotate_note":   {"Khoá cũ ngừng hoạt động ngay.", "The old secret stops working at once."},
		"staff.clients.own_proposal":  {"Bạn đã đề nghị dịch vụ này; một người vận hành khác sẽ phê duyệt.", "You proposed this service; another operator will approve it."},
		"staff.clients.secret":        {"Khoá bí mật của dịch vụ (chỉ hiển thị lần này, hãy chuyển an toàn cho tổ chức):", "The service's client secret (shown only this once; hand it to the organisation safely):"},
		"staff.clients.created":       {"Đã gửi đề nghị. Dịch vụ đang chờ một người vận hành khác phê duyệt.", "Submitted. The service is waiting for another operator's approval."},
		"staff.clients.approved":      {"Đã phê duyệt: dịch vụ đã dùng được.", "Approved: the service can now be used."},
		"staff.clients.rejected":      {"Đã từ chối dịch vụ.", "The service was rejected."},
		"staff.clients.disabled":      {"Đã vô hiệu hoá dịch vụ: các token của dịch vụ ngừng hoạt động.", "The service was disabled: its tokens stopped working."},
		"staff.clients.rotated":       {"Đã tạo khoá bí mật mới.", "A new secret was made."},
		"staff.clients.registration":  {"Thông tin đăng ký", "Registration"},
		"staff.clients.redirects":     {"Địa chỉ chuyển hướng", "Redirect URIs"},
		"staff.clients.scopes":        {"Phạm vi dữ liệu", "Data scopes"},
		"staff.clients.actions":       {"Thao tác", "Actions"},

		"staff.clients.usage":            {"Mức sử dụng 7 ngày qua", "Use over the last 7 days"},
		"staff.clients.usage_note":       {"Tổng hợp từ nhật ký kiểm toán theo số thứ tự, vài phút một lần.", "Rolled up from the audit log by sequence number every few minutes."},
		"staff.clients.usage.day":        {"Ngày", "Day"},
		"staff.clients.usage.sign_ins":   {"Lượt đăng nhập", "Sign-ins"},
		"staff.clients.usage.tokens":     {"Token đã cấp", "Tokens issued"},
		"staff.clients.usage.failures":   {"Lỗi", "Failures"},
		"staff.clients.usage.rate":       {"Tỷ lệ lỗi", "Error rate"},
		"staff.clients.usage.total":      {"Cộng", "Total"},
		"staff.clients.usage.chart":      {"Lượt đăng nhập, token đã cấp và lỗi theo ngày, 7 ngày qua", "Sign-ins, tokens issued and failures per day, last 7 days"},
		"staff.clients.usage.chart_desc": {"Mỗi ngày ba thanh: lượt đăng nhập, token đã cấp, lỗi; số liệu như trong bảng dưới.", "Three bars a day: sign-ins, tokens issued, failures; the numbers are those of the table below."},
	})
}
