package templates

import "net/http"

// DependentRow is one dependent on the guardian's pages; labels are
// already in the page language.
type DependentRow struct {
	ID         string
	Name       string
	PersonalID string
	BirthDate  string
	Relation   string // label
	Basis      string // label
	// Until is when the guardian's authority ends ("" when open-ended).
	Until string
	// Active says the guardian may act for the dependent now; otherwise
	// Ended says since when and EndReason why (labels).
	Active    bool
	Ended     string
	EndReason string
	URL       string
}

// DependentsPage lists a guardian's dependents and the form to register
// one.
type DependentsPage struct {
	Base
	Rows []DependentRow
	// PersonalID is the number typed (kept on errors).
	PersonalID string
	// Error and Notice are message keys.
	Error  string
	Notice string
}

// DependentShare is one relying party a dependent's consent was given to.
type DependentShare struct {
	ClientID   string
	ClientName string
	Claims     []string // labels
	Granted    string
	Revoked    bool
}

// DependentEvent is one entry of a dependent's recent history.
type DependentEvent struct {
	Time    string
	Type    string // label
	Code    string // event type
	Service string
	Outcome string // label
}

// DependentPage shows one dependent: what it has shared and its recent
// history.
type DependentPage struct {
	Base
	Dependent DependentRow
	Shares    []DependentShare
	History   []DependentEvent
	Notice    string
}

// GuardianshipRecordRow is one guardianship record on the officers' page.
type GuardianshipRecordRow struct {
	ID, WardID, GuardianID, Number, Starts, Ends, Officer, Entered string
	// Open says the record has no end yet or it is to come.
	Open bool
}

// StaffGuardianshipPage is the officers' page of guardianship records.
type StaffGuardianshipPage struct {
	StaffBase
	Records []GuardianshipRecordRow
	// Form values, kept on errors.
	WardID, GuardianID, Number, Starts, Ends string
	// Error and Notice are message keys.
	Error  string
	Notice string
}

// Dependents renders the guardian's list of dependents.
func (s *Set) Dependents(w http.ResponseWriter, status int, p DependentsPage) error {
	p.Title = "dependents.title"
	return s.render(w, status, "dependents", p)
}

// Dependent renders one dependent.
func (s *Set) Dependent(w http.ResponseWriter, status int, p DependentPage) error {
	p.Title = "dependents.one.title"
	return s.render(w, status, "dependent", p)
}

// StaffGuardianship renders the officers' page of guardianship records.
func (s *Set) StaffGuardianship(w http.ResponseWriter, status int, p StaffGuardianshipPage) error {
	p.Title = "guardianship.staff.title"
	return s.render(w, status, "staff_guardianship", p)
}

