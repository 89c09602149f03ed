package templates

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// ClaimValue formats a released attribute's value (the claim values of
// package attributes, as released or as JSON decodes them) for a person to
// read in lang: dates as Vietnamese or English write them, sex, nationality,
// document status, field names and relationships in words of the page's
// language, the address on one line, documents by number, issuer, expiry,
// status and fields. It is the one formatter of the consent screen, the
// account page, receipts and the sharing pages. Unknown claims print their
// value as text (JSON for structures).
func ClaimValue(l Lang, claim string, v any) string {
	switch claim {
	case "birthdate":
		s, _ := v.(string)
		return FormatDate(l, s)
	case "gender":
		s, _ := v.(string)
		return msgOr(l, "value.gender."+s, s)
	case "nationality":
		s, _ := v.(string)
		return Country(l, s)
	case "phone_number_verified":
		if b, _ := v.(bool); b {
			return T(l, "value.verified")
		}
		return ""
	case "address":
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["formatted"].(string); ok {
				return s
			}
		}
	case "dependents":
		var parts []string
		for _, d := range objects(v) {
			parts = append(parts, dependent(l, d))
		}
		return strings.Join(parts, "; ")
	case "passport", "residence_permit":
		if m, ok := v.(map[string]any); ok {
			return travelDocument(l, claim, m)
		}
	case "driving_licence", "vehicle_registration", "health_insurance", "social_insurance":
		var parts []string
		for _, d := range objects(v) {
			parts = append(parts, document(l, d))
		}
		return strings.Join(parts, "; ")
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case bool:
		if x {
			return T(l, "value.yes")
		}
		return T(l, "value.no")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// FormatDate turns a yyyy-mm-dd date into dd/mm/yyyy (Vietnamese) or
// "2 January 2006" (English); anything else is returned as is.
func FormatDate(l Lang, s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	if l == EN {
		return t.Format("2 January 2006")
	}
	return t.Format("02/01/2006")
}

// Country names an ISO 3166-1 alpha-2 code in lang ("VN": "Việt Nam",
// "Viet Nam"; "FR": "Pháp", "France"); an unknown code is returned as is.
func Country(l Lang, code string) string {
	if k := "value.country." + code; HasMessage(k) {
		return T(l, k)
	}
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	tag := language.Vietnamese
	if l == EN {
		tag = language.English
	}
	if name := display.Regions(tag).Name(r); name != "" {
		return name
	}
	return code
}

func msgOr(l Lang, key, fallback string) string {
	if HasMessage(key) {
		return T(l, key)
	}
	return fallback
}

// objects reads a list of objects as released ([]map[string]any) or as
// decoded from JSON ([]any of map[string]any).
func objects(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func dependent(l Lang, d map[string]any) string {
	str := func(k string) string { s, _ := d[k].(string); return s }
	var inner []string
	if s := str("birthdate"); s != "" {
		inner = append(inner, FormatDate(l, s))
	}
	if s := str("relation"); s != "" {
		inner = append(inner, msgOr(l, "value.relation."+s, s))
	}
	out := str("name")
	if len(inner) > 0 {
		out += " (" + strings.Join(inner, ", ") + ")"
	}
	return strings.TrimSpace(out)
}

// travelDocument is a foreigner's passport ("M12345678 · Hàn Quốc · hết
// hạn 01/04/2033") or residence permit ("Thẻ tạm trú · TT01234567 · hết hạn
// 30/06/2027").
func travelDocument(l Lang, claim string, d map[string]any) string {
	str := func(k string) string { s, _ := d[k].(string); return s }
	var parts []string
	if s := str("kind"); s != "" {
		parts = append(parts, msgOr(l, "value.permit."+s, s))
	}
	parts = append(parts, str("number"))
	if s := str("issuing_country"); s != "" && claim == "passport" {
		parts = append(parts, Country(l, s))
	}
	if s := str("expiry"); s != "" {
		parts = append(parts, T(l, "value.doc.expires", FormatDate(l, s)))
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, " · ")
}

func document(l Lang, d map[string]any) string {
	str := func(k string) string { s, _ := d[k].(string); return s }
	parts := []string{str("number")}
	if s := str("issuer"); s != "" {
		parts = append(parts, T(l, "value.doc.issuer", s))
	}
	if s := str("expires_on"); s != "" {
		parts = append(parts, T(l, "value.doc.expires", FormatDate(l, s)))
	}
	if s := str("status"); s != "" {
		parts = append(parts, msgOr(l, "value.doc.status."+s, s))
	}
	var fields []string
	switch f := d["fields"].(type) {
	case map[string]any:
		for k, v := range f {
			fields = append(fields, fmt.Sprintf("%s: %v", msgOr(l, "value.doc.field."+k, k), v))
		}
	case map[string]string:
		for k, v := range f {
			fields = append(fields, msgOr(l, "value.doc.field."+k, k)+": "+v)
		}
	}
	slices.Sort(fields)
	parts = append(parts, fields...)
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, " · ")
}

func init() {
	Register(map[string][2]string{
		"value.gender.male":                     {"Nam", "Male"},
		"value.gender.female":                   {"Nữ", "Female"},
		"value.country.VN":                      {"Việt Nam", "Viet Nam"},
		"value.verified":                        {"Đã xác minh", "Verified"},
		"value.yes":                             {"Có", "Yes"},
		"value.no":                              {"Không", "No"},
		"value.relation.child":                  {"con", "child"},
		"value.relation.ward":                   {"người được giám hộ", "ward"},
		"value.doc.issuer":                      {"nơi cấp: %s", "issued by %s"},
		"value.doc.expires":                     {"hết hạn %s", "expires %s"},
		"value.doc.status.valid":                {"còn hiệu lực", "valid"},
		"value.doc.status.expired":              {"hết hiệu lực", "expired"},
		"value.doc.status.retired":              {"đã thu hồi", "retired"},
		"value.doc.status.suspended":            {"đang bị đình chỉ", "suspended"},
		"value.doc.status.withdrawn":            {"đã bị thu hồi", "withdrawn"},
		"value.permit.visa":                     {"Thị thực", "Visa"},
		"value.permit.temporary_residence_card": {"Thẻ tạm trú", "Temporary residence card"},
		"value.permit.permanent_residence_card": {"Thẻ thường trú", "Permanent residence card"},
		// Labels of documents' own fields (their keys as the registries name them).
		"value.doc.field.classes":             {"hạng", "classes"},
		"value.doc.field.class":               {"hạng", "class"},
		"value.doc.field.plate":               {"biển số", "plate"},
		"value.doc.field.make":                {"nhãn hiệu", "make"},
		"value.doc.field.model":               {"số loại", "model"},
		"value.doc.field.colour":              {"màu sơn", "colour"},
		"value.doc.field.registered_hospital": {"nơi đăng ký khám chữa bệnh", "registered hospital"},
		"value.doc.field.chassis_number":      {"số khung", "chassis number"},
		"value.doc.field.engine_number":       {"số máy", "engine number"},
	})
}
