// Package server assembles the gateway's HTTP handler from feature handlers
// built in cmd: global middleware (request id, access log and metrics,
// security headers), browser routes with sessions and CSRF, API routes
// without them, health and metrics endpoints, static files and error pages.
package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/static"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Mounter is a feature handler that mounts its routes.
type Mounter interface {
	Routes(r *mux.Router)
}

// Options are the server's parts.
type Options struct {
	Logger    *slog.Logger
	Templates *templates.Set
	Sessions  *scs.SessionManager
	CSRF      *httpx.CSRF
	Metrics   *prometheus.Registry
	// MetricsToken, when set, is the bearer token /metrics requires.
	// Without it /metrics is served only when PublicMetrics is set (a
	// developer's machine); otherwise it is not found.
	MetricsToken  string
	PublicMetrics bool
	TLS           bool
	// Ready reports whether the gateway can serve (database reachable,
	// schema current).
	Ready func(ctx context.Context) error
	// Browser handlers get sessions and CSRF protection.
	Browser []Mounter
	// SecureCookies marks the language cookie Secure (as the session cookie).
	SecureCookies bool
	// BrowserMiddleware runs on browser routes after sessions are loaded
	// (e.g. ending the sign-in of an account locked meanwhile).
	BrowserMiddleware []mux.MiddlewareFunc
	// Staff handlers serve the staff console under /staff, wrapped in
	// StaffMiddleware (the staff session, its own CSRF token and the
	// signed-in member), never in the citizens' session.
	Staff           []Mounter
	StaffMiddleware []mux.MiddlewareFunc
	// API handlers (OAuth 2.0 endpoints authenticated by client credentials
	// or bearer tokens, discovery, JWKS) get neither.
	API []Mounter
	// Outage turns a handler's 500 into 503 with Retry-After when the
	// database was unavailable (see outage); off when Watch is nil.
	Outage Outage
}

// New builds the handler.
func New(o Options) http.Handler {
	r := mux.NewRouter()
	var httpMetrics *httpx.Metrics
	if o.Metrics != nil {
		httpMetrics = httpx.NewMetrics(o.Metrics)
		if o.MetricsToken != "" || o.PublicMetrics {
			r.Handle("/metrics", bearer(o.MetricsToken, promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{}))).Methods(http.MethodGet)
		}
	}
	r.Use(httpx.RequestID, httpx.Observe(o.Logger, httpMetrics), httpx.SecurityHeaders(o.TLS), rememberLanguage(o.SecureCookies),
		outage(o.Outage, o.Templates))

	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	}).Methods(http.MethodGet)
	r.HandleFunc("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if o.Ready != nil {
			if err := o.Ready(ctx); err != nil {
				o.Logger.WarnContext(ctx, "not ready", "error", err, "request_id", httpx.RequestIDFrom(ctx))
				http.Error(w, "not ready", http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ready\n"))
	}).Methods(http.MethodGet)
	// The bitmap icons (rendered from img/favicon.svg) before the files.
	for path, icon := range static.Icons() {
		r.Handle(path, cacheStatic(serveIcon(path, icon))).Methods(http.MethodGet, http.MethodHead)
	}
	staticFS, _ := fs.Sub(static.FS, ".")
	r.PathPrefix("/static/").Handler(http.StripPrefix("/static/", cacheStatic(http.FileServerFS(staticFS))))

	api := r.NewRoute().Subrouter()
	for _, m := range o.API {
		m.Routes(api)
	}

	if len(o.Staff) > 0 {
		console := r.MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
			return req.URL.Path == "/staff" || strings.HasPrefix(req.URL.Path, "/staff/")
		}).Subrouter()
		console.Use(o.StaffMiddleware...)
		for _, m := range o.Staff {
			m.Routes(console)
		}
	}

	browser := r.NewRoute().Subrouter()
	browser.Use(o.Sessions.LoadAndSave, o.CSRF.Middleware, httpx.NoStore)
	browser.Use(o.BrowserMiddleware...)
	browser.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		if _, ok := websession.GetLogin(req.Context(), o.Sessions); ok {
			http.Redirect(w, req, "/account", http.StatusSeeOther)
			return
		}
		http.Redirect(w, req, "/login", http.StatusSeeOther)
	}).Methods(http.MethodGet)
	for _, m := range o.Browser {
		m.Routes(browser)
	}

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if httpx.IsAPI(req.URL.Path) {
			apiNotFound(r, w, req)
			return
		}
		lang := templates.Negotiate(req.URL.Query().Get("ui_locales"), req.Header.Get("Accept-Language"))
		_ = o.Templates.Error(w, http.StatusNotFound, templates.ErrorPage{
			Base:    templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(req.Context())},
			Message: "error.not_found", LinkURL: "/", LinkText: "error.back",
		})
	})
	// A known path asked with another method: JSON under the APIs, the
	// bare 405 elsewhere, as before.
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if httpx.IsAPI(req.URL.Path) {
			apiNotFound(r, w, req)
			return
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
	})
	// The NotFound and MethodNotAllowed handlers bypass mux middleware;
	// wrap them so they still get a request id and strict headers.
	r.NotFoundHandler = httpx.RequestID(httpx.SecurityHeaders(o.TLS)(rememberLanguage(o.SecureCookies)(r.NotFoundHandler)))
	r.MethodNotAllowedHandler = httpx.RequestID(httpx.SecurityHeaders(o.TLS)(r.MethodNotAllowedHandler))
	return r
}

// apiNotFound answers a request under the JSON APIs that no route took:
// 405 method_not_allowed with Allow when the path is served with other
// methods, 404 not_found otherwise. gorilla/mux cannot tell the two apart
// itself here: a method mismatch in the API routes is forgotten when the
// browser routes, tried after them, match nothing.
func apiNotFound(r *mux.Router, w http.ResponseWriter, req *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == req.Method {
			continue
		}
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		httpx.WriteError(w, http.StatusNotFound, "not_found", "no such path: "+req.URL.Path)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	httpx.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", req.Method+" is not allowed on "+req.URL.Path+"; use "+strings.Join(allow, ", "))
}

// CSRFFailed renders the CSRF rejection page.
func CSRFFailed(set *templates.Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		lang := templates.Negotiate(req.URL.Query().Get("ui_locales"), req.Header.Get("Accept-Language"))
		_ = set.Error(w, http.StatusForbidden, templates.ErrorPage{
			Base:    templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(req.Context())},
			Message: "error.csrf", Code: "csrf",
		})
	})
}

// bearer requires "Authorization: Bearer token" when token is set.
func bearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

const langCookie = "dinhdanh_lang"

// rememberLanguage keeps a language chosen with ui_locales (the pages'
// language switch, or a relying party's request) for the rest of the visit:
// later requests without ui_locales are answered in it, whatever the
// browser's Accept-Language says.
func rememberLanguage(secure bool) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ui := r.URL.Query().Get("ui_locales"); ui != "" {
				lang := templates.Negotiate(ui, "")
				if c, err := r.Cookie(langCookie); err != nil || c.Value != string(lang) {
					http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
						HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
				}
			} else if c, err := r.Cookie(langCookie); err == nil && (c.Value == string(templates.VI) || c.Value == string(templates.EN)) {
				r.Header.Set("Accept-Language", c.Value)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// serveIcon serves one rendered icon (with Last-Modified of the start-up,
// Range and HEAD, as the file server does).
func serveIcon(path string, icon static.Icon) http.Handler {
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", icon.ContentType)
		http.ServeContent(w, r, path, started, bytes.NewReader(icon.Data))
	})
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
