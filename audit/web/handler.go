package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths.
const (
	PathHistory     = "/account/history"
	PathHistoryCSV  = "/account/history.csv"
	PathHistoryJSON = "/account/history.json"
	// PathAdminHistory is the officer lookup. It lies under /admin/api/,
	// which the gateway's CSRF protection exempts (bearer-authenticated).
	PathAdminHistory = "/admin/api/history"
)

// Handler serves the signed-in citizen's usage history and, when Officers
// is set, the officers' audited lookup of a citizen's history.
type Handler struct {
	// History reads the history (postgres.Store).
	History audit.HistoryReader
	// AccountID returns the signed-in citizen's account id, if any.
	AccountID func(*http.Request) (string, bool)
	// SignInURL is where visitors who are not signed in are sent (303) with
	// return_to set; empty answers 401.
	SignInURL string
	// Templates renders the page (required for the HTML page).
	Templates *templates.Set
	// ClientNames returns the display names of relying parties in lang, by
	// client id; ids it does not know are left out. Optional: without it
	// the page shows client ids.
	ClientNames func(ctx context.Context, lang templates.Lang, ids []string) map[string]string

	// Officers authenticates officers' own credentials at the officer
	// lookup; nil disables it (the route is not mounted).
	Officers Officers
	// Accounts resolves a personal identification number to its account
	// (*accounts.Service); needed by the officer lookup.
	Accounts Accounts
	// Audit records every officer lookup before any data is returned;
	// needed by the officer lookup.
	Audit audit.Recorder

	// Logger receives errors (details never reach the page).
	Logger *slog.Logger
}

// Routes mounts the history page, its downloads and, when Officers is
// set, the officer lookup.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle(PathHistory, httpx.NoStore(http.HandlerFunc(h.show))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathHistoryCSV, httpx.NoStore(h.export(exportCSV))).Methods(http.MethodGet)
	r.Handle(PathHistoryJSON, httpx.NoStore(h.export(exportJSON))).Methods(http.MethodGet)
	if h.Officers != nil {
		r.Handle(PathAdminHistory, httpx.NoStore(h.officerAuth(http.HandlerFunc(h.officerLookup)))).Methods(http.MethodGet)
	}
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	lang, account, f, ok := h.request(w, r)
	if !ok {
		return
	}
	p, err := h.History.History(r.Context(), account, f)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	// Links keep an explicit language choice; the filter form always sends it.
	keepLang := ""
	if r.URL.Query().Get("ui_locales") != "" {
		keepLang = string(lang)
	}
	names := h.clientNames(r.Context(), lang, f.ClientID, p.Entries)

	page := templates.HistoryPage{
		Base:      templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(r.Context()), SignedIn: true},
		ClientID:  f.ClientID,
		Filtered:  f.ClientID != "" || len(f.Types) > 0,
		Continued: !f.Before.IsZero(),
		NewestURL: pageURL(PathHistory, f, audit.Cursor{}, keepLang),
		CSVURL:    pageURL(PathHistoryCSV, f, audit.Cursor{}, ""),
		JSONURL:   pageURL(PathHistoryJSON, f, audit.Cursor{}, ""),
	}
	if f.ClientID != "" {
		page.ServiceName = f.ClientID
		if n := names[f.ClientID]; n != "" {
			page.ServiceName = n
		}
	}
	if !p.Next.IsZero() {
		page.NextURL = pageURL(PathHistory, f, p.Next, keepLang)
	}
	selected := ""
	if len(f.Types) == 1 {
		selected = string(f.Types[0])
	}
	for _, t := range typeOrder {
		page.Types = append(page.Types, templates.HistoryOption{Value: string(t), Label: typeLabel(lang, t), Selected: string(t) == selected})
	}
	for _, e := range p.Entries {
		page.Entries = append(page.Entries, h.entry(lang, e, names, keepLang))
	}

	if h.Templates == nil {
		h.fail(w, r, lang, fmt.Errorf("audit/web: no templates"))
		return
	}
	if err := h.Templates.History(w, http.StatusOK, page); err != nil {
		h.log().ErrorContext(r.Context(), "render history page", "err", err)
	}
}

// entry is one row of the page: labels in the page language, names of
// attributes and never their values.
func (h *Handler) entry(lang templates.Lang, e audit.Entry, names map[string]string, keepLang string) templates.HistoryEntry {
	row := templates.HistoryEntry{
		Time:     webpage.Second(e.Time),
		DateTime: e.Time.UTC().Format(time.RFC3339),
		Type:     typeLabel(lang, e.Type), TypeCode: string(e.Type),
		Outcome: outcomeLabel(lang, e.Outcome), OutcomeCode: string(e.Outcome),
		IP: e.IP,
	}
	if e.ClientID != "" {
		row.ClientID, row.Service = e.ClientID, e.ClientID
		if n := names[e.ClientID]; n != "" {
			row.Service = n
		}
		row.ServiceURL = pageURL(PathHistory, audit.Filter{ClientID: e.ClientID}, audit.Cursor{}, keepLang)
	}
	for _, c := range attributes.DisplayOrder(e.Claims) {
		row.Claims = append(row.Claims, claimLabel(lang, c))
	}
	switch e.ActorKind {
	case audit.Officer:
		row.Actor = templates.T(lang, "history.by_officer", e.ActorID)
	case audit.Operator:
		row.Actor = templates.T(lang, "history.by_operator", e.ActorID)
	}
	return row
}

