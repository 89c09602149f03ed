package oidc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Limits of a client's logo_uri. A logo is shown on the sign-in, second
// factor and consent pages and the citizen's account page, so it must be
// something an <img> element can show under the pages'
// Content-Security-Policy (img-src 'self' data: https:) and nothing more.
const (
	// MaxLogoURLLength bounds an https logo URL.
	MaxLogoURLLength = 2048
	// MaxLogoBytes bounds the image of a data: logo, decoded: it is sent
	// inline with every page that shows it.
	MaxLogoBytes = 16 << 10
)

// logoTypes are the media types a data: logo may have, with how the
// image's first bytes look.
var logoTypes = map[string]func([]byte) bool{
	"image/png":  func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
	"image/jpeg": func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) },
	"image/gif": func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	},
	"image/webp": func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" },
	// An SVG in an <img> runs no script and loads nothing.
	"image/svg+xml": func(b []byte) bool {
		s := strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff"))
		return (strings.HasPrefix(s, "<svg") || strings.HasPrefix(s, "<?xml")) && strings.Contains(s, "<svg")
	},
}

// ValidLogoURI checks a client's logo_uri: an https URL of at most
// MaxLogoURLLength bytes, or a base64 data: URL of a PNG, JPEG, GIF, WebP
// or SVG image of at most MaxLogoBytes whose bytes are of the type it
// declares.
func ValidLogoURI(s string) error {
	if strings.HasPrefix(s, "data:") {
		return validDataLogo(s)
	}
	if len(s) > MaxLogoURLLength {
		return fmt.Errorf("logo_uri is longer than %d bytes", MaxLogoURLLength)
	}
	if strings.ContainsAny(s, " \t\r\n\"'<>\\") {
		return errors.New("logo_uri has spaces, quotes, angle brackets or backslashes")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return errors.New("logo_uri must be an https URL or a data:image/...;base64 URL")
	}
	return nil
}

func validDataLogo(s string) error {
	meta, data, ok := strings.Cut(strings.TrimPrefix(s, "data:"), ",")
	if !ok {
		return errors.New("logo_uri: a data: URL without data")
	}
	mediaType, enc, ok := strings.Cut(meta, ";")
	if !ok || enc != "base64" {
		return errors.New("logo_uri: a data: logo must be data:image/TYPE;base64,...")
	}
	sniff, known := logoTypes[strings.ToLower(mediaType)]
	if !known {
		return fmt.Errorf("logo_uri: %q is not one of image/png, image/jpeg, image/gif, image/webp, image/svg+xml", mediaType)
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxLogoBytes+2 {
		return fmt.Errorf("logo_uri: the image is larger than %d bytes", MaxLogoBytes)
	}
	img, err := base64.StdEncoding.Strict().DecodeString(data)
	if err != nil {
		return errors.New("logo_uri: the data is not standard base64")
	}
	if len(img) == 0 || len(img) > MaxLogoBytes {
		return fmt.Errorf("logo_uri: the image is empty or larger than %d bytes", MaxLogoBytes)
	}
	if !sniff(img) {
		return fmt.Errorf("logo_uri: the data is not a %s image", mediaType)
	}
	return nil
}
