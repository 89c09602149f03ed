package templates

import (
	"html/template"
	"net/http"
	"time"
)

// CounterCheck is one verification as the officer sees it.
type CounterCheck struct {
	Name   string // a check name; the page shows "counter.check.<name>"
	OK     bool
	Detail string
}

// CounterRead is a chip read on the officer's screen.
type CounterRead struct {
	ID             string
	PersonalID     string
	FullName       string
	BirthDate      string
	Gender         string
	DocumentNumber string
	DocumentExpiry string
	AccessControl  string
	Signer         string
	Checks         []CounterCheck
	OK, Used       bool
	CreatedAt      time.Time
	// Passport: a foreigner's passport (IssuingState and Nationality are
	// the MRZ's codes); ChipPortrait is a data: URL of its chip portrait
	// (JPEG or JPEG 2000, built by the handler) for the officer's visual
	// comparison, while the read is unused.
	Passport                  bool
	IssuingState, Nationality string
	CSCA                      string
	ChipPortrait              template.URL
}

// CounterEvidence is an evidence record on the officer's screen.
type CounterEvidence struct {
	ID, Method, DocumentNumber, Signer, OfficerID, Unit, Source string
	Level                                                       int
	Checks                                                      []CounterCheck
	CreatedAt                                                   time.Time
	Revoked                                                     bool
}

// CounterCitizen is a looked-up citizen.
type CounterCitizen struct {
	PersonalID, FullName, BirthDate, Gender string
	HasAccount                              bool
	Status                                  string
	Level                                   int
	Evidence                                []CounterEvidence
}

// CounterPage is the officer's counter: look up a citizen, the reads the
// counter's reader sent, and the result of an enrolment.
type CounterPage struct {
	StaffBase
	Officer, Unit string
	PersonalID    string
	Citizen       *CounterCitizen
	Reads         []CounterRead
	Pending       int
	// Error is a message key; ErrorDetail the precise reason.
	Error, ErrorDetail string
}

// CounterReadPage shows one read and, when it can be used, the level 2
// enrolment form; Enrolled shows the result.
type CounterReadPage struct {
	StaffBase
	Read               CounterRead
	CanEnrol           bool
	Error, ErrorDetail string
	Failed             []string
	Enrolled           *CounterEvidence
	Level              int
}

// CounterSubmission is an app submission waiting for an officer.
type CounterSubmission struct {
	ID, PersonalID, Channel string
	Checks                  []CounterCheck
	CreatedAt               time.Time
	// Portrait is a data: URL of the portrait (JPEG or PNG only, built
	// from the bytes by the handler), for this screen only.
	Portrait template.URL
}

// CounterSubmissionsPage lists the app submissions waiting for an officer.
type CounterSubmissionsPage struct {
	StaffBase
	Submissions        []CounterSubmission
	Notice             string
	Error, ErrorDetail string
}

// Counter renders the counter's home.
func (s *Set) Counter(w http.ResponseWriter, status int, p CounterPage) error {
	if p.Title == "" {
		p.Title = "counter.title"
	}
	return s.render(w, status, "counter", p)
}

// CounterRead renders a read.
func (s *Set) CounterRead(w http.ResponseWriter, status int, p CounterReadPage) error {
	if p.Title == "" {
		p.Title = "counter.read.title"
	}
	return s.render(w, status, "counter_read", p)
}

// CounterSubmissions renders the app submissions queue.
func (s *Set) CounterSubmissions(w http.ResponseWriter, status int, p CounterSubmissionsPage) error {
	if p.Title == "" {
		p.Title = "counter.subs.title"
	}
	return s.render(w, status, "counter_submissions", p)
}

