package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/skip2/go-qrcode"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the second factors page.
const (
	PathSecurity        = "/account/security"
	PathSecurityTOTP    = "/account/security/totp"
	PathSecurityConfirm = "/account/security/totp/confirm"
)

// keyTOTPPending holds the sealed new authenticator secret (base64url)
// between its QR code and its first code.
const keyTOTPPending = "account.totp_pending"

func (h *Handler) securityRoutes(r *mux.Router) {
	r.Handle(PathSecurity, httpx.NoStore(http.HandlerFunc(h.showSecurity))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathSecurityTOTP, httpx.NoStore(http.HandlerFunc(h.postTOTPBegin))).Methods(http.MethodPost)
	r.Handle(PathSecurityConfirm, httpx.NoStore(http.HandlerFunc(h.postTOTPConfirm))).Methods(http.MethodPost)
}

func (h *Handler) securityPage(r *http.Request, lang templates.Lang, l websession.Login) (templates.SecurityPage, error) {
	p := templates.SecurityPage{Base: h.base(r, lang), CanChange: h.Accounts.Reauthenticated(signedInOf(l)),
		PasskeysOn: h.Accounts.PasskeysEnabled(),
		ReauthURL:  reauthAt(PathSecurity, lang)}
	f, err := h.Accounts.SecondFactorsOf(r.Context(), l.AccountID)
	if err != nil {
		return p, err
	}
	p.MaskedPhone, p.TOTP, p.Passkeys = f.MaskedPhone, f.TOTP, f.Passkeys
	return p, nil
}

func (h *Handler) showSecurity(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathSecurity, false)
	if !ok {
		return
	}
	h.Sessions.Remove(r.Context(), keyTOTPPending)
	p, err := h.securityPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "second factors page", err)
		return
	}
	if r.URL.Query().Get("done") == "totp" {
		p.Notice = "security.totp_done"
	}
	h.render(w, r, h.Templates.Security(w, http.StatusOK, p))
}

// postTOTPBegin shows a new authenticator secret to scan
// (accounts.Service.BeginTOTPChange).
func (h *Handler) postTOTPBegin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathSecurity, true)
	if !ok {
		return
	}
	p, err := h.securityPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "second factors page", err)
		return
	}
	enr, pending, err := h.Accounts.BeginTOTPChange(ctx, signedInOf(l))
	switch {
	case errors.Is(err, accounts.ErrReauthRequired):
		p.CanChange, p.Error = false, "security.reauth"
		h.render(w, r, h.Templates.Security(w, http.StatusForbidden, p))
		return
	case errors.Is(err, accounts.ErrLocked):
		p.Error = "security.account_locked"
		h.render(w, r, h.Templates.Security(w, http.StatusForbidden, p))
		return
	case err != nil:
		h.serverError(w, r, lang, "begin TOTP change", err)
		return
	}
	png, err := qrcode.Encode(enr.URL, qrcode.Medium, 240)
	if err != nil {
		h.serverError(w, r, lang, "TOTP QR code", err)
		return
	}
	h.Sessions.Put(ctx, keyTOTPPending, base64.RawURLEncoding.EncodeToString(pending))
	p.Enrolment = &templates.SecurityEnrolment{Secret: enr.Secret,
		// A data: URL of a PNG drawn here: safe for img src.
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}
	h.render(w, r, h.Templates.Security(w, http.StatusOK, p))
}

// postTOTPConfirm makes the new authenticator the account's once its code
// matches (accounts.Service.FinishTOTPChange).
func (h *Handler) postTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathSecurity, true)
	if !ok {
		return
	}
	p, err := h.securityPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "second factors page", err)
		return
	}
	pending, derr := base64.RawURLEncoding.DecodeString(h.Sessions.GetString(ctx, keyTOTPPending))
	if derr != nil || len(pending) == 0 {
		p.Error = "security.expired"
		h.render(w, r, h.Templates.Security(w, http.StatusBadRequest, p))
		return
	}
	err = h.Accounts.FinishTOTPChange(ctx, signedInOf(l), pending, r.PostFormValue("code"), clientOf(r))
	if le, isLock := accounts.AsLockout(err); isLock {
		h.Sessions.Remove(ctx, keyTOTPPending)
		w.Header().Set("Retry-After", retryAfter(le))
		p.Error, p.RetryMinutes = "security.locked_out", le.RetryMinutes()
		h.render(w, r, h.Templates.Security(w, http.StatusTooManyRequests, p))
		return
	}
	switch {
	case err == nil:
		h.Sessions.Remove(ctx, keyTOTPPending)
		http.Redirect(w, r, PathSecurity+"?done=totp&ui_locales="+string(lang), http.StatusSeeOther)
	case errors.Is(err, accounts.ErrReauthRequired):
		h.Sessions.Remove(ctx, keyTOTPPending)
		p.CanChange, p.Error = false, "security.reauth"
		h.render(w, r, h.Templates.Security(w, http.StatusForbidden, p))
	case errors.Is(err, accounts.ErrInvalidCode):
		// The same secret again: the page shows the code field only.
		p.Enrolment, p.Error = &templates.SecurityEnrolment{}, "security.bad_code"
		h.render(w, r, h.Templates.Security(w, http.StatusUnauthorized, p))
	case errors.Is(err, accounts.ErrCodeExpired):
		h.Sessions.Remove(ctx, keyTOTPPending)
		p.Error = "security.expired"
		h.render(w, r, h.Templates.Security(w, http.StatusBadRequest, p))
	case errors.Is(err, accounts.ErrLocked):
		p.Error = "security.account_locked"
		h.render(w, r, h.Templates.Security(w, http.StatusForbidden, p))
	default:
		h.serverError(w, r, lang, "finish TOTP change", err)
	}
}
