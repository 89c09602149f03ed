// Package webpage holds what the citizen's pages (consent, account, sharing,
// history) do alike before they do their own work: negotiate the page
// language, find the signed-in citizen or send the browser to sign in, and
// re-check a form's CSRF token. It holds no domain rules; only */web
// packages import it.
package webpage

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Vietnam is Indochina Time (UTC+7, no daylight saving), the zone of every
// time shown to people; everything is stored in UTC.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Minute is t as pages show it: Vietnam time, day first, to the minute.
func Minute(t time.Time) string { return t.In(Vietnam).Format("02/01/2006 15:04") }

// Second is Minute to the second (history and audit-like lists).
func Second(t time.Time) string { return t.In(Vietnam).Format("02/01/2006 15:04:05") }

// DefaultLoginPath is the sign-in page when a handler sets none.
const DefaultLoginPath = "/login"

// Lang is the page language: ui_locales from the query (on a POST also from
// the form, which carries the choice on), else fallback (the ui_locales of
// an authorization request), else Accept-Language.
func Lang(r *http.Request, fallback string) templates.Lang {
	ui := r.URL.Query().Get("ui_locales")
	if ui == "" && r.Method == http.MethodPost {
		ui = r.PostFormValue("ui_locales")
	}
	if ui == "" {
		ui = fallback
	}
	return templates.Negotiate(ui, r.Header.Get("Accept-Language"))
}

// RequireLogin returns the session's signed-in citizen or, when there is
// none, sends the browser (303) to loginPath (DefaultLoginPath when empty)
// with return_to and the query's ui_locales, and reports false.
func RequireLogin(w http.ResponseWriter, r *http.Request, sm *scs.SessionManager, loginPath, returnTo string) (websession.Login, bool) {
	if l, ok := websession.GetLogin(r.Context(), sm); ok {
		return l, true
	}
	if loginPath == "" {
		loginPath = DefaultLoginPath
	}
	q := url.Values{"return_to": {returnTo}}
	if ui := r.URL.Query().Get("ui_locales"); ui != "" {
		q.Set("ui_locales", ui)
	}
	http.Redirect(w, r, loginPath+"?"+q.Encode(), http.StatusSeeOther)
	return websession.Login{}, false
}

// CSRFOK re-checks a form's CSRF token (field or header) against the
// session's. The CSRF middleware checks it first; this keeps a handler safe
// if it is ever mounted without the middleware.
func CSRFOK(r *http.Request, c *httpx.CSRF) bool {
	got := r.PostFormValue(httpx.CSRFField)
	if got == "" {
		got = r.Header.Get(httpx.CSRFHeader)
	}
	want := c.Token(r.Context())
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
