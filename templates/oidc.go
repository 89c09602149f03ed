package templates

import "net/http"

// OIDCUnmetPage tells a citizen that the service needs a level 2 account
// and how to get one (at a police counter).
type OIDCUnmetPage struct {
	Base
	ClientName string
	// ReturnURL sends the browser back to the relying party with the
	// unmet_authentication_requirements error.
	ReturnURL string
}

// OIDCUnmet renders the level 2 explanation.
func (s *Set) OIDCUnmet(w http.ResponseWriter, status int, p OIDCUnmetPage) error {
	if p.Title == "" {
		p.Title = "oidc.unmet.title"
	}
	return s.render(w, status, "oidc_unmet", p)
}

// OIDCLogoutPage asks to confirm signing out (RP-initiated logout without a
// usable id_token_hint) or says it is done.
type OIDCLogoutPage struct {
	Base
	ClientName string
	Nonce      string
	// Hidden are the logout parameters carried through the confirmation.
	Hidden map[string]string
	Done   bool
}

// OIDCLogout renders the logout confirmation or result.
func (s *Set) OIDCLogout(w http.ResponseWriter, status int, p OIDCLogoutPage) error {
	if p.Title == "" {
		p.Title = "oidc.logout.title"
	}
	return s.render(w, status, "oidc_logout", p)
}

func init() {
	Register(map[string][2]string{
		"oidc.unmet.title":           {"Cần tài khoản định danh điện tử mức độ 2", "A level 2 electronic identity account is needed"},
		"oidc.unmet.body":            {"%s yêu cầu tài khoản định danh điện tử mức độ 2. Tài khoản của bạn hiện ở mức độ 1.", "%s requires a level 2 electronic identity account. Your account is at level 1."},
		"oidc.unmet.how_title":       {"Cách nâng lên mức độ 2", "How to reach level 2"},
		"oidc.unmet.step1":           {"Mang theo thẻ căn cước (gắn chip) đến công an cấp xã hoặc cấp huyện nơi thuận tiện.", "Bring your chip ID card to a commune or district police office."},
		"oidc.unmet.step2":           {"Cán bộ kiểm tra thẻ, chụp ảnh chân dung và thu nhận vân tay để xác thực.", "The officer checks the card and takes your portrait and fingerprints to verify them."},
		"oidc.unmet.step3":           {"Kết quả được gửi qua ứng dụng, tin nhắn SMS hoặc thư điện tử; sau đó hãy đăng nhập lại.", "The result arrives through the app, SMS or e-mail; then sign in again."},
		"oidc.unmet.free":            {"Việc đăng ký tài khoản định danh điện tử là miễn phí.", "Registering an electronic identity account is free."},
		"oidc.unmet.back":            {"Quay lại %s", "Back to %s"},
		"oidc.logout.title":          {"Đăng xuất", "Sign out"},
		"oidc.logout.confirm":        {"Bạn có muốn đăng xuất khỏi tài khoản định danh điện tử không?", "Do you want to sign out of your electronic identity account?"},
		"oidc.logout.confirm_client": {"%s đề nghị đăng xuất. Bạn có muốn đăng xuất khỏi tài khoản định danh điện tử không?", "%s asks to sign you out. Do you want to sign out of your electronic identity account?"},
		"oidc.logout.button":         {"Đăng xuất", "Sign out"},
		"oidc.logout.done":           {"Bạn đã đăng xuất.", "You are signed out."},
		"oidc.error.invalid_client":  {"Dịch vụ yêu cầu đăng nhập không được đăng ký hoặc địa chỉ chuyển hướng không hợp lệ.", "The service asking you to sign in is not registered, or its redirect address is not valid."},
		"oidc.error.request":         {"Yêu cầu đăng nhập không hợp lệ. Vui lòng quay lại dịch vụ và thử lại.", "The sign-in request is not valid. Please go back to the service and try again."},
		"oidc.error.logout":          {"Yêu cầu đăng xuất không hợp lệ.", "The sign-out request is not valid."},
	})
}

// OIDCChoice is one person a guardian may sign in for.
type OIDCChoice struct {
	// Value is posted back: "self" or the dependent's opaque id.
	Value string
	Name  string
	// Relation is child, ward or "" for the guardian themselves.
	Relation string
}

// OIDCChoosePage asks a guardian, after sign-in and before consent, whom
// they sign in for at a service that accepts dependents: themselves or one
// of the dependents they may act for now.
type OIDCChoosePage struct {
	Base
	ClientName string
	// ReturnTo is the authorization request the choice belongs to.
	ReturnTo   string
	UILocales  string
	Dependents []OIDCChoice
	// Error is a message key shown above the form.
	Error string
}

// OIDCChoose renders the guardian's choice.
func (s *Set) OIDCChoose(w http.ResponseWriter, status int, p OIDCChoosePage) error {
	if p.Title == "" {
		p.Title = "oidc.choose.title"
	}
	return s.render(w, status, "oidc_choose", p)
}

func init() {
	Register(map[string][2]string{
		"oidc.choose.title":    {"Bạn đăng nhập cho ai?", "Who are you signing in for?"},
		"oidc.choose.intro":    {"%s chấp nhận cha mẹ hoặc người giám hộ đăng nhập thay cho con dưới 14 tuổi hoặc người được giám hộ. Hãy chọn người mà bạn đăng nhập cho.", "%s accepts a parent or guardian signing in for a child under 14 or a ward. Choose whom you are signing in for."},
		"oidc.choose.self":     {"Chính tôi", "Myself"},
		"oidc.choose.child":    {"Con", "Child"},
		"oidc.choose.ward":     {"Người được giám hộ", "Ward"},
		"oidc.choose.note":     {"Khi đăng nhập thay, dịch vụ nhận thông tin của người được chọn và biết rằng bạn là người thực hiện. Việc sử dụng được ghi vào lịch sử của cả hai người.", "When you sign in for someone, the service receives that person's information and knows that you are the one acting. The use is recorded in both histories."},
		"oidc.choose.continue": {"Tiếp tục", "Continue"},
		"oidc.choose.invalid":  {"Vui lòng chọn một người trong danh sách.", "Please choose one person from the list."},
	})
}
