package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of self-registration (MISSION "Level 1", on the web).
const (
	PathRegister         = "/register"
	PathRegisterVerify   = "/register/verify"
	PathRegisterPassword = "/register/password"
)

// keyRegister holds the registration in progress (pendingRegistration,
// JSON).
const keyRegister = "register.pending"

// registerTTL bounds the pages' flow; the service bounds the registration
// itself.
const registerTTL = 30 * time.Minute

type pendingRegistration struct {
	ID          string    `json:"id"`
	MaskedPhone string    `json:"masked_phone"`
	Confirmed   bool      `json:"confirmed"`
	StartedAt   time.Time `json:"started_at"`
}

func getJSON[T any](ctx context.Context, sm *scs.SessionManager, key string) (T, bool) {
	var v T
	s := sm.GetString(ctx, key)
	if s == "" {
		return v, false
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return v, false
	}
	return v, true
}

func putJSON(ctx context.Context, sm *scs.SessionManager, key string, v any) {
	b, _ := json.Marshal(v)
	sm.Put(ctx, key, string(b))
}

func (h *Handler) registrationRoutes(r *mux.Router) {
	r.Handle(PathRegister, httpx.NoStore(http.HandlerFunc(h.showRegister))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathRegister, httpx.NoStore(http.HandlerFunc(h.postRegister))).Methods(http.MethodPost)
	r.Handle(PathRegisterVerify, httpx.NoStore(http.HandlerFunc(h.showRegisterVerify))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathRegisterVerify, httpx.NoStore(http.HandlerFunc(h.postRegisterVerify))).Methods(http.MethodPost)
	r.Handle(PathRegisterPassword, httpx.NoStore(http.HandlerFunc(h.showRegisterPassword))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathRegisterPassword, httpx.NoStore(http.HandlerFunc(h.postRegisterPassword))).Methods(http.MethodPost)
}

