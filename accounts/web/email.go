package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the change of e-mail address.
const (
	PathEmail        = "/account/email"
	PathEmailConfirm = "/account/email/confirm"
)

// keyEmailChange holds the change under way (emailChange, JSON).
const keyEmailChange = "account.email_change"

type emailChange struct {
	AccountID string               `json:"account_id"`
	Change    accounts.EmailChange `json:"change"`
}

func (h *Handler) emailRoutes(r *mux.Router) {
	r.Handle(PathEmail, httpx.NoStore(http.HandlerFunc(h.showEmail))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathEmail, httpx.NoStore(http.HandlerFunc(h.postEmail))).Methods(http.MethodPost)
	r.Handle(PathEmailConfirm, httpx.NoStore(http.HandlerFunc(h.postEmailConfirm))).Methods(http.MethodPost)
}

func (h *Handler) pendingEmail(r *http.Request, l websession.Login) (accounts.EmailChange, bool) {
	var ec emailChange
	s := h.Sessions.GetString(r.Context(), keyEmailChange)
	if s == "" || json.Unmarshal([]byte(s), &ec) != nil || ec.AccountID != l.AccountID {
		return accounts.EmailChange{}, false
	}
	return ec.Change, true
}

func (h *Handler) emailPage(r *http.Request, lang templates.Lang, l websession.Login) (templates.EmailPage, error) {
	p := templates.EmailPage{Base: h.base(r, lang), Off: !h.Accounts.EmailEnabled(),
		ReauthURL: reauthAt(PathEmail, lang)}
	a, err := h.Accounts.Get(r.Context(), l.AccountID)
	if err != nil {
		return p, err
	}
	if a.Email != "" {
		p.Current = accounts.MaskEmail(a.Email)
	}
	if ec, ok := h.pendingEmail(r, l); ok {
		p.Code, p.Masked = true, accounts.MaskEmail(ec.Address)
	} else if !h.Accounts.Reauthenticated(signedInOf(l)) {
		p.Reauth = true
	}
	return p, nil
}

func (h *Handler) showEmail(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathEmail, false)
	if !ok {
		return
	}
	if r.URL.Query().Get("restart") == "1" {
		h.Sessions.Remove(r.Context(), keyEmailChange)
	}
	p, err := h.emailPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "e-mail page", err)
		return
	}
	h.render(w, r, h.Templates.Email(w, http.StatusOK, p))
}

// postEmail sends a code to the new address (accounts.Service.StartEmailChange).
func (h *Handler) postEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathEmail, true)
	if !ok {
		return
	}
	h.Sessions.Remove(ctx, keyEmailChange)
	p, err := h.emailPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "e-mail page", err)
		return
	}
	p.Address = r.PostFormValue("email")
	ec, err := h.Accounts.StartEmailChange(ctx, signedInOf(l), p.Address, clientOf(r))
	if err != nil {
		status, key, minutes, ok := emailRefusals.match(w, err, "email.limit")
		if !ok {
			h.serverError(w, r, lang, "start e-mail change", err)
			return
		}
		p.Error, p.RetryMinutes = key, minutes
		p.Reauth = errors.Is(err, accounts.ErrReauthRequired)
		h.render(w, r, h.Templates.Email(w, status, p))
		return
	}
	b, _ := json.Marshal(emailChange{AccountID: l.AccountID, Change: ec})
	h.Sessions.Put(ctx, keyEmailChange, string(b))
	http.Redirect(w, r, PathEmail+"?ui_locales="+string(lang), http.StatusSeeOther)
}

// postEmailConfirm checks the code and sets the address
// (accounts.Service.ConfirmEmailChange).
func (h *Handler) postEmailConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathEmail, true)
	if !ok {
		return
	}
	p, err := h.emailPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "e-mail page", err)
		return
	}
	ec, ok := h.pendingEmail(r, l)
	if !ok {
		p.Error = "email.expired"
		h.render(w, r, h.Templates.Email(w, http.StatusBadRequest, p))
		return
	}
	_, err = h.Accounts.ConfirmEmailChange(ctx, signedInOf(l), ec, r.PostFormValue("code"), clientOf(r))
	if err != nil {
		status, key, minutes, ok := emailRefusals.match(w, err, "email.locked_out")
		if !ok {
			h.serverError(w, r, lang, "confirm e-mail change", err)
			return
		}
		if errors.Is(err, accounts.ErrCodeExpired) {
			h.Sessions.Remove(ctx, keyEmailChange)
			p.Code = false
		}
		p.Error, p.RetryMinutes = key, minutes
		h.render(w, r, h.Templates.Email(w, status, p))
		return
	}
	h.Sessions.Remove(ctx, keyEmailChange)
	p.Done = true
	h.render(w, r, h.Templates.Email(w, http.StatusOK, p))
}

// emailRefusals word the errors of a change of e-mail address.
var emailRefusals = changeRefusals{
	{accounts.ErrReauthRequired, http.StatusForbidden, "email.reauth"},
	{accounts.ErrEmailOff, http.StatusServiceUnavailable, "email.off"},
	{accounts.ErrLocked, http.StatusForbidden, "email.account_locked"},
	{accounts.ErrInvalidEmail, http.StatusBadRequest, "email.invalid"},
	{accounts.ErrSameEmail, http.StatusBadRequest, "email.same"},
	{accounts.ErrInvalidCode, http.StatusUnauthorized, "email.wrong_code"},
	{accounts.ErrCodeExpired, http.StatusBadRequest, "email.expired"},
}
