// Package api serves identity proofing over JSON: the counter's API, used
// by cmd/cardreader at a police counter with an officer's credential
// (/counter/api/v1), and the app's API, used by the citizen's phone
// (/api/app/v1). Both are described by the gateway's OpenAPI document
// (gateway/apidoc). It decodes, calls package
// proofing and encodes; it never returns a biometric, except the portraits
// of pending submissions to the officer who decides them.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/staff"
)

// ErrUnauthenticated is what Officers returns for a credential that is not
// an officer's.
var ErrUnauthenticated = errors.New("proofing/api: not a staff credential")

// Handler serves both APIs.
type Handler struct {
	Proofing *proofing.Service
	// Officer resolves an officer's bearer credential to the staff member;
	// ErrUnauthenticated (wrapped) when it is not one.
	Officer func(ctx context.Context, token string) (staff.Principal, error)
	// AppLimit admits an app request from a client address (challenges
	// and submissions); nil admits all.
	AppLimit func(ip string) bool
	Logger   *slog.Logger
}

// maxBody bounds a request: chip data and a 2 MiB portrait, base64.
const maxBody = 4 << 20

// Routes implements server.Mounter.
func (h *Handler) Routes(r *mux.Router) {
	c := r.PathPrefix("/counter/api/v1").Subrouter()
	c.Use(httpx.NoStore, h.officerAuth)
	c.HandleFunc("/challenges", h.counterChallenge).Methods(http.MethodPost)
	c.HandleFunc("/reads", h.counterRead).Methods(http.MethodPost)
	c.HandleFunc("/reads/{id}", h.counterGetRead).Methods(http.MethodGet)
	c.HandleFunc("/enrolments", h.counterEnrol).Methods(http.MethodPost)
	c.HandleFunc("/submissions", h.counterPending).Methods(http.MethodGet)
	c.HandleFunc("/submissions/{id}/decision", h.counterDecide).Methods(http.MethodPost)

	a := r.PathPrefix("/api/app/v1").Subrouter()
	a.Use(httpx.NoStore)
	a.Handle("/challenges", h.limited(http.HandlerFunc(h.appChallenge))).Methods(http.MethodPost)
	a.Handle("/enrolments", h.limited(http.HandlerFunc(h.appSubmit))).Methods(http.MethodPost)
	a.HandleFunc("/enrolments/{id}", h.appSubmission).Methods(http.MethodGet)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Problem is an error answer: an error code, a sentence, and (for a chip
// that failed verification) the read with every check.
// It is the gateway's JSON error (httpx.Error) with the read beside it.
type Problem struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Read        *Read  `json:"read,omitempty"`
}

// writeJSON is the gateway's one JSON writer (httpx.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// fail maps a domain error to its status and code; an unknown error is
// logged and answered 500 without its text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, read *Read) {
	var status int
	var code string
	switch {
	case errors.Is(err, proofing.ErrInvalid), errors.Is(err, proofing.ErrFMR):
		status, code = http.StatusBadRequest, "invalid_request"
	case errors.Is(err, proofing.ErrChallenge):
		status, code = http.StatusBadRequest, "invalid_challenge"
	case errors.Is(err, proofing.ErrForbidden):
		status, code = http.StatusForbidden, "forbidden"
	case errors.Is(err, proofing.ErrNotFound):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, proofing.ErrNoAccount):
		status, code = http.StatusNotFound, "no_account"
	case errors.Is(err, proofing.ErrStale):
		status, code = http.StatusConflict, "stale"
	case errors.Is(err, proofing.ErrChecksFailed):
		status, code = http.StatusUnprocessableEntity, "verification_failed"
	case errors.Is(err, accounts.ErrLocked):
		status, code = http.StatusConflict, "account_locked"
	case errors.Is(err, accounts.ErrLevel):
		status, code = http.StatusConflict, "level"
	default:
		h.log().ErrorContext(r.Context(), "proofing api", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		httpx.WriteServerError(w, r)
		return
	}
	writeJSON(w, status, Problem{Error: code, Description: describe(err), Read: read})
}

