package gateway

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// requester names the relying party a sign-in answers (accounts/web's
// Handler.Requester): returnTo is where the sign-in goes next, the
// authorization request oidc/web sent the browser from. Only a registered,
// enabled client is named, and only with a redirect_uri it registered (or a
// pushed request, whose redirect_uri was checked when it was pushed), so a
// link made up by someone else cannot borrow a service's name.
func (g *Gateway) requester(ctx context.Context, returnTo string, lang templates.Lang) (name, logo string, ok bool) {
	u, err := url.Parse(returnTo)
	if err != nil || u.Path != oidc.PathAuthorize {
		return "", "", false
	}
	q := u.Query()
	id := q.Get("client_id")
	if id == "" {
		return "", "", false
	}
	c, err := g.Clients.Get(ctx, id)
	if err != nil || !c.Usable() {
		return "", "", false
	}
	if q.Get("request_uri") == "" && !slices.Contains(c.RedirectURIs, q.Get("redirect_uri")) {
		return "", "", false
	}
	return c.DisplayName(string(lang)), c.LogoURL, true
}

// demoLogo is the demo relying party's logo: a small SVG (a public
// building), inline as a data: URL so that `make run` needs nothing else.
var demoLogo = "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">`+
		`<rect width="48" height="48" rx="10" fill="#1a5fb4"/>`+
		`<path d="M24 9 8 17v3h32v-3z" fill="#fff"/>`+
		`<path d="M12 22h4v13h-4zm7 0h4v13h-4zm7 0h4v13h-4zm7 0h4v13h-4zM9 37h30v3H9z" fill="#fff"/>`+
		`<circle cx="24" cy="15" r="2" fill="#ffcc00"/></svg>`))
