package templates_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/templates"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		ui, accept string
		want       templates.Lang
	}{
		{"", "", templates.VI},
		{"en", "", templates.EN},
		{"en-US vi", "", templates.EN},
		{"fr vi", "en", templates.VI},
		{"fr", "en-GB,en;q=0.9", templates.EN},
		{"", "vi-VN,vi;q=0.9,en;q=0.5", templates.VI},
		{"", "de", templates.VI},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, templates.Negotiate(tc.ui, tc.accept), "ui=%q accept=%q", tc.ui, tc.accept)
	}
}

func TestErrorPageInBothLanguages(t *testing.T) {
	set, err := templates.New()
	require.NoError(t, err)
	for lang, want := range map[templates.Lang]string{templates.VI: "Đã có lỗi xảy ra", templates.EN: "Something went wrong"} {
		rec := httptest.NewRecorder()
		require.NoError(t, set.Error(rec, 400, templates.ErrorPage{Base: templates.Base{Lang: lang, RequestID: "req-123456"}, Message: "error.generic", Code: "invalid_request"}))
		body := rec.Body.String()
		require.Equal(t, 400, rec.Code)
		require.Contains(t, body, want)
		require.Contains(t, body, "req-123456")
		require.True(t, strings.Contains(body, `lang="`+string(lang)+`"`))
	}
}

// TestLogoURL: only https URLs and base64 data: images reach an <img src>,
// and they reach it unaltered (html/template would neutralise a data: URL).
func TestLogoURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://rp.example/logo.png":        "https://rp.example/logo.png",
		"data:image/png;base64,iVBORw0KGgo=": "data:image/png;base64,iVBORw0KGgo=",
		"data:image/svg+xml;base64,PHN2Zy8+": "data:image/svg+xml;base64,PHN2Zy8+",
		"http://rp.example/logo.png":         "",
		"javascript:alert(1)":                "",
		"data:text/html;base64,PHNjcmlwdD4=": "",
		"data:image/png;base64,":             "",
		"":                                   "",
	} {
		if got := string(templates.LogoURL(in)); got != want {
			t.Errorf("LogoURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPluralMessages(t *testing.T) {
	cases := []struct {
		lang templates.Lang
		key  string
		n    any
		want string
	}{
		{templates.EN, "signin.locked_out", 1, "Too many failed attempts. Please try again in 1 minute."},
		{templates.EN, "signin.locked_out", 2, "Too many failed attempts. Please try again in 2 minutes."},
		{templates.EN, "signin.locked_out", 0, "Too many failed attempts. Please try again in 0 minutes."},
		{templates.VI, "signin.locked_out", 1, "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 1 phút."},
		{templates.VI, "signin.locked_out", 15, "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."},
		{templates.EN, "share.verify.undisclosed", 1, "The citizen chose not to show 1 other item in the code."},
		{templates.EN, "share.verify.undisclosed", 3, "The citizen chose not to show 3 other items in the code."},
		{templates.EN, "account.services.count", int64(1), "1 service"},
		{templates.EN, "account.services.count", uint(2), "2 services"},
		{templates.VI, "account.services.count", 2, "2 dịch vụ"},
		// Numbers print as fmt prints them: no grouping of digits.
		{templates.EN, "share.credential.size", 1288, "1288 characters"},
		{templates.VI, "share.credential.size", 12000, "12000 ký tự"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, templates.T(tc.lang, tc.key, tc.n), "%s %s %v", tc.lang, tc.key, tc.n)
	}
}

func TestMessagesThroughCatalogue(t *testing.T) {
	// A missing key shows the key, with or without arguments.
	require.Equal(t, "no.such.key", templates.T(templates.EN, "no.such.key"))
	require.Equal(t, "no.such.key", templates.T(templates.VI, "no.such.key", 3))
	require.False(t, templates.HasMessage("no.such.key"))
	// Plain messages format as before: strings, and integers without
	// grouping (a year, a code).
	require.Equal(t, "Valid until 2026", templates.T(templates.EN, "share.credential.expires", "2026"))
	require.Equal(t, "Enrolled at level 2. Evidence: chip", templates.T(templates.EN, "counter.enrolled", 2, "chip"))
	require.Equal(t, "Hồ sơ từ ứng dụng chờ duyệt: 12345", templates.T(templates.VI, "counter.pending", 12345))
	// An unknown language is Vietnamese.
	require.Equal(t, templates.T(templates.VI, "error.generic"), templates.T("fr", "error.generic"))
	// The caller's arguments are left alone.
	args := []any{3}
	_ = templates.T(templates.EN, "share.ttl", args...)
	require.Equal(t, 3, args[0])
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	require.Panics(t, func() { templates.Register(map[string][2]string{"share.ttl": {"a", "b"}}) })
	require.Panics(t, func() {
		templates.RegisterPlural(map[string]templates.Plural{"error.generic": {VI: templates.Forms{Other: "a"}, EN: templates.Forms{Other: "b"}}})
	})
}
