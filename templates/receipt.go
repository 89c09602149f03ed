package templates

import (
	"html/template"
	"net/http"
)

// ReceiptPage is a consent receipt a citizen can read and print: who
// consented to which service reading what, when, and the signed receipt
// (a JWT) attached for machines.
type ReceiptPage struct {
	Base
	// ClientName is in the page language; ClientID as registered.
	ClientName, ClientID string
	// Subject is how the receipt names the citizen (the identifier the
	// service knows), Issuer the gateway.
	Subject, Issuer string
	// Claims and Permissions are message keys, in display order.
	Claims      []string
	Permissions []string
	// Purpose is in the page language, with its version.
	Purpose, PurposeVersion string
	// GrantedAt, ExpiresAt, RevokedAt (empty if none) and IssuedAt are
	// formatted in the page language; Status is a message key.
	GrantedAt, ExpiresAt, RevokedAt, IssuedAt string
	Status                                    string
	ReceiptID                                 string
	// JWT is the signed receipt; JWTData the same as a data: URL for the
	// download link, FileName its name; RawURL fetches a fresh signed file.
	JWT      string
	JWTData  template.URL
	FileName string
	RawURL   string
}

// Receipt renders a consent receipt.
func (s *Set) Receipt(w http.ResponseWriter, status int, p ReceiptPage) error {
	if p.Title == "" {
		p.Title = "receipt.title"
	}
	return s.render(w, status, "receipt", p)
}

func init() {
	Register(map[string][2]string{
		"receipt.title":        {"Biên nhận đồng ý chia sẻ thông tin", "Consent receipt"},
		"receipt.intro":        {"Biên nhận này ghi lại việc bạn đồng ý cho một dịch vụ đọc thông tin định danh của bạn. Bạn có thể in hoặc lưu trang này.", "This receipt records that you allowed a service to read your identity information. You can print or save this page."},
		"receipt.who":          {"Người đồng ý", "Who consented"},
		"receipt.who_value":    {"Bạn, với mã định danh mà dịch vụ biết: %s", "You, by the identifier the service knows: %s"},
		"receipt.service":      {"Dịch vụ", "Service"},
		"receipt.claims":       {"Thông tin được đọc", "Information it may read"},
		"receipt.permissions":  {"Quyền", "Permissions"},
		"receipt.purpose":      {"Mục đích", "Purpose"},
		"receipt.version":      {"phiên bản %s", "version %s"},
		"receipt.granted":      {"Đồng ý lúc", "Consented on"},
		"receipt.expires":      {"Hết hạn", "Expires"},
		"receipt.revoked":      {"Rút lại lúc", "Withdrawn on"},
		"receipt.status":       {"Trạng thái", "Status"},
		"receipt.issued":       {"Biên nhận lập lúc", "Receipt made on"},
		"receipt.issuer":       {"Nơi lập", "Issued by"},
		"receipt.id":           {"Số biên nhận", "Receipt number"},
		"receipt.signed":       {"Bản có chữ ký số", "Signed copy"},
		"receipt.signed_hint":  {"Tệp .jwt dưới đây là biên nhận có chữ ký số của cổng định danh; máy tính kiểm tra được bằng khóa công khai (/jwks.json).", "The .jwt file below is the receipt signed by the identity gateway; a computer can check it with the public keys (/jwks.json)."},
		"receipt.download":     {"Tải tệp biên nhận có chữ ký (.jwt)", "Download the signed receipt (.jwt)"},
		"receipt.show_jwt":     {"Xem nội dung tệp có chữ ký", "Show the signed file's text"},
		"receipt.machines":     {"Cho phần mềm: tệp có chữ ký mới tại", "For software: a freshly signed file at"},
		"receipt.print":        {"Để in, dùng chức năng In của trình duyệt.", "To print, use your browser's Print command."},
		"receipt.back":         {"Về trang tài khoản", "Back to your account"},
		"account.view_receipt": {"Xem biên nhận đồng ý", "View consent receipt"},
	})
}
