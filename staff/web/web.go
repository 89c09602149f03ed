package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths served.
const (
	PathHome      = "/staff"
	PathLogin     = "/staff/login"
	PathVerify    = "/staff/login/verify"
	PathLogout    = "/staff/logout"
	PathMembers   = "/staff/members"
	PathNewMember = "/staff/members/new"
	PathUnits     = "/staff/units"
	PathPassword  = "/staff/password"
	// PathCounter and PathLocks are the officers' pages other packages
	// serve; the home page links to them.
	PathCounter = "/staff/counter"
	PathLocks   = "/staff/locks"
)

// CookieName is the staff session's cookie, apart from the citizens'.
const CookieName = "dinhdanh_staff"

// Session keys (in the staff session only).
const (
	keyPending  = "staff.pending"   // pendingSignIn (JSON)
	keySignIn   = "staff.signin"    // signIn (JSON)
	keyReturnTo = "staff.return_to" // where to go after signing in
)

// pendingTTL bounds the time between the password and the code.
const pendingTTL = 5 * time.Minute

type pendingSignIn struct {
	MemberID string    `json:"member_id"`
	At       time.Time `json:"at"`
	Username string    `json:"username"`
}

type signIn struct {
	MemberID string    `json:"member_id"`
	SID      string    `json:"sid"`
	AuthTime time.Time `json:"auth_time"`
}

// Handler serves the staff console.
type Handler struct {
	Staff     *staff.Service
	Templates *templates.Set
	// Sessions is the staff session manager (cookie CookieName); CSRF runs
	// on it.
	Sessions *scs.SessionManager
	CSRF     *httpx.CSRF
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Policy is the kind policy (the operators' /staff/policy); the page
	// is not served when nil.
	Policy KindPolicy
	// Reconcile is the vehicle-registry reconciliation (the operators'
	// /staff/reconcile); the pages are not served when nil.
	Reconcile Reconciliation
	// Keys are the ID-token signing keys (the operators' /staff/keys);
	// the page is not served when nil.
	Keys SigningKeys
	// Audit is the audit trail (the operators' /staff/audit); the page
	// is not served when nil.
	Audit AuditTrail
	// Links are the home page's sections beyond the members pages, each
	// shown to the roles listed; DefaultLinks when nil.
	Links []Link
}

// Link is a console section on the home page, for members holding any of
// Roles.
type Link struct {
	templates.StaffLink
	Roles []staff.Role
}

// DefaultLinks: the counter for officers, lock requests for officers and
// supervisors; members, units, the kind policy and the vehicle
// reconciliation for operators.
var DefaultLinks = []Link{
	{templates.StaffLink{Path: PathCounter, Label: "staff.link.counter", Hint: "staff.link.counter_hint"}, []staff.Role{staff.RoleOfficer}},
	{templates.StaffLink{Path: PathLocks, Label: "staff.link.locks", Hint: "staff.link.locks_hint"}, []staff.Role{staff.RoleOfficer, staff.RoleSupervisor}},
	{templates.StaffLink{Path: "/staff/guardianship", Label: "staff.link.guardianship", Hint: "staff.link.guardianship_hint"}, []staff.Role{staff.RoleOfficer}},
	{templates.StaffLink{Path: PathMembers, Label: "staff.link.members", Hint: "staff.link.members_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: PathUnits, Label: "staff.link.units", Hint: "staff.link.units_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: PathPolicy, Label: "staff.link.policy", Hint: "staff.link.policy_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: "/staff/clients", Label: "staff.link.clients", Hint: "staff.link.clients_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: PathReconcile, Label: "staff.link.reconcile", Hint: "staff.link.reconcile_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: PathKeys, Label: "staff.link.keys", Hint: "staff.link.keys_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: "/staff/figures", Label: "staff.link.figures", Hint: "staff.link.figures_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: "/staff/organisations", Label: "staff.link.orgs", Hint: "staff.link.orgs_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: PathAudit, Label: "staff.link.audit", Hint: "staff.link.audit_hint"}, []staff.Role{staff.RoleOperator}},
	{templates.StaffLink{Path: "/staff/accounts", Label: "staff.link.accounts", Hint: "staff.link.accounts_hint"}, []staff.Role{staff.RoleOperator}},
}

// NewSessions is the staff session manager on store: its own cookie,
// Strict same-site (the console is never entered from another site's
// link with a session), 8 hours at most and 30 minutes idle.
func NewSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = 8 * time.Hour
	sm.IdleTimeout = 30 * time.Minute
	sm.Cookie.Name = CookieName
	sm.Cookie.Path = PathHome
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteStrictMode
	sm.Cookie.Secure = secure
	return sm
}

