package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
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

func (p pendingActivation) begun() (time.Time, bool) { return p.StartedAt, p.AccountID != "" }
func (p pendingActivation) codePassed() bool         { return p.Ticket != "" }
func (p pendingActivation) maskedPhone() string      { return p.MaskedPhone }

// activation is activation's pages and state.
var activation = flow[pendingActivation, templates.ActivatePage]{
	key: keyActivate, ttl: activateTTL, path: PathActivate, afterCode: PathActivateFinish,
	first: templates.ActivateStart, code: templates.ActivateCode, expired: "activate.expired",
	page: func(b templates.Base, step string) templates.ActivatePage {
		return templates.ActivatePage{Base: b, Step: step}
	},
	render: (*templates.Set).Activate,
	fields: func(p *templates.ActivatePage) pageFields {
		return pageFields{&p.Error, &p.RetryMinutes, &p.Notice, &p.MaskedPhone}
	},
}

func (h *Handler) activationRoutes(r *mux.Router) {
	onboardingRoutes(r,
		step{PathActivate, activation.showStart(h), h.postActivate},
		step{PathActivateVerify, activation.showCode(h), h.postActivateVerify},
		step{PathActivateFinish, h.showActivateFinish, h.postActivateFinish},
	)
}

func (h *Handler) postActivate(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	page := activation.at(h, r, lang, templates.ActivateStart)
	page.PersonalID = strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
	page.Phone = strings.TrimSpace(r.PostFormValue("phone"))
	started, err := h.Accounts.StartActivation(r.Context(), accounts.ActivationRequest{
		PersonalID: page.PersonalID, Phone: page.Phone, Client: clientOf(r),
	})
	if err != nil {
		activation.failed(h, w, r, lang, page, err, activateAnswers)
		return
	}
	activation.begin(h, w, r, lang, pendingActivation{
		AccountID: started.AccountID, MaskedPhone: started.MaskedPhone, NeedPassword: started.NeedPassword, StartedAt: h.now(),
	}, PathActivateVerify)
}

// activateAnswers answer the errors of StartActivation.
var activateAnswers = answers{what: "start activation", lockout: lockoutHere, each: []answer{
	{errs: []error{accounts.ErrInvalidPhone}, status: http.StatusBadRequest, key: "register.bad_phone"},
	{errs: []error{accounts.ErrActivationMismatch}, status: http.StatusBadRequest, key: "activate.mismatch"},
	{errs: []error{accounts.ErrNotIdentified}, status: http.StatusForbidden, key: "activate.not_identified"},
	{errs: []error{accounts.ErrAlreadyActive}, status: http.StatusConflict, key: "activate.already_active", notice: true},
	{errs: []error{accounts.ErrLocked}, status: http.StatusForbidden, key: "signin.account_locked"},
}}

func (h *Handler) postActivateVerify(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	// Unlike registration's, a code posted again after one passed is
	// checked again (not sent on to the last step).
	p, ok := activation.load(h, r)
	if !ok {
		activation.expire(w, r)
		return
	}
	ticket, err := h.Accounts.VerifyActivationCode(r.Context(), accounts.ActivationCode{
		AccountID: p.AccountID, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""), Client: clientOf(r),
	})
	if err != nil {
		activation.failed(h, w, r, lang, activation.codePage(h, r, lang, p), err, activateCodeAnswers)
		return
	}
	p.Ticket = ticket
	activation.advance(h, w, r, p, PathActivateFinish)
}

// activateCodeAnswers answer the errors of VerifyActivationCode.
var activateCodeAnswers = answers{what: "verify activation code", lockout: lockoutRestart, each: []answer{
	{errs: []error{accounts.ErrInvalidCode}, status: http.StatusUnauthorized, key: "register.bad_code"},
	{errs: []error{accounts.ErrCodeExpired}, status: http.StatusGone, key: "activate.code_expired", restart: true},
	{errs: []error{accounts.ErrAlreadyActive}, status: http.StatusConflict, key: "activate.already_active", restart: true},
	{errs: []error{accounts.ErrLocked}, status: http.StatusForbidden, key: "signin.account_locked", restart: true},
	{errs: []error{accounts.ErrNotIdentified, accounts.ErrNotFound}, status: http.StatusGone, key: "activate.expired", restart: true},
}}

func (h *Handler) finishPage(r *http.Request, lang templates.Lang, p pendingActivation) templates.ActivatePage {
	page := activation.at(h, r, lang, templates.ActivateFinish)
	page.NeedPassword, page.Questions = p.NeedPassword, accounts.SecurityQuestions
	page.Q1, page.Q2 = accounts.SecurityQuestions[0], accounts.SecurityQuestions[1]
	return page
}

func (h *Handler) showActivateFinish(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if p, ok := activation.pending(h, w, r, true); ok {
		activation.show(h, w, r, http.StatusOK, h.finishPage(r, lang, p))
	}
}

func (h *Handler) postActivateFinish(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := activation.pending(h, w, r, true)
	if !ok {
		return
	}
	page := h.finishPage(r, lang, p)
	page.Q1, page.Q2 = r.PostFormValue("q1"), r.PostFormValue("q2")
	if p.NeedPassword && r.PostFormValue("password") != r.PostFormValue("password2") {
		activation.fail(h, w, r, http.StatusBadRequest, page, "register.password_mismatch", 0)
		return
	}
	if r.PostFormValue("passcode") != r.PostFormValue("passcode2") {
		activation.fail(h, w, r, http.StatusBadRequest, page, "activate.passcode_mismatch", 0)
		return
	}
	_, err := h.Accounts.CompleteActivation(r.Context(), accounts.Activation{
		AccountID: p.AccountID, Password: r.PostFormValue("password"), Passcode: r.PostFormValue("passcode"),
		Answers: [2]accounts.Answer{{Question: page.Q1, Answer: r.PostFormValue("a1")}, {Question: page.Q2, Answer: r.PostFormValue("a2")}},
		Ticket:  p.Ticket, Lang: string(lang), Client: clientOf(r),
	})
	if err != nil {
		activation.failed(h, w, r, lang, page, err, activateFinishAnswers)
		return
	}
	activation.end(h, r)
	activation.show(h, w, r, http.StatusOK, activation.at(h, r, lang, templates.ActivateDone))
}

// activateFinishAnswers answer the errors of CompleteActivation.
var activateFinishAnswers = answers{what: "complete activation", each: []answer{
	{errs: []error{accounts.ErrWeakPassword}, status: http.StatusBadRequest, key: "register.weak_password"},
	{errs: []error{accounts.ErrWeakPasscode}, status: http.StatusBadRequest, key: "activate.weak_passcode"},
	{errs: []error{accounts.ErrSecurityQuestions}, status: http.StatusBadRequest, key: "activate.bad_questions"},
	{errs: []error{accounts.ErrActivationExpired}, status: http.StatusGone, key: "activate.expired", restart: true},
	{errs: []error{accounts.ErrAlreadyActive}, status: http.StatusConflict, key: "activate.already_active", restart: true},
	{errs: []error{accounts.ErrLocked}, status: http.StatusForbidden, key: "signin.account_locked", restart: true},
}}
