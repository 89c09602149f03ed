package templates

import "net/http"

// StaffReconcileRun is one vehicle-registry reconciliation run in the list
// (and the selected one).
type StaffReconcileRun struct {
	ID int64
	// Actor is who started it; "" when Scheduled.
	Actor     string
	Scheduled bool
	// Started and Finished are shown in Vietnam's time; the ISO forms go
	// into <time datetime>. Finished and Took are "" until the run ends.
	Started, StartedISO   string
	Finished, FinishedISO string
	Took                  string
	// State is running, done or failed (stopped with an error, or its
	// process ended without saying so).
	State string
	// Records is the vehicle records read so far.
	Records int64
	// Undone: the whole run was undone.
	Undone   bool
	Selected bool
	// URL opens the run on the page (in the page's language).
	URL string
}

// StaffReconcileRow is one province's figures, one count per kind in
// StaffReconcilePage.Kinds' order.
type StaffReconcileRow struct {
	Province string // "" when the vehicle registry holds none
	Counts   []int64
	Total    int64
}

// StaffReconcilePage is the operators' page of the vehicle-registry
// reconciliation: recent runs, the selected run's figures per province and
// kind of finding, CSV downloads, run now and undo.
type StaffReconcilePage struct {
	StaffBase
	Runs []StaffReconcileRun
	// Run is the selected run (the latest unless the query names one); nil
	// when there is none.
	Run *StaffReconcileRun
	// Kinds are the kinds of finding in report order (reconcile.Kinds).
	Kinds  []string
	Rows   []StaffReconcileRow
	Totals []int64
	Total  int64
	// ReportCSV and FindingsCSV download the selected run's CSVs.
	ReportCSV, FindingsCSV string
	// Notice is a message key (an action done); Error one for an action
	// refused.
	Notice, Error string
	// Vehicle is the undo form's number, given back after a refusal.
	Vehicle string
}

// StaffReconcile renders the reconciliation page.
func (s *Set) StaffReconcile(w http.ResponseWriter, status int, p StaffReconcilePage) error {
	p.Title = "staff.reconcile.title"
	return s.render(w, status, "staff_reconcile", p)
}

