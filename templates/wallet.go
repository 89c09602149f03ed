package templates

import "net/http"

// WalletDocument is one integrated document on the wallet page.
type WalletDocument struct {
	// Kind is the document kind (driving_licence, …), Status its status
	// on today's date (valid, suspended, withdrawn, expired, retired).
	Kind, Number, Status string
}

// WalletPage is the citizen's document wallet (/account/documents): the
// integrated documents, each with a Remove button, and the form that
// integrates one by its number.
type WalletPage struct {
	Base
	Documents []WalletDocument
	// Kinds are the document kinds the form offers.
	Kinds []string
	// Kind and Number are the form's values after a refusal.
	Kind, Number string
	// Error is a message key; RetryMinutes its argument after a lockout.
	Error        string
	RetryMinutes int
	// Done is "integrated" or "removed" after a change.
	Done string
	// Level: the account is below level 2 (no wallet).
	Level bool
}

// Wallet renders the document wallet.
func (s *Set) Wallet(w http.ResponseWriter, status int, p WalletPage) error {
	if p.Title == "" {
		p.Title = "wallet.title"
	}
	return s.render(w, status, "wallet", p)
}

func init() {
	Register(map[string][2]string{
		"wallet.title": {"Giấy tờ tích hợp", "Integrated documents"},
		"wallet.link":  {"Giấy tờ tích hợp", "Integrated documents"},
		"wallet.intro": {"Chỉ các giấy tờ tích hợp dưới đây được chia sẻ với dịch vụ mà bạn đồng ý. Gỡ một giấy tờ thì không dịch vụ nào đọc được nó nữa; cơ quan cấp vẫn giữ giấy tờ.",
			"Only the documents integrated below are shared with the services you allow. Remove one and no service reads it any more; its registry keeps it."},
		"wallet.none":               {"Chưa có giấy tờ nào được tích hợp.", "No document is integrated yet."},
		"wallet.status":             {"Tình trạng: %s", "Status: %s"},
		"wallet.remove":             {"Gỡ", "Remove"},
		"wallet.add":                {"Tích hợp giấy tờ", "Integrate a document"},
		"wallet.kind":               {"Loại giấy tờ", "Kind of document"},
		"wallet.number":             {"Số giấy tờ", "Document number"},
		"wallet.submit":             {"Tích hợp", "Integrate"},
		"wallet.integrated":         {"Đã tích hợp giấy tờ.", "The document was integrated."},
		"wallet.removed":            {"Đã gỡ giấy tờ khỏi thông tin chia sẻ.", "The document was removed from what you share."},
		"wallet.level":              {"Chỉ tài khoản định danh điện tử mức 2 mới tích hợp được giấy tờ.", "Only a level 2 account can integrate documents."},
		"wallet.malformed_number":   {"Số giấy tờ không đúng định dạng của loại giấy tờ này.", "The number does not have this kind of document's format."},
		"wallet.unknown_document":   {"Không tìm thấy giấy tờ mang số này đứng tên bạn. Vui lòng kiểm tra loại và số giấy tờ.", "No document with this number in your name was found. Please check the kind and the number."},
		"wallet.withdrawn":          {"Giấy tờ này đã bị thu hồi nên không tích hợp được.", "This document was withdrawn and cannot be integrated."},
		"wallet.suspended":          {"Giấy tờ này đang bị tạm giữ, đình chỉ nên không tích hợp được.", "This document is suspended and cannot be integrated."},
		"wallet.expired":            {"Giấy tờ này đã hết hạn nên không tích hợp được.", "This document has expired and cannot be integrated."},
		"wallet.retired":            {"Giấy tờ này không còn hiệu lực nên không tích hợp được.", "This document is no longer in force and cannot be integrated."},
		"wallet.already_integrated": {"Giấy tờ này đã được tích hợp.", "This document is already integrated."},
		"wallet.not_integrated":     {"Giấy tờ này không có trong danh sách tích hợp.", "This document is not among your integrated documents."},
		"wallet.throttled":          {"Đã nhập quá nhiều số không đúng. Vui lòng thử lại sau %d phút.", "Too many numbers that matched nothing. Please try again in %d minutes."},
	})
}
