// Package web serves the operators' pages of organisations and their staff
// lists under /staff/organisations (package orgs): the list with the form
// to add one, and one organisation's page where an operator uploads its
// staff list and sees the three groups. It runs in the staff console
// (its session and CSRF token); the top floor hands it the signed-in member
// as a function, never this package importing staff/web.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/orgs"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the pages.
const (
	PathOrgs = "/staff/organisations"
	// DefaultSignInPath is the staff console's sign-in page.
	DefaultSignInPath = "/staff/login"
	codePattern       = "{code:[0-9]+(?:-[0-9]+)?}"
	staffSuffix       = "/staff"
)

// PrincipalFunc returns the signed-in staff member of a request, and false
// when nobody is signed in to the staff console.
type PrincipalFunc func(*http.Request) (staff.Principal, bool)

// Handler serves /staff/organisations. Orgs, Principal, Templates and CSRF
// are required; mount it on the staff console's router.
type Handler struct {
	Orgs       *orgs.Service
	Principal  PrincipalFunc
	Templates  *templates.Set
	CSRF       *httpx.CSRF
	Logger     *slog.Logger
	SignInPath string
}

// Routes mounts the pages.
func (h *Handler) Routes(r *mux.Router) {
	page := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(h.operator(f)) }
	r.Handle(PathOrgs, page(h.list)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathOrgs, page(h.create)).Methods(http.MethodPost)
	r.Handle(PathOrgs+"/"+codePattern, page(h.show)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathOrgs+"/"+codePattern+staffSuffix, page(h.check)).Methods(http.MethodPost)
}

// ChecksOwnCSRF reports whether r is the staff-list upload, which checks
// the CSRF token itself once it has read the multipart body under its own
// limit: the console's CSRF middleware caps the body it reads for the token
// at httpx.MaxFormBytes, below a staff list's size. The top floor passes it
// as the console CSRF's Skip.
func ChecksOwnCSRF(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, PathOrgs+"/") && strings.HasSuffix(r.URL.Path, staffSuffix)
}

type ctxKey struct{}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

// operator lets only a signed-in operator through, with the member in the
// request's context.
func (h *Handler) operator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.Principal(r)
		if !ok {
			signin := h.SignInPath
			if signin == "" {
				signin = DefaultSignInPath
			}
			q := url.Values{"return_to": {r.URL.Path}, "ui_locales": {string(lang(r))}}
			http.Redirect(w, r, signin+"?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if !p.Has(staff.RoleOperator) {
			h.errorPage(w, r, http.StatusForbidden, "orgs.error.forbidden", nil)
			return
		}
		next(w, r.WithContext(contextWith(r, p)))
	}
}

func contextWith(r *http.Request, p staff.Principal) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, p)
}

func member(r *http.Request) staff.Principal {
	p, _ := r.Context().Value(ctxKey{}).(staff.Principal)
	return p
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "organisations page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: lang(r), RequestID: httpx.RequestIDFrom(ctx)},
		Message: msg, LinkURL: PathOrgs + "?ui_locales=" + string(lang(r)), LinkText: "error.back",
	})
}

func (h *Handler) base(r *http.Request) templates.StaffBase {
	ctx, p := r.Context(), member(r)
	return templates.StaffBase{
		Base:      templates.Base{Lang: lang(r), CSRFToken: h.CSRF.Token(ctx), RequestID: httpx.RequestIDFrom(ctx)},
		StaffName: p.Name, StaffUnit: p.Unit.Name,
	}
}

