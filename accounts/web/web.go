package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths served.
const (
	PathLogin   = "/login"
	PathVerify  = "/login/verify"
	PathSendSMS = "/login/sms"
	// PathSignOut ends the browser session. (/logout is the OpenID Connect
	// RP-initiated logout endpoint of oidc/web.)
	PathSignOut = "/signout"
	PathDevSMS  = "/dev/sms"
	// DefaultReturnTo is where a sign-in without return_to ends.
	DefaultReturnTo = "/account"
)

// pendingTTL bounds the time between the password and the second factor.
const pendingTTL = 10 * time.Minute

// Handler serves the sign-in pages.
type Handler struct {
	Accounts  *accounts.Service
	Templates *templates.Set
	Sessions  *scs.SessionManager
	CSRF      *httpx.CSRF
	Logger    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// DevMode mounts the SMS inbox at /dev/sms, reading Inbox. Never in
	// production.
	DevMode bool
	Inbox   accounts.DevInbox
	// SignedOut, when set, is told of every sign-out so that relying parties
	// with a back-channel logout URI hear of it (OIDC Back-Channel Logout).
	SignedOut func(ctx context.Context, accountID, sid string)
	// LockAccount, when set, mounts the citizen's own lock page at /lock.
	LockAccount LockFunc
	// Services, when set, lists on the sessions page the relying parties
	// holding tokens or consents for the account.
	Services ServicesFunc
	// BoundDevice, when set, shows the app device bound to the account on
	// the sessions page (device binding fills it).
	BoundDevice BoundDeviceFunc
	// Requester, when set, names the service a sign-in answers: given where
	// the sign-in returns to (an authorization request of a relying party),
	// the service's name in lang and its logo; ok false when returnTo is no
	// such request or names no known, enabled service.
	Requester func(ctx context.Context, returnTo string, lang templates.Lang) (name, logo string, ok bool)
	// Wallet, when set, mounts the citizen's document wallet at
	// PathDocuments.
	Wallet *attributes.Wallet
}

