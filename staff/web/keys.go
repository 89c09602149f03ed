package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// The operators' page of the ID-token signing keys (issue 17 item 1).
const (
	PathKeys       = "/staff/keys"
	PathKeysRotate = PathKeys + "/rotate"
)

// SigningKeys are the signing keys as the operators' page reads and
// rotates them: the same domain path as `dinhdanh keys` (oidc.Keys),
// which audits a rotation.
type SigningKeys interface {
	States(ctx context.Context) ([]oidc.KeyState, error)
	RotateBy(ctx context.Context, operator string) ([]oidc.KeyState, error)
	SignDelay() time.Duration
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, status int, notice string, added []string) {
	states, err := h.Keys.States(r.Context())
	if err != nil {
		h.serverError(w, r, "list signing keys", err)
		return
	}
	page := templates.StaffKeysPage{StaffBase: h.Base(r), JWKSURL: oidc.PathJWKS, Notice: notice, SignDelay: shortDuration(h.Keys.SignDelay())}
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, s := range states {
		row := templates.StaffKeyRow{KID: s.KID, Alg: s.Alg, State: s.State,
			SignFrom: webpage.Minute(s.SignFrom), SignFromISO: iso(s.SignFrom), Added: slices.Contains(added, s.KID)}
		if s.RetireAt != nil {
			row.Retire, row.RetireISO = webpage.Minute(*s.RetireAt), iso(*s.RetireAt)
		}
		if s.PublishedUntil != nil {
			row.PublishedUntil, row.PublishedUntilISO = webpage.Minute(*s.PublishedUntil), iso(*s.PublishedUntil)
		}
		page.Keys = append(page.Keys, row)
	}
	h.render(r, h.Templates.StaffKeys(w, status, page))
}

func (h *Handler) showKeys(w http.ResponseWriter, r *http.Request) {
	notice := ""
	var added []string
	if r.URL.Query().Get("rotated") == "1" {
		notice = "staff.keys.rotated"
		added = strings.Fields(r.URL.Query().Get("added"))
	}
	h.keysPage(w, r, http.StatusOK, notice, added)
}

// rotateKeys rotates the signing keys for the signed-in operator.
func (h *Handler) rotateKeys(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	added, err := h.Keys.RotateBy(r.Context(), p.Username)
	if err != nil {
		h.serverError(w, r, "rotate signing keys", err)
		return
	}
	kids := make([]string, len(added))
	for i, k := range added {
		kids[i] = k.KID
	}
	q := url.Values{"rotated": {"1"}, "added": {strings.Join(kids, " ")}, "ui_locales": {string(h.Base(r).Lang)}}
	http.Redirect(w, r, PathKeys+"?"+q.Encode(), http.StatusSeeOther)
}

// shortDuration writes 24h0m0s as 24h and 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
