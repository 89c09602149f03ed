// Package web is the counter's console for officers (/staff/counter):
// look up a citizen, see the cards the counter's reader sent (re-verified
// by the gateway), enrol at level 2 with the portrait, a fingerprint
// template and the citizen's consent, and decide the app's submissions.
// Vietnamese first, English with ui_locales. It decodes, calls package
// proofing and renders; the signed-in staff member comes from the top
// floor (Principal), never from a form.
package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the console.
const (
	PathCounter     = "/staff/counter"
	PathSubmissions = "/staff/counter/submissions"
)

// Handler serves the counter console.
type Handler struct {
	Proofing  *proofing.Service
	Templates *templates.Set
	CSRF      *httpx.CSRF
	// Principal is the signed-in staff member, from the staff console's
	// session (given by the top floor).
	Principal func(*http.Request) (staff.Principal, bool)
	// LoginPath is the staff sign-in page.
	LoginPath string
	Logger    *slog.Logger
}

// Routes implements server.Mounter.
func (h *Handler) Routes(r *mux.Router) {
	s := r.PathPrefix(PathCounter).Subrouter()
	s.Use(httpx.NoStore)
	s.HandleFunc("", h.home).Methods(http.MethodGet)
	s.HandleFunc("/reads/{id}", h.read).Methods(http.MethodGet)
	s.HandleFunc("/reads/{id}/enrol", h.enrol).Methods(http.MethodPost)
	s.HandleFunc("/submissions", h.submissions).Methods(http.MethodGet)
	s.HandleFunc("/submissions/{id}", h.decide).Methods(http.MethodPost)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) base(r *http.Request, title string) templates.Base {
	return templates.Base{Lang: webpage.Lang(r, ""), CSRFToken: h.CSRF.Token(r.Context()),
		RequestID: httpx.RequestIDFrom(r.Context()), Title: title}
}

// staffBase is base with the signed-in member for the console's bar.
func (h *Handler) staffBase(r *http.Request, p staff.Principal) templates.StaffBase {
	name, unit := p.Name, p.Unit.Name
	if name == "" {
		name = p.Username
	}
	if unit == "" {
		unit = p.Unit.Code
	}
	return templates.StaffBase{Base: h.base(r, ""), StaffName: name, StaffUnit: unit}
}

// officer returns the signed-in officer, or answers: to the staff sign-in
// when nobody is signed in, 403 without the officer role.
func (h *Handler) officer(w http.ResponseWriter, r *http.Request) (staff.Principal, bool) {
	p, ok := h.Principal(r)
	if !ok {
		login := h.LoginPath
		if login == "" {
			login = "/staff/login"
		}
		q := url.Values{"return_to": {r.URL.RequestURI()}}
		if ui := r.URL.Query().Get("ui_locales"); ui != "" {
			q.Set("ui_locales", ui)
		}
		http.Redirect(w, r, login+"?"+q.Encode(), http.StatusSeeOther)
		return staff.Principal{}, false
	}
	if !p.Has(staff.RoleOfficer) {
		h.errorPage(w, r, http.StatusForbidden, "counter.forbidden")
		return staff.Principal{}, false
	}
	return p, true
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	_ = h.Templates.Error(w, status, templates.ErrorPage{Base: h.base(r, ""), Message: msg,
		LinkURL: PathCounter, LinkText: "counter.title"})
}

