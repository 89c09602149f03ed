package web

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/audit"
)

//go:embed templates/*.html
var files embed.FS

var page = template.Must(template.New("history.html").Funcs(template.FuncMap{
	"label": label,
	"join":  func(s []string) string { return strings.Join(s, ", ") },
	"local": func(t time.Time) string { return t.In(vietnam).Format("02/01/2006 15:04:05") },
}).ParseFS(files, "templates/history.html"))

// vietnam is Indochina Time: the citizen reads local times; storage is UTC.
var vietnam = time.FixedZone("ICT", 7*3600)

// Handler serves the signed-in citizen's usage history.
type Handler struct {
	// History reads the history (postgres.Store).
	History audit.HistoryReader
	// AccountID returns the signed-in citizen's account id, if any.
	AccountID func(*http.Request) (string, bool)
	// SignInURL is where visitors who are not signed in are sent (303);
	// empty answers 401.
	SignInURL string
	// Logger receives errors (details never reach the page).
	Logger *slog.Logger
}

// Routes mounts the history page and its downloads.
func (h *Handler) Routes(r *mux.Router) {
	r.HandleFunc("/account/history", h.show).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/account/history.csv", h.export(exportCSV)).Methods(http.MethodGet)
	r.HandleFunc("/account/history.json", h.export(exportJSON)).Methods(http.MethodGet)
}

type view struct {
	Entries  []audit.Entry
	ClientID string
	Type     string
	Types    []typeOption
	Next     string // URL of the next (older) page, if any
	Query    string // current filters, for the download links
}

type typeOption struct {
	Value, Label string
	Selected     bool
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	account, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f, err := filterFrom(r)
	if err != nil {
		http.Error(w, "Yêu cầu không hợp lệ (invalid request)", http.StatusBadRequest)
		return
	}
	p, err := h.History.History(r.Context(), account, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := view{Entries: p.Entries, ClientID: f.ClientID, Query: filterQuery(f).Encode()}
	if len(f.Types) == 1 {
		v.Type = string(f.Types[0])
	}
	for _, t := range typeOrder {
		v.Types = append(v.Types, typeOption{Value: string(t), Label: label(t), Selected: string(t) == v.Type})
	}
	if !p.Next.IsZero() {
		q := filterQuery(f)
		q.Set("before", p.Next.String())
		v.Next = "/account/history?" + q.Encode()
	}
	noStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		h.log().ErrorContext(r.Context(), "render history page", "err", err)
	}
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

func (h *Handler) export(x exporter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		account, ok := h.signedIn(w, r)
		if !ok {
			return
		}
		f, err := filterFrom(r)
		if err != nil {
			http.Error(w, "Yêu cầu không hợp lệ (invalid request)", http.StatusBadRequest)
			return
		}
		f.Before, f.Limit = audit.Cursor{}, audit.MaxPageSize
		// Read the first page before committing to a 200, so that a
		// database failure still gets a proper error status.
		if _, err := h.History.History(r.Context(), account, audit.Filter{ClientID: f.ClientID, Types: f.Types, Limit: 1}); err != nil {
			h.fail(w, r, err)
			return
		}
		noStore(w)
		w.Header().Set("Content-Type", x.contentType)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lich-su-su-dung.%s"`, x.ext))
		if err := x.write(w, r, h, account, f); err != nil {
			// Headers are gone; the truncated download is the signal.
			h.log().ErrorContext(r.Context(), "export history", "err", err)
		}
	}
}

func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (string, bool) {
	account, ok := h.AccountID(r)
	if ok && account != "" {
		return account, true
	}
	if h.SignInURL != "" {
		http.Redirect(w, r, h.SignInURL+"?"+url.Values{"return_to": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
	} else {
		http.Error(w, "Vui lòng đăng nhập (sign in first)", http.StatusUnauthorized)
	}
	return "", false
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log().ErrorContext(r.Context(), "history", "err", err)
	http.Error(w, "Đã có lỗi xảy ra, vui lòng thử lại sau (something went wrong, try again later)", http.StatusInternalServerError)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
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
		if _, ok := labels[audit.EventType(t)]; !ok {
			return f, fmt.Errorf("unknown event type %q", t)
		}
		f.Types = append(f.Types, audit.EventType(t))
	}
	var err error
	f.Before, err = audit.ParseCursor(q.Get("before"))
	return f, err
}

func filterQuery(f audit.Filter) url.Values {
	q := url.Values{}
	if f.ClientID != "" {
		q.Set("client", f.ClientID)
	}
	for _, t := range f.Types {
		q.Add("type", string(t))
	}
	return q
}
