package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// token serves the token endpoint (RFC 6749 §3.2).
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, resp, err := h.Provider.Token(ctx, r, meta(r))
	if err == nil {
		err = h.Provider.SealTokenResponse(ctx, ar, resp)
	}
	h.dpopTokenHeaders(w, r, err)
	if err != nil {
		errorHeaders(w, r, err)
		h.Provider.OAuth2.WriteAccessError(ctx, w, ar, err)
		return
	}
	h.Provider.OAuth2.WriteAccessResponse(ctx, w, ar, resp)
}

// bearerError answers a protected-resource request (RFC 6750 §3).
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// userinfo serves OIDC Core §5.3.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.URL.Query().Has("access_token") {
		// RFC 6750 §2.3: a token in the URI ends up in logs and histories;
		// only the header (§2.1) and a form body (§2.2) are accepted.
		bearerError(w, http.StatusBadRequest, "invalid_request", "send the access token in the Authorization header")
		return
	}
	reply, err := h.Provider.UserinfoResponse(ctx, accessToken(r), meta(r))
	if h.dpopUserinfo(w, r, err) {
		return
	}
	switch {
	case err == nil:
		w.Header().Set("Content-Type", reply.ContentType)
		_, _ = w.Write(reply.Body)
	case errors.Is(err, oidc.ErrInvalidToken) && fosite.AccessTokenFromRequest(r) == "":
		bearerError(w, http.StatusUnauthorized, "invalid_token", "no access token")
	case errors.Is(err, oidc.ErrInvalidToken):
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
	case errors.Is(err, oidc.ErrInsufficientScope):
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the openid scope is needed")
	case errors.Is(err, oidc.ErrUnavailable):
		w.Header().Set("Retry-After", retryAfter)
		bearerError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again")
	default:
		h.logger().ErrorContext(ctx, "userinfo", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		bearerError(w, http.StatusInternalServerError, "server_error", "request id "+httpx.RequestIDFrom(ctx))
	}
}

// introspect serves RFC 7662.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		h.introspectionError(w, r, fosite.ErrInvalidRequest)
		return
	}
	out, err := h.Provider.Introspect(r.Context(), r, meta(r))
	if err != nil {
		h.introspectionError(w, r, err)
		return
	}
	if oidc.WantsIntrospectionJWT(r.Header.Get("Accept")) {
		h.introspectionJWT(w, r, out)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// revoke serves RFC 7009. An unknown or invalid token is a success (§2.2);
// fosite answers 200 to every error but invalid_request and invalid_client,
// so a store outage or a server error is answered here, as JSON with its
// status, for the client to retry.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	err := h.Provider.Revoke(r.Context(), r, meta(r))
	if err != nil {
		if rfc := fosite.ErrorToRFC6749Error(err); rfc.CodeField >= http.StatusInternalServerError {
			errorHeaders(w, r, err)
			w.Header().Set("Cache-Control", "no-store")
			writeJSON(w, rfc.CodeField, map[string]string{"error": rfc.ErrorField, "error_description": rfc.DescriptionField})
			return
		}
	}
	errorHeaders(w, r, err)
	h.Provider.OAuth2.WriteRevocationResponse(r.Context(), w, err)
}

// par serves RFC 9126 pushed authorization requests.
func (h *Handler) par(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, resp, err := h.Provider.PushAuthorize(ctx, r)
	if err != nil {
		errorHeaders(w, r, err)
		h.Provider.OAuth2.WritePushedAuthorizeError(ctx, w, ar, err)
		return
	}
	h.Provider.OAuth2.WritePushedAuthorizeResponse(ctx, w, ar, resp)
}

// introspectionError answers RFC 7662 §2.3 errors as RFC 6749 §5.2 JSON
// (fosite turns some of them into {"active":false}, hiding a client
// authentication failure).
func (h *Handler) introspectionError(w http.ResponseWriter, r *http.Request, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	status := rfc.CodeField
	errorHeaders(w, r, err)
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		status = http.StatusUnauthorized
	}
	if status < 400 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]string{"error": rfc.ErrorField, "error_description": rfc.DescriptionField})
}

// retryAfter is the Retry-After of a 503 (RFC 9110 §10.2.3), in seconds:
// long enough for a database failover, short enough for a citizen waiting.
const retryAfter = "5"

// errorHeaders sets the headers an error answer of an OAuth 2.0 endpoint
// needs: Retry-After on temporarily_unavailable, and on invalid_client the
// WWW-Authenticate challenge of the scheme the client authenticated with
// (RFC 6749 §5.2; Basic unless it used a client assertion or the form).
func errorHeaders(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		return
	}
	switch fosite.ErrorToRFC6749Error(err).ErrorField {
	case fosite.ErrTemporarilyUnavailable.ErrorField:
		w.Header().Set("Retry-After", retryAfter)
	case fosite.ErrInvalidClient.ErrorField:
		w.Header().Set("WWW-Authenticate", `Basic realm="dinhdanh", charset="UTF-8"`)
	}
}
