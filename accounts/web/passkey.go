package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/gorilla/mux"
)

// Passkey paths: the ceremonies are JSON, with the CSRF token in the
// X-CSRF-Token header; removal is a form.
const (
	PathPasskeyLoginBegin    = "/login/passkey/begin"
	PathPasskeyLoginFinish   = "/login/passkey/finish"
	PathAccountPasskeyBegin  = "/account/passkeys/begin"
	PathAccountPasskeyFinish = "/account/passkeys/finish"
	PathAccountPasskeyRemove = "/account/passkeys/remove"
	// PathAccountPasskeys is where the account page lists them.
	PathAccountPasskeys = DefaultReturnTo
	// maxPasskeyBytes bounds an authenticator's answer.
	maxPasskeyBytes = 64 << 10
)

// Session keys of the passkey ceremonies: go-webauthn's state (JSON),
// popped by the finishing request so that a challenge is used once.
const (
	keyPasskeyLogin        = "signin.passkey_login"
	keyPasskeyRegistration = "account.passkey_registration"
)

func (h *Handler) passkeyRoutes(r *mux.Router) {
	if !h.Accounts.PasskeysEnabled() {
		return
	}
	r.Handle(PathPasskeyLoginBegin, httpx.NoStore(http.HandlerFunc(h.passkeyLoginBegin))).Methods(http.MethodPost)
	r.Handle(PathPasskeyLoginFinish, httpx.NoStore(http.HandlerFunc(h.passkeyLoginFinish))).Methods(http.MethodPost)
	r.Handle(PathAccountPasskeyBegin, httpx.NoStore(http.HandlerFunc(h.passkeyBegin))).Methods(http.MethodPost)
	r.Handle(PathAccountPasskeyFinish, httpx.NoStore(http.HandlerFunc(h.passkeyFinish))).Methods(http.MethodPost)
	r.Handle(PathAccountPasskeyRemove, httpx.NoStore(http.HandlerFunc(h.passkeyRemove))).Methods(http.MethodPost)
}

// writeJSON is the gateway's one JSON writer (httpx.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// jsonError answers the gateway's JSON error (httpx.Error) for code.
func jsonError(w http.ResponseWriter, status int, code string) { httpx.WriteError(w, status, code, "") }

func (h *Handler) jsonServerError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	h.logger().ErrorContext(r.Context(), msg, "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	jsonError(w, http.StatusInternalServerError, "server_error")
}

func writeOptions(w http.ResponseWriter, options []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(options)
}

// ---- the passkey as the second sign-in step ----

func (h *Handler) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	p, ok := getPending(r.Context(), h.Sessions)
	if !ok || h.now().Sub(p.PasswordAt) > pendingTTL || !webpage.CSRFOK(r, h.CSRF) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign_in_expired", "redirect": PathLogin + "?expired=1"})
		return
	}
	options, state, err := h.Accounts.BeginPasskeySignIn(r.Context(), p.AccountID)
	if errors.Is(err, accounts.ErrFactorUnavailable) {
		jsonError(w, http.StatusNotFound, "no_passkey")
		return
	}
	if err != nil {
		h.jsonServerError(w, r, "begin passkey sign-in", err)
		return
	}
	h.Sessions.Put(r.Context(), keyPasskeyLogin, string(state))
	writeOptions(w, options)
}

func (h *Handler) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := getPending(ctx, h.Sessions)
	state := h.Sessions.PopString(ctx, keyPasskeyLogin)
	if !ok || state == "" || h.now().Sub(p.PasswordAt) > pendingTTL || !webpage.CSRFOK(r, h.CSRF) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign_in_expired", "redirect": PathLogin + "?expired=1"})
		return
	}
	resp, err := io.ReadAll(io.LimitReader(r.Body, maxPasskeyBytes))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "bad_request")
		return
	}
	acct, err := h.Accounts.VerifySecondFactor(ctx, accounts.SecondFactorRequest{
		AccountID: p.AccountID, Factor: accounts.FactorPasskey, PasskeyState: []byte(state), PasskeyResponse: resp,
		Devices: devices(r), IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx),
	})
	if le, isLock := accounts.AsLockout(err); isLock {
		// As with codes: the pending sign-in ends, and the first page says
		// how long to wait.
		h.Sessions.Remove(ctx, keyPending)
		w.Header().Set("Retry-After", retryAfter(le))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "locked_out", "redirect": PathLogin + "?expired=1"})
		return
	}
	switch {
	case errors.Is(err, accounts.ErrPasskeyFailed), errors.Is(err, accounts.ErrFactorUnavailable):
		jsonError(w, http.StatusUnauthorized, "passkey_failed")
		return
	case errors.Is(err, accounts.ErrLocked), errors.Is(err, accounts.ErrNotActivated), errors.Is(err, accounts.ErrNotFound):
		h.Sessions.Remove(ctx, keyPending)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "account_unusable", "redirect": PathLogin + "?expired=1"})
		return
	case err != nil:
		h.jsonServerError(w, r, "passkey sign-in", err)
		return
	}
	to, err := h.completeSignIn(w, r, acct, accounts.FactorPasskey)
	if err != nil {
		h.jsonServerError(w, r, "renew session token", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": to})
}

// ---- the account's passkeys ----

// signedIn returns the signed-in citizen as the domain checks a change of
// factors against.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (accounts.SignedIn, bool) {
	l, ok := websession.GetLogin(r.Context(), h.Sessions)
	if !ok || !webpage.CSRFOK(r, h.CSRF) {
		jsonError(w, http.StatusUnauthorized, "not_signed_in")
		return accounts.SignedIn{}, false
	}
	return accounts.SignedIn{AccountID: l.AccountID, AuthTime: l.AuthTime, Strength: l.Strength}, true
}