type ctxKey struct{}

type reqState struct {
	h          *Handler
	principal  staff.Principal
	ok         bool
	mustChange bool
}

// allowedBeforeNewPassword are the console paths a member whose password
// an operator chose may reach before choosing their own.
func allowedBeforeNewPassword(path string) bool {
	return path == PathPassword || path == PathLogout || strings.HasPrefix(path, PathLogin)
}

// Middleware loads the staff session, checks CSRF on unsafe requests and
// finds the signed-in member (afresh from the store: a disabled member's
// session ends on their next request). Wrap every /staff route in it.
func (h *Handler) Middleware(next http.Handler) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		st := &reqState{h: h}
		if si, ok := getJSON[signIn](ctx, h.Sessions, keySignIn); ok && si.MemberID != "" {
			m, err := h.Staff.SessionMember(ctx, si.MemberID)
			switch {
			case errors.Is(err, staff.ErrUnauthenticated):
				_ = h.Sessions.Destroy(ctx)
			case err != nil:
				h.logger().ErrorContext(ctx, "load staff member", "error", err, "request_id", httpx.RequestIDFrom(ctx))
				http.Error(w, "temporarily unavailable, request id "+httpx.RequestIDFrom(ctx), http.StatusServiceUnavailable)
				return
			case si.AuthTime.Before(m.SessionsValidFrom):
				// Signed in before the credentials were reset or the
				// password changed elsewhere: that sign-in has ended.
				_ = h.Sessions.Destroy(ctx)
			default:
				st.principal, st.ok, st.mustChange = m.Principal(si.SID), true, m.MustChangePassword
			}
		}
		if st.mustChange && !allowedBeforeNewPassword(r.URL.Path) {
			http.Redirect(w, r, PathPassword, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, ctxKey{}, st)))
	})
	return h.Sessions.LoadAndSave(h.CSRF.Middleware(httpx.NoStore(inner)))
}

// Principal returns the signed-in staff member of a request that went
// through Handler.Middleware.
func Principal(r *http.Request) (staff.Principal, bool) {
	st, ok := r.Context().Value(ctxKey{}).(*reqState)
	if !ok || !st.ok {
		return staff.Principal{}, false
	}
	return st.principal, true
}

