// Package web serves the OpenID Connect endpoints: discovery, JWKS,
// /authorize, /token, /userinfo, /introspect, /revoke, /logout, /par, and the
// relying-party admin API. It drives the fosite provider composed by package
// oidc, reads the browser sign-in from the scs session (package websession)
// and renders error pages with package templates.
//
// Handlers only decode, call the provider (package oidc, which owns every
// transaction and decision) and encode: no store is reached from here.
package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Handler serves the provider's endpoints.
type Handler struct {
	Provider  *oidc.Provider
	Clients   *oidc.Clients
	Sessions  *scs.SessionManager
	Templates *templates.Set
	Logger    *slog.Logger
	// AdminToken guards /admin/api/clients (bearer); empty disables the API.
	AdminToken string
	// LoginPath is the sign-in page (default /login); it is called with
	// return_to, ui_locales and, for step-up, acr_values.
	LoginPath string
	// ConsentPath is the consent screen (default /consent); it is called
	// with challenge.
	ConsentPath string
	// CSRF gives the choice page's form its token (the session's CSRF
	// middleware checks it).
	CSRF *httpx.CSRF
	Now  func() time.Time
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

// Routes mounts the browser endpoints: /authorize with its resume and
// account choice, and /logout. The router must run inside the session
// manager's LoadAndSave. The endpoints that relying parties and resource
// servers call from their servers are mounted by API, outside it.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle(oidc.PathAuthorize, httpx.NoStore(http.HandlerFunc(h.authorize))).Methods(http.MethodGet, http.MethodPost)
	r.Handle(oidc.PathAuthorizeResume, httpx.NoStore(http.HandlerFunc(h.resume))).Methods(http.MethodGet)
	r.Handle(PathChoose, httpx.NoStore(http.HandlerFunc(h.choose))).Methods(http.MethodGet, http.MethodPost)
	r.Handle(oidc.PathLogout, httpx.NoStore(http.HandlerFunc(h.logout))).Methods(http.MethodGet, http.MethodPost)
}

// API mounts what relying parties and resource servers call from their
// servers: discovery, the JWKS, /token, /userinfo, /introspect, /revoke,
// /par and the bearer-authenticated admin API. None of them reads the
// browser session, so they are mounted outside the session manager and the
// browser middlewares: a stray session cookie on a back-channel call costs
// no session read and cannot turn it into a redirect to the sign-in page.
//
// CORS: only discovery and the JWKS (public, no credentials) allow any
// origin. /token, /userinfo, /introspect, /revoke and /par send no CORS
// headers and answer no preflight, on purpose: relying parties call them
// from their servers, and a browser application uses a backend-for-frontend
// (draft-ietf-oauth-browser-based-apps §6.1) rather than holding tokens
// that release a citizen's personal identification number in JavaScript.
// Public clients (token_endpoint_auth_method none, PKCE) are native apps,
// which need no CORS.
type API struct{ H *Handler }

// Routes mounts the endpoints.
func (a API) Routes(r *mux.Router) {
	h := a.H
	r.HandleFunc(oidc.PathDiscovery, h.discovery).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(oidc.PathJWKS, h.jwks).Methods(http.MethodGet, http.MethodHead)
	r.Handle(oidc.PathToken, httpx.NoStore(http.HandlerFunc(h.token))).Methods(http.MethodPost)
	r.Handle(oidc.PathUserinfo, httpx.NoStore(http.HandlerFunc(h.userinfo))).Methods(http.MethodGet, http.MethodPost)
	r.Handle(oidc.PathIntrospect, httpx.NoStore(http.HandlerFunc(h.introspect))).Methods(http.MethodPost)
	r.Handle(oidc.PathRevoke, httpx.NoStore(http.HandlerFunc(h.revoke))).Methods(http.MethodPost)
	r.Handle(oidc.PathPAR, httpx.NoStore(http.HandlerFunc(h.par))).Methods(http.MethodPost)
	if h.AdminToken != "" && h.Clients != nil {
		h.adminRoutes(r)
	}
}

// MountAll mounts both parts on one router, for tests and tools that serve
// everything inside the session manager.
func (h *Handler) MountAll(r *mux.Router) {
	h.Routes(r)
	API{h}.Routes(r)
}

// CSRFExempt reports the requests that httpx.CSRF must skip: /authorize,
// which relying parties reach cross-site (a form post with PAR or a request
// object), /logout, which checks its own confirmation nonce, and, where a
// router mounts everything inside the browser middlewares (MountAll), the
// endpoints of API, which relying parties call cross-site or authenticate
// otherwise (the gateway mounts those outside).
func CSRFExempt(r *http.Request) bool {
	switch r.URL.Path {
	case oidc.PathAuthorize, oidc.PathToken, oidc.PathUserinfo, oidc.PathIntrospect,
		oidc.PathRevoke, oidc.PathPAR, oidc.PathLogout:
		return true
	}
	return strings.HasPrefix(r.URL.Path, adminPrefix)
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(h.Provider.Discovery())
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	// Short: a rotated-in key must reach caches well within the sign delay.
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(h.Provider.Keys.JWKS())
}

func (h *Handler) lang(r *http.Request) templates.Lang {
	return templates.Negotiate(r.FormValue("ui_locales"), r.Header.Get("Accept-Language"))
}

// errorPage renders an HTML error with a generic message and the request id.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message, code string) {
	p := templates.ErrorPage{
		Base:    templates.Base{Lang: h.lang(r), RequestID: httpx.RequestIDFrom(r.Context())},
		Message: message, Code: code,
	}
	if h.Templates == nil {
		http.Error(w, code, status)
		return
	}
	if err := h.Templates.Error(w, status, p); err != nil {
		h.logger().ErrorContext(r.Context(), "render error page", "error", err)
	}
}

// equalSecret compares in constant time, whatever the lengths.
func equalSecret(a, b string) bool {
	x := sha256.Sum256([]byte(a))
	y := sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
