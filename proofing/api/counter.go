package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/staff"
)

type principalKey struct{}

// officerAuth resolves the bearer credential to the staff member: what
// every counter call is audited with.
func (h *Handler) officerAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var p staff.Principal
		err := ErrUnauthenticated
		if ok && h.Officer != nil {
			p, err = h.Officer(r.Context(), strings.TrimSpace(tok))
		}
		switch {
		case errors.Is(err, ErrUnauthenticated):
			w.Header().Set("WWW-Authenticate", `Bearer realm="counter", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, Problem{Error: "invalid_token", Description: "an officer's credential is required"})
			return
		case err != nil:
			h.log().ErrorContext(r.Context(), "authenticate officer", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
			w.Header().Set("Retry-After", "5")
			httpx.WriteError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func principal(r *http.Request) staff.Principal {
	p, _ := r.Context().Value(principalKey{}).(staff.Principal)
	return p
}

// counterChallenge: POST /counter/api/v1/challenges.
func (h *Handler) counterChallenge(w http.ResponseWriter, r *http.Request) {
	c, err := h.Proofing.IssueChallenge(r.Context(), principal(r))
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusCreated, Challenge{Challenge: c.Value, ExpiresAt: c.ExpiresAt})
}

// counterRead: POST /counter/api/v1/reads {"chip": ChipData}. 201 with the
// read when every check passed; 422 with the read and the failed checks.
func (h *Handler) counterRead(w http.ResponseWriter, r *http.Request) {
	var in ChipRequest
	if !decode(w, r, &in) {
		return
	}
	if in.Chip == nil {
		writeJSON(w, http.StatusBadRequest, Problem{Error: "invalid_request", Description: "chip is required"})
		return
	}
	read, err := h.Proofing.SubmitRead(r.Context(), principal(r), *in.Chip)
	if err != nil {
		var out *Read
		if read.ID != "" {
			out = readOf(read)
		}
		h.fail(w, r, err, out)
		return
	}
	writeJSON(w, http.StatusCreated, readOf(read))
}

// counterGetRead: GET /counter/api/v1/reads/{id}.
func (h *Handler) counterGetRead(w http.ResponseWriter, r *http.Request) {
	read, err := h.Proofing.Read(r.Context(), principal(r), mux.Vars(r)["id"])
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, readOf(read))
}

// EnrolRequest is the counter's level 2 enrolment on a verified read.
type EnrolRequest struct {
	ReadID         string `json:"read_id"`
	Portrait       []byte `json:"portrait"`
	PortraitFormat string `json:"portrait_format"`
	Fingerprint    []byte `json:"fingerprint"`
	FingerPosition int    `json:"finger_position"`
	Consent        bool   `json:"consent"`
	// PortraitCompared: for a passport, the officer compared the chip's
	// portrait with the person at the counter.
	PortraitCompared bool `json:"portrait_compared,omitempty"`
}

// Enrolment is the answer to an enrolment: the account's new level and
// the evidence it rests on.
type Enrolment struct {
	AccountID  string           `json:"account_id"`
	Level      int              `json:"level"`
	EvidenceID string           `json:"evidence_id"`
	Checks     []accounts.Check `json:"checks"`
}

// counterEnrol: POST /counter/api/v1/enrolments.
func (h *Handler) counterEnrol(w http.ResponseWriter, r *http.Request) {
	var in EnrolRequest
	if !decode(w, r, &in) {
		return
	}
	a, ev, err := h.Proofing.EnrolLevel2(r.Context(), principal(r), in.ReadID, proofing.Capture{
		Portrait: in.Portrait, PortraitFormat: in.PortraitFormat, Fingerprint: in.Fingerprint,
		FingerPosition: in.FingerPosition, Consent: in.Consent, PortraitCompared: in.PortraitCompared})
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, Enrolment{AccountID: a.ID, Level: int(a.Level), EvidenceID: ev.ID, Checks: ev.Checks})
}

// counterPending: GET /counter/api/v1/submissions, the app submissions
// waiting for an officer, with their portraits.
func (h *Handler) counterPending(w http.ResponseWriter, r *http.Request) {
	subs, err := h.Proofing.PendingSubmissions(r.Context(), principal(r), 50)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	out := make([]Submission, len(subs))
	for i, s := range subs {
		out[i] = submissionOf(s, true)
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": out})
}

// Decision is an officer's decision on an app submission.
type Decision struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// counterDecide: POST /counter/api/v1/submissions/{id}/decision.
func (h *Handler) counterDecide(w http.ResponseWriter, r *http.Request) {
	var in Decision
	if !decode(w, r, &in) {
		return
	}
	s, err := h.Proofing.DecideSubmission(r.Context(), principal(r), mux.Vars(r)["id"], in.Approve, in.Reason)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, submissionOf(s, false))
}