// clientNames looks up the display names of the services on the page (and
// of the service filtered by), once per page.
func (h *Handler) clientNames(ctx context.Context, lang templates.Lang, filter string, entries []audit.Entry) map[string]string {
	if h.ClientNames == nil {
		return nil
	}
	var ids []string
	if filter != "" {
		ids = append(ids, filter)
	}
	for _, e := range entries {
		if e.ClientID != "" && !slices.Contains(ids, e.ClientID) {
			ids = append(ids, e.ClientID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return h.ClientNames(ctx, lang, ids)
}

type exporter struct {
	contentType, ext string
	write            func(w http.ResponseWriter, r *http.Request, h *Handler, account string, f audit.Filter) error
}

var (
	exportCSV = exporter{"text/csv; charset=utf-8", "csv", func(w http.ResponseWriter, r *http.Request, h *Handler, account string, f audit.Filter) error {
		return audit.WriteCSV(w, audit.AllHistory(r.Context(), h.History, account, f))
	}}
	exportJSON = exporter{"application/json", "json", func(w http.ResponseWriter, r *http.Request, h *Handler, account string, f audit.Filter) error {
		return audit.WriteJSON(w, audit.AllHistory(r.Context(), h.History, account, f))
	}}
)

// export downloads the whole filtered history (from the newest entry).
func (h *Handler) export(x exporter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang, account, f, ok := h.request(w, r)
		if !ok {
			return
		}
		f.Before = audit.Cursor{}
		h.download(w, r, x, account, f, func(err error) { h.fail(w, r, lang, err) })
	}
}

// download streams the history of account from f.Before on.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, x exporter, account string, f audit.Filter, fail func(error)) {
	f.Limit = audit.MaxPageSize
	// Read the first page before committing to a 200, so that a database
	// failure still gets a proper error status.
	if _, err := h.History.History(r.Context(), account, audit.Filter{ClientID: f.ClientID, Types: f.Types, Before: f.Before, Limit: 1}); err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", x.contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lich-su-su-dung.%s"`, x.ext))
	if err := x.write(w, r, h, account, f); err != nil {
		// Headers are gone; the truncated download is the signal.
		h.log().ErrorContext(r.Context(), "export history", "err", err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
}

// request starts every citizen request: the page language, the signed-in
// citizen (or a redirect to sign in) and the filter of the query (or a 400
// page naming it). It reports false when it has answered.
func (h *Handler) request(w http.ResponseWriter, r *http.Request) (templates.Lang, string, audit.Filter, bool) {
	lang := webpage.Lang(r, "")
	account, ok := h.signedIn(w, r)
	if !ok {
		return lang, "", audit.Filter{}, false
	}
	f, err := filterFrom(r)
	if err != nil {
		h.errorPage(w, r, lang, http.StatusBadRequest, "history.error.filter", "invalid_request")
		return lang, "", audit.Filter{}, false
	}
	return lang, account, f, true
}

func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (string, bool) {
	account, ok := h.AccountID(r)
	if ok && account != "" {
		return account, true
	}
	if h.SignInURL == "" {
		http.Error(w, "Vui lòng đăng nhập (sign in first)", http.StatusUnauthorized)
		return "", false
	}
	u, err := url.Parse(h.SignInURL)
	if err != nil {
		u = &url.URL{Path: h.SignInURL}
	}
	q := u.Query()
	q.Set("return_to", r.URL.RequestURI())
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return "", false
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, lang templates.Lang, status int, message, code string) {
	if h.Templates == nil {
		http.Error(w, templates.T(lang, message), status)
		return
	}
	err := h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(r.Context()), SignedIn: true},
		Message: message, Code: code, LinkURL: PathHistory, LinkText: "error.back",
	})
	if err != nil {
		h.log().ErrorContext(r.Context(), "render history error page", "err", err)
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, lang templates.Lang, err error) {
	h.log().ErrorContext(r.Context(), "history", "err", err, "request_id", httpx.RequestIDFrom(r.Context()))
	h.errorPage(w, r, lang, http.StatusInternalServerError, "error.generic", "")
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// filterFrom reads ?client=&type=&before=. Unknown types are refused rather
// than silently matching nothing.
func filterFrom(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{ClientID: strings.TrimSpace(q.Get("client"))}
	for _, t := range q["type"] {
		if t == "" {
			continue
		}
		if !knownTypes[audit.EventType(t)] {
			return f, fmt.Errorf("unknown event type %q", t)
		}
		f.Types = append(f.Types, audit.EventType(t))
	}
	var err error
	f.Before, err = audit.ParseCursor(q.Get("before"))
	return f, err
}

// pageURL is path with the filters, the cursor and the language (each only
// when set).
func pageURL(path string, f audit.Filter, before audit.Cursor, lang string) string {
	q := url.Values{}
	if f.ClientID != "" {
		q.Set("client", f.ClientID)
	}
	for _, t := range f.Types {
		q.Add("type", string(t))
	}
	if !before.IsZero() {
		q.Set("before", before.String())
	}
	if lang != "" {
		q.Set("ui_locales", lang)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