// status maps a domain error to an HTTP status and a message key; an
// unexpected error is logged.
func (h *Handler) status(r *http.Request, err error) (int, string) {
	switch {
	case errors.Is(err, proofing.ErrForbidden):
		return http.StatusForbidden, "counter.forbidden"
	case errors.Is(err, proofing.ErrNotFound):
		return http.StatusNotFound, "counter.not_found"
	case errors.Is(err, proofing.ErrInvalid), errors.Is(err, proofing.ErrFMR):
		return http.StatusBadRequest, "counter.invalid"
	case errors.Is(err, proofing.ErrStale):
		return http.StatusConflict, "counter.read.stale"
	case errors.Is(err, proofing.ErrNoAccount):
		return http.StatusConflict, "counter.no_account"
	case errors.Is(err, proofing.ErrChecksFailed), errors.Is(err, accounts.ErrLocked), errors.Is(err, accounts.ErrLevel):
		return http.StatusUnprocessableEntity, "counter.refused"
	}
	h.log().ErrorContext(r.Context(), "counter", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	return http.StatusInternalServerError, "counter.error"
}

func detail(err error) string {
	return strings.NewReplacer("proofing: ", "", "accounts: ", "").Replace(err.Error())
}

func checks(cs []accounts.Check) []templates.CounterCheck {
	out := make([]templates.CounterCheck, len(cs))
	for i, c := range cs {
		out[i] = templates.CounterCheck{Name: c.Name, OK: c.OK, Detail: c.Detail}
	}
	return out
}

func readView(r proofing.ChipRead) templates.CounterRead {
	v := templates.CounterRead{ID: r.ID, PersonalID: r.PersonalID, FullName: r.Person.FullName, Gender: string(r.Person.Gender),
		DocumentNumber: r.DocumentNumber, AccessControl: r.AccessControl, Signer: r.Signer, Checks: checks(r.Checks),
		OK: r.OK(), Used: r.UsedAt != nil, CreatedAt: r.CreatedAt.In(webpage.Vietnam)}
	if !r.Person.BirthDate.IsZero() {
		v.BirthDate = r.Person.BirthDate.Format("02/01/2006")
	}
	if !r.DocumentExpiry.IsZero() {
		v.DocumentExpiry = r.DocumentExpiry.Format("02/01/2006")
	}
	if r.Document == proofing.DocumentPassport {
		v.Passport, v.IssuingState, v.Nationality, v.CSCA = true, r.IssuingState, r.Person.Nationality, r.CSCA
		v.PersonalID = r.PersonalID
		if len(r.Portrait) > 0 && (r.PortraitFormat == "image/jpeg" || r.PortraitFormat == "image/jp2") && r.UsedAt == nil {
			// Safe as a URL: the media type is one of two constants and
			// the rest is base64.
			v.ChipPortrait = template.URL("data:" + r.PortraitFormat + ";base64," + base64.StdEncoding.EncodeToString(r.Portrait)) //nolint:gosec
		}
	}
	return v
}

func evidenceView(e accounts.Evidence) templates.CounterEvidence {
	return templates.CounterEvidence{ID: e.ID, Method: string(e.Method), DocumentNumber: e.DocumentNumber, Signer: e.Signer,
		OfficerID: e.OfficerID, Unit: e.Unit, Source: e.Source, Level: int(e.Level), Checks: checks(e.Checks),
		CreatedAt: e.CreatedAt.In(webpage.Vietnam), Revoked: !e.Valid()}
}

// home: GET /staff/counter[?personal_id=].
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	page := templates.CounterPage{StaffBase: h.staffBase(r, p), Officer: p.Name, Unit: p.Unit.Name}
	if page.Officer == "" {
		page.Officer = p.Username
	}
	if page.Unit == "" {
		page.Unit = p.Unit.Code
	}
	status := http.StatusOK
	if pid := strings.ReplaceAll(strings.TrimSpace(r.URL.Query().Get("personal_id")), " ", ""); pid != "" {
		page.PersonalID = pid
		c, err := h.Proofing.LookUp(ctx, p, pid)
		if err != nil {
			status, page.Error = h.status(r, err)
		} else {
			v := &templates.CounterCitizen{PersonalID: c.Person.PersonalID, FullName: c.Person.FullName,
				BirthDate: c.Person.BirthDate.Format("02/01/2006"), Gender: string(c.Person.Gender)}
			if c.Account != nil {
				v.HasAccount, v.Status, v.Level = true, string(c.Account.Status), int(c.Account.Level)
				for _, e := range c.Evidence {
					v.Evidence = append(v.Evidence, evidenceView(e))
				}
			}
			page.Citizen = v
		}
	}
	reads, err := h.Proofing.RecentReads(ctx, p)
	if err != nil {
		status, page.Error = h.status(r, err)
	}
	for _, rd := range reads {
		page.Reads = append(page.Reads, readView(rd))
	}
	if subs, err := h.Proofing.PendingSubmissions(ctx, p, 200); err == nil {
		page.Pending = len(subs)
	}
	_ = h.Templates.Counter(w, status, page)
}

// read: GET /staff/counter/reads/{id}.
func (h *Handler) read(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	rd, err := h.Proofing.Read(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		status, msg := h.status(r, err)
		h.errorPage(w, r, status, msg)
		return
	}
	_ = h.Templates.CounterRead(w, http.StatusOK, templates.CounterReadPage{StaffBase: h.staffBase(r, p), Read: readView(rd),
		CanEnrol: rd.OK() && rd.UsedAt == nil && rd.ReadBy == p.MemberID})
}

