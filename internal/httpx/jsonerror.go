package httpx

import (
	"encoding/json"
	"net/http"
	"strings"
)

// APIPrefixes are the paths of the gateway's JSON APIs (described by its
// OpenAPI document): the operators' admin API, the counter's API for
// officers, the citizen's app API and the document registries' pushes.
// Every answer under them is JSON, errors included: a path or a method
// that does not exist, a refused credential, a throttle, a panic.
var APIPrefixes = []string{"/admin/api/", "/counter/api/", "/api/", "/registry/"}

// IsAPI reports whether path lies under one of APIPrefixes.
func IsAPI(path string) bool {
	for _, p := range APIPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Error is the error body of every JSON API, in the shape of OAuth 2.0's
// (RFC 6749 §5.2): a stable machine code and a sentence for a person. An
// API may add fields of its own beside them (the app API's messages in
// both languages, a registry batch's bad lines).
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// descriptions are the sentences of the codes every API shares, used when
// the caller gives none.
var descriptions = map[string]string{
	"invalid_request":         "the request is malformed",
	"unauthorized":            "a valid credential is required",
	"invalid_token":           "the credential is missing, unknown, expired or revoked",
	"forbidden":               "the credential does not allow this",
	"not_found":               "no such resource",
	"method_not_allowed":      "the method is not allowed on this resource",
	"already_exists":          "the resource exists already",
	"slow_down":               "too many requests; retry later",
	"server_error":            "internal error",
	"temporarily_unavailable": "temporarily unavailable; retry in a few seconds",
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NewError is the Error of code; an empty description takes the code's
// usual sentence (or the code itself).
func NewError(code, description string) Error {
	if description == "" {
		description = descriptions[code]
	}
	if description == "" {
		description = strings.ReplaceAll(code, "_", " ")
	}
	return Error{Code: code, Description: description}
}

// WriteError answers the error code with status as JSON (see Error); an
// empty description takes the code's usual sentence.
func WriteError(w http.ResponseWriter, status int, code, description string) {
	WriteJSON(w, status, NewError(code, description))
}

// WriteServerError answers 500 without details, naming the request id the
// log has them under: as JSON under APIPrefixes (server_error), as text
// elsewhere.
func WriteServerError(w http.ResponseWriter, r *http.Request) {
	msg := "internal error"
	if id := RequestIDFrom(r.Context()); id != "" {
		msg += ", request id " + id
	}
	if IsAPI(r.URL.Path) {
		WriteError(w, http.StatusInternalServerError, "server_error", msg)
		return
	}
	http.Error(w, msg, http.StatusInternalServerError)
}
