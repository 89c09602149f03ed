package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// limited answers 429 when AppLimit refuses the client's address.
func (h *Handler) limited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.AppLimit != nil && !h.AppLimit(httpx.ClientIP(r)) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, Problem{Error: "slow_down", Description: "too many requests from this address; try again in a minute"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// AppChallengeRequest names the card the phone is about to read.
type AppChallengeRequest struct {
	PersonalID string `json:"personal_id"`
}

// appChallenge: POST /api/app/v1/challenges.
func (h *Handler) appChallenge(w http.ResponseWriter, r *http.Request) {
	var in AppChallengeRequest
	if !decode(w, r, &in) {
		return
	}
	c, err := h.Proofing.IssueAppChallenge(r.Context(), in.PersonalID)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusCreated, Challenge{Challenge: c.Value, ExpiresAt: c.ExpiresAt})
}

// AppEnrolmentRequest is the phone's request for level 1.
type AppEnrolmentRequest struct {
	PersonalID     string               `json:"personal_id"`
	Chip           *cardreader.ChipData `json:"chip,omitempty"`
	QR             string               `json:"qr,omitempty"`
	Portrait       []byte               `json:"portrait"`
	PortraitFormat string               `json:"portrait_format"`
}

// appSubmit: POST /api/app/v1/enrolments. 201 when decided at once
// (approved by rule), 202 when it waits for an officer, 422 when a check
// failed (the submission, refused, names it).
func (h *Handler) appSubmit(w http.ResponseWriter, r *http.Request) {
	var in AppEnrolmentRequest
	if !decode(w, r, &in) {
		return
	}
	s, err := h.Proofing.Submit(r.Context(), proofing.AppSubmission{PersonalID: in.PersonalID, Chip: in.Chip, QR: in.QR,
		Portrait: in.Portrait, PortraitFormat: in.PortraitFormat})
	switch {
	case err != nil && s.ID != "":
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "verification_failed",
			"error_description": describe(err), "submission": submissionOf(s, false)})
	case err != nil:
		h.fail(w, r, err, nil)
	case s.State == proofing.Pending:
		writeJSON(w, http.StatusAccepted, submissionOf(s, false))
	default:
		writeJSON(w, http.StatusCreated, submissionOf(s, false))
	}
}

// appSubmission: GET /api/app/v1/enrolments/{id}: the state of a
// submission, for the phone that holds its id (a random UUID).
func (h *Handler) appSubmission(w http.ResponseWriter, r *http.Request) {
	s, err := h.Proofing.Submission(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, submissionOf(s, false))
}
