package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// signedInAt returns the session's sign-in for an account page at path, or
// sends the browser to sign in and come back there. A post must also carry
// the form's CSRF token (403 without it).
func (h *Handler) signedInAt(w http.ResponseWriter, r *http.Request, path string, post bool) (websession.Login, bool) {
	l, ok := webpage.RequireLogin(w, r, h.Sessions, PathLogin, path)
	if ok && post && !webpage.CSRFOK(r, h.CSRF) {
		http.Error(w, "CSRF token missing or invalid", http.StatusForbidden)
		return l, false
	}
	return l, ok
}

// reauthAt signs in again, in lang, and comes back to the account page at
// path: the way to a complete sign-in within accounts.ReauthWindow.
func reauthAt(path string, lang templates.Lang) string {
	return PathLogin + "?" + url.Values{"return_to": {path}, "ui_locales": {string(lang)}}.Encode()
}

// changeRefusal words one error of an account change: its status and message key.
type changeRefusal struct {
	err    error
	status int
	key    string
}

// changeRefusals is the table of an account change's errors, checked in order.
type changeRefusals []changeRefusal

// match maps err to its status and message key; a lockout is worded by
// lockedKey, with its minutes and Retry-After set. ok is false for an
// operational error, which the caller logs and answers with a 500.
func (rs changeRefusals) match(w http.ResponseWriter, err error, lockedKey string) (status int, key string, minutes int, ok bool) {
	if le, isLock := accounts.AsLockout(err); isLock {
		w.Header().Set("Retry-After", retryAfter(le))
		return http.StatusTooManyRequests, lockedKey, le.RetryMinutes(), true
	}
	for _, m := range rs {
		if errors.Is(err, m.err) {
			return m.status, m.key, 0, true
		}
	}
	return 0, "", 0, false
}
