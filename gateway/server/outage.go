package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/templates"
)

// RetryAfter is the Retry-After, in seconds, of the 503 answered while the
// database is unavailable: about one Patroni leader-key TTL (docs/
// operations.md), the time a promotion takes.
const RetryAfter = "5"

// Outage decides whether a request's server error comes from the database
// being unavailable (the primary changing): watch returns the request's
// context, which records that, and the function that tells; recent reports
// an outage seen lately by any request or the audit writer.
type Outage struct {
	Watch  func(*http.Request) (*http.Request, func() bool)
	Recent func() bool
}

// outage answers 503 with Retry-After instead of the 500 a handler writes
// when the database was unavailable for the request (or lately, for a
// failure seen by the audit writer the request waited for): OAuth 2.0 and
// JSON endpoints get {"error":"temporarily_unavailable"} (RFC 6749 §4.1.2.1),
// pages a page in the visitor's language. The handler's own body is
// dropped. Every handler that writes 500 on a storage error is covered
// without knowing of outages; none answers 500 while the primary changes.
func outage(o Outage, tmpl *templates.Set) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		if o.Watch == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, seen := o.Watch(r)
			ow := &outageWriter{ResponseWriter: w, r: r, tmpl: tmpl, unavailable: func() bool {
				return seen() || (o.Recent != nil && o.Recent())
			}}
			next.ServeHTTP(ow, r)
		})
	}
}

type outageWriter struct {
	http.ResponseWriter
	r           *http.Request
	tmpl        *templates.Set
	unavailable func() bool
	wrote       bool
	dropped     bool
}

func (w *outageWriter) WriteHeader(code int) {
	if w.wrote {
		if !w.dropped {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.wrote = true
	if code != http.StatusInternalServerError || !w.unavailable() {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.dropped = true
	h := w.Header()
	wantsJSON := httpx.IsAPI(w.r.URL.Path) || strings.Contains(h.Get("Content-Type"), "json") || !strings.Contains(w.r.Header.Get("Accept"), "text/html") && !strings.HasPrefix(h.Get("Content-Type"), "text/html")
	h.Del("Content-Length")
	h.Del("WWW-Authenticate")
	h.Set("Retry-After", RetryAfter)
	h.Set("Cache-Control", "no-store")
	if wantsJSON {
		h.Set("Content-Type", "application/json;charset=UTF-8")
		w.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w.ResponseWriter).Encode(map[string]string{
			"error":             "temporarily_unavailable",
			"error_description": "the database is changing over; try again in a few seconds",
		})
		return
	}
	lang := templates.Negotiate(w.r.URL.Query().Get("ui_locales"), w.r.Header.Get("Accept-Language"))
	_ = w.tmpl.Error(w.ResponseWriter, http.StatusServiceUnavailable, templates.ErrorPage{
		Base:    templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(w.r.Context())},
		Message: "error.unavailable", Code: "temporarily_unavailable",
	})
}

func (w *outageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropped {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *outageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher when the writer below does.
func (w *outageWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.dropped {
		f.Flush()
	}
}