func init() {
	Register(map[string][2]string{
		"staff.reconcile.title": {"Đối soát đăng ký xe với dữ liệu dân cư", "Vehicle registry reconciliation"},
		"staff.reconcile.intro": {"So sánh chủ xe của từng hồ sơ đăng ký xe với Cơ sở dữ liệu quốc gia về dân cư: số định danh thiếu được bổ sung khi họ tên, ngày sinh và địa chỉ chỉ khớp đúng một người; số sai hoặc dùng chung bị đánh dấu; xe đã thu hồi được để riêng. Mọi thay đổi được ghi nhật ký và có thể hoàn tác.",
			"Compares each vehicle record's owner with the national population database: a missing ID number is completed where name, birth date and address match exactly one person; wrong or shared numbers are flagged; retired vehicles are kept apart. Every change is audited and can be undone."},
		"staff.reconcile.start":           {"Chạy đối soát ngay", "Run the reconciliation now"},
		"staff.reconcile.started":         {"Đã bắt đầu lần đối soát. Trang hiển thị tiến độ; tải lại trang để cập nhật.", "The reconciliation has started. The page shows its progress; reload it to update."},
		"staff.reconcile.busy":            {"Đang có một lần đối soát chạy; mỗi lúc chỉ chạy một lần. Hãy chờ lần đó xong.", "A reconciliation is already running; only one runs at a time. Wait until it finishes."},
		"staff.reconcile.run":             {"Lần chạy số %d", "Run %d"},
		"staff.reconcile.running":         {"Đang chạy: đã xử lý %d hồ sơ.", "Running: %d records done so far."},
		"staff.reconcile.refresh":         {"Cập nhật tiến độ", "Update progress"},
		"staff.reconcile.failed":          {"Lần chạy này dừng lại trước khi xong; các đợt đã xử lý vẫn được ghi lại.", "This run stopped before it finished; the batches done are kept."},
		"staff.reconcile.undone_run":      {"Toàn bộ lần chạy này đã được hoàn tác.", "This whole run was undone."},
		"staff.reconcile.none":            {"Chưa có lần đối soát nào.", "No reconciliation has run yet."},
		"staff.reconcile.figures":         {"Kết quả theo tỉnh/thành và loại phát hiện", "Findings per province and kind"},
		"staff.reconcile.figures_none":    {"Lần chạy này chưa có phát hiện nào.", "This run has no findings yet."},
		"staff.reconcile.province":        {"Tỉnh/thành", "Province"},
		"staff.reconcile.no_province":     {"(không ghi tỉnh/thành)", "(no province recorded)"},
		"staff.reconcile.total":           {"Tổng", "Total"},
		"staff.reconcile.kind.completed":  {"Đã bổ sung số định danh", "ID number completed"},
		"staff.reconcile.kind.unmatched":  {"Không xác định được chủ xe", "Owner not identified"},
		"staff.reconcile.kind.wrong_id":   {"Số định danh sai", "Wrong ID number"},
		"staff.reconcile.kind.shared_id":  {"Số định danh dùng chung", "Shared ID number"},
		"staff.reconcile.kind.retired":    {"Xe đã thu hồi (để riêng)", "Retired vehicle (kept apart)"},
		"staff.reconcile.downloads":       {"Tải xuống (CSV)", "Downloads (CSV)"},
		"staff.reconcile.report_csv":      {"Báo cáo theo tỉnh/thành (CSV)", "Report per province (CSV)"},
		"staff.reconcile.findings_csv":    {"Toàn bộ phát hiện (CSV)", "Every finding (CSV)"},
		"staff.reconcile.undo":            {"Hoàn tác một xe", "Undo one vehicle"},
		"staff.reconcile.undo_hint":       {"Chỉ số định danh được bổ sung mới làm thay đổi hồ sơ; hoàn tác ghi lại giá trị trước lần chạy.", "Only a completed ID number changes a record; undo writes back the value from before the run."},
		"staff.reconcile.vehicle":         {"Biển số xe", "Registration number"},
		"staff.reconcile.undo_submit":     {"Hoàn tác", "Undo"},
		"staff.reconcile.undone":          {"Đã khôi phục số định danh chủ xe như trước lần chạy.", "The owner ID number from before the run is restored."},
		"staff.reconcile.unchanged":       {"Không có gì được khôi phục: hồ sơ đã thay đổi sau lần chạy.", "Nothing was restored: the record has changed since the run."},
		"staff.reconcile.bad_run":         {"Mã lần chạy không hợp lệ.", "Not a valid run number."},
		"staff.reconcile.no_run":          {"Không có lần chạy này.", "There is no such run."},
		"staff.reconcile.vehicle_missing": {"Hãy nhập biển số xe cần hoàn tác.", "Enter the registration number to undo."},
		"staff.reconcile.undo_not_found":  {"Lần chạy này không có phát hiện nào cho biển số đó.", "This run has no finding for that registration number."},
		"staff.reconcile.undo_not_completed": {"Chỉ hoàn tác được số định danh đã bổ sung; phát hiện này không thay đổi hồ sơ.",
			"Only a completed ID number can be undone; this finding changed nothing."},
		"staff.reconcile.undo_already":  {"Thay đổi này đã được hoàn tác trước đó.", "This change was undone already."},
		"staff.reconcile.runs":          {"Các lần chạy gần đây", "Recent runs"},
		"staff.reconcile.col.run":       {"Lần", "Run"},
		"staff.reconcile.col.started":   {"Bắt đầu", "Started"},
		"staff.reconcile.col.finished":  {"Kết thúc", "Finished"},
		"staff.reconcile.col.took":      {"Thời gian chạy", "Took"},
		"staff.reconcile.col.actor":     {"Người chạy", "Started by"},
		"staff.reconcile.col.state":     {"Trạng thái", "State"},
		"staff.reconcile.col.records":   {"Hồ sơ", "Records"},
		"staff.reconcile.scheduled":     {"theo lịch", "scheduled"},
		"staff.reconcile.state.running": {"đang chạy", "running"},
		"staff.reconcile.state.done":    {"xong", "done"},
		"staff.reconcile.state.failed":  {"dừng lỗi", "failed"},
		"staff.reconcile.state.undone":  {"đã hoàn tác", "undone"},
		"staff.reconcile.selected":      {"đang xem", "shown"},
		"staff.link.reconcile":          {"Đối soát đăng ký xe", "Vehicle reconciliation"},
		"staff.link.reconcile_hint":     {"Đối soát chủ xe với dữ liệu dân cư: kết quả theo tỉnh/thành, CSV, chạy ngay, hoàn tác.", "Vehicle owners against the population registry: figures per province, CSV, run now, undo."},
	})
}
