package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Passkey paths: the member's own passkeys, and the ceremonies (JSON, the
// CSRF token in the X-CSRF-Token header).
const (
	PathPasskeys            = "/staff/passkeys"
	PathPasskeyBegin        = "/staff/passkeys/begin"
	PathPasskeyFinish       = "/staff/passkeys/finish"
	PathPasskeyLoginBegin   = "/staff/login/passkey/begin"
	PathPasskeyLoginFinish  = "/staff/login/passkey/finish"
	keyPasskeyRegistration  = "staff.passkey_registration"
	keyPasskeyLogin         = "staff.passkey_login"
	maxPasskeyResponseBytes = 64 << 10
)

func (h *Handler) passkeyRoutes(r *mux.Router, signedIn func(http.HandlerFunc) http.Handler) {
	r.Handle(PathPasskeys, signedIn(h.passkeys)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathPasskeyBegin, signedIn(h.passkeyBegin)).Methods(http.MethodPost)
	r.Handle(PathPasskeyFinish, signedIn(h.passkeyFinish)).Methods(http.MethodPost)
	r.HandleFunc(PathPasskeyLoginBegin, h.passkeyLoginBegin).Methods(http.MethodPost)
	r.HandleFunc(PathPasskeyLoginFinish, h.passkeyLoginFinish).Methods(http.MethodPost)
}

// writeJSON is the gateway's one JSON writer (httpx.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// jsonError answers the gateway's JSON error (httpx.Error) for code.
func jsonError(w http.ResponseWriter, status int, code string) { httpx.WriteError(w, status, code, "") }

func (h *Handler) passkeys(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	page := templates.StaffPasskeysPage{StaffBase: h.Base(r), Enabled: h.Staff.PasskeysEnabled()}
	if r.URL.Query().Get("added") == "1" {
		page.Notice = "staff.passkeys.added"
	}
	if page.Enabled {
		keys, err := h.Staff.Passkeys(r.Context(), p)
		if err != nil {
			h.serverError(w, r, "list passkeys", err)
			return
		}
		for _, k := range keys {
			row := templates.StaffPasskeyRow{Name: k.Name, CreatedAt: webpage.Minute(k.CreatedAt)}
			if k.LastUsedAt != nil {
				row.LastUsedAt = webpage.Minute(*k.LastUsedAt)
			}
			page.Passkeys = append(page.Passkeys, row)
		}
	}
	h.render(r, h.Templates.StaffPasskeys(w, http.StatusOK, page))
}

func (h *Handler) passkeyBegin(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	options, state, err := h.Staff.BeginPasskeyRegistration(r.Context(), p)
	if errors.Is(err, staff.ErrNoPasskeys) {
		jsonError(w, http.StatusNotFound, "passkeys_disabled")
		return
	}
	if err != nil {
		h.logger().ErrorContext(r.Context(), "begin passkey registration", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		jsonError(w, http.StatusInternalServerError, "server_error")
		return
	}
	h.Sessions.Put(r.Context(), keyPasskeyRegistration, string(state))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(options)
}

func (h *Handler) passkeyFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	state := h.Sessions.PopString(ctx, keyPasskeyRegistration)
	var body struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if state == "" || json.NewDecoder(io.LimitReader(r.Body, maxPasskeyResponseBytes)).Decode(&body) != nil {
		jsonError(w, http.StatusBadRequest, "bad_request")
		return
	}
	_, err := h.Staff.FinishPasskeyRegistration(ctx, h.actor(r), []byte(state), body.Credential, body.Name)
	switch {
	case errors.Is(err, staff.ErrPasskeyFailed), errors.Is(err, staff.ErrAlreadyExists):
		jsonError(w, http.StatusBadRequest, "passkey_failed")
	case err != nil:
		h.logger().ErrorContext(ctx, "finish passkey registration", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		jsonError(w, http.StatusInternalServerError, "server_error")
	default:
		writeJSON(w, http.StatusOK, map[string]string{"redirect": PathPasskeys + "?added=1"})
	}
}

func (h *Handler) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	pend, ok := h.pending(r)
	if !ok {
		jsonError(w, http.StatusUnauthorized, "sign_in_expired")
		return
	}
	options, state, err := h.Staff.BeginPasskeyLogin(r.Context(), pend.MemberID)
	if errors.Is(err, staff.ErrNoPasskeys) {
		jsonError(w, http.StatusNotFound, "no_passkey")
		return
	}
	if err != nil {
		h.logger().ErrorContext(r.Context(), "begin passkey sign-in", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		jsonError(w, http.StatusInternalServerError, "server_error")
		return
	}
	h.Sessions.Put(r.Context(), keyPasskeyLogin, string(state))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(options)
}

func (h *Handler) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pend, ok := h.pending(r)
	state := h.Sessions.PopString(ctx, keyPasskeyLogin)
	if !ok || state == "" {
		jsonError(w, http.StatusUnauthorized, "sign_in_expired")
		return
	}
	resp, err := io.ReadAll(io.LimitReader(r.Body, maxPasskeyResponseBytes))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "bad_request")
		return
	}
	sid, err := randomID()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "server_error")
		return
	}
	p, err := h.Staff.VerifyPasskey(ctx, staff.PasskeyRequest{MemberID: pend.MemberID, State: []byte(state), Response: resp,
		Session: sid, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)})
	var le *staff.LockoutError
	switch {
	case errors.As(err, &le):
		jsonError(w, http.StatusTooManyRequests, "locked_out")
		return
	case errors.Is(err, staff.ErrPasskeyFailed), errors.Is(err, staff.ErrDisabled):
		jsonError(w, http.StatusUnauthorized, "passkey_failed")
		return
	case err != nil:
		h.logger().ErrorContext(ctx, "passkey sign-in", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		jsonError(w, http.StatusInternalServerError, "server_error")
		return
	}
	target, err := h.completeSignIn(r, p, sid)
	if err != nil {
		h.logger().ErrorContext(ctx, "renew staff session", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		jsonError(w, http.StatusInternalServerError, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": target})
}

// completeSignIn turns the pending sign-in into the signed-in session: a
// new session token and CSRF token (nothing learnt before the sign-in
// opens the signed-in session) and where to go next.
func (h *Handler) completeSignIn(r *http.Request, p staff.Principal, sid string) (string, error) {
	ctx := r.Context()
	if err := h.Sessions.RenewToken(ctx); err != nil {
		return "", err
	}
	h.CSRF.Renew(ctx)
	h.Sessions.Remove(ctx, keyPending)
	putJSON(ctx, h.Sessions, keySignIn, signIn{MemberID: p.MemberID, SID: sid, AuthTime: h.now()})
	target := h.Sessions.PopString(ctx, keyReturnTo)
	if !safeReturnTo(target) || strings.HasPrefix(target, PathLogin) {
		target = PathHome
	}
	return target, nil
}
