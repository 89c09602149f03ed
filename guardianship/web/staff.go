package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathRecords is the officers' page of guardianship records.
const PathRecords = "/staff/guardianship"

// DefaultSignInPath is the staff console's sign-in page.
const DefaultSignInPath = "/staff/login"

// recordsShown is how many of the latest records the page lists.
const recordsShown = 50

// StaffHandler serves /staff/guardianship to officers. Guardianship,
// Principal, Templates and CSRF (the staff console's) are required; mount
// it on the staff router.
type StaffHandler struct {
	Guardianship *guardianship.Service
	// Principal returns the signed-in staff member (staffweb.Principal).
	Principal func(*http.Request) (staff.Principal, bool)
	Templates *templates.Set
	CSRF      *httpx.CSRF
	// SignInPath is where staff sign in (DefaultSignInPath when empty).
	SignInPath string
	Logger     *slog.Logger
}

func (h *StaffHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Routes mounts the page.
func (h *StaffHandler) Routes(r *mux.Router) {
	page := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(f) }
	r.Handle(PathRecords, page(h.showRecords)).Methods(http.MethodGet)
	r.Handle(PathRecords, page(h.enter)).Methods(http.MethodPost)
	r.Handle(PathRecords+"/"+idPattern+"/end", page(h.end)).Methods(http.MethodPost)
}

// officer returns the signed-in officer, or answers 401 (not signed in)
// or 403 (no officer role).
func (h *StaffHandler) officer(w http.ResponseWriter, r *http.Request) (staff.Principal, bool) {
	p, ok := staff.Principal{}, false
	if h.Principal != nil {
		p, ok = h.Principal(r)
	}
	l := lang(r)
	switch {
	case !ok:
		signin := h.SignInPath
		if signin == "" {
			signin = DefaultSignInPath
		}
		q := url.Values{"return_to": {r.URL.Path}, "ui_locales": {string(l)}}
		h.staffError(w, r, http.StatusUnauthorized, "guardianship.staff.error.signin", signin+"?"+q.Encode(), nil)
		return p, false
	case !p.Has(staff.RoleOfficer):
		h.staffError(w, r, http.StatusForbidden, "guardianship.staff.error.forbidden", "", nil)
		return p, false
	}
	return p, true
}

func (h *StaffHandler) staffError(w http.ResponseWriter, r *http.Request, status int, msg, link string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "staff guardianship page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	linkText := "error.back"
	if link == "" {
		link = PathRecords + "?ui_locales=" + string(lang(r))
	}
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: lang(r), RequestID: httpx.RequestIDFrom(ctx)},
		Message: msg, LinkURL: link, LinkText: linkText,
	})
}

func by(r *http.Request, p staff.Principal) guardianship.Officer {
	return guardianship.Officer{ID: p.MemberID, Unit: strings.TrimSpace(p.Unit.Code + " " + p.Unit.Name), Session: p.Session,
		IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

func (h *StaffHandler) showRecords(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	page := templates.StaffGuardianshipPage{}
	switch r.URL.Query().Get("done") {
	case "entered":
		page.Notice = "guardianship.staff.entered"
	case "ended":
		page.Notice = "guardianship.staff.ended"
	}
	h.render(w, r, p, page, http.StatusOK)
}

func (h *StaffHandler) render(w http.ResponseWriter, r *http.Request, p staff.Principal, page templates.StaffGuardianshipPage, status int) {
	ctx, l := r.Context(), lang(r)
	recs, err := h.Guardianship.Records(ctx, recordsShown)
	if err != nil {
		h.staffError(w, r, http.StatusInternalServerError, "error.generic", "", err)
		return
	}
	page.StaffBase = templates.StaffBase{
		Base:      templates.Base{Lang: l, CSRFToken: h.CSRF.Token(ctx), RequestID: httpx.RequestIDFrom(ctx)},
		StaffName: p.Name, StaffUnit: p.Unit.Name,
	}
	now := h.Guardianship.Now()
	for _, rec := range recs {
		row := templates.GuardianshipRecordRow{ID: rec.ID, WardID: rec.WardID, GuardianID: rec.GuardianID, Number: rec.Number,
			Starts: formatDate(rec.Starts, l), Officer: rec.OfficerID + " · " + rec.Unit, Entered: formatTime(rec.CreatedAt, l),
			Open: rec.Ends == nil || now.Before(*rec.Ends)}
		if rec.Ends != nil {
			row.Ends = formatDate(*rec.Ends, l)
		}
		page.Records = append(page.Records, row)
	}
	if err := h.Templates.StaffGuardianship(w, status, page); err != nil {
		h.logger().ErrorContext(ctx, "render staff guardianship", "error", err)
	}
}

// parseDay reads a form's date (YYYY-MM-DD) as the start of that day in
// Vietnam.
func parseDay(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), webpage.Vietnam)
}

