package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of activation (MISSION "Activation", on the web).
const (
	PathActivate       = "/activate"
	PathActivateVerify = "/activate/verify"
	PathActivateFinish = "/activate/finish"
)

// keyActivate holds the activation in progress (pendingActivation, JSON).
const keyActivate = "activate.pending"

// activateTTL bounds the pages' flow; the service's ticket bounds the last
// step.
const activateTTL = 20 * time.Minute

type pendingActivation struct {
	AccountID    string    `json:"account_id"`
	MaskedPhone  string    `json:"masked_phone"`
	NeedPassword bool      `json:"need_password"`
	Ticket       string    `json:"ticket,omitempty"` // set once the SMS code passed
	StartedAt    time.Time `json:"started_at"`
}

func (h *Handler) activationRoutes(r *mux.Router) {
	r.Handle(PathActivate, httpx.NoStore(http.HandlerFunc(h.showActivate))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathActivate, httpx.NoStore(http.HandlerFunc(h.postActivate))).Methods(http.MethodPost)
	r.Handle(PathActivateVerify, httpx.NoStore(http.HandlerFunc(h.showActivateVerify))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathActivateVerify, httpx.NoStore(http.HandlerFunc(h.postActivateVerify))).Methods(http.MethodPost)
	r.Handle(PathActivateFinish, httpx.NoStore(http.HandlerFunc(h.showActivateFinish))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathActivateFinish, httpx.NoStore(http.HandlerFunc(h.postActivateFinish))).Methods(http.MethodPost)
}

func (h *Handler) pendingActivation(r *http.Request) (pendingActivation, bool) {
	p, ok := getJSON[pendingActivation](r.Context(), h.Sessions, keyActivate)
	if ok && p.AccountID != "" && h.now().Sub(p.StartedAt) <= activateTTL {
		return p, true
	}
	h.Sessions.Remove(r.Context(), keyActivate)
	return pendingActivation{}, false
}

func (h *Handler) activatePage(r *http.Request, lang templates.Lang, step string) templates.ActivatePage {
	return templates.ActivatePage{Base: h.base(r, lang), Step: step}
}

// restartActivation ends the activation in progress and shows the first
// step with errKey.
func (h *Handler) restartActivation(w http.ResponseWriter, r *http.Request, lang templates.Lang, status int, errKey string, retry int) {
	h.Sessions.Remove(r.Context(), keyActivate)
	p := h.activatePage(r, lang, templates.ActivateStart)
	p.Error, p.RetryMinutes = errKey, retry
	h.render(w, r, h.Templates.Activate(w, status, p))
}

func (h *Handler) showActivate(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if r.URL.Query().Get("restart") != "" {
		h.Sessions.Remove(r.Context(), keyActivate)
	}
	p := h.activatePage(r, lang, templates.ActivateStart)
	if r.URL.Query().Get("expired") == "1" {
		p.Error = "activate.expired"
	}
	h.render(w, r, h.Templates.Activate(w, http.StatusOK, p))
}

func (h *Handler) postActivate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	page := h.activatePage(r, lang, templates.ActivateStart)
	page.PersonalID = strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
	page.Phone = strings.TrimSpace(r.PostFormValue("phone"))
	show := func(status int, errKey string) {
		page.Error = errKey
		h.render(w, r, h.Templates.Activate(w, status, page))
	}
	started, err := h.Accounts.StartActivation(ctx, accounts.ActivationRequest{
		PersonalID: page.PersonalID, Phone: page.Phone, Client: clientOf(r),
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
		case errors.Is(err, accounts.ErrActivationMismatch):
			show(http.StatusBadRequest, "activate.mismatch")
		case errors.Is(err, accounts.ErrNotIdentified):
			show(http.StatusForbidden, "activate.not_identified")
		case errors.Is(err, accounts.ErrAlreadyActive):
			page.Notice = "activate.already_active"
			h.render(w, r, h.Templates.Activate(w, http.StatusConflict, page))
		case errors.Is(err, accounts.ErrLocked):
			show(http.StatusForbidden, "signin.account_locked")
		default:
			h.serverError(w, r, lang, "start activation", err)
		}
		return
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	putJSON(ctx, h.Sessions, keyActivate, pendingActivation{
		AccountID: started.AccountID, MaskedPhone: started.MaskedPhone, NeedPassword: started.NeedPassword, StartedAt: h.now(),
	})
	http.Redirect(w, r, PathActivateVerify, http.StatusSeeOther)
}

func (h *Handler) showActivateVerify(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.pendingActivation(r)
	if !ok {
		http.Redirect(w, r, PathActivate+"?expired=1", http.StatusSeeOther)
		return
	}
	if p.Ticket != "" {
		http.Redirect(w, r, PathActivateFinish, http.StatusSeeOther)
		return
	}
	page := h.activatePage(r, lang, templates.ActivateCode)
	page.MaskedPhone = p.MaskedPhone
	h.render(w, r, h.Templates.Activate(w, http.StatusOK, page))
}