func init() {
	Register(map[string][2]string{
		"counter.title":                           {"Quầy định danh", "Identification counter"},
		"counter.officer":                         {"Cán bộ", "Officer"},
		"counter.unit":                            {"Đơn vị", "Unit"},
		"counter.lookup":                          {"Tra cứu công dân", "Look up a citizen"},
		"counter.lookup.submit":                   {"Tra cứu", "Look up"},
		"counter.lookup.audited":                  {"Việc tra cứu được ghi vào lịch sử của công dân.", "The lookup is recorded in the citizen's history."},
		"counter.no_account":                      {"Công dân chưa có tài khoản định danh điện tử: hướng dẫn đăng ký trước.", "The citizen has no electronic identity account yet: they register first."},
		"counter.not_found":                       {"Không có bản ghi dân cư với số định danh này.", "No population record has this personal ID number."},
		"counter.invalid":                         {"Số định danh cá nhân gồm 12 chữ số.", "A personal ID number has 12 digits."},
		"counter.status":                          {"Trạng thái", "Status"},
		"counter.level":                           {"Mức định danh", "Assurance level"},
		"counter.evidence":                        {"Căn cứ định danh", "Enrolment evidence"},
		"counter.evidence.none":                   {"Chưa có căn cứ định danh.", "No enrolment evidence yet."},
		"counter.method.counter":                  {"Tại quầy", "At a counter"},
		"counter.method.app":                      {"Qua ứng dụng", "Through the app"},
		"counter.method.import":                   {"Từ dữ liệu dân cư", "From the registry"},
		"counter.revoked":                         {"Đã thu hồi", "Revoked"},
		"counter.reads":                           {"Thẻ vừa đọc tại quầy", "Cards just read at this counter"},
		"counter.reads.none":                      {"Chưa có thẻ nào được đọc. Đặt thẻ lên đầu đọc và chạy: cardreader enrol --gateway <địa chỉ> --token <mã cán bộ>", "No card read yet. Place the card on the reader and run: cardreader enrol --gateway <address> --token <officer credential>"},
		"counter.read.open":                       {"Xem và định danh", "Open and enrol"},
		"counter.pending":                         {"Hồ sơ từ ứng dụng chờ duyệt: %d", "App submissions waiting: %d"},
		"counter.read.title":                      {"Kết quả đọc thẻ", "Card read"},
		"counter.read.ok":                         {"Mọi kiểm tra đều đạt.", "Every check passed."},
		"counter.read.failed":                     {"Thẻ không đạt kiểm tra; không thể định danh bằng lần đọc này.", "The card failed a check; this read cannot be used to enrol."},
		"counter.read.used":                       {"Lần đọc này đã được dùng; đọc lại thẻ để định danh tiếp.", "This read has been used; read the card again."},
		"counter.read.stale":                      {"Lần đọc đã quá hạn hoặc đã dùng; đọc lại thẻ.", "The read is too old or already used; read the card again."},
		"counter.enrol":                           {"Định danh mức 2", "Enrol at level 2"},
		"counter.portrait":                        {"Ảnh chân dung chụp tại quầy (JPEG hoặc PNG)", "Portrait taken at the counter (JPEG or PNG)"},
		"counter.fingerprint":                     {"Mẫu vân tay (ISO/IEC 19794-2, tệp .fmr)", "Fingerprint template (ISO/IEC 19794-2, .fmr file)"},
		"counter.finger":                          {"Ngón tay", "Finger"},
		"counter.consent":                         {"Công dân đồng ý định danh mức 2 và lưu ảnh chân dung, vân tay.", "The citizen agrees to level 2 enrolment and to the storing of the portrait and fingerprint."},
		"counter.enrol.submit":                    {"Định danh", "Enrol"},
		"counter.enrolled":                        {"Đã định danh mức %d. Căn cứ: %s", "Enrolled at level %d. Evidence: %s"},
		"counter.refused":                         {"Không định danh được. Lý do:", "Enrolment refused. Reason:"},
		"counter.forbidden":                       {"Bạn không có quyền thực hiện việc này.", "You are not allowed to do this."},
		"counter.error":                           {"Không xử lý được yêu cầu.", "The request could not be handled."},
		"counter.subs.title":                      {"Hồ sơ định danh từ ứng dụng", "App enrolment submissions"},
		"counter.subs.none":                       {"Không có hồ sơ chờ duyệt.", "No submission is waiting."},
		"counter.subs.approve":                    {"Duyệt mức 1", "Approve level 1"},
		"counter.subs.refuse":                     {"Từ chối", "Refuse"},
		"counter.subs.reason":                     {"Lý do từ chối", "Reason for refusal"},
		"counter.subs.approved":                   {"Đã duyệt hồ sơ; công dân được báo kết quả.", "Approved; the citizen is told."},
		"counter.subs.refused":                    {"Đã từ chối hồ sơ; công dân được báo lý do.", "Refused; the citizen is told why."},
		"counter.channel.nfc":                     {"Đọc chip (NFC)", "Chip read (NFC)"},
		"counter.channel.qr":                      {"Chỉ mã QR", "QR code only"},
		"counter.check.passive_authentication":    {"Chữ ký của cơ quan cấp thẻ (xác thực thụ động)", "Issuer's signature (passive authentication)"},
		"counter.check.active_authentication":     {"Chip thật, không phải bản sao (xác thực chủ động)", "Genuine chip, not a copy (active authentication)"},
		"counter.check.card_data_consistent":      {"Dữ liệu trên chip thống nhất", "Chip data consistent"},
		"counter.check.registry_match":            {"Khớp cơ sở dữ liệu dân cư", "Matches the population registry"},
		"counter.check.document_valid":            {"Giấy tờ còn hạn", "Document not expired"},
		"counter.check.portrait_captured":         {"Ảnh chân dung", "Portrait"},
		"counter.check.fingerprint_match":         {"Vân tay khớp", "Fingerprint matches"},
		"counter.check.consent":                   {"Sự đồng ý của công dân", "Citizen's consent"},
		"counter.check.officer_review":            {"Cán bộ đã xem xét", "Officer's review"},
		"counter.check.registry_enrolment":        {"Mức định danh theo dữ liệu dân cư", "Level recorded by the registry"},
		"counter.check.passport_data_consistent":  {"Dữ liệu hộ chiếu trên chip hợp lệ", "Passport chip data valid"},
		"counter.check.foreigners_registry_match": {"Khớp cơ sở dữ liệu người nước ngoài", "Matches the foreigners' registry"},
		"counter.check.chip_portrait_compared":    {"Cán bộ đã đối chiếu ảnh trên chip hộ chiếu", "Officer compared the passport chip's portrait"},
		"counter.check.fingerprint_enrolled":      {"Vân tay lấy tại quầy làm mẫu gốc (người nước ngoài không có mẫu vân tay quốc gia)", "Fingerprint taken at the counter becomes the reference (no national reference for a foreigner)"},
		"counter.passport":                        {"Hộ chiếu", "Passport"},
		"counter.passport.issuing":                {"Nước cấp", "Issuing state"},
		"counter.passport.nationality":            {"Quốc tịch", "Nationality"},
		"counter.passport.assigned":               {"Số định danh được cấp", "Assigned identification number"},
		"counter.passport.no_record":              {"Không tìm thấy trong cơ sở dữ liệu người nước ngoài", "Not found in the foreigners' registry"},
		"counter.chip_portrait":                   {"Ảnh trên chip hộ chiếu (do nước cấp ký)", "Portrait on the passport chip (signed by the issuing state)"},
		"counter.chip_portrait.none":              {"Không còn ảnh trên chip cho lần đọc này.", "No chip portrait is kept for this read."},
		"counter.chip_portrait.compared":          {"Tôi đã đối chiếu ảnh trên chip với người đang có mặt tại quầy: đúng là một người.", "I compared the chip's portrait with the person at the counter: they are the same person."},
		"counter.reads.passport":                  {"Hộ chiếu: cardreader enrol --passport --mrz-key SỐ,NGÀYSINH,HẾTHẠN", "Passport: cardreader enrol --passport --mrz-key NUMBER,BIRTH,EXPIRY"},
	})
}
