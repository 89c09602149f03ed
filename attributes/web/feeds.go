// Package web is the document registries' push endpoint: each registry
// posts its numbered update batches with its own bearer credential.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
)

// PathBatches is where a registry pushes a batch ({kind} is its document
// kind).
const PathBatches = "/registry/v1/documents/{kind}/batches"

// Credentials finds the push credential in force with a secret's hash and
// records its use (attributes/postgres FeedStore.Authenticate);
// attributes.ErrNotFound for an unknown or revoked one.
type Credentials interface {
	Authenticate(ctx context.Context, tokenHash []byte) (attributes.RegistryCredential, error)
}

// Limiter throttles the pushes (the sign-in throttles, accounts.Limiter,
// wired by the gateway). Failures count per client address, never per
// registry, so that a stranger's flood locks out only the stranger's
// address; accepted batches count per credential, under a generous hourly
// cap. Each method returns how long the caller must wait, 0 when it may go
// on.
type Limiter interface {
	// Locked: the wait of ip (after too many failures) or, when credential
	// is not 0, of the credential (over its hourly cap).
	Locked(ctx context.Context, ip string, credential int64) (time.Duration, error)
	// Failed counts a failed push from ip: non-zero when it locked ip.
	Failed(ctx context.Context, ip string) (time.Duration, error)
	// Used counts a batch pushed with credential: non-zero when over the
	// cap (the batch is refused and not counted).
	Used(ctx context.Context, credential int64) (time.Duration, error)
}

// FeedHandler serves PathBatches.
type FeedHandler struct {
	Feeds       attributes.FeedStore
	Credentials Credentials
	// Limiter throttles pushes; nil admits all (tests of the feed rules).
	Limiter Limiter
	// Audit records each lock the Limiter sets (required with Limiter).
	Audit audit.Recorder
	// Key keys the hash of push secrets (attributes.RegistryTokenHash).
	Key    []byte
	Logger *slog.Logger
}

// Routes implements server.Mounter.
func (h *FeedHandler) Routes(r *mux.Router) {
	r.HandleFunc(PathBatches, h.push).Methods(http.MethodPost)
}

// problem is the gateway's JSON error (httpx.Error) with, for a refused
// batch, the sequence number expected or the bad lines.
type problem struct {
	httpx.Error
	Expected int64                  `json:"expected_seq,omitempty"`
	Lines    []attributes.LineError `json:"lines,omitempty"`
}

// fault is a problem with only a code and a sentence (empty: the code's
// usual one).
func fault(code, description string) problem {
	return problem{Error: httpx.NewError(code, description)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, v)
}

// push: 200 with applied true (applied) or false (a replay: nothing
// changed); 401 without a registry's credential (none, unknown, revoked)
// or with another registry's; 429 with Retry-After when the client
// address is locked by failures or the credential is over its hourly cap
// (the request that sets a lock is audited); 409 with expected_seq on a gap, or on a different batch
// reusing an applied number; 400 with the bad lines; 413 for a body over
// attributes.MaxFeedBody.
func (h *FeedHandler) push(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	kind := attributes.DocumentKind(mux.Vars(r)["kind"])
	ip := httpx.ClientIP(r)
	if h.Limiter != nil {
		wait, err := h.Limiter.Locked(ctx, ip, 0)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if wait > 0 {
			h.tooMany(w, wait)
			return
		}
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var cred attributes.RegistryCredential
	var err error
	if ok && token != "" && attributes.KnownDocumentKind(kind) {
		cred, err = h.Credentials.Authenticate(ctx, attributes.RegistryTokenHash(h.Key, token))
		if err != nil && !errors.Is(err, attributes.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
	}
	if cred.ID == 0 || cred.Kind != kind {
		h.unauthorized(w, r, kind, ip)
		return
	}
	if h.Limiter != nil && !h.admitBatch(w, r, cred, ip) {
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
		writeJSON(w, http.StatusRequestEntityTooLarge, fault("too_large", "the batch is over the size limit"))
	case errors.As(err, &gap):
		writeJSON(w, http.StatusConflict, problem{Error: httpx.NewError("sequence_gap", gap.Error()), Expected: gap.Expected})
	case errors.Is(err, attributes.ErrFeedReplayMismatch):
		writeJSON(w, http.StatusConflict, fault("sequence_reused", err.Error()))
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, problem{Error: httpx.NewError("invalid_entries", "nothing applied"), Lines: bad.Lines})
	case errors.Is(err, attributes.ErrBadBatch):
		writeJSON(w, http.StatusBadRequest, fault("invalid_batch", err.Error()))
	default:
		h.fail(w, r, err)
	}
}

// admitBatch counts a batch against cred's hourly cap; when over it, it
// answers 429 (audited when this batch reached the cap) and returns false.
func (h *FeedHandler) admitBatch(w http.ResponseWriter, r *http.Request, cred attributes.RegistryCredential, ip string) bool {
	ctx := r.Context()
	wait, err := h.Limiter.Locked(ctx, "", cred.ID)
	if err == nil && wait == 0 {
		wait, err = h.Limiter.Used(ctx, cred.ID)
		if err == nil && wait > 0 {
			err = h.Audit.Record(ctx, audit.Event{Type: audit.SignInLockedOut, ActorKind: audit.Client, ActorID: "registry:" + string(cred.Kind),
				Outcome: audit.Denied, Reason: "registry_credential_locked_out", IP: ip, RequestID: httpx.RequestIDFrom(ctx),
				Detail: map[string]string{"kind": string(cred.Kind), "credential": strconv.FormatInt(cred.ID, 10)}})
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if wait > 0 {
		h.tooMany(w, wait)
		return false
	}
	return true
}

// unauthorized answers 401, counting the failure against the client
// address; the failure that locks the address is audited and answered 429.
func (h *FeedHandler) unauthorized(w http.ResponseWriter, r *http.Request, kind attributes.DocumentKind, ip string) {
	if h.Limiter != nil {
		ctx := r.Context()
		wait, err := h.Limiter.Failed(ctx, ip)
		if err == nil && wait > 0 {
			err = h.Audit.Record(ctx, audit.Event{Type: audit.SignInLockedOut, ActorKind: audit.Client,
				Outcome: audit.Denied, Reason: "registry_ip_locked_out", IP: ip, RequestID: httpx.RequestIDFrom(ctx),
				Detail: map[string]string{"endpoint": "registry_push", "kind": string(kind)}})
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if wait > 0 {
			h.tooMany(w, wait)
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="registry"`)
	writeJSON(w, http.StatusUnauthorized, fault("unauthorized", "a registry's push credential for this document kind is required"))
}

// tooMany answers 429 with Retry-After in whole seconds (RFC 6585 §4).
func (h *FeedHandler) tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	writeJSON(w, http.StatusTooManyRequests, fault("slow_down", "too many requests; retry after the Retry-After seconds"))
}

func (h *FeedHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.ErrorContext(r.Context(), "registry push failed", "error", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteServerError(w, r)
}
