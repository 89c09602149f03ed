package templates

import "net/http"

// Pages of organisations and their staff lists (/staff/organisations,
// package orgs/web). Every text is in the page language.

// OrgRow is one organisation as the list shows it.
type OrgRow struct {
	Code, Name, URL string
	// RelyingParties are the client ids it owns; Created says an operator
	// created it.
	RelyingParties []string
	Created        bool
}

// OrgListPage lists organisations, with the form to create one.
type OrgListPage struct {
	StaffBase
	Orgs []OrgRow
	// Code and Name refill the form; Error is a message key.
	Code, Name, Error string
}

// OrgGroup is one group of a staff check: its code, label and numbers.
type OrgGroup struct {
	Code, Label string
	Numbers     []string
}

// OrgPage shows one organisation with the staff-list upload, and the
// result of the last upload when there is one.
type OrgPage struct {
	StaffBase
	Org    OrgRow
	Action string
	// Error is a message key, with the bad lines when the list had some.
	Error    string
	BadLines string
	BadCount int
	// Checked is set on the result: Total numbers, in Groups.
	Checked   bool
	Total     int
	Groups    []OrgGroup
	CheckedAt string
}

// StaffOrgs renders the organisations list.
func (s *Set) StaffOrgs(w http.ResponseWriter, status int, p OrgListPage) error {
	p.Title = "orgs.title"
	return s.render(w, status, "staff_orgs", p)
}

// StaffOrg renders one organisation.
func (s *Set) StaffOrg(w http.ResponseWriter, status int, p OrgPage) error {
	p.Title = "orgs.org.title"
	return s.render(w, status, "staff_org", p)
}

func init() {
	Register(map[string][2]string{
		"orgs.title":            {"Tổ chức và danh sách cán bộ", "Organisations and staff lists"},
		"orgs.intro":            {"Tổ chức là chủ một dịch vụ đã đăng ký, hoặc do vận hành viên tạo. Tải lên danh sách số định danh cán bộ của tổ chức để biết ai chưa có tài khoản mức 2.", "An organisation owns a registered service, or an operator creates it. Upload an organisation's staff list of personal identification numbers to see who still lacks a level 2 account."},
		"orgs.col.code":         {"Mã số", "Code"},
		"orgs.col.name":         {"Tên tổ chức", "Name"},
		"orgs.col.services":     {"Dịch vụ sở hữu", "Services it owns"},
		"orgs.none":             {"Chưa có tổ chức nào.", "No organisation yet."},
		"orgs.created":          {"Do vận hành viên tạo", "Created by an operator"},
		"orgs.new.title":        {"Thêm tổ chức", "Add an organisation"},
		"orgs.new.code_hint":    {"Mã số doanh nghiệp hoặc mã số thuế (10 số, chi nhánh 10-3) hoặc mã đơn vị có quan hệ ngân sách (7 số).", "Enterprise or tax code (10 digits, 10-3 for a branch) or budget-unit code (7 digits)."},
		"orgs.new.submit":       {"Thêm tổ chức", "Add the organisation"},
		"orgs.error.invalid":    {"Mã số hoặc tên không hợp lệ: mã số gồm 7 hoặc 10 chữ số (chi nhánh 10-3), tên từ 1 đến 200 ký tự trên một dòng.", "Invalid code or name: the code has 7 or 10 digits (10-3 for a branch), the name 1 to 200 characters on one line."},
		"orgs.error.exists":     {"Đã có tổ chức với mã số này.", "An organisation with this code exists already."},
		"orgs.error.not_found":  {"Không có tổ chức này.", "No such organisation."},
		"orgs.error.forbidden":  {"Chỉ vận hành viên được dùng trang này.", "Only operators may use this page."},
		"orgs.org.title":        {"Danh sách cán bộ của tổ chức", "An organisation's staff list"},
		"orgs.upload.title":     {"Kiểm tra danh sách cán bộ", "Check a staff list"},
		"orgs.upload.intro":     {"Mỗi dòng một số định danh cá nhân (12 số), hoặc tệp CSV có số định danh ở cột đầu. Trang chỉ cho biết mỗi số thuộc nhóm nào, không hiển thị thông tin nào khác. Danh sách không được lưu; mỗi lần kiểm tra được ghi nhật ký, và công dân thấy việc kiểm tra trong lịch sử của mình.", "One personal identification number (12 digits) per line, or a CSV file with the numbers in the first column. The page says only which group each number is in, nothing else. The list is not stored; every check is recorded in the audit trail, and citizens see it in their history."},
		"orgs.upload.file":      {"Tệp danh sách (CSV hoặc văn bản)", "List file (CSV or text)"},
		"orgs.upload.text":      {"Hoặc dán danh sách", "Or paste the list"},
		"orgs.upload.limit":     {"Tối đa 20.000 số mỗi lần.", "At most 20,000 numbers at a time."},
		"orgs.upload.submit":    {"Kiểm tra", "Check"},
		"orgs.error.list":       {"Danh sách có %d dòng không phải số định danh cá nhân 12 chữ số (dòng %s). Chưa kiểm tra số nào: hãy sửa rồi tải lại.", "%d lines of the list are not 12-digit personal identification numbers (lines %s). Nothing was checked: correct them and upload again."},
		"orgs.error.empty":      {"Danh sách không có số định danh nào.", "The list holds no personal identification number."},
		"orgs.error.too_many":   {"Danh sách quá dài: tối đa 20.000 số mỗi lần.", "The list is too long: at most 20,000 numbers at a time."},
		"orgs.error.not_text":   {"Tệp không phải văn bản UTF-8: hãy lưu dưới dạng CSV UTF-8 hoặc văn bản.", "The file is not UTF-8 text: save it as CSV UTF-8 or plain text."},
		"orgs.error.bad_form":   {"Không đọc được biểu mẫu tải lên: hãy tải lại trang và thử lại.", "The upload form could not be read: reload the page and try again."},
		"orgs.error.both":       {"Chọn một tệp hoặc dán danh sách, không cả hai.", "Choose a file or paste the list, not both."},
		"orgs.result.title":     {"Kết quả kiểm tra", "Result of the check"},
		"orgs.result.total":     {"%d số định danh đã kiểm tra lúc %s.", "%d numbers checked at %s."},
		"orgs.group.no_account": {"Chưa có tài khoản (hoặc chưa kích hoạt)", "No account (or not activated)"},
		"orgs.group.level1":     {"Mới có tài khoản mức 1", "Level 1 only"},
		"orgs.group.level2":     {"Đã có tài khoản mức 2", "Level 2"},
		"orgs.group.empty":      {"Không có ai.", "Nobody."},
		"staff.link.orgs":       {"Tổ chức và cán bộ", "Organisations and staff"},
		"staff.link.orgs_hint":  {"Cán bộ của tổ chức nào chưa có tài khoản mức 2.", "Which staff of an organisation lack a level 2 account."},
		"history.type.organisation.staff_level_checked": {"Một tổ chức kiểm tra mức định danh của bạn (có trong danh sách cán bộ)", "An organisation checked your identification level (you were on its staff list)"},
		"history.type.organisation.staff_list_checked":  {"Kiểm tra danh sách cán bộ của tổ chức", "Staff list of an organisation checked"},
		"history.type.organisation.created":             {"Tổ chức được thêm", "Organisation added"},
	})
}
