// Package web is the document registries' push endpoint: each registry
// posts its numbered update batches with its own bearer credential.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// PathBatches is where a registry pushes a batch ({kind} is its document
// kind).
const PathBatches = "/registry/v1/documents/{kind}/batches"

// Credentials finds the registry a push credential belongs to.
type Credentials interface {
	KindOfToken(ctx context.Context, tokenHash []byte) (attributes.DocumentKind, error)
}

// FeedHandler serves PathBatches.
type FeedHandler struct {
	Feeds       attributes.FeedStore
	Credentials Credentials
	// Key keys the hash of push secrets (attributes.RegistryTokenHash).
	Key    []byte
	Logger *slog.Logger
}

// Routes implements server.Mounter.
func (h *FeedHandler) Routes(r *mux.Router) {
	r.HandleFunc(PathBatches, h.push).Methods(http.MethodPost)
}

type problem struct {
	Error    string                 `json:"error"`
	Message  string                 `json:"message,omitempty"`
	Expected int64                  `json:"expected_seq,omitempty"`
	Lines    []attributes.LineError `json:"lines,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// push: 200 with applied true (applied) or false (a replay: nothing
// changed); 401 without a registry's credential or with another
// registry's; 409 with expected_seq on a gap, or on a different batch
// reusing an applied number; 400 with the bad lines; 413 for a body over
// attributes.MaxFeedBody.
func (h *FeedHandler) push(w http.ResponseWriter, r *http.Request) {
	kind := attributes.DocumentKind(mux.Vars(r)["kind"])
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" || !attributes.KnownDocumentKind(kind) {
		h.unauthorized(w)
		return
	}
	owner, err := h.Credentials.KindOfToken(r.Context(), attributes.RegistryTokenHash(h.Key, token))
	if errors.Is(err, attributes.ErrNotFound) || (err == nil && owner != kind) {
		h.unauthorized(w)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, attributes.MaxFeedBody)
	b, err := attributes.DecodeFeedBatch(r.Body, kind)
	if err == nil {
		var res attributes.FeedResult
		res, err = attributes.ApplyFeed(r.Context(), h.Feeds, b, "registry:"+string(kind))
		if err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	var bad *attributes.FeedInvalidError
	var gap *attributes.FeedGapError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, problem{Error: "too_large", Message: "the batch is over the size limit"})
	case errors.As(err, &gap):
		writeJSON(w, http.StatusConflict, problem{Error: "sequence_gap", Message: gap.Error(), Expected: gap.Expected})
	case errors.Is(err, attributes.ErrFeedReplayMismatch):
		writeJSON(w, http.StatusConflict, problem{Error: "sequence_reused", Message: err.Error()})
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, problem{Error: "invalid_entries", Message: "nothing applied", Lines: bad.Lines})
	case errors.Is(err, attributes.ErrBadBatch):
		writeJSON(w, http.StatusBadRequest, problem{Error: "invalid_batch", Message: err.Error()})
	default:
		h.fail(w, r, err)
	}
}

func (h *FeedHandler) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="registry"`)
	writeJSON(w, http.StatusUnauthorized, problem{Error: "unauthorized"})
}

func (h *FeedHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.ErrorContext(r.Context(), "registry push failed", "error", err)
	}
	writeJSON(w, http.StatusInternalServerError, problem{Error: "server_error"})
}
