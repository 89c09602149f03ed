package templates

import "net/http"

// StaffAuditCheckpoint is the newest signed checkpoint.
type StaffAuditCheckpoint struct {
	Seq                   int64
	Kind, KeyID           string
	SignedAt, SignedAtISO string
}

// StaffAuditProblem is one inconsistency a verification found.
type StaffAuditProblem struct {
	Seq           int64
	Kind, Message string
}

// StaffAuditVerify is the result of verifying the newest events.
type StaffAuditVerify struct {
	OK bool
	// From and To are the events recomputed (from the checkpoint before
	// the newest events), Events how many, Checkpoints the signed
	// checkpoints that matched; StartedFrom is genesis, retention anchor
	// or checkpoint.
	From, To, Events int64
	Checkpoints      int
	StartedFrom      string
	// Sealed: the head's seal was checked and is the audit key's.
	Sealed   bool
	Problems []StaffAuditProblem
}

// StaffAuditPage is the operators' page of the audit trail: head and
// seal, the newest checkpoint, the witness, a verification of the newest
// events (after the form is sent), and the checkpoints' export.
type StaffAuditPage struct {
	StaffBase
	// HeadSeq is the newest event (0: none) and HeadAt when it was
	// logged; SealSeq and SealAt the sealed head (Sealed false: none).
	HeadSeq, SealSeq  int64
	HeadAt, HeadAtISO string
	Sealed            bool
	SealAt, SealAtISO string
	Checkpoint        *StaffAuditCheckpoint
	Alarm             bool
	Witnesses         []string
	Published         int64
	Unpublished       int64
	ExportURL         string
	Verify            *StaffAuditVerify
}

// StaffAudit renders the audit page.
func (s *Set) StaffAudit(w http.ResponseWriter, status int, p StaffAuditPage) error {
	p.Title = "staff.audit.title"
	return s.render(w, status, "staff_audit", p)
}

func init() {
	Register(map[string][2]string{
		"staff.audit.title": {"Nhật ký kiểm toán", "Audit trail"},
		"staff.audit.intro": {"Mọi lần sử dụng tài khoản được ghi vào một chuỗi băm; đầu chuỗi được niêm phong bằng khóa kiểm toán sau mỗi lần ghi, và các điểm kiểm tra có chữ ký được gửi ra ngoài cơ sở dữ liệu (nhân chứng), nên không ai sửa được lịch sử mà không bị phát hiện.",
			"Every use of an account is written to a hash chain; its head is sealed with the audit key after every write, and signed checkpoints are sent outside the database (the witness), so nobody can rewrite history unnoticed."},
		"staff.audit.alarm":          {"CẢNH BÁO: đầu chuỗi đã bị thay đổi ngoài bộ ghi; bộ ghi đã dừng và mọi thao tác cần ghi nhật ký đều bị từ chối. Hãy chạy dinhdanh audit verify.", "ALARM: the chain head was changed behind the writer; it has stopped and every audited action is refused. Run dinhdanh audit verify."},
		"staff.audit.chain":          {"Chuỗi", "Chain"},
		"staff.audit.head":           {"Sự kiện mới nhất", "Newest event"},
		"staff.audit.empty":          {"chưa có sự kiện nào", "no events yet"},
		"staff.audit.seal":           {"Niêm phong đầu chuỗi", "Head seal"},
		"staff.audit.unsealed":       {"chưa có niêm phong", "no seal yet"},
		"staff.audit.checkpoint":     {"Điểm kiểm tra mới nhất", "Newest checkpoint"},
		"staff.audit.no_checkpoint":  {"chưa có điểm kiểm tra nào", "no checkpoint yet"},
		"staff.audit.event_no":       {"sự kiện số %d", "event %d"},
		"staff.audit.signed_with":    {"ký bằng khóa", "signed with key"},
		"staff.audit.witness":        {"Nhân chứng", "Witness"},
		"staff.audit.witness_none":   {"Chưa cấu hình nhân chứng (audit.witness): các điểm kiểm tra chỉ nằm trong cơ sở dữ liệu. Hãy xuất chúng định kỳ.", "No witness is configured (audit.witness): the checkpoints are in the database only. Export them regularly."},
		"staff.audit.witness_to":     {"Các điểm kiểm tra được gửi tới:", "Checkpoints are sent to:"},
		"staff.audit.witness_counts": {"Từ khi máy chủ này khởi động: %d điểm kiểm tra đã gửi, %d không gửi được.", "Since this server started: %d checkpoints sent, %d not sent."},
		"staff.audit.verify":         {"Kiểm tra các sự kiện mới nhất", "Verify the newest events"},
		"staff.audit.verify_hint":    {"Tính lại chuỗi băm của các sự kiện mới nhất từ điểm kiểm tra có chữ ký trước đó và kiểm tra niêm phong đầu chuỗi. Toàn bộ lịch sử được kiểm tra bằng dinhdanh audit verify.", "Recomputes the hash chain of the newest events from the signed checkpoint before them and checks the head's seal. The whole history is verified with dinhdanh audit verify."},
		"staff.audit.verify_submit":  {"Kiểm tra ngay", "Verify now"},
		"staff.audit.verify_ok":      {"Nguyên vẹn: đã tính lại %d sự kiện (từ số %d đến %d).", "Intact: %d events recomputed (from %d to %d)."},
		"staff.audit.verify_broken":  {"CHUỖI BỊ HỎNG. Hãy chạy dinhdanh audit verify và báo ngay cho người phụ trách an ninh.", "THE CHAIN IS BROKEN. Run dinhdanh audit verify and tell the security officer at once."},
		"staff.audit.verify_seal":    {"Niêm phong đầu chuỗi hợp lệ.", "The head seal is valid."},
		"staff.audit.verify_matched": {"Điểm kiểm tra khớp: %d.", "Checkpoints matched: %d."},
		"staff.audit.export":         {"Xuất điểm kiểm tra", "Export checkpoints"},
		"staff.audit.export_hint":    {"Các điểm kiểm tra có chữ ký của một triệu sự kiện mới nhất, dạng JSON lines (như dinhdanh audit export-checkpoints), để bên thứ ba lưu giữ.", "The signed checkpoints of the newest million events as JSON lines (as dinhdanh audit export-checkpoints), for a third party to keep."},
		"staff.audit.export_link":    {"Tải điểm kiểm tra (JSON lines)", "Download checkpoints (JSON lines)"},
		"staff.link.audit":           {"Nhật ký kiểm toán", "Audit trail"},
		"staff.link.audit_hint":      {"Niêm phong, điểm kiểm tra, nhân chứng; kiểm tra và xuất.", "Seal, checkpoints, witness; verify and export."},
	})
}
