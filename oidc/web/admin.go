package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const adminPrefix = "/admin/api/"

// adminRoutes mounts the relying-party admin API: bearer token from config,
// compared in constant time.
func (h *Handler) adminRoutes(r *mux.Router) {
	s := r.PathPrefix("/admin/api/clients").Subrouter()
	s.Use(h.adminAuth)
	s.HandleFunc("", h.adminList).Methods(http.MethodGet)
	s.HandleFunc("", h.adminCreate).Methods(http.MethodPost)
	s.HandleFunc("/{id}", h.adminGet).Methods(http.MethodGet)
	s.HandleFunc("/{id}", h.adminUpdate).Methods(http.MethodPut, http.MethodPatch)
	s.HandleFunc("/{id}/disable", h.adminDisable).Methods(http.MethodPost)
	s.HandleFunc("/{id}/secret", h.adminRotateSecret).Methods(http.MethodPost)
	ps := r.PathPrefix("/admin/api/policy").Subrouter()
	ps.Use(h.adminAuth)
	ps.HandleFunc("", h.adminPolicy).Methods(http.MethodGet)
	ps.HandleFunc("/{kind}/{scope}", h.adminSetPolicy).Methods(http.MethodPut)
}

// adminPolicy answers the kind policy: for each relying-party kind, the
// document scopes it may have.
func (h *Handler) adminPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := h.Clients.KindPolicy(r.Context())
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// adminSetPolicy allows or refuses one document scope to one kind: PUT
// /admin/api/policy/{kind}/{scope} with {"allowed": true|false}; it answers
// the policy in force after the change.
func (h *Handler) adminSetPolicy(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Allowed *bool `json:"allowed"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Allowed == nil {
		httpx.WriteError(w, http.StatusBadRequest, "invalid_request", `the body must be {"allowed": true} or {"allowed": false}`)
		return
	}
	v := mux.Vars(r)
	rule := oidc.KindRule{Kind: oidc.Kind(v["kind"]), Scope: v["scope"], Allowed: *in.Allowed}
	if err := h.Clients.SetKindRule(r.Context(), adminActor, rule); err != nil {
		if errors.Is(err, oidc.ErrInvalidRule) {
			httpx.WriteError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		h.adminError(w, r, err)
		return
	}
	h.adminPolicy(w, r)
}

const adminActor = "admin-api"

func (h *Handler) adminAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !equalSecret(tok, h.AdminToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
			httpx.WriteError(w, http.StatusUnauthorized, "unauthorized", "the admin token is required")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// writeJSON is the one JSON writer of the API (httpx.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

func (h *Handler) adminError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, oidc.ErrNotFound):
		httpx.WriteError(w, http.StatusNotFound, "not_found", "no such client")
	case errors.Is(err, oidc.ErrAlreadyExists):
		httpx.WriteError(w, http.StatusConflict, "already_exists", "a client with that client_id exists already")
	case errors.Is(err, oidc.ErrInvalidClient):
		httpx.WriteError(w, http.StatusBadRequest, "invalid_client_metadata", err.Error())
	default:
		h.logger().ErrorContext(r.Context(), "admin api", "error", err)
		httpx.WriteServerError(w, r)
	}
}

func (h *Handler) adminList(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Clients.List(r.Context())
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

func (h *Handler) adminGet(w http.ResponseWriter, r *http.Request) {
	c, err := h.Clients.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func decodeClient(r *http.Request, c *oidc.Client) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return errors.Join(oidc.ErrInvalidClient, err)
	}
	return nil
}

// adminCreate registers a client; the response carries client_secret once.
func (h *Handler) adminCreate(w http.ResponseWriter, r *http.Request) {
	var in oidc.Client
	if err := decodeClient(r, &in); err != nil {
		h.adminError(w, r, err)
		return
	}
	c, secret, err := h.Clients.Create(r.Context(), adminActor, in)
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		oidc.Client
		Secret string `json:"client_secret,omitempty"`
	}{c, secret})
}

// adminUpdate applies a JSON merge of the body onto the client.
func (h *Handler) adminUpdate(w http.ResponseWriter, r *http.Request) {
	var patch json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&patch); err != nil {
		h.adminError(w, r, errors.Join(oidc.ErrInvalidClient, err))
		return
	}
	c, err := h.Clients.Update(r.Context(), adminActor, mux.Vars(r)["id"], func(c *oidc.Client) error {
		if err := json.Unmarshal(patch, c); err != nil {
			return errors.Join(oidc.ErrInvalidClient, err)
		}
		return nil
	})
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *Handler) adminDisable(w http.ResponseWriter, r *http.Request) {
	c, err := h.Clients.Disable(r.Context(), adminActor, mux.Vars(r)["id"])
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *Handler) adminRotateSecret(w http.ResponseWriter, r *http.Request) {
	secret, err := h.Clients.RotateSecret(r.Context(), adminActor, mux.Vars(r)["id"])
	if err != nil {
		h.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"client_secret": secret})
}
