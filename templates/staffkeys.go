package templates

import "net/http"

// StaffKeyRow is one ID-token signing key on the operators' page. Times
// are shown in Vietnam's time; the ISO forms go into <time datetime>.
type StaffKeyRow struct {
	KID, Alg string
	// State is next (published, signs from SignFrom), signing or retired.
	State                 string
	SignFrom, SignFromISO string
	// Retire and PublishedUntil are "" while the key has no successor
	// (it stays published as long as it signs).
	Retire, RetireISO                 string
	PublishedUntil, PublishedUntilISO string
	// Added: the rotation just done added this key.
	Added bool
}

// StaffKeysPage is the operators' page of the ID-token signing keys:
// which are published in the JWKS and until when, and rotate (the same
// domain path as `dinhdanh keys rotate`, audited there).
type StaffKeysPage struct {
	StaffBase
	Keys []StaffKeyRow
	// JWKSURL is the published key set; SignDelay how long a new key is
	// published before it signs (keys.activation_delay), as text.
	JWKSURL, SignDelay string
	// Notice is a message key (a rotation done); Error one for a refusal.
	Notice, Error string
}

// StaffKeys renders the signing keys page.
func (s *Set) StaffKeys(w http.ResponseWriter, status int, p StaffKeysPage) error {
	p.Title = "staff.keys.title"
	return s.render(w, status, "staff_keys", p)
}

func init() {
	Register(map[string][2]string{
		"staff.keys.title": {"Khóa ký mã thông báo", "Token signing keys"},
		"staff.keys.intro": {"Các khóa ký mã thông báo định danh (ID token) và mã truy cập JWT. Khóa được công bố trong bộ khóa công khai (JWKS) mà các dịch vụ dùng để kiểm tra chữ ký; khóa đã thay vẫn được công bố cho đến khi không còn mã nào nó ký có thể còn hiệu lực.",
			"The keys that sign ID tokens and JWT access tokens. They are published in the public key set (JWKS) that services check signatures with; a replaced key stays published until no token it signed can still be valid."},
		"staff.keys.jwks":          {"Bộ khóa công khai đang công bố", "The published key set"},
		"staff.keys.col.kid":       {"Mã khóa (kid)", "Key id (kid)"},
		"staff.keys.col.alg":       {"Thuật toán", "Algorithm"},
		"staff.keys.col.state":     {"Trạng thái", "State"},
		"staff.keys.col.sign_from": {"Ký từ", "Signs from"},
		"staff.keys.col.retire":    {"Ngừng ký", "Stops signing"},
		"staff.keys.col.published": {"Công bố đến", "Published until"},
		"staff.keys.state.next":    {"sắp dùng (đã công bố)", "next (published)"},
		"staff.keys.state.signing": {"đang ký", "signing"},
		"staff.keys.state.retired": {"đã thay (vẫn công bố)", "replaced (still published)"},
		"staff.keys.while_signing": {"khi còn ký", "while it signs"},
		"staff.keys.added":         {"mới thêm", "just added"},
		"staff.keys.none":          {"Chưa có khóa nào; cổng tạo khóa khi khởi động lần đầu.", "No keys yet; the gateway creates them on its first start."},
		"staff.keys.rotate":        {"Thay khóa", "Rotate the keys"},
		"staff.keys.rotate_hint":   {"Thêm một khóa ES256 và một khóa RS256 mới: công bố ngay, bắt đầu ký sau %s (keys.activation_delay) để các dịch vụ kịp tải bộ khóa mới. Việc thay khóa được ghi nhật ký.", "Adds a new ES256 and a new RS256 key: published at once, signing after %s (keys.activation_delay) so that services fetch the new key set first. The rotation is audited."},
		"staff.keys.rotate_submit": {"Thay khóa ngay", "Rotate now"},
		"staff.keys.rotated":       {"Đã thêm khóa mới. Các khóa cũ vẫn ký cho đến khi khóa mới bắt đầu ký; mọi máy chủ nhận khóa mới trong vòng một phút.", "New keys added. The old keys sign until the new ones start; every replica picks the new keys up within a minute."},
		"staff.link.keys":          {"Khóa ký", "Signing keys"},
		"staff.link.keys_hint":     {"Khóa ký mã thông báo: khóa nào đang công bố, đến khi nào; thay khóa.", "Token signing keys: which are published and until when; rotate."},
	})
}
