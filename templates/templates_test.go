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