func clientOf(r *http.Request) accounts.Client {
	return accounts.Client{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

// pendingRegistration returns the registration in progress, or nothing
// when there is none or it is too old (and forgets it).
func (h *Handler) pendingRegistration(r *http.Request) (pendingRegistration, bool) {
	p, ok := getJSON[pendingRegistration](r.Context(), h.Sessions, keyRegister)
	if ok && p.ID != "" && h.now().Sub(p.StartedAt) <= registerTTL {
		return p, true
	}
	h.Sessions.Remove(r.Context(), keyRegister)
	return pendingRegistration{}, false
}

func (h *Handler) showRegister(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if r.URL.Query().Get("restart") != "" {
		h.Sessions.Remove(r.Context(), keyRegister)
	}
	page := templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterDetails}
	if r.URL.Query().Get("expired") == "1" {
		page.Error = "register.expired"
	}
	h.render(w, r, h.Templates.Register(w, http.StatusOK, page))
}

// parseBirthDate reads dd/mm/yyyy (as printed on the card), ddmmyyyy (as
// in its QR code) or yyyy-mm-dd (a date input).
func parseBirthDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02/01/2006", "2/1/2006", "02-01-2006", "02.01.2006", "02012006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (h *Handler) postRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	page := templates.RegisterPage{
		Base: h.base(r, lang), Step: templates.RegisterDetails,
		PersonalID: strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", ""),
		FullName:   strings.Join(strings.Fields(r.PostFormValue("full_name")), " "),
		BirthDate:  strings.TrimSpace(r.PostFormValue("birth_date")),
		Gender:     r.PostFormValue("gender"),
		Phone:      strings.TrimSpace(r.PostFormValue("phone")),
	}
	show := func(status int, errKey string) {
		page.Error = errKey
		h.render(w, r, h.Templates.Register(w, status, page))
	}
	// The chip ID card's QR code fills the identity fields (MISSION
	// "Level 1": scanning it fills the form).
	if qr := strings.TrimSpace(r.PostFormValue("qr")); qr != "" {
		q, err := cardreader.ParseQR(qr)
		if err != nil {
			show(http.StatusBadRequest, "register.qr_invalid")
			return
		}
		page.PersonalID, page.FullName, page.Gender = q.PersonalID, q.FullName, string(q.Gender)
		page.BirthDate = q.BirthDate.Format("02/01/2006")
		if page.Phone == "" || r.PostFormValue("action") == "qr" {
			page.Notice = "register.qr_filled"
			h.render(w, r, h.Templates.Register(w, http.StatusOK, page))
			return
		}
	}
	gender := attributes.Gender(page.Gender)
	if page.PersonalID == "" || page.FullName == "" || page.BirthDate == "" || page.Phone == "" ||
		(gender != attributes.Male && gender != attributes.Female) || len(page.FullName) > 200 {
		show(http.StatusBadRequest, "register.missing")
		return
	}
	birth, ok := parseBirthDate(page.BirthDate)
	if !ok {
		show(http.StatusBadRequest, "register.bad_date")
		return
	}
	page.BirthDate = birth.Format("02/01/2006")
	started, err := h.Accounts.StartRegistration(ctx, accounts.RegistrationRequest{
		PersonalID: page.PersonalID, FullName: page.FullName, BirthDate: birth, Gender: gender, Phone: page.Phone,
		Client: clientOf(r),
	})
	if err != nil {
		if le, ok := accounts.AsLockout(err); ok {
			page.RetryMinutes = le.RetryMinutes()
			w.Header().Set("Retry-After", retryAfter(le))
			key := "register.locked_out"
			if le.Scope == accounts.ScopeSMS || le.Scope == accounts.ScopeSMSAddress {
				key = "register.sms_limit"
			}
			show(http.StatusTooManyRequests, key)
			return
		}
		switch {
		case errors.Is(err, accounts.ErrInvalidPhone):
			show(http.StatusBadRequest, "register.bad_phone")
		case errors.Is(err, accounts.ErrPersonalIDLength), errors.Is(err, accounts.ErrPersonalIDDigits),
			errors.Is(err, accounts.ErrPersonalIDProvince):
			show(http.StatusBadRequest, "register.bad_pid")
		case errors.Is(err, accounts.ErrPersonalIDYear), errors.Is(err, accounts.ErrPersonalIDGender),
			errors.Is(err, accounts.ErrBirthYearRange):
			show(http.StatusBadRequest, "register.pid_disagrees")
		case errors.Is(err, accounts.ErrIdentityMismatch):
			show(http.StatusBadRequest, "register.mismatch")
		case errors.Is(err, accounts.ErrUnderage):
			show(http.StatusForbidden, "register.under_14")
		case errors.Is(err, accounts.ErrAlreadyRegistered):
			show(http.StatusConflict, "register.already")
		default:
			h.serverError(w, r, lang, "start registration", err)
		}
		return
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	putJSON(ctx, h.Sessions, keyRegister, pendingRegistration{ID: started.ID, MaskedPhone: started.MaskedPhone, StartedAt: h.now()})
	http.Redirect(w, r, PathRegisterVerify, http.StatusSeeOther)
}

// restartRegistration ends the registration in progress and shows the first
// step with errKey.
func (h *Handler) restartRegistration(w http.ResponseWriter, r *http.Request, lang templates.Lang, status int, errKey string) {
	h.Sessions.Remove(r.Context(), keyRegister)
	h.render(w, r, h.Templates.Register(w, status, templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterDetails, Error: errKey}))
}

func (h *Handler) showRegisterVerify(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.pendingRegistration(r)
	if !ok {
		http.Redirect(w, r, PathRegister+"?expired=1", http.StatusSeeOther)
		return
	}
	if p.Confirmed {
		http.Redirect(w, r, PathRegisterPassword, http.StatusSeeOther)
		return
	}
	h.render(w, r, h.Templates.Register(w, http.StatusOK, templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterCode, MaskedPhone: p.MaskedPhone}))
}