func (h *StaffHandler) enter(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.staffError(w, r, http.StatusForbidden, "error.csrf", "", nil)
		return
	}
	page := templates.StaffGuardianshipPage{
		WardID: r.PostFormValue("ward_id"), GuardianID: r.PostFormValue("guardian_id"), Number: r.PostFormValue("number"),
		Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends"),
	}
	in := guardianship.RecordInput{WardID: page.WardID, GuardianID: page.GuardianID, Number: page.Number}
	var err error
	if in.Starts, err = parseDay(page.Starts); err != nil {
		page.Error = "guardianship.staff.error.invalid"
		h.render(w, r, p, page, http.StatusBadRequest)
		return
	}
	if strings.TrimSpace(page.Ends) != "" {
		ends, err := parseDay(page.Ends)
		if err != nil {
			page.Error = "guardianship.staff.error.invalid"
			h.render(w, r, p, page, http.StatusBadRequest)
			return
		}
		in.Ends = &ends
	}
	_, err = h.Guardianship.EnterRecord(r.Context(), in, by(r, p))
	switch {
	case errors.Is(err, guardianship.ErrInvalid):
		page.Error = "guardianship.staff.error.invalid"
		h.render(w, r, p, page, http.StatusBadRequest)
		return
	case errors.Is(err, guardianship.ErrUnknownPerson):
		page.Error = "guardianship.staff.error.unknown"
		h.render(w, r, p, page, http.StatusUnprocessableEntity)
		return
	case err != nil:
		h.staffError(w, r, http.StatusInternalServerError, "error.generic", "", err)
		return
	}
	http.Redirect(w, r, PathRecords+"?"+url.Values{"done": {"entered"}, "ui_locales": {string(lang(r))}}.Encode(), http.StatusSeeOther)
}

func (h *StaffHandler) end(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.staffError(w, r, http.StatusForbidden, "error.csrf", "", nil)
		return
	}
	at, err := parseDay(r.PostFormValue("ends"))
	if err != nil {
		h.render(w, r, p, templates.StaffGuardianshipPage{Error: "guardianship.staff.error.invalid"}, http.StatusBadRequest)
		return
	}
	_, err = h.Guardianship.EndRecord(r.Context(), mux.Vars(r)["id"], at, by(r, p))
	switch {
	case errors.Is(err, guardianship.ErrNotFound):
		h.staffError(w, r, http.StatusNotFound, "guardianship.staff.error.not_found", "", nil)
		return
	case errors.Is(err, guardianship.ErrInvalid):
		h.render(w, r, p, templates.StaffGuardianshipPage{Error: "guardianship.staff.error.invalid"}, http.StatusBadRequest)
		return
	case err != nil:
		h.staffError(w, r, http.StatusInternalServerError, "error.generic", "", err)
		return
	}
	http.Redirect(w, r, PathRecords+"?"+url.Values{"done": {"ended"}, "ui_locales": {string(lang(r))}}.Encode(), http.StatusSeeOther)
}
