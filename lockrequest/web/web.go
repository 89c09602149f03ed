package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the pages.
const (
	PathLocks  = "/staff/locks"
	PathNew    = PathLocks + "/new"
	PathUnlock = PathLocks + "/unlock"
	// PathPhone changes a citizen's phone number at the counter.
	PathPhone = PathLocks + "/phone"
	// DefaultSignInPath is the staff console's sign-in page.
	DefaultSignInPath = "/staff/login"
)

// PrincipalFunc returns the signed-in staff member of a request, and false
// when nobody is signed in to the staff console.
type PrincipalFunc func(*http.Request) (staff.Principal, bool)

// Handler serves /staff/locks. Locks, Principal, Templates and CSRF are
// required; mount it on the browser router (sessions, CSRF).
type Handler struct {
	Locks     *lockrequest.Service
	Principal PrincipalFunc
	Templates *templates.Set
	CSRF      *httpx.CSRF
	Logger    *slog.Logger
	// SignInPath is where staff sign in (DefaultSignInPath when empty).
	SignInPath string
}

const idPattern = "{id:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}"

// Routes mounts the pages.
func (h *Handler) Routes(r *mux.Router) {
	page := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(f) }
	r.Handle(PathLocks, page(h.list)).Methods(http.MethodGet)
	r.Handle(PathLocks, page(h.file)).Methods(http.MethodPost)
	r.Handle(PathNew, page(h.showNew)).Methods(http.MethodGet)
	r.Handle(PathUnlock, page(h.showUnlock)).Methods(http.MethodGet)
	r.Handle(PathUnlock, page(h.unlock)).Methods(http.MethodPost)
	r.Handle(PathPhone, page(h.showPhone)).Methods(http.MethodGet)
	r.Handle(PathPhone, page(h.changePhone)).Methods(http.MethodPost)
	r.Handle(PathLocks+"/"+idPattern, page(h.show)).Methods(http.MethodGet)
	r.Handle(PathLocks+"/"+idPattern+"/approve", page(h.approve)).Methods(http.MethodPost)
	r.Handle(PathLocks+"/"+idPattern+"/refuse", page(h.refuse)).Methods(http.MethodPost)
	r.Handle(PathLocks+"/"+idPattern+"/withdraw", page(h.withdraw)).Methods(http.MethodPost)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

// member returns the signed-in staff member, or answers 401 with a link to
// the staff sign-in.
func (h *Handler) member(w http.ResponseWriter, r *http.Request) (staff.Principal, bool) {
	if h.Principal != nil {
		if p, ok := h.Principal(r); ok {
			return p, true
		}
	}
	signin := h.SignInPath
	if signin == "" {
		signin = DefaultSignInPath
	}
	q := url.Values{"return_to": {r.URL.Path}, "ui_locales": {string(lang(r))}}
	h.errorPage(w, r, http.StatusUnauthorized, "locks.error.signin", "", signin+"?"+q.Encode(), "locks.error.signin.link", nil)
	return staff.Principal{}, false
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg, hint, link, linkText string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "staff locks page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	if link == "" {
		link, linkText = PathLocks+"?ui_locales="+string(lang(r)), "error.back"
	}
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: lang(r), RequestID: httpx.RequestIDFrom(ctx)},
		Message: msg, Hint: hint, LinkURL: link, LinkText: linkText,
	})
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusForbidden, "locks.error.forbidden", "locks.error.forbidden.hint", "", "", nil)
}

// fail answers a domain error on a step that has no form to show it on.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, lockrequest.ErrForbidden):
		h.forbidden(w, r)
	case errors.Is(err, lockrequest.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, "locks.error.not_found", "", "", "", nil)
	case errors.Is(err, lockrequest.ErrNotPending):
		h.errorPage(w, r, http.StatusConflict, "locks.error.not_pending", "", "", "", nil)
	case errors.Is(err, lockrequest.ErrInvalid):
		h.errorPage(w, r, http.StatusBadRequest, "locks.error.invalid", "", "", "", nil)
	default:
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", "", "", "", err)
	}
}

