package templates

import "net/http"

// StaffPolicyCell is one kind × document scope of the kind policy.
type StaffPolicyCell struct {
	Scope   string
	Allowed bool
}

// StaffPolicyRow is one relying-party kind's row.
type StaffPolicyRow struct {
	Kind  string
	Cells []StaffPolicyCell
}

// StaffPolicyPage shows the kind policy with a toggle per cell
// (operators).
type StaffPolicyPage struct {
	StaffBase
	Scopes []string
	Rows   []StaffPolicyRow
	Notice string
}

// StaffPolicy renders the kind policy page.
func (s *Set) StaffPolicy(w http.ResponseWriter, status int, p StaffPolicyPage) error {
	p.Title = "staff.policy.title"
	return s.render(w, status, "staff_policy", p)
}

func init() {
	Register(map[string][2]string{
		"staff.policy.title":               {"Chính sách giấy tờ theo loại dịch vụ", "Document policy by kind of service"},
		"staff.policy.intro":               {"Loại dịch vụ nào được đọc giấy tờ nào của công dân. Dịch vụ bị từ chối nhận invalid_scope từ yêu cầu tiếp theo.", "Which kind of service may read which of a citizen's documents. A refused service gets invalid_scope from its next request."},
		"staff.policy.kind":                {"Loại dịch vụ", "Kind of service"},
		"staff.policy.allowed":             {"Được phép", "Allowed"},
		"staff.policy.refused":             {"Từ chối", "Refused"},
		"staff.policy.allow":               {"Cho phép", "Allow"},
		"staff.policy.refuse":              {"Từ chối", "Refuse"},
		"staff.policy.saved":               {"Đã lưu chính sách.", "Policy saved."},
		"staff.policy.invalid":             {"Loại dịch vụ hoặc phạm vi không hợp lệ.", "Unknown kind of service or scope."},
		"staff.link.policy":                {"Chính sách giấy tờ", "Document policy"},
		"staff.link.policy_hint":           {"Loại dịch vụ nào được đọc giấy tờ nào.", "Which kind of service may read which documents."},
		"staff.policy.kind.public_service": {"Dịch vụ công", "Public service"},
		"staff.policy.kind.bank":           {"Ngân hàng", "Bank"},
		"staff.policy.kind.insurer":        {"Bảo hiểm", "Insurer"},
		"staff.policy.kind.other":          {"Khác", "Other"},
	})
}