// Routes mounts the pages on r (a router that runs sessions and CSRF).
func (h *Handler) Routes(r *mux.Router) {
	r.Handle(PathLogin, httpx.NoStore(http.HandlerFunc(h.showLogin))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathLogin, httpx.NoStore(http.HandlerFunc(h.postLogin))).Methods(http.MethodPost)
	r.Handle(PathVerify, httpx.NoStore(http.HandlerFunc(h.showVerify))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathVerify, httpx.NoStore(http.HandlerFunc(h.postVerify))).Methods(http.MethodPost)
	r.Handle(PathSendSMS, httpx.NoStore(http.HandlerFunc(h.sendSMS))).Methods(http.MethodPost)
	r.Handle(PathSignOut, httpx.NoStore(http.HandlerFunc(h.signOut))).Methods(http.MethodPost)
	h.passkeyRoutes(r)
	h.registrationRoutes(r)
	h.activationRoutes(r)
	h.recoveryRoutes(r)
	h.sessionRoutes(r)
	h.phoneRoutes(r)
	h.securityRoutes(r)
	h.emailRoutes(r)
	r.Handle(PathPassword, httpx.NoStore(http.HandlerFunc(h.showPassword))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathPassword, httpx.NoStore(http.HandlerFunc(h.postPassword))).Methods(http.MethodPost)
	r.Handle(PathLanguage, httpx.NoStore(http.HandlerFunc(h.postLanguage))).Methods(http.MethodPost)
	if h.LockAccount != nil {
		r.Handle(PathLock, httpx.NoStore(http.HandlerFunc(h.showLock))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(PathLock, httpx.NoStore(http.HandlerFunc(h.postLock))).Methods(http.MethodPost)
	}
	if h.Wallet != nil {
		h.walletRoutes(r)
	}
	if h.DevMode && h.Inbox != nil {
		r.Handle(PathDevSMS, httpx.NoStore(http.HandlerFunc(h.devSMS))).Methods(http.MethodGet)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// lang picks the page language: an explicit ui_locales (query or form)
// wins and is remembered for the rest of the flow; then the language
// remembered; then Accept-Language.
func (h *Handler) lang(r *http.Request) templates.Lang {
	ctx := r.Context()
	ui := r.URL.Query().Get("ui_locales")
	if ui == "" && r.Method == http.MethodPost {
		ui = r.PostFormValue("ui_locales")
	}
	if ui != "" {
		l := templates.Negotiate(ui, r.Header.Get("Accept-Language"))
		if h.Sessions.GetString(ctx, keyLang) != string(l) {
			h.Sessions.Put(ctx, keyLang, string(l))
		}
		return l
	}
	if l := h.Sessions.GetString(ctx, keyLang); l == string(templates.VI) || l == string(templates.EN) {
		return templates.Lang(l)
	}
	return templates.Negotiate("", r.Header.Get("Accept-Language"))
}

// requester is the service the sign-in in progress answers, for the
// sign-in and second-factor pages; nil when none.
func (h *Handler) requester(r *http.Request, lang templates.Lang) *templates.Requester {
	if h.Requester == nil {
		return nil
	}
	rt := h.Sessions.GetString(r.Context(), keyReturnTo)
	if !SafeReturnTo(rt) {
		return nil
	}
	name, logo, ok := h.Requester(r.Context(), rt, lang)
	if !ok || name == "" {
		return nil
	}
	return templates.NewRequester(name, logo)
}

func (h *Handler) base(r *http.Request, lang templates.Lang) templates.Base {
	return templates.Base{Lang: lang, CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context())}
}

// SafeReturnTo reports whether s may be redirected to after sign-in: a
// relative path beginning with exactly one "/" (no scheme, no host, no
// "//" or "/\" that browsers read as another host), without control
// characters or backslashes.
func SafeReturnTo(s string) bool {
	if s == "" || len(s) > 4096 || s[0] != '/' {
		return false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	return true
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, lang templates.Lang, msg string, err error) {
	ctx := r.Context()
	h.logger().ErrorContext(ctx, msg, "error", err, "request_id", httpx.RequestIDFrom(ctx))
	_ = h.Templates.Error(w, http.StatusInternalServerError, templates.ErrorPage{
		Base: h.base(r, lang), Message: "error.generic", LinkURL: PathLogin, LinkText: "error.back",
	})
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.logger().ErrorContext(r.Context(), "render sign-in page", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
}

// ---- step 1: personal id number and password ----

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	if rt := r.URL.Query().Get("return_to"); rt != "" {
		if SafeReturnTo(rt) {
			h.Sessions.Put(ctx, keyReturnTo, rt)
		} else {
			h.logger().WarnContext(ctx, "unsafe return_to ignored", "request_id", httpx.RequestIDFrom(ctx))
			h.Sessions.Remove(ctx, keyReturnTo)
		}
	}
	p := templates.SignInPage{Base: h.base(r, lang), Requester: h.requester(r, lang)}
	switch r.URL.Query().Get("signed_out") {
	case "1":
		p.Notice = "signin.signed_out"
	case "all":
		p.Notice = "signin.signed_out_all"
	}
	if r.URL.Query().Get("expired") == "1" {
		p.Error = "signin.expired"
	}
	h.render(w, r, h.Templates.SignIn(w, http.StatusOK, p))
}

func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	pid := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
	si, err := h.Accounts.SignIn(ctx, accounts.SignInRequest{
		PersonalID: pid, Password: r.PostFormValue("password"), Devices: devices(r),
		IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx),
	})
	page := templates.SignInPage{Base: h.base(r, lang), PersonalID: pid, Requester: h.requester(r, lang)}
	if err != nil {
		ref, ok := passwordRefusal(w, err,
			refusal{status: http.StatusForbidden, msg: "signin.account_locked"},
			refusal{status: http.StatusForbidden, msg: "signin.not_activated"})
		if !ok {
			h.serverError(w, r, lang, "sign-in failed", err)
			return
		}
		page.Error, page.RetryMinutes = ref.msg, ref.retryMinutes
		h.render(w, r, h.Templates.SignIn(w, ref.status, page))
		return
	}
	if len(si.Factors) == 0 {
		page.Error = "signin.no_factor"
		h.render(w, r, h.Templates.SignIn(w, http.StatusForbidden, page))
		return
	}
	// A new privilege level: a new session token (session fixation).
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	putPending(ctx, h.Sessions, pendingSignIn{
		AccountID: si.Account.ID, Level: si.Account.Level, Factors: si.Factors,
		PasswordAt: h.now(), Method: si.Factors[0],
	})
	http.Redirect(w, r, PathVerify, http.StatusSeeOther)
}

// refusal is how a page answers a refused password step: its status and
// message key, with the minutes to wait after a lockout.
type refusal struct {
	status       int
	msg          string
	retryMinutes int
}

// passwordRefusal maps an error of accounts.SignIn to the answer of a page
// that checks a password (sign-in, lock); a lockout also sets Retry-After.
// locked and notActivated answer ErrLocked and ErrNotActivated, which each
// page words its own way. ok is false for an operational error.
func passwordRefusal(w http.ResponseWriter, err error, locked, notActivated refusal) (refusal, bool) {
	if le, ok := accounts.AsLockout(err); ok {
		return lockedOut(w, le), true
	}
	switch {
	case errors.Is(err, accounts.ErrBusy):
		return busy(w), true
	case errors.Is(err, accounts.ErrBadCredentials):
		return refusal{status: http.StatusUnauthorized, msg: "signin.bad_credentials"}, true
	case errors.Is(err, accounts.ErrLocked):
		return locked, true
	case errors.Is(err, accounts.ErrNotActivated):
		return notActivated, true
	}
	return refusal{}, false
}

// lockedOut sets Retry-After and returns the sign-in page's answer to a
// lockout.
func lockedOut(w http.ResponseWriter, le *accounts.LockoutError) refusal {
	w.Header().Set("Retry-After", retryAfter(le))
	ref := refusal{status: http.StatusTooManyRequests, msg: "signin.locked_out", retryMinutes: le.RetryMinutes()}
	switch {
	case le.Scope == accounts.ScopeGlobal || le.Scope == accounts.ScopeWait:
		// The slower path while spraying goes on: not the citizen's fault.
		ref.msg = "signin.slow"
	}
	return ref
}

// busyRetryAfter is the Retry-After of a 503 for full password hashing
// (accounts.ErrBusy): the queue waits about a second, so a few seconds
// later a slot is likely free.
const busyRetryAfter = "3"

// busy sets Retry-After and returns the answer to accounts.ErrBusy: 503
// (RFC 9110 §15.6.4), nothing was checked and nothing counted.
func busy(w http.ResponseWriter) refusal {
	w.Header().Set("Retry-After", busyRetryAfter)
	return refusal{status: http.StatusServiceUnavailable, msg: "signin.busy"}
}

// retryAfter is the Retry-After header value (RFC 9110 §10.2.3): whole
// seconds, rounded up.
func retryAfter(le *accounts.LockoutError) string {
	return strconv.Itoa(max(1, int((le.RetryAfter+time.Second-1)/time.Second)))
}

// ---- step 2: second factor ----

// pending returns the sign-in waiting for a second factor, or sends the
// browser back to the first step.
func (h *Handler) pending(w http.ResponseWriter, r *http.Request) (pendingSignIn, bool) {
	p, ok := getPending(r.Context(), h.Sessions)
	if ok && h.now().Sub(p.PasswordAt) <= pendingTTL {
		return p, true
	}
	h.Sessions.Remove(r.Context(), keyPending)
	http.Redirect(w, r, PathLogin+"?expired=1", http.StatusSeeOther)
	return pendingSignIn{}, false
}

func (h *Handler) factorPage(r *http.Request, lang templates.Lang, p pendingSignIn) templates.SecondFactorPage {
	return templates.SecondFactorPage{
		Base: h.base(r, lang), TOTP: p.has(accounts.FactorTOTP), SMS: p.has(accounts.FactorSMS),
		Passkey: p.has(accounts.FactorPasskey),
		Method:  string(p.Method), SMSSentTo: p.SMSSentTo, Requester: h.requester(r, lang),
	}
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.pending(w, r)
	if !ok {
		return
	}
	if m := accounts.Factor(r.URL.Query().Get("method")); m != "" && p.has(m) && m != p.Method {
		p.Method = m
		putPending(r.Context(), h.Sessions, p)
	}
	h.render(w, r, h.Templates.SecondFactor(w, http.StatusOK, h.factorPage(r, lang, p)))
}

func (h *Handler) sendSMS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pending(w, r)
	if !ok {
		return
	}
	if !p.has(accounts.FactorSMS) {
		http.Redirect(w, r, PathVerify, http.StatusSeeOther)
		return
	}
	p.Method = accounts.FactorSMS
	masked, err := h.Accounts.SendSMSCode(ctx, accounts.SMSRequest{
		AccountID: p.AccountID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx),
	})
	if err != nil {
		le, isLock := accounts.AsLockout(err)
		switch {
		case isLock:
			page := h.factorPage(r, lang, p)
			page.Error, page.RetryMinutes = "signin.factor.sms_limit", le.RetryMinutes()
			w.Header().Set("Retry-After", retryAfter(le))
			putPending(ctx, h.Sessions, p)
			h.render(w, r, h.Templates.SecondFactor(w, http.StatusTooManyRequests, page))
		case h.endedAccount(w, r, lang, err):
		default:
			h.serverError(w, r, lang, "send SMS code", err)
		}
		return
	}
	p.SMSSentTo = masked
	putPending(ctx, h.Sessions, p)
	http.Redirect(w, r, PathVerify, http.StatusSeeOther)
}