// describe is the error's text without the package prefixes.
func describe(err error) string {
	s := err.Error()
	for _, p := range []string{"proofing: ", "accounts: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// decode reads a JSON body of at most maxBody bytes into v, refusing
// unknown fields and other media types.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, Problem{Error: "invalid_request", Description: "send application/json"})
		return false
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, Problem{Error: "invalid_request", Description: "the request is too large"})
			return false
		}
		writeJSON(w, http.StatusBadRequest, Problem{Error: "invalid_request", Description: "malformed JSON: " + err.Error()})
		return false
	}
	if _, err := d.Token(); err != io.EOF {
		writeJSON(w, http.StatusBadRequest, Problem{Error: "invalid_request", Description: "one JSON object is expected"})
		return false
	}
	return true
}

// Challenge is a fresh challenge for a chip.
type Challenge struct {
	Challenge []byte    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Read is a chip read as the APIs show it: identity, every check, never a
// biometric.
type Read struct {
	ID string `json:"id"`
	// Document is "id_card" or "passport"; a passport's chip portrait is
	// never in the answer (the officer sees it on the counter page).
	Document       string           `json:"document,omitempty"`
	PersonalID     string           `json:"personal_id,omitempty"`
	FullName       string           `json:"full_name,omitempty"`
	BirthDate      string           `json:"birth_date,omitempty"`
	Gender         string           `json:"gender,omitempty"`
	DocumentNumber string           `json:"document_number,omitempty"`
	IssuingState   string           `json:"issuing_state,omitempty"`
	DocumentExpiry string           `json:"document_expiry,omitempty"`
	AccessControl  string           `json:"access_control"`
	Signer         string           `json:"signer,omitempty"`
	CSCA           string           `json:"csca,omitempty"`
	Mismatches     []string         `json:"registry_mismatches,omitempty"`
	Checks         []accounts.Check `json:"checks"`
	OK             bool             `json:"ok"`
	CreatedAt      time.Time        `json:"created_at"`
	Used           bool             `json:"used"`
}

func readOf(r proofing.ChipRead) *Read {
	out := &Read{ID: r.ID, Document: r.Document, PersonalID: r.PersonalID, FullName: r.Person.FullName, Gender: string(r.Person.Gender),
		DocumentNumber: r.DocumentNumber, IssuingState: r.IssuingState, AccessControl: r.AccessControl, Signer: r.Signer,
		CSCA: r.CSCA, Mismatches: r.Mismatches, Checks: r.Checks, OK: r.OK(), CreatedAt: r.CreatedAt, Used: r.UsedAt != nil}
	if !r.Person.BirthDate.IsZero() {
		out.BirthDate = r.Person.BirthDate.Format(time.DateOnly)
	}
	if !r.DocumentExpiry.IsZero() {
		out.DocumentExpiry = r.DocumentExpiry.Format(time.DateOnly)
	}
	return out
}

// Submission is an app submission as the app and the officer see it.
type Submission struct {
	ID             string           `json:"id"`
	PersonalID     string           `json:"personal_id"`
	Channel        string           `json:"channel"`
	State          string           `json:"state"`
	Checks         []accounts.Check `json:"checks"`
	Reason         string           `json:"reason,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	DecidedAt      *time.Time       `json:"decided_at,omitempty"`
	Portrait       []byte           `json:"portrait,omitempty"` // officers only, while pending
	PortraitFormat string           `json:"portrait_format,omitempty"`
}

func submissionOf(s proofing.Submission, withPortrait bool) Submission {
	out := Submission{ID: s.ID, PersonalID: s.PersonalID, Channel: string(s.Channel), State: string(s.State),
		Checks: s.Checks, Reason: s.Reason, CreatedAt: s.CreatedAt, DecidedAt: s.DecidedAt}
	if withPortrait {
		out.Portrait, out.PortraitFormat = s.Portrait, s.PortraitFormat
	}
	return out
}

// ChipRequest carries chip data (cardreader.ChipData's JSON form).
type ChipRequest struct {
	Chip *cardreader.ChipData `json:"chip"`
}
