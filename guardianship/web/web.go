package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the guardian's pages.
const (
	PathDependents = "/account/dependents"
)

const idPattern = "{id:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}"

// historyLimit is how many of a dependent's latest events its page shows.
const historyLimit = 20

// Handler serves the guardian's pages. Guardianship, Templates, Sessions
// and CSRF are required; mount it on the browser router (sessions, CSRF).
type Handler struct {
	Guardianship *guardianship.Service
	Templates    *templates.Set
	Sessions     *scs.SessionManager
	CSRF         *httpx.CSRF
	Logger       *slog.Logger
	// LoginPath is the sign-in page; /login when empty.
	LoginPath string
	// ClientNames names relying parties in the page language (ids without
	// a name are shown as they are); nil shows ids.
	ClientNames func(ctx context.Context, lang templates.Lang, ids []string) map[string]string
}

// Routes mounts the pages.
func (h *Handler) Routes(r *mux.Router) {
	page := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(f) }
	r.Handle(PathDependents, page(h.list)).Methods(http.MethodGet)
	r.Handle(PathDependents, page(h.register)).Methods(http.MethodPost)
	r.Handle(PathDependents+"/"+idPattern, page(h.show)).Methods(http.MethodGet)
	r.Handle(PathDependents+"/"+idPattern+"/revoke", page(h.revoke)).Methods(http.MethodPost)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

func (h *Handler) login(w http.ResponseWriter, r *http.Request) (websession.Login, bool) {
	return webpage.RequireLogin(w, r, h.Sessions, h.LoginPath, r.URL.Path)
}

func (h *Handler) base(r *http.Request, l templates.Lang) templates.Base {
	return templates.Base{Lang: l, CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context()), SignedIn: true}
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, l templates.Lang, status int, msg string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "dependents page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: l, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
		Message: msg, LinkURL: PathDependents + "?ui_locales=" + string(l), LinkText: "dependents.back",
	})
}

func actor(r *http.Request) guardianship.Actor {
	return guardianship.Actor{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

// FormatDate shows a date (Vietnam's calendar day) in the page language.
func formatDate(t time.Time, l templates.Lang) string {
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006")
	}
	return t.In(webpage.Vietnam).Format("02/01/2006")
}

func formatTime(t time.Time, l templates.Lang) string {
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04")
	}
	return t.In(webpage.Vietnam).Format("15:04 02/01/2006")
}

// birthDate shows a date-only value (UTC midnight) as it is.
func birthDate(t time.Time, l templates.Lang) string {
	if l == templates.EN {
		return t.UTC().Format("2 Jan 2006")
	}
	return t.UTC().Format("02/01/2006")
}

func (h *Handler) row(d guardianship.Dependent, l templates.Lang, now time.Time) templates.DependentRow {
	row := templates.DependentRow{
		ID: d.ID, Name: d.FullName, PersonalID: d.PersonalID, BirthDate: birthDate(d.BirthDate, l),
		Relation: templates.T(l, "dependents.relation."+d.Relation), Basis: templates.T(l, "dependents.basis."+d.Basis),
		Active: d.ActiveAt(now), URL: PathDependents + "/" + d.ID + "?ui_locales=" + string(l),
	}
	if d.AuthorityEnds != nil {
		row.Until = formatDate(*d.AuthorityEnds, l)
	}
	if !row.Active {
		end := now
		switch {
		case d.EndedAt != nil:
			end = *d.EndedAt
		case d.AuthorityEnds != nil:
			end = *d.AuthorityEnds
		}
		row.Ended = formatDate(end, l)
		reason := d.EndReason
		if reason == "" {
			reason = guardianship.EndRecordEnded
			if d.Basis == guardianship.BasisRegistry {
				reason = guardianship.EndAge14
			}
		}
		row.EndReason = templates.T(l, "dependents.end."+reason)
	}
	return row
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	notice := ""
	if r.URL.Query().Get("done") == "registered" {
		notice = "dependents.registered"
	}
	h.renderList(w, r, lang(r), login.AccountID, templates.DependentsPage{Notice: notice}, http.StatusOK)
}

func (h *Handler) renderList(w http.ResponseWriter, r *http.Request, l templates.Lang, accountID string, page templates.DependentsPage, status int) {
	deps, err := h.Guardianship.Dependents(r.Context(), accountID)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	now := h.Guardianship.Now()
	page.Base = h.base(r, l)
	for _, d := range deps {
		page.Rows = append(page.Rows, h.row(d, l, now))
	}
	if err := h.Templates.Dependents(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render dependents", "error", err)
	}
}