// endedAccount handles an account locked (or otherwise unusable) between
// the steps: the pending sign-in ends and the first page says why.
func (h *Handler) endedAccount(w http.ResponseWriter, r *http.Request, lang templates.Lang, err error) bool {
	var key string
	switch {
	case errors.Is(err, accounts.ErrLocked):
		key = "signin.account_locked"
	case errors.Is(err, accounts.ErrNotActivated):
		key = "signin.not_activated"
	case errors.Is(err, accounts.ErrNotFound):
		key = "signin.expired"
	default:
		return false
	}
	h.Sessions.Remove(r.Context(), keyPending)
	h.render(w, r, h.Templates.SignIn(w, http.StatusForbidden, templates.SignInPage{Base: h.base(r, lang), Error: key, Requester: h.requester(r, lang)}))
	return true
}

func (h *Handler) postVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pending(w, r)
	if !ok {
		return
	}
	method := accounts.Factor(r.PostFormValue("method"))
	if !p.has(method) {
		method = p.Method
	}
	if method == accounts.FactorPasskey {
		// A passkey answers through its JSON ceremony, never this form.
		http.Redirect(w, r, PathVerify, http.StatusSeeOther)
		return
	}
	p.Method = method
	acct, err := h.Accounts.VerifySecondFactor(ctx, accounts.SecondFactorRequest{
		AccountID: p.AccountID, Factor: method, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""),
		Devices: devices(r), IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx),
	})
	if err != nil {
		if h.endedAccount(w, r, lang, err) {
			return
		}
		page := h.factorPage(r, lang, p)
		status := http.StatusUnauthorized
		switch le, isLock := accounts.AsLockout(err); {
		case isLock:
			// Locked out: the pending sign-in ends; the password step will
			// say the same until the lock runs out.
			h.Sessions.Remove(ctx, keyPending)
			ref := lockedOut(w, le)
			lp := templates.SignInPage{Base: h.base(r, lang), Error: ref.msg, RetryMinutes: ref.retryMinutes, Requester: h.requester(r, lang)}
			h.render(w, r, h.Templates.SignIn(w, ref.status, lp))
			return
		case errors.Is(err, accounts.ErrInvalidCode):
			page.Error = "signin.factor.bad_code"
		case errors.Is(err, accounts.ErrCodeReplayed):
			page.Error = "signin.factor.replayed"
		case errors.Is(err, accounts.ErrCodeExpired):
			page.Error = "signin.factor.code_expired"
			if method == accounts.FactorSMS {
				p.SMSSentTo = "" // offer to send a new code
				page.SMSSentTo = ""
			}
		case errors.Is(err, accounts.ErrFactorUnavailable):
			status, page.Error = http.StatusBadRequest, "signin.no_factor"
		default:
			h.serverError(w, r, lang, "verify second factor", err)
			return
		}
		putPending(ctx, h.Sessions, p)
		h.render(w, r, h.Templates.SecondFactor(w, status, page))
		return
	}

	to, err := h.completeSignIn(w, r, acct, method)
	if err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// completeSignIn turns the pending sign-in into the signed-in session
