package templates

import (
	"html/template"
	"net/http"
)

// SharePage lets a signed-in citizen choose what to put in a QR credential.
type SharePage struct {
	Base
	// Items are the shareable attributes with the citizen's own values
	// (never biometrics); Label is a message key.
	Items []ConsentItem
	// Challenge is the verifier's challenge code as typed (kept on errors).
	Challenge string
	// TTLMinutes is how long a credential stays valid.
	TTLMinutes int
	// DocumentsNeedLevel2 explains why no document is offered.
	DocumentsNeedLevel2 bool
	// ACR is a message key naming the sign-in's level.
	ACR string
	// Error is a message key shown above the form.
	Error string
}

// ShareCredentialPage shows an issued credential as a QR code and as text.
type ShareCredentialPage struct {
	Base
	// QR is the QR code as a data: URL of a PNG image (the CSP allows
	// img-src data:).
	QR template.URL
	// QRSize is the image's width and height in CSS pixels.
	QRSize int
	// Token is the credential's text, for verifiers without a camera.
	Token string
	// Size is the text's length in bytes.
	Size int
	// Claims are message keys of the disclosed attributes.
	Claims []string
	// Expires is the expiry, formatted in the page language (Vietnam time).
	Expires string
	// Challenge is the verifier's challenge code signed in, or empty.
	Challenge string
	// ACR is a message key naming the level.
	ACR string
}

// VerifyItem is one verified attribute, label and value already in the page
// language.
type VerifyItem struct {
	Claim string
	Label string
	Value string
}

// ShareVerifyPage is the verifier's page: paste a scanned credential, see
// what it proves.
type ShareVerifyPage struct {
	Base
	// Token and Challenge are what the verifier submitted.
	Token     string
	Challenge string
	// SuggestedChallenge is a fresh code the verifier may ask the citizen to
	// type in before making the QR code.
	SuggestedChallenge string
	// Checked is true once a credential was submitted; Valid says whether it
	// passed, Error (a message key) why not.
	Checked bool
	Valid   bool
	Error   string
	// Items are the disclosed attributes of a valid credential.
	Items []VerifyItem
	// Issuer, Issued, Expires are shown as is; ACR is a message key.
	Issuer, Issued, Expires string
	ACR                     string
	// Undisclosed counts attributes the holder chose not to show.
	Undisclosed int
	// ChallengeBound says the credential carries the verifier's code.
	ChallengeBound bool
	JTI            string
}

// Share renders the sharing form.
func (s *Set) Share(w http.ResponseWriter, status int, p SharePage) error {
	if p.Title == "" {
		p.Title = "share.title"
	}
	return s.render(w, status, "share", p)
}

// ShareCredential renders an issued credential.
func (s *Set) ShareCredential(w http.ResponseWriter, status int, p ShareCredentialPage) error {
	if p.Title == "" {
		p.Title = "share.credential.title"
	}
	return s.render(w, status, "share_credential", p)
}

// ShareVerify renders the verifier's page.
func (s *Set) ShareVerify(w http.ResponseWriter, status int, p ShareVerifyPage) error {
	if p.Title == "" {
		p.Title = "share.verify.title"
	}
	return s.render(w, status, "share_verify", p)
}

