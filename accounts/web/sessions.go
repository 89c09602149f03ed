package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	useragent "github.com/medama-io/go-useragent"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the sessions page (issue 11, item 4).
const (
	PathSessions   = "/account/sessions"
	PathSessionEnd = "/account/sessions/end"
	PathSignOutAll = "/account/sessions/end-all"
)

// ServicesFunc lists the relying parties holding tokens or a consent for
// the account, in the page language.
type ServicesFunc func(ctx context.Context, accountID string, lang templates.Lang) ([]templates.SessionsService, error)

// BoundDeviceFunc returns the app device bound to the account, nil when
// none.
type BoundDeviceFunc func(ctx context.Context, accountID string, lang templates.Lang) (*templates.SessionsDevice, error)

func (h *Handler) sessionRoutes(r *mux.Router) {
	r.Handle(PathSessions, httpx.NoStore(http.HandlerFunc(h.showSessions))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathSessionEnd, httpx.NoStore(http.HandlerFunc(h.postEndSession))).Methods(http.MethodPost)
	r.Handle(PathSignOutAll, httpx.NoStore(http.HandlerFunc(h.postSignOutAll))).Methods(http.MethodPost)
}

// EndSignIns is the per-request check of a signed-in browser (mounted
// after sessions are loaded): the sign-in ends when the account was locked
// or its sign-ins were ended after it (accounts.Account.SignInEnded: a
// lock, a new password, "sign out everywhere"), or when this browser
// session was ended from the account page. Cost: the account's row and the
// session's row, each by primary key.
func (h *Handler) EndSignIns(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		l, ok := websession.GetLogin(ctx, h.Sessions)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		a, err := h.Accounts.Get(ctx, l.AccountID)
		ended := errors.Is(err, accounts.ErrNotFound)
		if err == nil {
			ended = a.Status == accounts.Locked || a.SignInEnded(l.AuthTime)
		}
		if err == nil && !ended {
			err = h.Accounts.CheckBrowserSession(ctx, l.AccountID, l.SID, clientOf(r))
			ended = errors.Is(err, accounts.ErrSessionEnded)
		}
		if err != nil && !ended {
			h.logger().ErrorContext(ctx, "check browser sign-in", "error", err, "request_id", httpx.RequestIDFrom(ctx))
			http.Error(w, "temporarily unavailable, request id "+httpx.RequestIDFrom(ctx), http.StatusServiceUnavailable)
			return
		}
		if ended {
			_ = h.Sessions.Destroy(ctx)
			http.Redirect(w, r, PathLogin, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) sessionsSignedIn(w http.ResponseWriter, r *http.Request) (websession.Login, bool) {
	return webpage.RequireLogin(w, r, h.Sessions, PathLogin, PathSessions)
}

func (h *Handler) showSessions(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	l, ok := h.sessionsSignedIn(w, r)
	if !ok {
		return
	}
	notice := ""
	switch r.URL.Query().Get("done") {
	case "ended":
		notice = "sessions.ended"
	case "not_found":
		notice = "sessions.not_found"
	}
	h.renderSessions(w, r, lang, l, http.StatusOK, notice, "")
}

func (h *Handler) renderSessions(w http.ResponseWriter, r *http.Request, lang templates.Lang, l websession.Login, status int, notice, errKey string) {
	ctx := r.Context()
	p := templates.SessionsPage{
		Base: h.base(r, lang), Notice: notice, Error: errKey, ReauthURL: reauthAt(PathSessions, lang),
		CanSignOutAll: h.Accounts.Reauthenticated(accounts.SignedIn{AccountID: l.AccountID, AuthTime: l.AuthTime, Strength: l.Strength}),
	}
	p.Title = "sessions.title"
	list, err := h.Accounts.BrowserSessions(ctx, l.AccountID, l.SID)
	if err != nil {
		h.serverError(w, r, lang, "list browser sessions", err)
		return
	}
	for _, bs := range list {
		p.Browsers = append(p.Browsers, templates.SessionsBrowser{
			SID: bs.SID, Browser: DescribeUserAgent(bs.UserAgent), Address: bs.Address,
			Started: formatWhen(bs.StartedAt, lang), LastSeen: formatWhen(bs.LastSeenAt, lang), Current: bs.SID == l.SID,
		})
	}
	if h.Services != nil {
		if p.Services, err = h.Services(ctx, l.AccountID, lang); err != nil {
			h.serverError(w, r, lang, "list services holding access", err)
			return
		}
	}
	if h.BoundDevice != nil {
		if p.Device, err = h.BoundDevice(ctx, l.AccountID, lang); err != nil {
			h.serverError(w, r, lang, "bound device", err)
			return
		}
	}
	h.render(w, r, h.Templates.Sessions(w, status, p))
}

// postEndSession ends one browser session of the list. Ending this
// browser's own is signing out.
func (h *Handler) postEndSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.sessionsSignedIn(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		http.Error(w, "CSRF token missing or invalid", http.StatusForbidden)
		return
	}
	sid := r.PostFormValue("sid")
	if sid == l.SID {
		h.signOut(w, r)
		return
	}
	err := h.Accounts.EndBrowserSession(ctx, l.AccountID, sid, h.citizen(r, l.AccountID))
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		http.Redirect(w, r, PathSessions+"?done=not_found&ui_locales="+string(lang), http.StatusSeeOther)
		return
	case err != nil:
		h.serverError(w, r, lang, "end browser session", err)
		return
	}
	if h.SignedOut != nil {
		// Relying parties that know this sid hear of it (back-channel logout).
		h.SignedOut(ctx, l.AccountID, sid)
	}
	http.Redirect(w, r, PathSessions+"?done=ended&ui_locales="+string(lang), http.StatusSeeOther)
}