// after the second factor f, and returns where to go next.
func (h *Handler) completeSignIn(w http.ResponseWriter, r *http.Request, acct accounts.Account, f accounts.Factor) (string, error) {
	ctx := r.Context()
	if err := h.Sessions.RenewToken(ctx); err != nil {
		return "", err
	}
	// RenewToken keeps the data: the CSRF token of the signed-out session
	// must not carry over into the signed-in one.
	h.CSRF.Renew(ctx)
	if old, ok := websession.GetLogin(ctx, h.Sessions); ok {
		// Signing in again in the same browser replaces its sign-in.
		h.endOwnSession(ctx, old)
	}
	var sidBytes [16]byte
	_, _ = rand.Read(sidBytes[:])
	sid := base64.RawURLEncoding.EncodeToString(sidBytes[:])
	websession.PutLogin(ctx, h.Sessions, websession.Login{
		AccountID: acct.ID, Level: acct.Level, Strength: assurance.Level2,
		AMR: accounts.AMR(f), AuthTime: h.now(), SID: sid,
	})
	if err := h.Accounts.StartBrowserSession(ctx, acct.ID, sid, clientOf(r)); err != nil {
		// The sign-in stands: the per-request check records the session
		// when its row is missing.
		h.logger().ErrorContext(ctx, "record browser session", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	h.Sessions.Remove(ctx, keyPending)
	h.Sessions.Remove(ctx, keyPasskeyLogin)
	h.rememberDevice(w, r, acct.ID)
	to := h.Sessions.PopString(ctx, keyReturnTo)
	if !SafeReturnTo(to) {
		to = DefaultReturnTo
	}
	return to, nil
}

// ---- known devices ----

// deviceCookiePrefix names the known-device cookies, one per account
// signed in from this browser (accounts.DeviceToken).
const deviceCookiePrefix = "dinhdanh_device_"

// devices returns the known-device tokens the browser presented.
func devices(r *http.Request) []string {
	var out []string
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, deviceCookiePrefix) {
			out = append(out, c.Value)
		}
	}
	return out
}