// Require lets a request through only for a signed-in member holding
// role: others are sent to the sign-in page (303, coming back here after),
// and a member without the role gets a 403 page.
func Require(role staff.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, _ := r.Context().Value(ctxKey{}).(*reqState)
			if st == nil || !st.ok {
				q := url.Values{}
				if r.Method == http.MethodGet && safeReturnTo(r.URL.RequestURI()) {
					q.Set("return_to", r.URL.RequestURI())
				}
				if ui := r.URL.Query().Get("ui_locales"); ui != "" {
					q.Set("ui_locales", ui)
				}
				target := PathLogin
				if len(q) > 0 {
					target += "?" + q.Encode()
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			if !st.principal.Has(role) {
				st.h.forbidden(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Base is the console pages' common data for r (for other console
// packages through the top floor: the bar with the member and sign-out).
func (h *Handler) Base(r *http.Request) templates.StaffBase {
	b := templates.StaffBase{Base: templates.Base{Lang: webpage.Lang(r, ""), CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context())}}
	if p, ok := Principal(r); ok {
		b.StaffName, b.StaffUnit = p.Name, p.Unit.Name
	}
	return b
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.render(r, h.Templates.StaffError(w, http.StatusForbidden, h.Base(r), "staff.forbidden"))
}

// Routes mounts the console on r (a router whose routes run Middleware).
func (h *Handler) Routes(r *mux.Router) {
	r.HandleFunc(PathLogin, h.showLogin).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(PathLogin, h.postLogin).Methods(http.MethodPost)
	r.HandleFunc(PathVerify, h.showVerify).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(PathVerify, h.postVerify).Methods(http.MethodPost)
	r.HandleFunc(PathLogout, h.logout).Methods(http.MethodPost)
	signedIn := func(f http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := Principal(r); !ok {
				Require(staff.RoleOfficer)(f).ServeHTTP(w, r) // redirects to sign in
				return
			}
			f(w, r)
		})
	}
	r.Handle(PathHome, signedIn(h.home)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathHome+"/", http.RedirectHandler(PathHome, http.StatusSeeOther)).Methods(http.MethodGet)
	op := Require(staff.RoleOperator)
	r.Handle(PathMembers, op(http.HandlerFunc(h.members))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathNewMember, op(http.HandlerFunc(h.newMember))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathNewMember, op(http.HandlerFunc(h.createMember))).Methods(http.MethodPost)
	r.Handle(PathMembers+"/{id}", op(http.HandlerFunc(h.member))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathMembers+"/{id}", op(http.HandlerFunc(h.changeMember))).Methods(http.MethodPost)
	h.passkeyRoutes(r, signedIn)
	r.Handle(PathPassword, signedIn(h.showPassword)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathPassword, signedIn(h.changePassword)).Methods(http.MethodPost)
	r.Handle(PathUnits, op(http.HandlerFunc(h.units))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathUnits, op(http.HandlerFunc(h.saveUnit))).Methods(http.MethodPost)
	if h.Policy != nil {
		r.Handle(PathPolicy, op(http.HandlerFunc(h.showPolicy))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(PathPolicy, op(http.HandlerFunc(h.setPolicy))).Methods(http.MethodPost)
	}
	if h.Reconcile != nil {
		r.Handle(PathReconcile, op(http.HandlerFunc(h.showReconcile))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(PathReconcileRun, op(http.HandlerFunc(h.startReconcile))).Methods(http.MethodPost)
		r.Handle(PathReconcileUndo, op(http.HandlerFunc(h.undoReconcile))).Methods(http.MethodPost)
		r.Handle(PathReconcileReport, op(h.reconcileCSV("report", writeReportCSV))).Methods(http.MethodGet, http.MethodHead)
		// GET only: every findings export is audited as sent.
		r.Handle(PathReconcileFindings, op(h.reconcileCSV("findings", Reconciliation.WriteFindingsCSV))).Methods(http.MethodGet)
	}
	if h.Keys != nil {
		r.Handle(PathKeys, op(http.HandlerFunc(h.showKeys))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(PathKeysRotate, op(http.HandlerFunc(h.rotateKeys))).Methods(http.MethodPost)
	}
	if h.Audit != nil {
		r.Handle(PathAudit, op(http.HandlerFunc(h.showAudit))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(PathAuditVerify, op(http.HandlerFunc(h.verifyAudit))).Methods(http.MethodPost)
		r.Handle(PathAuditCheckpoints, op(http.HandlerFunc(h.auditCheckpoints))).Methods(http.MethodGet)
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

func (h *Handler) render(r *http.Request, err error) {
	if err != nil {
		h.logger().ErrorContext(r.Context(), "render staff page", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	ctx := r.Context()
	h.logger().ErrorContext(ctx, msg, "error", err, "request_id", httpx.RequestIDFrom(ctx))
	h.render(r, h.Templates.StaffError(w, http.StatusInternalServerError, h.Base(r), "error.generic"))
}

func (h *Handler) actor(r *http.Request) staff.Actor {
	p, _ := Principal(r)
	return staff.Actor{Principal: p, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

func getJSON[T any](ctx context.Context, sm *scs.SessionManager, key string) (T, bool) {
	var v T
	s := sm.GetString(ctx, key)
	if s == "" {
		return v, false
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return v, false
	}
	return v, true
}

func putJSON(ctx context.Context, sm *scs.SessionManager, key string, v any) {
	b, _ := json.Marshal(v)
	sm.Put(ctx, key, string(b))
}

// safeReturnTo accepts only a path inside the console.
func safeReturnTo(s string) bool {
	if len(s) > 2048 || (s != PathHome && !strings.HasPrefix(s, PathHome+"/") && !strings.HasPrefix(s, PathHome+"?")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && !strings.Contains(u.Path, "..")
}

// ---- sign-in ----

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if rt := r.URL.Query().Get("return_to"); rt != "" && safeReturnTo(rt) {
		h.Sessions.Put(ctx, keyReturnTo, rt)
	}
	if _, ok := Principal(r); ok {
		http.Redirect(w, r, PathHome, http.StatusSeeOther)
		return
	}
	p := templates.StaffSignInPage{StaffBase: h.Base(r), Step: "password"}
	switch {
	case r.URL.Query().Get("signed_out") == "1":
		p.Notice = "staff.signin.signed_out"
	case r.URL.Query().Get("expired") == "1":
		p.Error = "staff.signin.expired"
	}
	h.render(r, h.Templates.StaffSignIn(w, http.StatusOK, p))
}

// refusal maps a sign-in error to a message key and status, or ok=false
// for an operational error.
func refusal(err error) (msg string, retry int, status int, ok bool) {
	var le *staff.LockoutError
	switch {
	case errors.As(err, &le):
		w := le.RetryMinutes()
		return "staff.signin.locked", w, http.StatusTooManyRequests, true
	case errors.Is(err, staff.ErrBadCredentials):
		return "staff.signin.bad", 0, http.StatusUnauthorized, true
	case errors.Is(err, staff.ErrInvalidCode), errors.Is(err, staff.ErrCodeReplayed):
		return "staff.signin.bad_code", 0, http.StatusUnauthorized, true
	case errors.Is(err, staff.ErrDisabled):
		return "staff.signin.disabled", 0, http.StatusForbidden, true
	case errors.Is(err, accounts.ErrBusy):
		return "staff.signin.busy", 0, http.StatusServiceUnavailable, true
	}
	return "", 0, 0, false
}

func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	username := strings.TrimSpace(r.PostFormValue("username"))
	id, err := h.Staff.SignIn(ctx, staff.SignInRequest{Username: username, Password: r.PostFormValue("password"),
		IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)})
	if err != nil {
		msg, retry, status, ok := refusal(err)
		if !ok {
			h.serverError(w, r, "staff sign-in failed", err)
			return
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		p := templates.StaffSignInPage{StaffBase: h.Base(r), Step: "password", Username: username, Error: msg, RetryMinutes: retry}
		h.render(r, h.Templates.StaffSignIn(w, status, p))
		return
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, "renew staff session", err)
		return
	}
	putJSON(ctx, h.Sessions, keyPending, pendingSignIn{MemberID: id, At: h.now(), Username: username})
	http.Redirect(w, r, PathVerify, http.StatusSeeOther)
}

func (h *Handler) pending(r *http.Request) (pendingSignIn, bool) {
	p, ok := getJSON[pendingSignIn](r.Context(), h.Sessions, keyPending)
	if !ok || p.MemberID == "" || h.now().Sub(p.At) > pendingTTL {
		return pendingSignIn{}, false
	}
	return p, true
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) {
	pend, ok := h.pending(r)
	if !ok {
		http.Redirect(w, r, PathLogin+"?expired=1", http.StatusSeeOther)
		return
	}
	page := templates.StaffSignInPage{StaffBase: h.Base(r), Step: "code"}
	has, err := h.Staff.HasPasskeys(r.Context(), pend.MemberID)
	if err != nil {
		h.serverError(w, r, "look up passkeys", err)
		return
	}
	page.Passkey = has
	h.render(r, h.Templates.StaffSignIn(w, http.StatusOK, page))
}

func (h *Handler) postVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pend, ok := h.pending(r)
	if !ok {
		h.Sessions.Remove(ctx, keyPending)
		http.Redirect(w, r, PathLogin+"?expired=1", http.StatusSeeOther)
		return
	}
	sid, err := randomID()
	if err != nil {
		h.serverError(w, r, "staff session id", err)
		return
	}
	p, err := h.Staff.VerifyTOTP(ctx, staff.CodeRequest{MemberID: pend.MemberID, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""),
		Session: sid, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)})
	if err != nil {
		msg, retry, status, ok := refusal(err)
		if !ok {
			h.serverError(w, r, "staff second factor failed", err)
			return
		}
		step := "code"
		if errors.Is(err, staff.ErrDisabled) {
			h.Sessions.Remove(ctx, keyPending)
			step = "password"
		}
		page := templates.StaffSignInPage{StaffBase: h.Base(r), Step: step, Error: msg, RetryMinutes: retry}
		if step == "code" {
			page.Passkey, _ = h.Staff.HasPasskeys(ctx, pend.MemberID)
		}
		h.render(r, h.Templates.StaffSignIn(w, status, page))
		return
	}
	target, err := h.completeSignIn(r, p, sid)
	if err != nil {
		h.serverError(w, r, "renew staff session", err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, ok := Principal(r); ok {
		if err := h.Staff.SignOut(ctx, h.actor(r)); err != nil {
			h.serverError(w, r, "audit staff sign-out", err)
			return
		}
	}
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.serverError(w, r, "end staff session", err)
		return
	}
	http.Redirect(w, r, PathLogin+"?signed_out=1", http.StatusSeeOther)
}

func randomID() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ---- home ----

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	links := h.Links
	if links == nil {
		links = DefaultLinks
	}
	page := templates.StaffHomePage{StaffBase: h.Base(r)}
	for _, role := range p.Roles {
		page.Roles = append(page.Roles, string(role))
	}
	for _, l := range links {
		if slices.ContainsFunc(l.Roles, p.Has) {
			page.Links = append(page.Links, l.StaffLink)
		}
	}
	h.render(r, h.Templates.StaffHome(w, http.StatusOK, page))
}

// ---- members (operators) ----

func row(m staff.Member) templates.StaffMemberRow {
	out := templates.StaffMemberRow{ID: m.ID, Username: m.Username, Name: m.Name, UnitCode: m.Unit.Code, UnitName: m.Unit.Name, Disabled: m.Disabled}
	for _, r := range m.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	return out
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request) {
	list, err := h.Staff.Members(r.Context(), h.actor(r))
	if errors.Is(err, staff.ErrForbidden) {
		h.forbidden(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "list staff members", err)
		return
	}
	page := templates.StaffMembersPage{StaffBase: h.Base(r)}
	if r.URL.Query().Get("saved") == "1" {
		page.Notice = "staff.members.saved"
	}
	for _, m := range list {
		page.Members = append(page.Members, row(m))
	}
	h.render(r, h.Templates.StaffMembers(w, http.StatusOK, page))
}

func (h *Handler) form(r *http.Request, m staff.Member, isNew bool) (templates.StaffMemberFormPage, error) {
	units, err := h.Staff.Units(r.Context())
	if err != nil {
		return templates.StaffMemberFormPage{}, err
	}
	p, _ := Principal(r)
	page := templates.StaffMemberFormPage{StaffBase: h.Base(r), New: isNew, Member: row(m), IsSelf: !isNew && m.ID == p.MemberID,
		FormPath: PathMembers + "/" + m.ID}
	if isNew {
		page.FormPath = PathNewMember
	}
	for _, u := range units {
		page.Units = append(page.Units, templates.StaffUnitOption{Code: u.Code, Name: u.Name, Level: string(u.Level), Selected: u.Code == m.Unit.Code})
	}
	for _, role := range staff.Roles {
		page.Roles = append(page.Roles, templates.StaffRoleOption{Role: string(role), Checked: m.Has(role)})
	}
	return page, nil
}

func (h *Handler) newMember(w http.ResponseWriter, r *http.Request) {
	page, err := h.form(r, staff.Member{}, true)
	if err != nil {
		h.serverError(w, r, "staff member form", err)
		return
	}
	h.render(r, h.Templates.StaffMemberForm(w, http.StatusOK, page))
}

func formRoles(r *http.Request) []staff.Role {
	var out []staff.Role
	for _, v := range r.PostForm["role"] {
		out = append(out, staff.Role(v))
	}
	return out
}

// changeError maps a refused change to a message key and status.
func changeError(err error) (string, int, bool) {
	switch {
	case errors.Is(err, staff.ErrForbidden):
		return "staff.member.forbidden", http.StatusForbidden, true
	case errors.Is(err, staff.ErrAlreadyExists):
		return "staff.member.taken", http.StatusConflict, true
	case errors.Is(err, staff.ErrInvalid):
		return "staff.member.invalid", http.StatusUnprocessableEntity, true
	}
	return "", 0, false
}

func (h *Handler) createMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	n := staff.NewMember{Username: r.PostFormValue("username"), Name: r.PostFormValue("name"),
		UnitCode: r.PostFormValue("unit"), Roles: formRoles(r)}
	m, enr, err := h.Staff.CreateMember(ctx, h.actor(r), n)
	if err != nil {
		msg, status, ok := changeError(err)
		if !ok {
			h.serverError(w, r, "create staff member", err)
			return
		}
		back := staff.Member{Username: n.Username, Name: n.Name, Unit: staff.Unit{Code: n.UnitCode}, Roles: n.Roles}
		page, ferr := h.form(r, back, true)
		if ferr != nil {
			h.serverError(w, r, "staff member form", ferr)
			return
		}
		page.Error = msg
		h.render(r, h.Templates.StaffMemberForm(w, status, page))
		return
	}
	h.enrolment(w, r, m, enr)
}

func (h *Handler) enrolment(w http.ResponseWriter, r *http.Request, m staff.Member, enr staff.Enrolment) {
	page := templates.StaffEnrolmentPage{StaffBase: h.Base(r), Member: row(m), Password: enr.Password, TOTPURI: enr.TOTPURI, TOTPSecret: enr.TOTPSecret}
	if png, err := qrcode.Encode(enr.TOTPURI, qrcode.Medium, 200); err == nil {
		page.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	h.render(r, h.Templates.StaffEnrolment(w, http.StatusOK, page))
}

func (h *Handler) member(w http.ResponseWriter, r *http.Request) {
	m, err := h.Staff.Member(r.Context(), h.actor(r), mux.Vars(r)["id"])
	switch {
	case errors.Is(err, staff.ErrNotFound):
		h.render(r, h.Templates.StaffError(w, http.StatusNotFound, h.Base(r), "error.not_found"))
		return
	case errors.Is(err, staff.ErrForbidden):
		h.forbidden(w, r)
		return
	case err != nil:
		h.serverError(w, r, "load staff member", err)
		return
	}
	page, err := h.form(r, m, false)
	if err != nil {
		h.serverError(w, r, "staff member form", err)
		return
	}
	h.render(r, h.Templates.StaffMemberForm(w, http.StatusOK, page))
}

func (h *Handler) changeMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := mux.Vars(r)["id"]
	var c staff.MemberChange
	switch r.PostFormValue("action") {
	case "disable", "enable":
		v := r.PostFormValue("action") == "disable"
		c.Disabled = &v
	case "reset":
		c.ResetCredentials = true
	default:
		unit := r.PostFormValue("unit")
		c.UnitCode, c.Roles = &unit, formRoles(r)
		if c.Roles == nil {
			c.Roles = []staff.Role{}
		}
	}
	m, enr, err := h.Staff.UpdateMember(ctx, h.actor(r), id, c)
	if err != nil {
		if errors.Is(err, staff.ErrNotFound) {
			h.render(r, h.Templates.StaffError(w, http.StatusNotFound, h.Base(r), "error.not_found"))
			return
		}
		msg, status, ok := changeError(err)
		if !ok {
			h.serverError(w, r, "change staff member", err)
			return
		}
		cur, lerr := h.Staff.Member(ctx, h.actor(r), id)
		if lerr != nil {
			h.serverError(w, r, "load staff member", lerr)
			return
		}
		page, ferr := h.form(r, cur, false)
		if ferr != nil {
			h.serverError(w, r, "staff member form", ferr)
			return
		}
		page.Error = msg
		h.render(r, h.Templates.StaffMemberForm(w, status, page))
		return
	}
	if enr != nil {
		h.enrolment(w, r, m, *enr)
		return
	}
	http.Redirect(w, r, PathMembers+"?saved=1", http.StatusSeeOther)
}

// ---- units (operators) ----

func (h *Handler) unitsPage(w http.ResponseWriter, r *http.Request, status int, page templates.StaffUnitsPage) {
	units, err := h.Staff.Units(r.Context())
	if err != nil {
		h.serverError(w, r, "list units", err)
		return
	}
	page.StaffBase = h.Base(r)
	for _, u := range units {
		page.Units = append(page.Units, templates.StaffUnitOption{Code: u.Code, Name: u.Name, Level: string(u.Level)})
	}
	h.render(r, h.Templates.StaffUnits(w, status, page))
}

func (h *Handler) units(w http.ResponseWriter, r *http.Request) {
	page := templates.StaffUnitsPage{}
	if r.URL.Query().Get("saved") == "1" {
		page.Notice = "staff.units.saved"
	}
	h.unitsPage(w, r, http.StatusOK, page)
}

func (h *Handler) saveUnit(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.PostFormValue("code"))
	u := staff.Unit{Code: code, Name: r.PostFormValue("name"), Level: staff.LevelOf(code)}
	err := h.Staff.PutUnit(r.Context(), h.actor(r), u)
	switch {
	case err == nil:
		http.Redirect(w, r, PathUnits+"?saved=1", http.StatusSeeOther)
	case errors.Is(err, staff.ErrForbidden):
		h.forbidden(w, r)
	case errors.Is(err, staff.ErrInvalid), errors.Is(err, staff.ErrNotFound):
		h.unitsPage(w, r, http.StatusUnprocessableEntity, templates.StaffUnitsPage{Code: code, Name: u.Name, Error: "staff.units.invalid"})
	default:
		h.serverError(w, r, "save unit", err)
	}
}

// ---- own password ----

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request) {
	st, _ := r.Context().Value(ctxKey{}).(*reqState)
	page := templates.StaffPasswordPage{StaffBase: h.Base(r), Forced: st != nil && st.mustChange}
	h.render(r, h.Templates.StaffPassword(w, http.StatusOK, page))
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	st, _ := r.Context().Value(ctxKey{}).(*reqState)
	page := templates.StaffPasswordPage{StaffBase: h.Base(r), Forced: st != nil && st.mustChange}
	next := r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		page.Error = "staff.password.mismatch"
		h.render(r, h.Templates.StaffPassword(w, http.StatusUnprocessableEntity, page))
		return
	}
	err := h.Staff.ChangePassword(r.Context(), h.actor(r), r.PostFormValue("current"), next)
	var le *staff.LockoutError
	switch {
	case err == nil:
		// This sign-in goes on (the others ended): a new session token,
		// and an auth time not before the change.
		if si, ok := getJSON[signIn](r.Context(), h.Sessions, keySignIn); ok {
			if err := h.Sessions.RenewToken(r.Context()); err != nil {
				h.serverError(w, r, "renew staff session", err)
				return
			}
			si.AuthTime = h.now()
			putJSON(r.Context(), h.Sessions, keySignIn, si)
		}
		http.Redirect(w, r, PathHome, http.StatusSeeOther)
	case errors.As(err, &le):
		page.Error, page.RetryMinutes = "staff.signin.locked", le.RetryMinutes()
		h.render(r, h.Templates.StaffPassword(w, http.StatusTooManyRequests, page))
	case errors.Is(err, staff.ErrBadCredentials):
		page.Error = "staff.password.wrong"
		h.render(r, h.Templates.StaffPassword(w, http.StatusUnauthorized, page))
	case errors.Is(err, staff.ErrInvalid):
		page.Error = "staff.password.weak"
		h.render(r, h.Templates.StaffPassword(w, http.StatusUnprocessableEntity, page))
	default:
		h.serverError(w, r, "change staff password", err)
	}
}