// maxUpload bounds the enrolment form: a 2 MiB portrait and a template.
const maxUpload = 3 << 20

func formFile(r *http.Request, name string) ([]byte, string, error) {
	f, hdr, err := r.FormFile(name)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUpload))
	return b, contentType(hdr, b), err
}

// contentType sniffs an uploaded image (the browser's claim is not
// trusted).
func contentType(_ *multipart.FileHeader, b []byte) string {
	return http.DetectContentType(b)
}

// enrol: POST /staff/counter/reads/{id}/enrol (multipart).
func (h *Handler) enrol(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := mux.Vars(r)["id"]
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil || !webpage.CSRFOK(r, h.CSRF) {
		h.errorPage(w, r, http.StatusBadRequest, "counter.invalid")
		return
	}
	rd, err := h.Proofing.Read(ctx, p, id)
	if err != nil {
		status, msg := h.status(r, err)
		h.errorPage(w, r, status, msg)
		return
	}
	page := templates.CounterReadPage{StaffBase: h.staffBase(r, p), Read: readView(rd)}
	c := proofing.Capture{Consent: r.PostFormValue("consent") == "yes", PortraitCompared: r.PostFormValue("portrait_compared") == "yes"}
	c.FingerPosition, _ = strconv.Atoi(r.PostFormValue("finger"))
	c.Portrait, c.PortraitFormat, _ = formFile(r, "portrait")
	c.Fingerprint, _, _ = formFile(r, "fingerprint")
	_, ev, err := h.Proofing.EnrolLevel2(ctx, p, id, c)
	if err != nil {
		var status int
		status, page.Error = h.status(r, err)
		if errors.Is(err, proofing.ErrChecksFailed) {
			page.Failed = failedNames(err)
		} else {
			page.ErrorDetail = detail(err)
		}
		if rd2, err := h.Proofing.Read(ctx, p, id); err == nil {
			page.Read = readView(rd2)
			page.CanEnrol = rd2.OK() && rd2.UsedAt == nil
		}
		_ = h.Templates.CounterRead(w, status, page)
		return
	}
	v := evidenceView(ev)
	page.Enrolled, page.Read.Used = &v, true
	_ = h.Templates.CounterRead(w, http.StatusOK, page)
}

// failedNames takes the check names from an ErrChecksFailed error
// ("…: name, name").
func failedNames(err error) []string {
	s := err.Error()
	i := strings.LastIndex(s, ": ")
	if i < 0 {
		return nil
	}
	return strings.Split(s[i+2:], ", ")
}

// submissions: GET /staff/counter/submissions.
func (h *Handler) submissions(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	h.renderSubmissions(w, r, p, http.StatusOK, "", nil)
}

func (h *Handler) renderSubmissions(w http.ResponseWriter, r *http.Request, p staff.Principal, status int, notice string, fail error) {
	page := templates.CounterSubmissionsPage{StaffBase: h.staffBase(r, p), Notice: notice}
	if fail != nil {
		status, page.Error = h.status(r, fail)
		page.ErrorDetail = detail(fail)
	}
	subs, err := h.Proofing.PendingSubmissions(r.Context(), p, 50)
	if err != nil {
		status, page.Error = h.status(r, err)
	}
	for _, s := range subs {
		v := templates.CounterSubmission{ID: s.ID, PersonalID: s.PersonalID, Channel: string(s.Channel), Checks: checks(s.Checks),
			CreatedAt: s.CreatedAt.In(webpage.Vietnam)}
		if len(s.Portrait) > 0 && (s.PortraitFormat == "image/jpeg" || s.PortraitFormat == "image/png") {
			// Safe as a URL: the media type is one of two constants and
			// the rest is base64.
			v.Portrait = template.URL("data:" + s.PortraitFormat + ";base64," + base64.StdEncoding.EncodeToString(s.Portrait)) //nolint:gosec

		}
		page.Submissions = append(page.Submissions, v)
	}
	_ = h.Templates.CounterSubmissions(w, status, page)
}

// decide: POST /staff/counter/submissions/{id}.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	p, ok := h.officer(w, r)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.errorPage(w, r, http.StatusForbidden, "counter.invalid")
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	_, err := h.Proofing.DecideSubmission(r.Context(), p, mux.Vars(r)["id"], approve, r.PostFormValue("reason"))
	notice := "counter.subs.refused"
	if approve {
		notice = "counter.subs.approved"
	}
	if err != nil {
		notice = ""
	}
	h.renderSubmissions(w, r, p, http.StatusOK, notice, err)
}