func (h *Handler) postRegisterVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pendingRegistration(r)
	if !ok {
		http.Redirect(w, r, PathRegister+"?expired=1", http.StatusSeeOther)
		return
	}
	if p.Confirmed {
		http.Redirect(w, r, PathRegisterPassword, http.StatusSeeOther)
		return
	}
	err := h.Accounts.ConfirmRegistration(ctx, accounts.RegistrationCode{
		ID: p.ID, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""), Client: clientOf(r),
	})
	if err != nil {
		if le, ok := accounts.AsLockout(err); ok {
			w.Header().Set("Retry-After", retryAfter(le))
			h.Sessions.Remove(ctx, keyRegister)
			h.render(w, r, h.Templates.Register(w, http.StatusTooManyRequests, templates.RegisterPage{
				Base: h.base(r, lang), Step: templates.RegisterDetails, Error: "register.locked_out", RetryMinutes: le.RetryMinutes(),
			}))
			return
		}
		switch {
		case errors.Is(err, accounts.ErrInvalidCode):
			h.render(w, r, h.Templates.Register(w, http.StatusUnauthorized, templates.RegisterPage{
				Base: h.base(r, lang), Step: templates.RegisterCode, MaskedPhone: p.MaskedPhone, Error: "register.bad_code",
			}))
		case errors.Is(err, accounts.ErrCodeExpired), errors.Is(err, accounts.ErrRegistrationExpired):
			h.restartRegistration(w, r, lang, http.StatusGone, "register.code_expired")
		case errors.Is(err, accounts.ErrPhoneTaken):
			h.restartRegistration(w, r, lang, http.StatusConflict, "register.phone_taken")
		default:
			h.serverError(w, r, lang, "confirm registration", err)
		}
		return
	}
	p.Confirmed = true
	putJSON(ctx, h.Sessions, keyRegister, p)
	http.Redirect(w, r, PathRegisterPassword, http.StatusSeeOther)
}

func (h *Handler) showRegisterPassword(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.pendingRegistration(r)
	if !ok || !p.Confirmed {
		http.Redirect(w, r, PathRegister+"?expired=1", http.StatusSeeOther)
		return
	}
	h.render(w, r, h.Templates.Register(w, http.StatusOK, templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterPassword}))
}

func (h *Handler) postRegisterPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pendingRegistration(r)
	if !ok || !p.Confirmed {
		http.Redirect(w, r, PathRegister+"?expired=1", http.StatusSeeOther)
		return
	}
	again := func(status int, errKey string) {
		h.render(w, r, h.Templates.Register(w, status, templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterPassword, Error: errKey}))
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		again(http.StatusBadRequest, "register.password_mismatch")
		return
	}
	_, err := h.Accounts.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: p.ID, Password: pw, Client: clientOf(r)})
	switch {
	case err == nil:
	case errors.Is(err, accounts.ErrWeakPassword):
		again(http.StatusBadRequest, "register.weak_password")
		return
	case errors.Is(err, accounts.ErrAlreadyRegistered):
		h.restartRegistration(w, r, lang, http.StatusConflict, "register.already")
		return
	case errors.Is(err, accounts.ErrPhoneTaken):
		h.restartRegistration(w, r, lang, http.StatusConflict, "register.phone_taken")
		return
	case errors.Is(err, accounts.ErrRegistrationExpired), errors.Is(err, accounts.ErrPhoneNotConfirmed):
		h.restartRegistration(w, r, lang, http.StatusGone, "register.expired")
		return
	default:
		h.serverError(w, r, lang, "complete registration", err)
		return
	}
	h.Sessions.Remove(ctx, keyRegister)
	h.render(w, r, h.Templates.Register(w, http.StatusOK, templates.RegisterPage{Base: h.base(r, lang), Step: templates.RegisterDone}))
}