// refusal maps Register's refusals to a message and status.
func refusal(err error) (string, int) {
	switch {
	case errors.Is(err, guardianship.ErrTooOld):
		return "dependents.error.too_old", http.StatusUnprocessableEntity
	case errors.Is(err, guardianship.ErrGuardianLevel):
		return "dependents.error.level", http.StatusForbidden
	case errors.Is(err, guardianship.ErrNoRelation):
		return "dependents.error.no_relation", http.StatusForbidden
	case errors.Is(err, guardianship.ErrAlreadyRegistered):
		return "dependents.error.registered", http.StatusConflict
	case errors.Is(err, guardianship.ErrHasAccount):
		return "dependents.error.has_account", http.StatusConflict
	case errors.Is(err, guardianship.ErrUnknownPerson):
		return "dependents.error.unknown", http.StatusUnprocessableEntity
	case errors.Is(err, guardianship.ErrInvalid):
		return "dependents.error.invalid", http.StatusBadRequest
	}
	return "", 0
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", nil)
		return
	}
	pid := r.PostFormValue("personal_id")
	_, err := h.Guardianship.Register(r.Context(), login.AccountID, pid, actor(r))
	if err != nil {
		msg, status := refusal(err)
		if msg == "" {
			h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
			return
		}
		h.renderList(w, r, l, login.AccountID, templates.DependentsPage{PersonalID: pid, Error: msg}, status)
		return
	}
	http.Redirect(w, r, PathDependents+"?"+url.Values{"done": {"registered"}, "ui_locales": {string(l)}}.Encode(), http.StatusSeeOther)
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := mux.Vars(r)["id"]
	d, err := h.Guardianship.Authority(ctx, login.AccountID, id)
	if errors.Is(err, guardianship.ErrNoAuthority) {
		h.errorPage(w, r, l, http.StatusForbidden, "dependents.error.no_authority", nil)
		return
	}
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	grants, err := h.Guardianship.Shares(ctx, login.AccountID, id)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	hist, err := h.Guardianship.DependentHistory(ctx, login.AccountID, id, audit.Filter{Limit: historyLimit})
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	var ids []string
	for _, g := range grants {
		ids = append(ids, g.ClientID)
	}
	for _, e := range hist.Entries {
		if e.ClientID != "" {
			ids = append(ids, e.ClientID)
		}
	}
	names := map[string]string{}
	if h.ClientNames != nil && len(ids) > 0 {
		names = h.ClientNames(ctx, l, ids)
	}
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	page := templates.DependentPage{Base: h.base(r, l), Dependent: h.row(d, l, h.Guardianship.Now())}
	if r.URL.Query().Get("done") == "revoked" {
		page.Notice = "dependents.revoked"
	}
	for _, g := range grants {
		s := templates.DependentShare{ClientID: g.ClientID, ClientName: name(g.ClientID), Granted: formatTime(g.GrantedAt, l),
			Revoked: !g.RevokedAt.IsZero()}
		for _, c := range g.Claims {
			s.Claims = append(s.Claims, message(l, "consent.claim."+c, c))
		}
		page.Shares = append(page.Shares, s)
	}
	for _, e := range hist.Entries {
		ev := templates.DependentEvent{Time: formatTime(e.Time, l), Code: string(e.Type),
			Type: message(l, "history.type."+string(e.Type), string(e.Type)), Outcome: message(l, "history.outcome."+string(e.Outcome), string(e.Outcome))}
		if e.ClientID != "" {
			ev.Service = name(e.ClientID)
		}
		page.History = append(page.History, ev)
	}
	if err := h.Templates.Dependent(w, http.StatusOK, page); err != nil {
		h.logger().ErrorContext(ctx, "render dependent", "error", err)
	}
}

func message(l templates.Lang, key, fallback string) string {
	if !templates.HasMessage(key) {
		return fallback
	}
	return templates.T(l, key)
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", nil)
		return
	}
	id := mux.Vars(r)["id"]
	err := h.Guardianship.RevokeShare(r.Context(), login.AccountID, id, r.PostFormValue("client_id"), actor(r))
	switch {
	case errors.Is(err, guardianship.ErrNoAuthority):
		h.errorPage(w, r, l, http.StatusForbidden, "dependents.error.no_authority", nil)
		return
	case errors.Is(err, consent.ErrNotFound):
		h.errorPage(w, r, l, http.StatusNotFound, "error.not_found", nil)
		return
	case err != nil:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	http.Redirect(w, r, PathDependents+"/"+id+"?"+url.Values{"done": {"revoked"}, "ui_locales": {string(l)}}.Encode(), http.StatusSeeOther)
}
