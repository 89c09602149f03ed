package templates

import "net/http"

// HistoryEntry is one row of the citizen's usage history. Every text is
// already in the page language; times are in Vietnam time. It names
// attributes, never their values.
type HistoryEntry struct {
	// Time is for display; DateTime is RFC 3339 in UTC for <time datetime>.
	Time, DateTime string
	// Type is the activity's label, TypeCode its machine code.
	Type, TypeCode string
	// Service is the relying party's display name (its client id when the
	// name is unknown); ServiceURL filters the history by it. Both are empty
	// when the activity involved no service.
	Service, ClientID, ServiceURL string
	// Claims are the labels of the attributes released.
	Claims []string
	// Outcome is the result's label, OutcomeCode its code (for styling).
	Outcome, OutcomeCode string
	// Actor names who acted when it was neither the citizen nor the
	// service (an officer looking the history up), already formatted.
	Actor string
	IP    string
}

// HistoryOption is one choice of the activity filter.
type HistoryOption struct {
	Value, Label string
	Selected     bool
}

// HistoryPage is the citizen's usage history: newest first, filtered by
// service and activity, one page at a time.
type HistoryPage struct {
	Base
	Entries []HistoryEntry
	// ClientID is the service filter as typed; ServiceName its display name
	// when known.
	ClientID, ServiceName string
	Types                 []HistoryOption
	// Filtered is set when a filter is applied; Continued when this is not
	// the newest page.
	Filtered, Continued bool
	// NewestURL, NextURL (empty on the last page), CSVURL and JSONURL keep
	// the filters.
	NewestURL, NextURL, CSVURL, JSONURL string
}

// History renders the usage history page.
func (s *Set) History(w http.ResponseWriter, status int, p HistoryPage) error {
	if p.Title == "" {
		p.Title = "history.title"
	}
	return s.render(w, status, "history", p)
}

