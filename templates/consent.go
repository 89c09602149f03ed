package templates

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// ConsentItem is one attribute on the consent screen or the account page:
// its label (a message key), the citizen's own value as the service would
// receive it, and whether the service marks it essential (it cannot be
// unticked).
type ConsentItem struct {
	Claim     string
	Label     string
	Value     string
	Essential bool
	Checked   bool
}

// ConsentPage asks a citizen whether a service may read the listed
// attributes.
type ConsentPage struct {
	Base
	Challenge string
	// ClientName and Purpose are already in the page language.
	ClientName string
	ClientLogo string
	// ClientKind, ACR and Reason are message keys (Reason may be empty).
	ClientKind     string
	Purpose        string
	PurposeVersion string
	ACR            string
	Reason         string
	Items          []ConsentItem
	// Permissions are message keys of what is granted besides attributes
	// (signing in, access while the citizen is away).
	Permissions []string
	// Error is a message key shown above the form.
	Error string
	// PolicyDocuments are the labels (message keys) of the documents asked
	// for, which the gateway's policy allows a service of ClientKind: the
	// request was refused before this page otherwise.
	PolicyDocuments []string
	// ActingForName is the dependent the guardian signs in for, if any:
	// the values shown and shared are the dependent's.
	ActingForName string
}

// Consent renders the consent screen.
func (s *Set) Consent(w http.ResponseWriter, status int, p ConsentPage) error {
	if p.Title == "" {
		p.Title = "consent.title"
	}
	return s.render(w, status, "consent", p)
}

func init() {
	Register(map[string][2]string{
		"consent.title":                  {"Chia sẻ thông tin", "Share your information"},
		"consent.heading":                {"%s đề nghị đọc thông tin của bạn", "%s asks to read your information"},
		"consent.purpose":                {"Mục đích sử dụng", "Purpose"},
		"consent.purpose_version":        {"Phiên bản %s", "Version %s"},
		"consent.items":                  {"Thông tin sẽ được chia sẻ", "Information to be shared"},
		"consent.items_hint":             {"Bạn có thể bỏ chọn các thông tin không bắt buộc.", "You can untick the information that is not essential."},
		"consent.essential":              {"bắt buộc", "essential"},
		"consent.no_value":               {"(chưa có)", "(none)"},
		"consent.permissions":            {"Dịch vụ cũng được phép", "The service may also"},
		"consent.acr":                    {"Mức độ xác thực yêu cầu: %s", "Assurance level asked: %s"},
		"consent.biometrics_never":       {"Ảnh chân dung và vân tay của bạn không bao giờ được chia sẻ.", "Your portrait and fingerprints are never shared."},
		"consent.approve":                {"Đồng ý", "Allow"},
		"consent.refuse":                 {"Từ chối", "Refuse"},
		"consent.revoke_hint":            {"Bạn có thể rút lại sự đồng ý bất cứ lúc nào tại trang Tài khoản.", "You can withdraw your consent at any time on your Account page."},
		"consent.reason.revoked":         {"Bạn đã rút lại sự đồng ý trước đây với dịch vụ này.", "You withdrew your earlier consent to this service."},
		"consent.reason.expired":         {"Sự đồng ý trước đây của bạn đã hết hạn.", "Your earlier consent has expired."},
		"consent.reason.purpose_changed": {"Dịch vụ đã thay đổi mục đích sử dụng thông tin.", "The service changed the purpose it uses your information for."},
		"consent.reason.widened":         {"Dịch vụ đề nghị thêm thông tin so với lần trước.", "The service asks for more information than before."},
		"consent.reason.prompt_consent":  {"Dịch vụ đề nghị bạn xác nhận lại sự đồng ý.", "The service asks you to confirm your consent again."},
		"consent.error.challenge":        {"Yêu cầu chia sẻ thông tin đã hết hạn hoặc đã được xử lý. Vui lòng quay lại dịch vụ và thử lại.", "This sharing request has expired or was already answered. Please go back to the service and try again."},
		"consent.error.other_account":    {"Yêu cầu này thuộc về một phiên đăng nhập khác.", "This request belongs to another sign-in."},
		"consent.error.action":           {"Vui lòng chọn Đồng ý hoặc Từ chối.", "Please choose Allow or Refuse."},

		"consent.kind.public_service": {"Dịch vụ công", "Public service"},
		"consent.kind.bank":           {"Ngân hàng", "Bank"},
		"consent.kind.insurer":        {"Công ty bảo hiểm", "Insurer"},
		"consent.kind_policy": {"Loại dịch vụ: %s. Quy định của cổng định danh cho phép loại dịch vụ này đọc các giấy tờ được đề nghị:",
			"Kind of service: %s. The gateway's policy allows this kind of service to read the documents asked for:"},
		"consent.kind.other": {"Tổ chức khác", "Other organisation"},

		"consent.acr." + assurance.ACR1: {"Mức độ 1", "Level 1"},
		"consent.acr." + assurance.ACR2: {"Mức độ 2", "Level 2"},

		"consent.scope.openid":         {"Xác nhận danh tính của bạn khi đăng nhập", "Confirm your identity when you sign in"},
		"consent.scope.offline_access": {"Tiếp tục truy cập khi bạn không trực tuyến", "Keep access while you are not online"},

		"consent.claim.name":                  {"Họ và tên", "Full name"},
		"consent.claim.birthdate":             {"Ngày sinh", "Date of birth"},
		"consent.claim.gender":                {"Giới tính", "Gender"},
		"consent.claim.nationality":           {"Quốc tịch", "Nationality"},
		"consent.claim.personal_id_number":    {"Số định danh cá nhân", "Personal identification number"},
		"consent.claim.address":               {"Nơi thường trú", "Permanent address"},
		"consent.claim.phone_number":          {"Số điện thoại", "Phone number"},
		"consent.claim.phone_number_verified": {"Số điện thoại đã xác minh", "Phone number verified"},
		"consent.claim.email":                 {"Thư điện tử", "E-mail"},
		"consent.claim.driving_licence":       {"Giấy phép lái xe", "Driving licence"},
		"consent.claim.vehicle_registration":  {"Đăng ký xe", "Vehicle registration"},
		"consent.claim.health_insurance":      {"Thẻ bảo hiểm y tế", "Health insurance card"},
		"consent.claim.social_insurance":      {"Sổ bảo hiểm xã hội", "Social insurance book"},
		"consent.claim.passport":              {"Hộ chiếu (số, quốc gia cấp, ngày hết hạn)", "Passport (number, issuing country, expiry)"},
		"consent.claim.residence_permit":      {"Thị thực hoặc thẻ tạm trú (loại, số, ngày hết hạn)", "Visa or residence card (kind, number, expiry)"},
		"consent.claim.dependents":            {"Người phụ thuộc (con dưới 14 tuổi, người được giám hộ)", "Dependents (children under 14, wards)"},
	})
}

func init() {
	Register(map[string][2]string{
		"consent.acting_for": {"Bạn đang đăng nhập thay cho %s. Thông tin dưới đây là của người này; sự đồng ý của bạn được ghi vào hồ sơ của người này, với bạn là người giám hộ đã đồng ý.", "You are signing in for %s. The information below is theirs; your consent is recorded on their records, naming you as the guardian who gave it."},
	})
}
