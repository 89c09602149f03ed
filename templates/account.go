package templates

import "net/http"

// AccountService is one relying party the citizen is connected to.
type AccountService struct {
	ClientID string
	// Name is already in the page language; Kind and Status are message keys.
	Name    string
	LogoURI string
	Kind    string
	// Claims are message keys of the attributes the service may read.
	Claims []string
	// Since, LastUsed, Expires and Revoked are formatted dates; LastUsed and
	// Revoked are empty when there is none.
	Since, LastUsed, Expires, Revoked string
	Status                            string
	CanRevoke                         bool
	RevokeURL, ReceiptURL             string
}

// AccountPasskey is one of the citizen's passkeys.
type AccountPasskey struct {
	// ID is the credential id, base64url: the remove form's id.
	ID   string
	Name string
	// CreatedAt and LastUsedAt are formatted dates; LastUsedAt is empty
	// when it was never used.
	CreatedAt, LastUsedAt string
}

// AccountPasskeys is the passkeys section of the account page, shown only
// when passkeys are on.
type AccountPasskeys struct {
	Rows []AccountPasskey
	// CanChange: the sign-in is recent enough to add or remove one;
	// otherwise ReauthURL signs in again and comes back.
	CanChange bool
	ReauthURL string
}

// AccountPage is the citizen's own page: connected services and the data
// services would receive.
type AccountPage struct {
	Base
	Services []AccountService
	// Data is the citizen's own data as services would receive it (never
	// biometrics).
	Data []ConsentItem
	// Passkeys is nil when passkeys are off.
	Passkeys *AccountPasskeys
	// Notice and Error are message keys (may be empty).
	Notice string
	Error  string
	// NoticeLang is the language of the citizen's notifications ("vi" or
	// "en"); empty hides the form that changes it.
	NoticeLang string
}

// Account renders the account page.
func (s *Set) Account(w http.ResponseWriter, status int, p AccountPage) error {
	if p.Title == "" {
		p.Title = "account.title"
	}
	return s.render(w, status, "account", p)
}

func init() {
	Register(map[string][2]string{
		"account.title":             {"Tài khoản của bạn", "Your account"},
		"account.history_link":      {"Lịch sử sử dụng tài khoản (5 năm gần nhất)", "Usage history of your account (last 5 years)"},
		"account.services":          {"Dịch vụ đã kết nối", "Connected services"},
		"account.services_none":     {"Bạn chưa cho phép dịch vụ nào đọc thông tin của bạn.", "You have not allowed any service to read your information."},
		"account.may_read":          {"Được đọc", "May read"},
		"account.may_read_nothing":  {"Chỉ xác nhận danh tính khi đăng nhập", "Only confirming your identity at sign-in"},
		"account.since":             {"Đồng ý từ", "Allowed since"},
		"account.last_used":         {"Lần sử dụng gần nhất", "Last used"},
		"account.never_used":        {"Chưa sử dụng", "Not used yet"},
		"account.expires":           {"Hết hạn", "Expires"},
		"account.revoked_at":        {"Đã rút lại lúc", "Withdrawn on"},
		"account.status.active":     {"Đang hiệu lực", "Active"},
		"account.status.expired":    {"Đã hết hạn", "Expired"},
		"account.status.revoked":    {"Đã rút lại", "Withdrawn"},
		"account.revoke":            {"Rút lại sự đồng ý", "Withdraw consent"},
		"account.revoke_hint":       {"Dịch vụ sẽ mất quyền truy cập ngay lập tức.", "The service loses access at once."},
		"account.receipt":           {"Tải biên nhận đồng ý", "Download consent receipt"},
		"account.revoked_notice":    {"Đã rút lại sự đồng ý. Dịch vụ không còn đọc được thông tin của bạn.", "Consent withdrawn. The service can no longer read your information."},
		"account.data":              {"Thông tin của bạn", "Your information"},
		"account.data_hint":         {"Đây là thông tin mà dịch vụ sẽ nhận được nếu bạn đồng ý chia sẻ.", "This is the information a service receives if you agree to share it."},
		"account.biometrics_never":  {"Ảnh chân dung và vân tay là thông tin sinh trắc học: không bao giờ được hiển thị, tải xuống hay chia sẻ.", "Your portrait and fingerprints are biometric data: never shown, downloaded or shared."},
		"account.passkeys":          {"Khóa truy cập (passkey)", "Passkeys"},
		"account.passkeys.intro":    {"Khóa truy cập là bước xác thực thứ hai sau mật khẩu: vân tay, khuôn mặt, mã PIN của thiết bị hoặc khóa bảo mật. Không ai lừa bạn lấy được nó.", "A passkey is the second step after your password: your device's fingerprint, face, PIN or a security key. Nobody can trick you into giving it away."},
		"account.passkeys.none":     {"Bạn chưa có khóa truy cập nào.", "You have no passkey yet."},
		"account.passkeys.name":     {"Tên gợi nhớ (ví dụ: điện thoại của tôi)", "A name to recognise it (e.g. my phone)"},
		"account.passkeys.col_name": {"Tên", "Name"},
		"account.passkeys.created":  {"Thêm lúc", "Added"},
		"account.passkeys.add":      {"Thêm khóa truy cập", "Add a passkey"},
		"account.passkeys.remove":   {"Xóa", "Remove"},
		"account.passkeys.failed":   {"Không thêm được khóa truy cập. Vui lòng thử lại.", "The passkey could not be added. Please try again."},
		"account.passkeys.added":    {"Đã thêm khóa truy cập.", "Passkey added."},
		"account.passkeys.removed":  {"Đã xóa khóa truy cập.", "Passkey removed."},
		"account.passkeys.reauth":   {"Để thêm hoặc xóa khóa truy cập, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai).", "To add or remove a passkey, please sign in again (password and second step)."},
		"account.passkeys.signin":   {"Đăng nhập lại", "Sign in again"},
		"account.error.not_found":   {"Không tìm thấy sự đồng ý với dịch vụ này.", "No consent to this service was found."},
	})
}

// Messages of the notifications' language.
func init() {
	Register(map[string][2]string{
		"account.lang.title":                    {"Ngôn ngữ của thông báo", "Language of notifications"},
		"account.lang.intro":                    {"Tin nhắn SMS và thư điện tử báo cho bạn về tài khoản (đăng ký, kích hoạt, khoá, mở khoá, đổi mật khẩu, dịch vụ mới kết nối) được viết bằng ngôn ngữ này.", "The SMS and e-mails telling you about your account (registration, activation, lock, unlock, change of password, newly connected services) are written in this language."},
		"account.lang.label":                    {"Ngôn ngữ", "Language"},
		"account.lang.vi":                       {"Tiếng Việt", "Vietnamese (Tiếng Việt)"},
		"account.lang.en":                       {"Tiếng Anh (English)", "English"},
		"account.lang.save":                     {"Lưu", "Save"},
		"account.lang.saved":                    {"Đã lưu ngôn ngữ của thông báo.", "The language of notifications was saved."},
		"account.lang.invalid":                  {"Ngôn ngữ không hợp lệ.", "That language is not offered."},
		"history.type.account.language_changed": {"Đổi ngôn ngữ của thông báo", "Language of notifications changed"},
	})
}