func init() {
	Register(map[string][2]string{
		"share.link":                {"Chia sẻ thông tin bằng mã QR", "Share your information with a QR code"},
		"share.title":               {"Chia sẻ thông tin bằng mã QR", "Share with a QR code"},
		"share.intro":               {"Chọn thông tin cần chia sẻ. Người nhận (khách sạn, ngân hàng, một người khác) quét mã QR và tự kiểm tra được, kể cả khi không có mạng.", "Choose what to share. The recipient (a hotel, a bank, another person) scans the QR code and can check it themselves, even offline."},
		"share.items":               {"Thông tin sẽ chia sẻ", "Information to share"},
		"share.none":                {"Không có thông tin nào có thể chia sẻ.", "There is no information you can share."},
		"share.challenge":           {"Mã kiểm tra của người nhận (nếu có)", "The recipient's check code (if any)"},
		"share.challenge_hint":      {"Nếu người nhận đưa cho bạn một mã, hãy nhập vào đây: mã QR sẽ chỉ dùng được với họ, ngay lúc này.", "If the recipient gives you a code, type it here: the QR code then works only for them, right now."},
		"share.documents_level2":    {"Giấy tờ tích hợp (giấy phép lái xe, bảo hiểm...) chỉ chia sẻ được với tài khoản mức độ 2 khi đăng nhập bằng hai bước.", "Integrated documents (driving licence, insurance...) can be shared only by a level 2 account signed in with two steps."},
		"share.create":              {"Tạo mã QR", "Create QR code"},
		"share.biometrics_never":    {"Ảnh chân dung và vân tay là thông tin sinh trắc học và không bao giờ được đưa vào mã QR.", "Your portrait and fingerprints are biometric data and are never put in a QR code."},
		"share.error.nothing":       {"Vui lòng chọn ít nhất một thông tin có giá trị.", "Please choose at least one item that has a value."},
		"share.error.not_shareable": {"Một thông tin đã chọn không thể chia sẻ ở mức đăng nhập hiện tại.", "An item you chose cannot be shared at your current sign-in level."},
		"share.error.challenge":     {"Mã kiểm tra chỉ gồm 4 đến 32 chữ cái và chữ số.", "The check code has 4 to 32 letters and digits."},
		"share.error.too_large":     {"Quá nhiều thông tin cho một mã QR. Vui lòng bỏ bớt.", "Too much information for one QR code. Please choose fewer items."},
		"share.error.not_active":    {"Tài khoản chưa được kích hoạt hoặc đang bị khóa.", "The account is not activated or is locked."},

		"share.credential.title":   {"Mã QR chia sẻ thông tin", "Your sharing QR code"},
		"share.credential.show":    {"Đưa mã này cho người nhận quét.", "Show this code to the recipient to scan."},
		"share.credential.qr_alt":  {"Mã QR chứa thông tin bạn đã chọn", "QR code holding the information you chose"},
		"share.credential.expires": {"Hết hiệu lực lúc %s", "Valid until %s"},
		"share.credential.bound":   {"Chỉ dùng được với mã kiểm tra %s.", "Works only with check code %s."},
		"share.credential.claims":  {"Mã QR chứa", "The QR code holds"},
		"share.credential.text":    {"Dạng văn bản (nếu người nhận không quét được)", "As text (if the recipient cannot scan)"},
		"share.credential.again":   {"Tạo mã khác", "Create another"},

		"share.verify.title":             {"Kiểm tra mã QR định danh", "Check an identity QR code"},
		"share.verify.intro":             {"Quét mã QR của người dân bằng máy ảnh (nếu trình duyệt hỗ trợ) hoặc dán nội dung của mã. Chữ ký được kiểm tra bằng khóa công khai của cổng định danh; ứng dụng kiểm tra ngoại tuyến chỉ cần lưu sẵn các khóa này (/jwks.json).", "Scan the citizen's QR code with the camera (where this browser can) or paste its text. The signature is checked with the gateway's public keys; an offline verifier app only needs a cached copy of them (/jwks.json)."},
		"share.verify.token":             {"Nội dung mã QR", "QR code text"},
		"share.verify.scan":              {"Quét bằng máy ảnh", "Scan with the camera"},
		"share.verify.scan_stop":         {"Tắt máy ảnh", "Stop the camera"},
		"share.verify.scan_done":         {"Đã đọc mã QR. Nhập mã kiểm tra (nếu có) rồi bấm Kiểm tra.", "QR code read. Type your check code (if any), then press Check."},
		"share.verify.scan_error":        {"Không mở được máy ảnh. Hãy dán nội dung mã QR vào ô dưới đây.", "The camera could not be opened. Paste the QR code's text below instead."},
		"share.verify.challenge":         {"Mã kiểm tra bạn đã đưa (nếu có)", "The check code you gave (if any)"},
		"share.verify.suggested":         {"Muốn chắc mã QR được tạo cho bạn, ngay lúc này? Hãy đưa người dân mã %s trước khi họ tạo mã QR, rồi nhập mã đó ở trên.", "Want to be sure the QR code was made for you, right now? Give the citizen the code %s before they create it, then type that code above."},
		"share.verify.submit":            {"Kiểm tra", "Check"},
		"share.verify.valid":             {"Hợp lệ: thông tin dưới đây do cổng định danh điện tử xác nhận.", "Valid: the information below is confirmed by the electronic identity gateway."},
		"share.verify.invalid":           {"Không hợp lệ", "Not valid"},
		"share.verify.issuer":            {"Nơi cấp", "Issued by"},
		"share.verify.issued":            {"Thời điểm tạo", "Created"},
		"share.verify.expires":           {"Hết hiệu lực", "Valid until"},
		"share.verify.level":             {"Mức độ định danh", "Identity level"},
		"share.verify.bound":             {"Mã QR được tạo với mã kiểm tra của bạn.", "The QR code was made with your check code."},
		"share.verify.not_bound":         {"Mã QR không gắn với mã kiểm tra nào: có thể là bản chụp lại trong thời hạn hiệu lực.", "The QR code is not bound to a check code: it could be a copy shown again while still valid."},
		"share.verify.id":                {"Mã số", "Identifier"},
		"share.verify.none":              {"Mã QR không hiển thị thông tin nào.", "The QR code shows no information."},
		"share.verify.error.malformed":   {"Đây không phải là mã QR chia sẻ thông tin định danh.", "This is not an identity sharing QR code."},
		"share.verify.error.unsupported": {"Mã QR dùng định dạng không được hỗ trợ.", "The QR code uses a format that is not supported."},
		"share.verify.error.type":        {"Đây không phải là mã QR chia sẻ thông tin định danh.", "This is not an identity sharing QR code."},
		"share.verify.error.unknown_key": {"Mã QR không do cổng định danh này ký (khóa không xác định).", "The QR code was not signed by this gateway (unknown key)."},
		"share.verify.error.signature":   {"Chữ ký không hợp lệ: mã QR đã bị sửa đổi.", "Invalid signature: the QR code was altered."},
		"share.verify.error.expired":     {"Mã QR đã hết hiệu lực. Đề nghị người dân tạo mã mới.", "The QR code has expired. Ask the citizen to create a new one."},
		"share.verify.error.not_yet":     {"Thời điểm tạo mã QR ở tương lai: kiểm tra đồng hồ của thiết bị.", "The QR code was created in the future: check this device's clock."},
		"share.verify.error.disclosure":  {"Một thông tin trong mã QR đã bị sửa đổi hoặc thêm vào.", "An item in the QR code was altered or added."},
		"share.verify.error.duplicate":   {"Một thông tin xuất hiện hai lần trong mã QR.", "An item appears twice in the QR code."},
		"share.verify.error.nonce":       {"Mã QR không được tạo với mã kiểm tra bạn đã đưa: có thể là bản chụp lại.", "The QR code was not made with the check code you gave: it may be a copy shown again."},
		"share.verify.error.issuer":      {"Mã QR do một nơi khác cấp.", "The QR code was issued by someone else."},
		"share.verify.error.challenge":   {"Mã kiểm tra chỉ gồm 4 đến 32 chữ cái và chữ số.", "The check code has 4 to 32 letters and digits."},

		"history.type.sharing.credential_issued": {"Tạo mã QR chia sẻ thông tin", "Sharing QR code created"},
	})
}