func origin(r *http.Request) orgs.Origin {
	return orgs.Origin{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

func orgURL(l templates.Lang, code string) string {
	return PathOrgs + "/" + code + "?ui_locales=" + string(l)
}

func row(l templates.Lang, o orgs.Organisation) templates.OrgRow {
	return templates.OrgRow{Code: o.Code, Name: o.Name, URL: orgURL(l, o.Code), RelyingParties: o.RelyingParties, Created: o.CreatedBy != ""}
}

func (h *Handler) render(r *http.Request, err error) {
	if err != nil {
		h.logger().ErrorContext(r.Context(), "render organisations page", "error", err)
	}
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	h.listPage(w, r, http.StatusOK, templates.OrgListPage{})
}

func (h *Handler) listPage(w http.ResponseWriter, r *http.Request, status int, page templates.OrgListPage) {
	list, err := h.Orgs.List(r.Context())
	if err != nil {
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", err)
		return
	}
	page.StaffBase = h.base(r)
	for _, o := range list {
		page.Orgs = append(page.Orgs, row(page.Lang, o))
	}
	h.render(r, h.Templates.StaffOrgs(w, status, page))
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	code, name := r.PostFormValue("code"), r.PostFormValue("name")
	o, err := h.Orgs.Create(r.Context(), member(r), origin(r), code, name)
	page := templates.OrgListPage{Code: code, Name: name}
	switch {
	case err == nil:
		http.Redirect(w, r, orgURL(lang(r), o.Code), http.StatusSeeOther)
		return
	case errors.Is(err, orgs.ErrInvalid):
		page.Error = "orgs.error.invalid"
		h.listPage(w, r, http.StatusBadRequest, page)
	case errors.Is(err, orgs.ErrAlreadyExists):
		page.Error = "orgs.error.exists"
		h.listPage(w, r, http.StatusConflict, page)
	default:
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", err)
	}
}

func (h *Handler) orgPage(w http.ResponseWriter, r *http.Request, status int, page templates.OrgPage) {
	code := mux.Vars(r)["code"]
	o, err := h.Orgs.Get(r.Context(), code)
	switch {
	case errors.Is(err, orgs.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, "orgs.error.not_found", nil)
		return
	case err != nil:
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", err)
		return
	}
	page.StaffBase = h.base(r)
	page.Org = row(page.Lang, o)
	page.Action = PathOrgs + "/" + o.Code + staffSuffix
	h.render(r, h.Templates.StaffOrg(w, status, page))
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	h.orgPage(w, r, http.StatusOK, templates.OrgPage{})
}

// check: POST /staff/organisations/{code}/staff (multipart: a file or
// pasted text).
func (h *Handler) check(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*orgs.MaxListBytes+httpx.MaxFormBytes)
	if err := r.ParseMultipartForm(httpx.MaxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.orgPage(w, r, http.StatusRequestEntityTooLarge, templates.OrgPage{Error: "orgs.error.too_many"})
			return
		}
		h.errorPage(w, r, http.StatusBadRequest, "orgs.error.bad_form", nil)
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		h.errorPage(w, r, http.StatusForbidden, "error.csrf", nil)
		return
	}
	list, err := h.upload(r)
	var ids []string
	if err == nil {
		ids, err = orgs.ParseStaffList(list)
	}
	if err != nil {
		h.listError(w, r, err)
		return
	}
	l := lang(r)
	c, err := h.Orgs.CheckStaff(r.Context(), member(r), origin(r), mux.Vars(r)["code"], ids)
	switch {
	case errors.Is(err, orgs.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, "orgs.error.not_found", nil)
		return
	case err != nil:
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", err)
		return
	}
	page := templates.OrgPage{Checked: true, Total: c.Total, CheckedAt: webpage.Minute(c.CheckedAt)}
	for _, g := range orgs.Groups {
		page.Groups = append(page.Groups, templates.OrgGroup{Code: string(g), Label: templates.T(l, "orgs.group."+string(g)), Numbers: c.Groups[g]})
	}
	h.orgPage(w, r, http.StatusOK, page)
}

var errBoth = errors.New("both a file and a pasted list")

// upload is the list the form sent: the file, or the pasted text.
func (h *Handler) upload(r *http.Request) (io.Reader, error) {
	text := strings.TrimSpace(r.FormValue("list_text"))
	var file multipart.File
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["list_file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			if text != "" {
				return nil, errBoth
			}
			f, err := fhs[0].Open()
			if err != nil {
				return nil, err
			}
			file = f
		}
	}
	if file != nil {
		return file, nil
	}
	return strings.NewReader(text), nil
}

func (h *Handler) listError(w http.ResponseWriter, r *http.Request, err error) {
	page := templates.OrgPage{}
	var le *orgs.ListError
	status := http.StatusBadRequest
	switch {
	case errors.As(err, &le):
		page.Error, page.BadCount = "orgs.error.list", le.Count
		page.BadLines = joinLines(le.Lines, le.Count)
	case errors.Is(err, errBoth):
		page.Error = "orgs.error.both"
	case errors.Is(err, orgs.ErrEmptyList):
		page.Error = "orgs.error.empty"
	case errors.Is(err, orgs.ErrTooMany), errors.Is(err, orgs.ErrListTooLarge):
		page.Error, status = "orgs.error.too_many", http.StatusRequestEntityTooLarge
	case errors.Is(err, orgs.ErrNotText):
		page.Error = "orgs.error.not_text"
	default:
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", err)
		return
	}
	h.orgPage(w, r, status, page)
}

func joinLines(lines []int, count int) string {
	s := make([]string, len(lines))
	for i, n := range lines {
		s[i] = strconv.Itoa(n)
	}
	out := strings.Join(s, ", ")
	if count > len(lines) {
		out += ", …"
	}
	return out
}