func (h *Handler) postActivateVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pendingActivation(r)
	if !ok {
		http.Redirect(w, r, PathActivate+"?expired=1", http.StatusSeeOther)
		return
	}
	ticket, err := h.Accounts.VerifyActivationCode(ctx, accounts.ActivationCode{
		AccountID: p.AccountID, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""), Client: clientOf(r),
	})
	if err != nil {
		if le, ok := accounts.AsLockout(err); ok {
			w.Header().Set("Retry-After", retryAfter(le))
			h.restartActivation(w, r, lang, http.StatusTooManyRequests, "register.locked_out", le.RetryMinutes())
			return
		}
		switch {
		case errors.Is(err, accounts.ErrInvalidCode):
			page := h.activatePage(r, lang, templates.ActivateCode)
			page.MaskedPhone, page.Error = p.MaskedPhone, "register.bad_code"
			h.render(w, r, h.Templates.Activate(w, http.StatusUnauthorized, page))
		case errors.Is(err, accounts.ErrCodeExpired):
			h.restartActivation(w, r, lang, http.StatusGone, "activate.code_expired", 0)
		case errors.Is(err, accounts.ErrAlreadyActive):
			h.restartActivation(w, r, lang, http.StatusConflict, "activate.already_active", 0)
		case errors.Is(err, accounts.ErrLocked):
			h.restartActivation(w, r, lang, http.StatusForbidden, "signin.account_locked", 0)
		case errors.Is(err, accounts.ErrNotIdentified), errors.Is(err, accounts.ErrNotFound):
			h.restartActivation(w, r, lang, http.StatusGone, "activate.expired", 0)
		default:
			h.serverError(w, r, lang, "verify activation code", err)
		}
		return
	}
	p.Ticket = ticket
	putJSON(ctx, h.Sessions, keyActivate, p)
	http.Redirect(w, r, PathActivateFinish, http.StatusSeeOther)
}

func (h *Handler) finishPage(r *http.Request, lang templates.Lang, p pendingActivation) templates.ActivatePage {
	page := h.activatePage(r, lang, templates.ActivateFinish)
	page.NeedPassword, page.Questions = p.NeedPassword, accounts.SecurityQuestions
	page.Q1, page.Q2 = accounts.SecurityQuestions[0], accounts.SecurityQuestions[1]
	return page
}

func (h *Handler) showActivateFinish(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.pendingActivation(r)
	if !ok || p.Ticket == "" {
		http.Redirect(w, r, PathActivate+"?expired=1", http.StatusSeeOther)
		return
	}
	h.render(w, r, h.Templates.Activate(w, http.StatusOK, h.finishPage(r, lang, p)))
}

func (h *Handler) postActivateFinish(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	p, ok := h.pendingActivation(r)
	if !ok || p.Ticket == "" {
		http.Redirect(w, r, PathActivate+"?expired=1", http.StatusSeeOther)
		return
	}
	page := h.finishPage(r, lang, p)
	page.Q1, page.Q2 = r.PostFormValue("q1"), r.PostFormValue("q2")
	again := func(status int, errKey string) {
		page.Error = errKey
		h.render(w, r, h.Templates.Activate(w, status, page))
	}
	if p.NeedPassword && r.PostFormValue("password") != r.PostFormValue("password2") {
		again(http.StatusBadRequest, "register.password_mismatch")
		return
	}
	if r.PostFormValue("passcode") != r.PostFormValue("passcode2") {
		again(http.StatusBadRequest, "activate.passcode_mismatch")
		return
	}
	_, err := h.Accounts.CompleteActivation(ctx, accounts.Activation{
		AccountID: p.AccountID, Password: r.PostFormValue("password"), Passcode: r.PostFormValue("passcode"),
		Answers: [2]accounts.Answer{{Question: page.Q1, Answer: r.PostFormValue("a1")}, {Question: page.Q2, Answer: r.PostFormValue("a2")}},
		Ticket:  p.Ticket, Client: clientOf(r),
	})
	switch {
	case err == nil:
	case errors.Is(err, accounts.ErrWeakPassword):
		again(http.StatusBadRequest, "register.weak_password")
		return
	case errors.Is(err, accounts.ErrWeakPasscode):
		again(http.StatusBadRequest, "activate.weak_passcode")
		return
	case errors.Is(err, accounts.ErrSecurityQuestions):
		again(http.StatusBadRequest, "activate.bad_questions")
		return
	case errors.Is(err, accounts.ErrActivationExpired):
		h.restartActivation(w, r, lang, http.StatusGone, "activate.expired", 0)
		return
	case errors.Is(err, accounts.ErrAlreadyActive):
		h.restartActivation(w, r, lang, http.StatusConflict, "activate.already_active", 0)
		return
	case errors.Is(err, accounts.ErrLocked):
		h.restartActivation(w, r, lang, http.StatusForbidden, "signin.account_locked", 0)
		return
	default:
		h.serverError(w, r, lang, "complete activation", err)
		return
	}
	h.Sessions.Remove(ctx, keyActivate)
	h.render(w, r, h.Templates.Activate(w, http.StatusOK, h.activatePage(r, lang, templates.ActivateDone)))
}