// postSignOutAll signs the account out everywhere
// (accounts.Service.SignOutEverywhere) after a complete sign-in within
// accounts.ReauthWindow; this browser then lands on the sign-in page.
func (h *Handler) postSignOutAll(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.sessionsSignedIn(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		http.Error(w, "CSRF token missing or invalid", http.StatusForbidden)
		return
	}
	by := accounts.SignedIn{AccountID: l.AccountID, AuthTime: l.AuthTime, Strength: l.Strength}
	a, err := h.Accounts.SignOutEverywhere(ctx, by, h.citizen(r, l.AccountID))
	switch {
	case errors.Is(err, accounts.ErrReauthRequired):
		h.renderSessions(w, r, lang, l, http.StatusForbidden, "", "sessions.reauth_required")
		return
	case err != nil && a.ID == "":
		h.serverError(w, r, lang, "sign out everywhere", err)
		return
	case err != nil:
		// Every sign-in ended; ending tokens elsewhere failed and is logged.
		h.logger().ErrorContext(ctx, "sign out everywhere: cascade", "account_id", a.ID, "error", err,
			"request_id", httpx.RequestIDFrom(ctx))
	}
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.serverError(w, r, lang, "destroy session", err)
		return
	}
	http.Redirect(w, r, PathLogin+"?signed_out=all&ui_locales="+string(lang), http.StatusSeeOther)
}

// uaParser is built once: its tries take a moment.
var uaParser = sync.OnceValue(useragent.NewParser)

// DescribeUserAgent is a User-Agent header in short, as a citizen
// recognises a browser: "Chrome 131 · Windows"; "" when it names no
// browser (a script, a bot without one).
func DescribeUserAgent(s string) string {
	if s == "" {
		return ""
	}
	a := uaParser().Parse(s)
	b := string(a.Browser())
	if b == "" {
		return ""
	}
	if v := a.BrowserVersionMajor(); v != "" {
		b += " " + v
	}
	if os := string(a.OS()); os != "" {
		b += " · " + os
	}
	return strings.TrimSpace(b)
}

func formatWhen(t time.Time, l templates.Lang) string {
	if t.IsZero() {
		return ""
	}
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04")
	}
	return webpage.Minute(t)
}