func init() {
	Register(map[string][2]string{
		"dependents.link":               {"Người phụ thuộc (con dưới 14 tuổi, người được giám hộ)", "Dependents (children under 14, wards)"},
		"dependents.title":              {"Người phụ thuộc", "Dependents"},
		"dependents.intro":              {"Cha, mẹ hoặc người giám hộ có tài khoản mức độ 2 đăng ký con dưới 14 tuổi hoặc người được giám hộ vào tài khoản của mình. Người phụ thuộc có danh tính riêng nhưng không tự đăng nhập; bạn thay mặt họ cho đến khi con đủ 14 tuổi hoặc quyết định giám hộ hết hiệu lực.", "A parent or guardian with a level 2 account registers a child under 14 or a ward under their account. A dependent has an identity of their own but does not sign in; you act for them until the child turns 14 or the guardianship ends."},
		"dependents.none":               {"Bạn chưa đăng ký người phụ thuộc nào.", "You have not registered any dependent."},
		"dependents.col.name":           {"Họ và tên", "Full name"},
		"dependents.col.pid":            {"Số định danh", "Personal ID number"},
		"dependents.col.birth":          {"Ngày sinh", "Date of birth"},
		"dependents.col.relation":       {"Quan hệ", "Relation"},
		"dependents.col.until":          {"Quyền đại diện đến", "You act for them until"},
		"dependents.col.status":         {"Trạng thái", "Status"},
		"dependents.col.details":        {"Chi tiết", "Details"},
		"dependents.relation.child":     {"Con", "Child"},
		"dependents.relation.ward":      {"Người được giám hộ", "Ward"},
		"dependents.basis.registry":     {"theo Cơ sở dữ liệu quốc gia về dân cư", "per the national population database"},
		"dependents.basis.record":       {"theo quyết định giám hộ", "per a guardianship decision"},
		"dependents.until.open":         {"khi quyết định giám hộ chấm dứt", "until the guardianship ends"},
		"dependents.status.active":      {"Đang đại diện", "Acting for them"},
		"dependents.status.ended":       {"Đã kết thúc từ %s", "Ended on %s"},
		"dependents.end.age_14":         {"đã đủ 14 tuổi, tự đăng ký tài khoản", "turned 14, registers an account of their own"},
		"dependents.end.record_ended":   {"quyết định giám hộ đã chấm dứt", "the guardianship ended"},
		"dependents.open":               {"Xem", "Open"},
		"dependents.register":           {"Đăng ký người phụ thuộc", "Register a dependent"},
		"dependents.register.pid":       {"Số định danh cá nhân của con hoặc người được giám hộ (12 chữ số)", "Personal ID number of the child or ward (12 digits)"},
		"dependents.register.hint":      {"Quan hệ được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư, hoặc với quyết định giám hộ do công an cấp xã nhập.", "The relation is checked against the national population database, or against a guardianship decision entered by the commune police."},
		"dependents.register.submit":    {"Đăng ký", "Register"},
		"dependents.registered":         {"Đã đăng ký người phụ thuộc.", "The dependent is registered."},
		"dependents.revoked":            {"Đã thu hồi việc chia sẻ thay mặt người phụ thuộc.", "The sharing was revoked on the dependent's behalf."},
		"dependents.error.too_old":      {"Người này đã đủ 14 tuổi: họ tự đăng ký tài khoản định danh điện tử của mình.", "This person is 14 or older: they register an electronic identity account of their own."},
		"dependents.error.level":        {"Chỉ tài khoản định danh điện tử mức độ 2 đang hoạt động mới đăng ký được người phụ thuộc.", "Only an active level 2 electronic identity account can register dependents."},
		"dependents.error.no_relation":  {"Cơ sở dữ liệu quốc gia về dân cư không ghi nhận bạn là cha, mẹ hoặc người giám hộ của người này, và không có quyết định giám hộ nào còn hiệu lực.", "The national population database does not record you as this person's parent or guardian, and no guardianship decision in force names you."},
		"dependents.error.registered":   {"Người này đã được đăng ký là người phụ thuộc.", "This person is already registered as a dependent."},
		"dependents.error.has_account":  {"Người này đã có tài khoản định danh điện tử riêng.", "This person already has an electronic identity account of their own."},
		"dependents.error.unknown":      {"Không tìm thấy số định danh cá nhân này trong Cơ sở dữ liệu quốc gia về dân cư.", "This personal ID number is not in the national population database."},
		"dependents.error.invalid":      {"Số định danh cá nhân gồm 12 chữ số.", "A personal ID number has 12 digits."},
		"dependents.error.no_authority": {"Bạn không còn quyền đại diện cho người này.", "You no longer act for this person."},
		"dependents.one.title":          {"Người phụ thuộc", "Dependent"},
		"dependents.shares":             {"Đã chia sẻ với", "Shared with"},
		"dependents.shares.none":        {"Chưa chia sẻ thông tin với dịch vụ nào.", "Nothing has been shared with any service."},
		"dependents.shares.granted":     {"Đồng ý lúc", "Agreed on"},
		"dependents.shares.revoked":     {"Đã thu hồi", "Revoked"},
		"dependents.shares.revoke":      {"Thu hồi thay mặt", "Revoke on their behalf"},
		"dependents.history":            {"Lịch sử gần đây", "Recent history"},
		"dependents.history.none":       {"Chưa có hoạt động nào.", "No activity yet."},
		"dependents.back":               {"Về danh sách người phụ thuộc", "Back to dependents"},

		"guardianship.staff.title":           {"Quyết định giám hộ", "Guardianship records"},
		"guardianship.staff.intro":           {"Nhập quyết định công nhận việc giám hộ để người giám hộ (tài khoản mức độ 2) đăng ký người được giám hộ vào tài khoản của mình. Quyền đại diện kết thúc vào ngày quyết định chấm dứt.", "Enter a decision recognising a guardianship so that the guardian (a level 2 account) can register the ward under their account. Their authority ends on the day the record ends."},
		"guardianship.staff.ward":            {"Số định danh của người được giám hộ", "Ward's personal ID number"},
		"guardianship.staff.guardian":        {"Số định danh của người giám hộ", "Guardian's personal ID number"},
		"guardianship.staff.number":          {"Số quyết định", "Decision number"},
		"guardianship.staff.starts":          {"Hiệu lực từ ngày", "In force from"},
		"guardianship.staff.ends":            {"Đến ngày (nếu có)", "Until (if set)"},
		"guardianship.staff.enter":           {"Nhập quyết định", "Enter the record"},
		"guardianship.staff.end":             {"Chấm dứt từ ngày", "End on"},
		"guardianship.staff.end.submit":      {"Chấm dứt", "End"},
		"guardianship.staff.entered":         {"Đã nhập quyết định giám hộ.", "The guardianship record is entered."},
		"guardianship.staff.ended":           {"Đã ghi nhận ngày chấm dứt.", "The end is recorded."},
		"guardianship.staff.records":         {"Quyết định đã nhập gần đây", "Records entered lately"},
		"guardianship.staff.none":            {"Chưa có quyết định nào.", "No record yet."},
		"guardianship.staff.col.officer":     {"Cán bộ nhập", "Entered by"},
		"guardianship.staff.open_end":        {"không thời hạn", "open-ended"},
		"guardianship.staff.error.invalid":   {"Thông tin chưa hợp lệ: kiểm tra hai số định danh (12 chữ số, khác nhau), số quyết định và ngày (ngày kết thúc sau ngày bắt đầu).", "Some details are not valid: check both personal ID numbers (12 digits, different), the decision number and the dates (the end after the start)."},
		"guardianship.staff.error.unknown":   {"Một số định danh không có trong Cơ sở dữ liệu quốc gia về dân cư.", "A personal ID number is not in the national population database."},
		"guardianship.staff.error.not_found": {"Không tìm thấy quyết định này.", "No such record."},
		"guardianship.staff.error.signin":    {"Vui lòng đăng nhập bảng điều khiển cán bộ.", "Please sign in to the staff console."},
		"guardianship.staff.error.forbidden": {"Chỉ cán bộ tiếp nhận mới nhập được quyết định giám hộ.", "Only counter officers can enter guardianship records."},
		"staff.link.guardianship":            {"Quyết định giám hộ", "Guardianship records"},
		"staff.link.guardianship_hint":       {"Nhập, chấm dứt quyết định giám hộ", "Enter and end guardianship records"},

		"history.type.guardianship.dependent_registered": {"Đăng ký người phụ thuộc", "Dependent registered"},
		"history.type.guardianship.dependent_ended":      {"Kết thúc quyền đại diện người phụ thuộc", "Authority over a dependent ended"},
		"history.type.guardianship.share_revoked":        {"Thu hồi chia sẻ thay mặt người phụ thuộc", "Sharing revoked for a dependent"},
		"history.type.guardianship.record_entered":       {"Nhập quyết định giám hộ", "Guardianship record entered"},
		"history.type.guardianship.record_ended":         {"Chấm dứt quyết định giám hộ", "Guardianship record ended"},
	})
}
