package oidc_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
)

func dataURL(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

const pngMagic = "\x89PNG\r\n\x1a\n"

// TestValidLogoURI: a logo is an https URL or a small data: image of the
// type it says it is; anything else is refused with a reason.
func TestValidLogoURI(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`)
	for _, tc := range []struct {
		name, uri string
		wantErr   string // empty: valid
	}{
		{"https", "https://rp.example/logo.png", ""},
		{"png", dataURL("image/png", []byte(pngMagic+"rest")), ""},
		{"svg", dataURL("image/svg+xml", svg), ""},
		{"jpeg", dataURL("image/jpeg", []byte("\xff\xd8\xff\xe0rest")), ""},
		{"http", "http://rp.example/logo.png", "https"},
		{"javascript", "javascript:alert(1)", "https"},
		{"relative", "/logo.png", "https"},
		{"user info", "https://user@rp.example/logo.png", "https"},
		{"quote", `https://rp.example/"onerror=x`, "quotes"},
		{"too long", "https://rp.example/" + strings.Repeat("a", oidc.MaxLogoURLLength), "longer"},
		{"not base64 encoded", "data:image/png," + pngMagic, "data:image/TYPE;base64"},
		{"no data", "data:image/png;base64", "without data"},
		{"html", dataURL("text/html", []byte("<script>alert(1)</script>")), "is not one of"},
		{"bad base64", "data:image/png;base64,!!!!", "base64"},
		{"empty", "data:image/png;base64,", "empty"},
		{"too big", dataURL("image/png", append([]byte(pngMagic), make([]byte, oidc.MaxLogoBytes)...)), "larger"},
		{"type mismatch", dataURL("image/png", svg), "not a image/png"},
		{"svg that is not", dataURL("image/svg+xml", []byte("<html><svg/>")), "not a image/svg+xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := oidc.ValidLogoURI(tc.uri)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestClientLogoValidated: registration refuses a client whose logo is not
// one (the check runs in Validate, for the CLI and the admin API alike).
func TestClientLogoValidated(t *testing.T) {
	c := oidc.Client{ID: "x", Name: oidc.Text{VI: "X"}, RedirectURIs: []string{"https://a.example/cb"}, LogoURL: "http://a.example/logo.png"}
	c.Normalize()
	err := c.Validate()
	require.ErrorIs(t, err, oidc.ErrInvalidClient)
	require.Contains(t, err.Error(), "logo_uri")
	c.LogoURL = dataURL("image/png", []byte(pngMagic+"x"))
	require.NoError(t, c.Validate())
}

// FuzzValidLogoURI: whatever an administrator registers, the check does
// not panic, and what passes is an https URL or a bounded data: image.
func FuzzValidLogoURI(f *testing.F) {
	for _, s := range []string{
		"https://rp.example/logo.png",
		dataURL("image/png", []byte(pngMagic+"x")),
		dataURL("image/svg+xml", []byte("<svg/>")),
		"data:image/gif;base64,R0lGODlhAQABAAAAACw=",
		"data:,", "data:image/png;base64,====", "javascript:alert(1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if oidc.ValidLogoURI(s) != nil {
			return
		}
		switch {
		case strings.HasPrefix(s, "https://"), strings.HasPrefix(strings.ToLower(s), "https://"):
			if len(s) > oidc.MaxLogoURLLength {
				t.Fatalf("a %d-byte URL passed", len(s))
			}
		case strings.HasPrefix(s, "data:image/"):
			if len(s) > 2*oidc.MaxLogoBytes {
				t.Fatalf("a %d-byte data: URL passed", len(s))
			}
		default:
			t.Fatalf("%q passed", s)
		}
	})
}
