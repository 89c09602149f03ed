package templates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/templates"
)

// TestClaimValue: released values read in the page's language, whether
// they come from attributes.Release or from JSON (a verified credential).
func TestClaimValue(t *testing.T) {
	licence := []map[string]any{{"number": "DL01", "issuer": "Sở GTVT Hà Nội", "expires_on": "2031-12-05", "status": "valid",
		"fields": map[string]string{"class": "B2"}}}
	decoded := []any{map[string]any{"number": "DL01", "status": "expired", "fields": map[string]any{"plate": "29A-123.45"}}}
	deps := []map[string]any{{"name": "Nguyễn Văn Bé", "birthdate": "2018-06-01", "relation": "child"}}
	for _, tc := range []struct {
		claim  string
		v      any
		vi, en string
	}{
		{"birthdate", "1990-05-01", "01/05/1990", "1 May 1990"},
		{"gender", "male", "Nam", "Male"},
		{"gender", "female", "Nữ", "Female"},
		{"nationality", "VN", "Việt Nam", "Viet Nam"},
		{"nationality", "FR", "Pháp", "France"},
		{"nationality", "??", "??", "??"},
		{"phone_number_verified", true, "Đã xác minh", "Verified"},
		{"phone_number_verified", false, "", ""},
		{"address", map[string]any{"formatted": "12 Lý Thường Kiệt, Hà Nội"}, "12 Lý Thường Kiệt, Hà Nội", "12 Lý Thường Kiệt, Hà Nội"},
		{"driving_licence", licence, "DL01 · nơi cấp: Sở GTVT Hà Nội · hết hạn 05/12/2031 · còn hiệu lực · hạng: B2",
			"DL01 · issued by Sở GTVT Hà Nội · expires 5 December 2031 · valid · class: B2"},
		{"vehicle_registration", decoded, "DL01 · hết hiệu lực · biển số: 29A-123.45", "DL01 · expired · plate: 29A-123.45"},
		{"dependents", deps, "Nguyễn Văn Bé (01/06/2018, con)", "Nguyễn Văn Bé (1 June 2018, child)"},
		{"passport", map[string]any{"number": "M12345678", "issuing_country": "KOR", "expiry": "2033-04-01"},
			"M12345678 · Hàn Quốc · hết hạn 01/04/2033", "M12345678 · South Korea · expires 1 April 2033"},
		{"residence_permit", map[string]any{"kind": "temporary_residence_card", "number": "TT01234567", "expiry": "2027-06-30"},
			"Thẻ tạm trú · TT01234567 · hết hạn 30/06/2027", "Temporary residence card · TT01234567 · expires 30 June 2027"},
		{"name", "Nguyễn Văn An", "Nguyễn Văn An", "Nguyễn Văn An"},
		{"unknown", map[string]any{"a": 1}, `{"a":1}`, `{"a":1}`},
	} {
		require.Equal(t, tc.vi, templates.ClaimValue(templates.VI, tc.claim, tc.v), "vi %s %v", tc.claim, tc.v)
		require.Equal(t, tc.en, templates.ClaimValue(templates.EN, tc.claim, tc.v), "en %s %v", tc.claim, tc.v)
	}
}