// rememberDevice sets (or renews) the known-device cookie of accountID after
// a complete sign-in: later failures of strangers do not slow this browser
// down (accounts.LockoutPolicy).
func (h *Handler) rememberDevice(w http.ResponseWriter, r *http.Request, accountID string) {
	tok := h.Accounts.DeviceToken(accountID, devices(r))
	id := accounts.DeviceID(tok)
	if len(id) < 12 {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookiePrefix + id[:12], Value: tok, Path: "/",
		MaxAge: int(accounts.DeviceTTL / time.Second), HttpOnly: true,
		Secure: h.Sessions.Cookie.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// ---- sign-out ----

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	if l, ok := websession.GetLogin(ctx, h.Sessions); ok {
		err := h.Accounts.SignedOut(ctx, l.AccountID, accounts.Actor{
			Kind: audit.Citizen, ID: l.AccountID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx),
		})
		if err != nil {
			// Signing out goes ahead: keeping a session open because the
			// audit log is down would be worse.
			h.logger().ErrorContext(ctx, "audit sign-out", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		}
		h.endOwnSession(ctx, l)
		if h.SignedOut != nil {
			h.SignedOut(ctx, l.AccountID, l.SID)
		}
	}
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.serverError(w, r, lang, "destroy session", err)
		return
	}
	http.Redirect(w, r, PathLogin+"?signed_out=1&ui_locales="+string(lang), http.StatusSeeOther)
}

// endOwnSession marks this browser's sign-in l ended in the sessions list.
// The browser's session itself is destroyed or replaced by the caller.
func (h *Handler) endOwnSession(ctx context.Context, l websession.Login) {
	if l.SID == "" {
		return
	}
	if _, err := h.Accounts.EndOwnBrowserSession(ctx, l.AccountID, l.SID); err != nil {
		h.logger().WarnContext(ctx, "end own browser session", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
}

// ---- development SMS inbox ----

func (h *Handler) devSMS(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	var (
		msgs []accounts.DevMessage
		err  error
	)
	if phone := r.URL.Query().Get("phone"); phone != "" {
		msgs, err = h.Inbox.Messages(r.Context(), phone)
	} else {
		msgs, err = h.Inbox.All(r.Context())
	}
	if err != nil {
		h.serverError(w, r, lang, "read dev SMS inbox", err)
		return
	}
	p := templates.DevSMSPage{Base: h.base(r, lang)}
	for _, m := range msgs {
		p.Messages = append(p.Messages, templates.DevSMS{Phone: m.Phone, Body: m.Body, SentAt: m.SentAt.UTC().Format("2006-01-02 15:04:05")})
	}
	h.render(w, r, h.Templates.DevSMS(w, http.StatusOK, p))
}