func (h *Handler) citizen(r *http.Request, accountID string) accounts.Actor {
	return accounts.Actor{Kind: audit.Citizen, ID: accountID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestIDFrom(r.Context())}
}

func (h *Handler) passkeyBegin(w http.ResponseWriter, r *http.Request) {
	by, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	options, state, err := h.Accounts.BeginPasskeyRegistration(r.Context(), by)
	switch {
	case errors.Is(err, accounts.ErrReauthRequired):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "reauth_required", "redirect": reauthAt(PathAccountPasskeys+"#passkeys", h.lang(r))})
		return
	case errors.Is(err, accounts.ErrLocked):
		jsonError(w, http.StatusForbidden, "account_locked")
		return
	case err != nil:
		h.jsonServerError(w, r, "begin passkey registration", err)
		return
	}
	h.Sessions.Put(r.Context(), keyPasskeyRegistration, string(state))
	writeOptions(w, options)
}

func (h *Handler) passkeyFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	by, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	state := h.Sessions.PopString(ctx, keyPasskeyRegistration)
	var body struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if state == "" || json.NewDecoder(io.LimitReader(r.Body, maxPasskeyBytes)).Decode(&body) != nil {
		jsonError(w, http.StatusBadRequest, "bad_request")
		return
	}
	_, err := h.Accounts.FinishPasskeyRegistration(ctx, by, h.citizen(r, by.AccountID), []byte(state), body.Credential, body.Name)
	switch {
	case errors.Is(err, accounts.ErrReauthRequired):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "reauth_required", "redirect": reauthAt(PathAccountPasskeys+"#passkeys", h.lang(r))})
	case errors.Is(err, accounts.ErrPasskeyFailed), errors.Is(err, accounts.ErrAlreadyExists):
		jsonError(w, http.StatusBadRequest, "passkey_failed")
	case errors.Is(err, accounts.ErrLocked):
		jsonError(w, http.StatusForbidden, "account_locked")
	case err != nil:
		h.jsonServerError(w, r, "finish passkey registration", err)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"redirect": PathAccountPasskeys + "?done=passkey_added#passkeys"})
	}
}

func (h *Handler) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := webpage.RequireLogin(w, r, h.Sessions, PathLogin, PathAccountPasskeys)
	if !ok {
		return
	}
	if !webpage.CSRFOK(r, h.CSRF) {
		http.Error(w, "CSRF token missing or invalid", http.StatusForbidden)
		return
	}
	id, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("id"))
	if err != nil || len(id) == 0 {
		http.Redirect(w, r, PathAccountPasskeys+"?done=passkey_not_found#passkeys", http.StatusSeeOther)
		return
	}
	by := accounts.SignedIn{AccountID: l.AccountID, AuthTime: l.AuthTime, Strength: l.Strength}
	err = h.Accounts.RemovePasskey(ctx, by, h.citizen(r, l.AccountID), id)
	switch {
	case errors.Is(err, accounts.ErrReauthRequired):
		http.Redirect(w, r, reauthAt(PathAccountPasskeys+"#passkeys", lang), http.StatusSeeOther)
	case errors.Is(err, accounts.ErrNotFound):
		http.Redirect(w, r, PathAccountPasskeys+"?done=passkey_not_found#passkeys", http.StatusSeeOther)
	case err != nil:
		h.serverError(w, r, lang, "remove passkey", err)
	default:
		http.Redirect(w, r, PathAccountPasskeys+"?done=passkey_removed#passkeys", http.StatusSeeOther)
	}
}
