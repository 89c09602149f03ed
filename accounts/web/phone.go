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

// Paths of the change of phone number.
const (
	PathPhone        = "/account/phone"
	PathPhoneConfirm = "/account/phone/confirm"
)

// keyPhoneChange holds the change under way (phoneChange, JSON).
const keyPhoneChange = "account.phone_change"

type phoneChange struct {
	AccountID string               `json:"account_id"`
	Change    accounts.PhoneChange `json:"change"`
}

func (h *Handler) phoneRoutes(r *mux.Router) {
	r.Handle(PathPhone, httpx.NoStore(http.HandlerFunc(h.showPhone))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathPhone, httpx.NoStore(http.HandlerFunc(h.postPhone))).Methods(http.MethodPost)
	r.Handle(PathPhoneConfirm, httpx.NoStore(http.HandlerFunc(h.postPhoneConfirm))).Methods(http.MethodPost)
}

func (h *Handler) phonePage(r *http.Request, lang templates.Lang, l websession.Login) (templates.PhonePage, error) {
	p := templates.PhonePage{Base: h.base(r, lang),
		ReauthURL: reauthAt(PathPhone, lang)}
	a, err := h.Accounts.Get(r.Context(), l.AccountID)
	if err != nil {
		return p, err
	}
	if a.Phone != "" {
		p.MaskedPhone = accounts.MaskPhone(a.Phone)
	}
	if pc, ok := h.pendingPhone(r, l); ok {
		p.Codes, p.MaskedOld, p.MaskedNew = true, pc.MaskedOld, pc.MaskedNew
	} else if !h.Accounts.Reauthenticated(signedInOf(l)) {
		p.Reauth = true
	}
	return p, nil
}

func signedInOf(l websession.Login) accounts.SignedIn {
	return accounts.SignedIn{AccountID: l.AccountID, AuthTime: l.AuthTime, Strength: l.Strength}
}

func (h *Handler) pendingPhone(r *http.Request, l websession.Login) (accounts.PhoneChange, bool) {
	var pc phoneChange
	s := h.Sessions.GetString(r.Context(), keyPhoneChange)
	if s == "" || json.Unmarshal([]byte(s), &pc) != nil || pc.AccountID != l.AccountID {
		return accounts.PhoneChange{}, false
	}
	return pc.Change, true
}

func (h *Handler) showPhone(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathPhone, false)
	if !ok {
		return
	}
	if r.URL.Query().Get("restart") == "1" {
		h.Sessions.Remove(r.Context(), keyPhoneChange)
	}
	p, err := h.phonePage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "phone page", err)
		return
	}
	h.render(w, r, h.Templates.Phone(w, http.StatusOK, p))
}

// postPhone sends the two codes (accounts.Service.StartPhoneChange).
func (h *Handler) postPhone(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathPhone, true)
	if !ok {
		return
	}
	h.Sessions.Remove(ctx, keyPhoneChange)
	p, err := h.phonePage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "phone page", err)
		return
	}
	p.NewPhone = r.PostFormValue("phone")
	pc, err := h.Accounts.StartPhoneChange(ctx, signedInOf(l), p.NewPhone, clientOf(r))
	if err != nil {
		status, key, minutes, ok := phoneRefusals.match(w, err, "phone.sms_limit")
		if !ok {
			h.serverError(w, r, lang, "start phone change", err)
			return
		}
		p.Error, p.RetryMinutes = key, minutes
		p.Reauth = errors.Is(err, accounts.ErrReauthRequired)
		h.render(w, r, h.Templates.Phone(w, status, p))
		return
	}
	b, _ := json.Marshal(phoneChange{AccountID: l.AccountID, Change: pc})
	h.Sessions.Put(ctx, keyPhoneChange, string(b))
	http.Redirect(w, r, PathPhone+"?ui_locales="+string(lang), http.StatusSeeOther)
}

// postPhoneConfirm checks both codes and sets the new number
// (accounts.Service.ConfirmPhoneChange).
func (h *Handler) postPhoneConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathPhone, true)
	if !ok {
		return
	}
	p, err := h.phonePage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "phone page", err)
		return
	}
	pc, ok := h.pendingPhone(r, l)
	if !ok {
		p.Error = "phone.expired"
		h.render(w, r, h.Templates.Phone(w, http.StatusBadRequest, p))
		return
	}
	_, err = h.Accounts.ConfirmPhoneChange(ctx, signedInOf(l), accounts.PhoneChangeConfirm{
		Change: pc, OldCode: r.PostFormValue("old_code"), NewCode: r.PostFormValue("new_code"), Client: clientOf(r),
	})
	if err != nil {
		status, key, minutes, ok := phoneRefusals.match(w, err, "phone.locked_out")
		if !ok {
			h.serverError(w, r, lang, "confirm phone change", err)
			return
		}
		if errors.Is(err, accounts.ErrCodeExpired) || errors.Is(err, accounts.ErrPhoneTaken) {
			h.Sessions.Remove(ctx, keyPhoneChange)
			p.Codes = false
		}
		p.Error, p.RetryMinutes = key, minutes
		h.render(w, r, h.Templates.Phone(w, status, p))
		return
	}
	h.Sessions.Remove(ctx, keyPhoneChange)
	p.Done = true
	h.render(w, r, h.Templates.Phone(w, http.StatusOK, p))
}

// phoneRefusals word the errors of a change of phone number.
var phoneRefusals = changeRefusals{
	{accounts.ErrReauthRequired, http.StatusForbidden, "phone.reauth"},
	{accounts.ErrLocked, http.StatusForbidden, "phone.account_locked"},
	{accounts.ErrNoOldPhone, http.StatusConflict, "phone.no_old"},
	{accounts.ErrInvalidPhone, http.StatusBadRequest, "phone.invalid"},
	{accounts.ErrSamePhone, http.StatusBadRequest, "phone.same"},
	{accounts.ErrOldPhoneCode, http.StatusUnauthorized, "phone.wrong_old"},
	{accounts.ErrNewPhoneCode, http.StatusUnauthorized, "phone.wrong_new"},
	{accounts.ErrCodeExpired, http.StatusBadRequest, "phone.expired"},
	{accounts.ErrPhoneTaken, http.StatusConflict, "phone.taken"},
}
