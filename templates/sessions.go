package templates

import "net/http"

// SessionsBrowser is one browser where the account is signed in.
type SessionsBrowser struct {
	// SID is the end form's sid; Browser the User-Agent in short ("Chrome
	// 131 · Windows"), empty when it says nothing readable.
	SID, Browser string
	// Address is approximate (an IPv4 /24 or IPv6 /48).
	Address string
	// Started and LastSeen are formatted dates.
	Started, LastSeen string
	// Current marks this browser.
	Current bool
}

// SessionsService is a relying party holding tokens or a consent for the
// account.
type SessionsService struct {
	ClientID, Name string
	// Since is a formatted date; Claims message keys of what it may read.
	Since  string
	Claims []string
	// Tokens: it holds tokens now (signing out everywhere ends them);
	// Consent: the citizen's consent is in force (it stays).
	Tokens, Consent bool
}

// SessionsDevice is the app device bound to the account (device binding).
type SessionsDevice struct {
	Name, BoundAt, LastSeen string
}

// SessionsPage lists where the account is signed in, with "sign out
// everywhere".
type SessionsPage struct {
	Base
	Browsers []SessionsBrowser
	Services []SessionsService
	// Device is the bound app device, nil when none (or when device binding
	// is not wired).
	Device *SessionsDevice
	// CanSignOutAll: the sign-in is recent enough (ReauthURL otherwise).
	CanSignOutAll bool
	ReauthURL     string
	// Notice and Error are message keys (may be empty).
	Notice, Error string
}

// Sessions renders the sessions page.
func (s *Set) Sessions(w http.ResponseWriter, status int, p SessionsPage) error {
	if p.Title == "" {
		p.Title = "sessions.title"
	}
	return s.render(w, status, "sessions", p)
}

func init() {
	Register(map[string][2]string{
		"sessions.title":           {"Phiên đăng nhập", "Sessions"},
		"sessions.link":            {"Phiên đăng nhập và thiết bị", "Sessions and devices"},
		"sessions.intro":           {"Những nơi tài khoản của bạn đang được đăng nhập. Nếu thấy nơi nào lạ, hãy đăng xuất nơi đó và đổi mật khẩu.", "Where your account is signed in. If you see a place you do not know, sign it out and change your password."},
		"sessions.browsers":        {"Trình duyệt", "Browsers"},
		"sessions.browser":         {"Trình duyệt", "Browser"},
		"sessions.unknown_browser": {"Trình duyệt không xác định", "Unknown browser"},
		"sessions.address":         {"Địa chỉ mạng (gần đúng)", "Network address (approximate)"},
		"sessions.started":         {"Đăng nhập lúc", "Signed in"},
		"sessions.last_seen":       {"Hoạt động gần nhất", "Last active"},
		"sessions.current":         {"Trình duyệt này", "This browser"},
		"sessions.end":             {"Đăng xuất", "Sign out"},
		"sessions.none":            {"Không có phiên đăng nhập nào khác.", "No other sign-in."},
		"sessions.ended":           {"Đã đăng xuất phiên đó. Trình duyệt kia sẽ phải đăng nhập lại.", "That session was signed out. The other browser will have to sign in again."},
		"sessions.not_found":       {"Phiên đăng nhập đó không còn nữa.", "That session no longer exists."},
		"sessions.device":          {"Thiết bị ứng dụng", "App device"},
		"sessions.device_none":     {"Chưa có điện thoại nào được gắn với tài khoản qua ứng dụng.", "No phone is bound to the account through the app."},
		"sessions.device_bound":    {"Gắn từ", "Bound since"},
		"sessions.services":        {"Dịch vụ đang được truy cập", "Services with access"},
		"sessions.services_none":   {"Không dịch vụ nào đang giữ quyền truy cập tài khoản của bạn.", "No service holds access to your account."},
		"sessions.tokens":          {"Đang đăng nhập", "Signed in"},
		"sessions.consent":         {"Có sự đồng ý chia sẻ", "Consent in force"},
		"sessions.all":             {"Đăng xuất khỏi mọi nơi", "Sign out everywhere"},
		"sessions.all_intro":       {"Kết thúc mọi phiên đăng nhập trên mọi trình duyệt (cả trình duyệt này) và mọi quyền truy cập của các dịch vụ; các dịch vụ được báo để đăng xuất bạn. Sự đồng ý chia sẻ thông tin vẫn giữ nguyên: bạn rút lại từng sự đồng ý ở trang tài khoản.", "Ends every sign-in in every browser (this one too) and every service's access; the services are told to sign you out. Your consents to share information stay: withdraw them one by one on the account page."},
		"sessions.all_reauth":      {"Để đăng xuất khỏi mọi nơi, vui lòng đăng nhập lại (mật khẩu và bước xác thực thứ hai) trong vòng 5 phút trước đó.", "To sign out everywhere, please sign in again (password and second step) within the 5 minutes before."},
		"sessions.signin_again":    {"Đăng nhập lại", "Sign in again"},
		"sessions.reauth_required": {"Cần đăng nhập lại trước khi đăng xuất khỏi mọi nơi.", "Sign in again before signing out everywhere."},
		"signin.signed_out_all":    {"Bạn đã đăng xuất khỏi mọi nơi. Các dịch vụ không còn quyền truy cập; sự đồng ý chia sẻ vẫn giữ nguyên.", "You signed out everywhere. Services no longer have access; your consents stay."},
	})
}