func init() {
	Register(map[string][2]string{
		"history.title":          {"Lịch sử sử dụng tài khoản", "Account usage history"},
		"history.intro":          {"Mọi lần sử dụng tài khoản định danh điện tử của bạn trong 5 năm gần nhất, mới nhất trước.", "Every use of your electronic identity account in the last 5 years, newest first."},
		"history.privacy":        {"Lịch sử chỉ ghi tên các thông tin đã chia sẻ, không bao giờ ghi giá trị của chúng hay dữ liệu sinh trắc học.", "The history names the information shared, never its values, and never biometric data."},
		"history.filter.service": {"Dịch vụ (mã dịch vụ)", "Service (client id)"},
		"history.filter.kind":    {"Hoạt động", "Activity"},
		"history.filter.all":     {"Tất cả", "All"},
		"history.filter.submit":  {"Lọc", "Filter"},
		"history.filter.reset":   {"Bỏ lọc", "Clear filters"},
		"history.filter.showing": {"Đang xem hoạt động với dịch vụ %s.", "Showing activity with %s."},
		"history.download_csv":   {"Tải về (CSV)", "Download (CSV)"},
		"history.download_json":  {"Tải về (JSON)", "Download (JSON)"},
		"history.col.time":       {"Thời gian (giờ Việt Nam)", "Time (Vietnam time)"},
		"history.col.kind":       {"Hoạt động", "Activity"},
		"history.col.service":    {"Dịch vụ", "Service"},
		"history.col.claims":     {"Thông tin chia sẻ", "Information shared"},
		"history.col.outcome":    {"Kết quả", "Result"},
		"history.col.ip":         {"Địa chỉ IP", "IP address"},
		"history.none":           {"Chưa có hoạt động nào.", "No activity yet."},
		"history.none_filtered":  {"Không có hoạt động nào phù hợp với bộ lọc.", "No activity matches the filters."},
		"history.older":          {"Xem cũ hơn", "Older"},
		"history.newest":         {"Về mới nhất", "Back to the newest"},
		"history.by_officer":     {"Cán bộ: %s", "Officer: %s"},
		"history.by_operator":    {"Quản trị viên: %s", "Operator: %s"},
		"history.error.filter":   {"Bộ lọc không hợp lệ. Vui lòng chọn lại.", "The filters are not valid. Please choose again."},

		"history.outcome.success": {"Thành công", "Succeeded"},
		"history.outcome.failure": {"Không thành công", "Failed"},
		"history.outcome.denied":  {"Bị từ chối", "Denied"},

		"history.type.signin.succeeded":               {"Đăng nhập thành công", "Signed in"},
		"history.type.signin.failed":                  {"Đăng nhập không thành công", "Sign-in failed"},
		"history.type.signin.second_factor.succeeded": {"Xác thực bước hai thành công", "Second step verified"},
		"history.type.signin.second_factor.failed":    {"Xác thực bước hai không thành công", "Second step failed"},
		"history.type.signin.locked_out":              {"Tạm khóa đăng nhập do nhập sai nhiều lần", "Sign-in paused after too many failures"},
		"history.type.signout":                        {"Đăng xuất", "Signed out"},
		"history.type.otp.sent":                       {"Gửi mã OTP", "One-time code sent"},
		"history.type.token.issued":                   {"Cấp quyền truy cập cho dịch vụ", "Access granted to a service"},
		"history.type.token.refreshed":                {"Gia hạn quyền truy cập", "Access renewed"},
		"history.type.token.revoked":                  {"Thu hồi quyền truy cập", "Access revoked"},
		"history.type.token.refresh_reuse_detected":   {"Phát hiện dùng lại mã gia hạn", "Reuse of a renewal token detected"},
		"history.type.token.dpop_key_mismatch":        {"Từ chối mã truy cập không kèm khóa của dịch vụ", "Refused a token presented without the service's key"},
		"history.type.userinfo.read":                  {"Dịch vụ đọc thông tin", "Service read your information"},
		"history.type.token.introspected":             {"Dịch vụ kiểm tra mã truy cập", "Service checked an access token"},
		"history.type.authorize.denied":               {"Từ chối yêu cầu của dịch vụ", "Service request refused"},
		"history.type.consent.granted":                {"Đồng ý chia sẻ thông tin", "Agreed to share information"},
		"history.type.consent.refused":                {"Từ chối chia sẻ thông tin", "Refused to share information"},
		"history.type.consent.revoked":                {"Rút lại sự đồng ý", "Consent withdrawn"},
		"history.type.consent.receipt_downloaded":     {"Tải biên nhận đồng ý", "Consent receipt downloaded"},
		"history.type.account.registered":             {"Đăng ký tài khoản", "Account registered"},
		"history.type.account.activated":              {"Kích hoạt tài khoản", "Account activated"},
		"history.type.account.locked":                 {"Khóa tài khoản", "Account locked"},
		"history.type.account.unlocked":               {"Mở khóa tài khoản", "Account unlocked"},
		"history.type.account.password_changed":       {"Đổi mật khẩu", "Password changed"},
		"history.type.account.phone_changed":          {"Đổi số điện thoại", "Phone number changed"},
		"history.type.account.email_changed":          {"Đổi địa chỉ thư điện tử", "E-mail address changed"},
		"history.type.account.device_changed":         {"Đổi thiết bị", "Device changed"},
		"history.type.account.factor_changed":         {"Thay đổi phương thức xác thực", "Sign-in method changed"},
		"history.type.history.viewed_by_officer":      {"Cán bộ xem lịch sử sử dụng", "An officer viewed your usage history"},
		"history.type.officer.action":                 {"Thao tác của cán bộ", "Action by an officer"},
		"history.type.operator.action":                {"Thao tác của quản trị viên", "Action by an operator"},
		"history.type.audit.retention_applied":        {"Xóa lịch sử quá hạn lưu trữ", "Expired history deleted"},
		"history.type.client.changed":                 {"Thay đổi dịch vụ kết nối", "Connected service changed"},
		"history.type.key.rotated":                    {"Thay khóa ký", "Signing key replaced"},
		"history.type.document.integrated":            {"Tích hợp giấy tờ vào tài khoản", "Document integrated into your account"},
		"history.type.document.removed":               {"Gỡ giấy tờ khỏi thông tin chia sẻ", "Document removed from what you share"},
	})
}
