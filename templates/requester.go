package templates

import (
	"html/template"
	"strings"
)

// Requester is the service that sent the citizen to sign in (the relying
// party of the pending authorization request), named on the sign-in and
// second-factor pages as Singpass and FranceConnect do.
type Requester struct {
	// Name is the service's name in the page's language.
	Name string
	// Logo is the image's URL, empty when there is none (NewRequester).
	Logo template.URL
}

// logoPrefixes are the URLs a logo may have: the registration checked it
// (oidc.ValidLogoURI); this keeps anything else out of an <img> even so.
var logoPrefixes = []string{
	"https://",
	"data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
	"data:image/webp;base64,", "data:image/svg+xml;base64,",
}

// NewRequester is the requester named name with the logo at logo, which is
// dropped unless it is an https URL or a base64 data: image.
func NewRequester(name, logo string) *Requester {
	return &Requester{Name: name, Logo: LogoURL(logo)}
}

// LogoURL is a relying party's logo as a URL for <img src>: html/template
// would otherwise replace a data: URL by "#ZgotmplZ". Anything but an https
// URL or a base64 data: image gives "" (no image). Pages use it as
// {{with logo .X}}<img src="{{.}}" ...>{{end}}.
func LogoURL(s string) template.URL {
	for _, p := range logoPrefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return template.URL(s) //nolint:gosec // an https or data:image URL, in an <img src> only
		}
	}
	return ""
}

func init() {
	Register(map[string][2]string{
		"signin.requester":      {"%s đề nghị bạn đăng nhập bằng tài khoản định danh điện tử.", "%s asks you to sign in with your electronic identity account."},
		"signin.requester_logo": {"Biểu trưng của %s", "Logo of %s"},
	})
}
