package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
)

// Paths of the operators' API over the registries' push credentials. They
// lie under /admin/api/, bearer-authenticated with the admin token like
// the relying-party admin API, and CSRF-exempt.
const (
	PathAdminCredentials = "/admin/api/registry/credentials"
	PathAdminRevoke      = "/admin/api/registry/credentials/{id}/revoke"
)

// CredentialStore lists and revokes push credentials (attributes/postgres
// FeedStore).
type CredentialStore interface {
	Credentials(ctx context.Context) ([]attributes.RegistryCredential, error)
	RevokeCredential(ctx context.Context, id int64, actor string) (attributes.RegistryCredential, error)
}

// CredentialAdmin serves the operators' list and revocation of the
// registries' push credentials: never a secret, never a hash.
type CredentialAdmin struct {
	Store CredentialStore
	// AdminToken is the admin API's bearer token; empty mounts nothing.
	AdminToken string
	Logger     *slog.Logger
}

// adminActor names the admin API in the audit log, as the relying-party
// admin API does.
const adminActor = "admin-api"

// Routes implements server.Mounter.
func (h *CredentialAdmin) Routes(r *mux.Router) {
	if h.AdminToken == "" {
		return
	}
	r.Handle(PathAdminCredentials, h.auth(http.HandlerFunc(h.list))).Methods(http.MethodGet)
	r.Handle(PathAdminRevoke, h.auth(http.HandlerFunc(h.revoke))).Methods(http.MethodPost)
}

func (h *CredentialAdmin) auth(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(h.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
			writeJSON(w, http.StatusUnauthorized, fault("unauthorized", "the admin token is required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// list answers every credential, revoked ones included, newest first.
func (h *CredentialAdmin) list(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Store.Credentials(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []attributes.RegistryCredential{}
	}
	writeJSON(w, http.StatusOK, cs)
}

// revoke revokes one credential at once: 200 with the credential, 404 for
// an unknown id, 409 for one revoked already.
func (h *CredentialAdmin) revoke(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusNotFound, fault("not_found", "no such credential"))
		return
	}
	c, err := h.Store.RevokeCredential(r.Context(), id, adminActor)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		writeJSON(w, http.StatusNotFound, fault("not_found", "no such credential"))
	case errors.Is(err, attributes.ErrRevoked):
		writeJSON(w, http.StatusConflict, fault("already_revoked", "the credential was revoked already"))
	case err != nil:
		h.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, c)
	}
}

func (h *CredentialAdmin) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.ErrorContext(r.Context(), "registry credentials admin", "error", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteServerError(w, r)
}