func (h *Handler) base(r *http.Request, p staff.Principal) templates.StaffBase {
	ctx := r.Context()
	return templates.StaffBase{
		Base:      templates.Base{Lang: lang(r), CSRFToken: h.CSRF.Token(ctx), RequestID: httpx.RequestIDFrom(ctx)},
		StaffName: p.Name, StaffUnit: p.Unit.Name,
	}
}

func origin(r *http.Request) lockrequest.Origin {
	return lockrequest.Origin{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

func (h *Handler) csrfOK(w http.ResponseWriter, r *http.Request) bool {
	if webpage.CSRFOK(r, h.CSRF) {
		return true
	}
	h.errorPage(w, r, http.StatusForbidden, "error.csrf", "", "", "", nil)
	return false
}

func (h *Handler) render(r *http.Request, err error) {
	if err != nil {
		h.logger().ErrorContext(r.Context(), "render staff locks page", "error", err)
	}
}

// Vietnam time, as every page shows it.
func when(t time.Time) string { return webpage.Minute(t) }

func who(s lockrequest.Staff) string {
	if s.Username == "" {
		return s.Name
	}
	return s.Name + " (" + s.Username + ")"
}

func row(l templates.Lang, req lockrequest.Request) templates.LockRequestRow {
	out := templates.LockRequestRow{
		ID: req.ID, URL: PathLocks + "/" + req.ID + "?ui_locales=" + string(l), PersonalID: req.PersonalID,
		Reason: templates.T(l, "locks.reason."+string(req.Reason)), ReasonCode: string(req.Reason),
		State: templates.T(l, "locks.state."+string(req.State)), StateCode: string(req.State),
		Text: req.Text, FiledBy: who(req.FiledBy), FiledUnit: req.FiledBy.Unit.Name,
		FiledAt: when(req.FiledAt), FiledAtISO: req.FiledAt.UTC().Format(time.RFC3339), Note: req.Note,
	}
	if out.FiledUnit == "" {
		out.FiledUnit = req.FiledBy.Unit.Code
	}
	if req.DecidedBy != nil && req.DecidedAt != nil {
		out.DecidedBy, out.DecidedAt = who(*req.DecidedBy), when(*req.DecidedAt)
	}
	return out
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok {
		return
	}
	sup, off := p.Has(staff.RoleSupervisor), p.Has(staff.RoleOfficer)
	if !sup && !off {
		h.forbidden(w, r)
		return
	}
	l := lang(r)
	page := templates.LockListPage{StaffBase: h.base(r, p), Supervisor: sup, Officer: off}
	if sup {
		rs, err := h.Locks.Pending(r.Context(), p)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, req := range rs {
			page.Pending = append(page.Pending, row(l, req))
		}
	}
	if off {
		rs, err := h.Locks.Filed(r.Context(), p)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, req := range rs {
			page.Filed = append(page.Filed, row(l, req))
		}
	}
	h.render(r, h.Templates.LockList(w, http.StatusOK, page))
}

func (h *Handler) formPage(r *http.Request, p staff.Principal, pid string, reason lockrequest.Reason, text, errKey string) templates.LockFormPage {
	l := lang(r)
	page := templates.LockFormPage{StaffBase: h.base(r, p), PersonalID: pid, Text: text, Error: errKey}
	for _, rs := range lockrequest.Reasons {
		page.Reasons = append(page.Reasons, templates.Option{Value: string(rs), Label: templates.T(l, "locks.reason."+string(rs)), Selected: rs == reason})
	}
	return page
}

func (h *Handler) showNew(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok {
		return
	}
	if !p.Has(staff.RoleOfficer) {
		h.forbidden(w, r)
		return
	}
	h.render(r, h.Templates.LockForm(w, http.StatusOK, h.formPage(r, p, "", lockrequest.ReasonMisuse, "", "")))
}

func personalID(r *http.Request) string {
	return strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
}

func (h *Handler) file(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	in := lockrequest.Filing{PersonalID: personalID(r), Reason: lockrequest.Reason(r.PostFormValue("reason")), Text: r.PostFormValue("text")}
	req, err := h.Locks.File(r.Context(), p, in, origin(r))
	if err != nil {
		status, key := http.StatusBadRequest, "locks.error.invalid"
		switch {
		case errors.Is(err, lockrequest.ErrForbidden):
			h.forbidden(w, r)
			return
		case errors.Is(err, lockrequest.ErrNotFound):
			status, key = http.StatusNotFound, "locks.error.no_account"
		case errors.Is(err, lockrequest.ErrAlreadyPending):
			status, key = http.StatusConflict, "locks.error.already_pending"
		case errors.Is(err, lockrequest.ErrInvalid):
		default:
			h.fail(w, r, err)
			return
		}
		h.render(r, h.Templates.LockForm(w, status, h.formPage(r, p, in.PersonalID, in.Reason, in.Text, key)))
		return
	}
	h.done(w, r, req.ID, "filed")
}

// done sends the browser to the request's page with the step's notice
// (POST, redirect, GET).
func (h *Handler) done(w http.ResponseWriter, r *http.Request, id, what string) {
	q := url.Values{"done": {what}, "ui_locales": {string(lang(r))}}
	http.Redirect(w, r, PathLocks+"/"+id+"?"+q.Encode(), http.StatusSeeOther)
}

var notices = map[string]string{
	"filed": "locks.done.filed", "approved": "locks.done.approved", "refused": "locks.done.refused",
	"withdrawn": "locks.done.withdrawn", "cascade": "locks.done.approved",
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok {
		return
	}
	req, err := h.Locks.Get(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done := r.URL.Query().Get("done")
	page := templates.LockShowPage{
		StaffBase: h.base(r, p), Request: row(lang(r), req),
		CanDecide: lockrequest.MayDecide(p, req), CanWithdraw: lockrequest.MayWithdraw(p, req),
		Notice: notices[done],
	}
	if done == "cascade" {
		page.Warning = "locks.warning.cascade"
	}
	h.render(r, h.Templates.LockShow(w, http.StatusOK, page))
}

func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	id := mux.Vars(r)["id"]
	_, err := h.Locks.Approve(r.Context(), p, id, r.PostFormValue("note"), origin(r))
	if errors.Is(err, lockrequest.ErrLockCascade) {
		h.logger().ErrorContext(r.Context(), "lock request approved, lock cascade failed", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		h.done(w, r, id, "cascade")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, id, "approved")
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	id := mux.Vars(r)["id"]
	if _, err := h.Locks.Refuse(r.Context(), p, id, r.PostFormValue("note"), origin(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, id, "refused")
}

func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	id := mux.Vars(r)["id"]
	if _, err := h.Locks.Withdraw(r.Context(), p, id, origin(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, id, "withdrawn")
}

func (h *Handler) showUnlock(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok {
		return
	}
	if !p.Has(staff.RoleOfficer) {
		h.forbidden(w, r)
		return
	}
	h.render(r, h.Templates.Unlock(w, http.StatusOK, templates.UnlockPage{StaffBase: h.base(r, p)}))
}

func (h *Handler) unlock(w http.ResponseWriter, r *http.Request) {
	p, ok := h.member(w, r)
	if !ok || !h.csrfOK(w, r) {
		return
	}
	page := templates.UnlockPage{StaffBase: h.base(r, p), PersonalID: personalID(r), ReadID: strings.TrimSpace(r.PostFormValue("read_id"))}
	_, err := h.Locks.Unlock(r.Context(), p, page.PersonalID, page.ReadID, origin(r))
	status := http.StatusOK
	switch {
	case err == nil:
		page.Done = true
	case errors.Is(err, lockrequest.ErrForbidden):
		h.forbidden(w, r)
		return
	case errors.Is(err, lockrequest.ErrNotFound):
		status, page.Error = http.StatusNotFound, "locks.error.no_account"
	case errors.Is(err, lockrequest.ErrNotLocked):
		status, page.Error = http.StatusConflict, "locks.error.not_locked"
	case errors.Is(err, lockrequest.ErrNoVerifiedRead):
		h.logger().InfoContext(r.Context(), "unlock refused: chip read not verified", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		status, page.Error = http.StatusUnprocessableEntity, "locks.error.no_read"
	case errors.Is(err, lockrequest.ErrInvalid):
		status, page.Error = http.StatusBadRequest, "locks.error.invalid"
	default:
		h.fail(w, r, err)
		return
	}
	h.render(r, h.Templates.Unlock(w, status, page))
}
