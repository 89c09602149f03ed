package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the forgotten-password flow and of the holder's own unlock.
const (
	PathRecover         = "/recover"
	PathRecoverVerify   = "/recover/verify"
	PathRecoverAnswers  = "/recover/answers"
	PathRecoverPassword = "/recover/password"
	PathUnlock          = "/unlock"
	PathUnlockVerify    = "/unlock/verify"
	PathUnlockAnswers   = "/unlock/answers"
)

// recoverTTL bounds the pages' flow; the service's tickets bound each step.
const recoverTTL = 20 * time.Minute

type pendingRecovery struct {
	AccountID   string    `json:"account_id"`
	MaskedPhone string    `json:"masked_phone"`
	Questions   []string  `json:"questions,omitempty"`
	Passcode    bool      `json:"passcode,omitempty"`
	Ticket      string    `json:"ticket,omitempty"`   // set once the SMS code passed
	Answered    string    `json:"answered,omitempty"` // set once the answers passed
	StartedAt   time.Time `json:"started_at"`
}

func (p pendingRecovery) begun() (time.Time, bool) { return p.StartedAt, p.AccountID != "" }
func (p pendingRecovery) codePassed() bool         { return p.Ticket != "" }
func (p pendingRecovery) maskedPhone() string      { return p.MaskedPhone }

// recoverFlow is the forgotten-password flow or the unlock flow: the same
// first three steps, under the flow's own paths and session key.
type recoverFlow struct {
	purpose accounts.RecoveryPurpose
	name    string // "recover" or "unlock"
	flow[pendingRecovery, templates.RecoverPage]
}

func newRecoverFlow(p accounts.RecoveryPurpose, name string) *recoverFlow {
	return &recoverFlow{purpose: p, name: name, flow: flow[pendingRecovery, templates.RecoverPage]{
		key: name + ".pending", ttl: recoverTTL, path: "/" + name, afterCode: "/" + name + "/answers",
		first: templates.RecoverStart, code: templates.RecoverCode, expired: "recover.expired",
		page: func(b templates.Base, step string) templates.RecoverPage {
			return templates.RecoverPage{Base: b, Flow: name, Step: step}
		},
		render: (*templates.Set).Recover,
		fields: func(p *templates.RecoverPage) pageFields {
			return pageFields{&p.Error, &p.RetryMinutes, &p.Notice, &p.MaskedPhone}
		},
	}}
}

var (
	recovery = newRecoverFlow(accounts.PurposeRecovery, "recover")
	unlock   = newRecoverFlow(accounts.PurposeUnlock, "unlock")
)

func (h *Handler) recoveryRoutes(r *mux.Router) {
	onboardingRoutes(r,
		step{PathRecover, recovery.showStart(h), recovery.postStart(h)},
		step{PathRecoverVerify, recovery.showCode(h), recovery.postCode(h)},
		step{PathRecoverAnswers, recovery.showAnswers(h), recovery.postAnswers(h)},
		step{PathRecoverPassword, h.showRecoverPassword, h.postRecoverPassword},
		step{PathUnlock, unlock.showStart(h), unlock.postStart(h)},
		step{PathUnlockVerify, unlock.showCode(h), unlock.postCode(h)},
		step{PathUnlockAnswers, unlock.showAnswers(h), unlock.postAnswers(h)},
	)
}

func (f *recoverFlow) postStart(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		page := f.at(h, r, lang, templates.RecoverStart)
		page.PersonalID = strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
		started, err := h.Accounts.StartRecovery(r.Context(), accounts.RecoveryRequest{
			PersonalID: page.PersonalID, Purpose: f.purpose, Client: clientOf(r),
		})
		if err != nil {
			f.failed(h, w, r, lang, page, err, recoverStartAnswers)
			return
		}
		f.begin(h, w, r, lang, pendingRecovery{
			AccountID: started.AccountID, MaskedPhone: started.MaskedPhone, Questions: started.Questions,
			Passcode: started.Passcode, StartedAt: h.now(),
		}, "/"+f.name+"/verify")
	}
}

// recoverStartAnswers answer the errors of StartRecovery.
var recoverStartAnswers = answers{what: "start recovery", lockout: lockoutHere, each: []answer{
	{errs: []error{accounts.ErrInvalid}, status: http.StatusBadRequest, key: "recover.bad_pid"},
	{errs: []error{accounts.ErrRecoveryUnavailable}, status: http.StatusBadRequest, key: "recover.unavailable"},
}}

func (f *recoverFlow) postCode(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		// A code posted again after one passed is checked again, and fails:
		// a code is single use.
		p, ok := f.load(h, r)
		if !ok {
			f.expire(w, r)
			return
		}
		ticket, err := h.Accounts.VerifyRecoveryCode(r.Context(), accounts.RecoveryCode{
			AccountID: p.AccountID, Purpose: f.purpose, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""), Client: clientOf(r),
		})
		if err != nil {
			f.failed(h, w, r, lang, f.codePage(h, r, lang, p), err, recoverCodeAnswers)
			return
		}
		p.Ticket, p.Answered = ticket, ""
		f.advance(h, w, r, p, f.afterCode)
	}
}

// recoverCodeAnswers answer the errors of VerifyRecoveryCode.
var recoverCodeAnswers = answers{what: "verify recovery code", lockout: lockoutRestart, each: []answer{
	{errs: []error{accounts.ErrInvalidCode}, status: http.StatusUnauthorized, key: "register.bad_code"},
	{errs: []error{accounts.ErrCodeExpired}, status: http.StatusGone, key: "recover.code_expired", restart: true},
	{errs: []error{accounts.ErrNotFound}, status: http.StatusGone, key: "recover.expired", restart: true},
}}

func (f *recoverFlow) answersPage(h *Handler, r *http.Request, lang templates.Lang, p pendingRecovery) templates.RecoverPage {
	page := f.at(h, r, lang, templates.RecoverAnswers)
	page.Questions, page.Passcode = p.Questions, p.Passcode
	return page
}

func (f *recoverFlow) showAnswers(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		p, ok := f.pending(h, w, r, true)
		if !ok {
			return
		}
		page := f.answersPage(h, r, lang, p)
		if len(p.Questions) != 2 && !p.Passcode {
			page.Error = "recover.no_answers"
		}
		f.show(h, w, r, http.StatusOK, page)
	}
}

func (f *recoverFlow) postAnswers(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		p, ok := f.pending(h, w, r, true)
		if !ok {
			return
		}
		page := f.answersPage(h, r, lang, p)
		ticket, err := h.Accounts.VerifyRecoveryAnswers(r.Context(), accounts.RecoveryAnswers{
			AccountID: p.AccountID, Purpose: f.purpose, Ticket: p.Ticket,
			Answers:  [2]string{r.PostFormValue("a0"), r.PostFormValue("a1")},
			Passcode: strings.TrimSpace(r.PostFormValue("passcode")), Client: clientOf(r),
		})
		if err != nil {
			f.failed(h, w, r, lang, page, err, recoverAnswersAnswers)
			return
		}
		if f.purpose == accounts.PurposeRecovery {
			p.Answered = ticket
			f.advance(h, w, r, p, PathRecoverPassword)
			return
		}
		_, err = h.Accounts.CompleteUnlock(r.Context(), accounts.UnlockRequest{AccountID: p.AccountID, Ticket: ticket, Client: clientOf(r)})
		if err != nil {
			f.failed(h, w, r, lang, page, err, unlockAnswers)
			return
		}
		f.end(h, r)
		f.show(h, w, r, http.StatusOK, f.at(h, r, lang, templates.RecoverDone))
	}
}

// recoverAnswersAnswers answer the errors of VerifyRecoveryAnswers.
var recoverAnswersAnswers = answers{what: "verify recovery answers", lockout: lockoutRestart, each: []answer{
	{errs: []error{accounts.ErrWrongAnswers}, status: http.StatusUnauthorized, key: "recover.wrong_answers"},
	{errs: []error{accounts.ErrRecoveryExpired, accounts.ErrNotFound}, status: http.StatusGone, key: "recover.expired", restart: true},
}}

// unlockAnswers answer the errors of CompleteUnlock.
var unlockAnswers = answers{what: "complete unlock", each: []answer{
	{errs: []error{accounts.ErrNotSelfLocked}, status: http.StatusForbidden, key: "unlock.authority", restart: true},
	{errs: []error{accounts.ErrNotLocked}, status: http.StatusConflict, key: "unlock.not_locked", restart: true},
	{errs: []error{accounts.ErrRecoveryExpired, accounts.ErrNotFound}, status: http.StatusGone, key: "recover.expired", restart: true},
}}

// answered returns the recovery whose answers passed, or sends the browser
// to the step it is at.
func (h *Handler) answered(w http.ResponseWriter, r *http.Request) (pendingRecovery, bool) {
	p, ok := recovery.pending(h, w, r, true)
	if ok && p.Answered == "" {
		http.Redirect(w, r, PathRecoverAnswers, http.StatusSeeOther)
		return p, false
	}
	return p, ok
}

func (h *Handler) showRecoverPassword(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if _, ok := h.answered(w, r); ok {
		recovery.show(h, w, r, http.StatusOK, recovery.at(h, r, lang, templates.RecoverPassword))
	}
}

func (h *Handler) postRecoverPassword(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := h.answered(w, r)
	if !ok {
		return
	}
	page := recovery.at(h, r, lang, templates.RecoverPassword)
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		recovery.fail(h, w, r, http.StatusBadRequest, page, "register.password_mismatch", 0)
		return
	}
	_, err := h.Accounts.CompleteRecovery(r.Context(), accounts.NewPassword{AccountID: p.AccountID, Ticket: p.Answered, Password: pw, Client: clientOf(r)})
	if err != nil {
		recovery.failed(h, w, r, lang, page, err, recoverPasswordAnswers)
		return
	}
	recovery.end(h, r)
	recovery.show(h, w, r, http.StatusOK, recovery.at(h, r, lang, templates.RecoverDone))
}

// recoverPasswordAnswers answer the errors of CompleteRecovery.
var recoverPasswordAnswers = answers{what: "complete recovery", each: []answer{
	{errs: []error{accounts.ErrWeakPassword}, status: http.StatusBadRequest, key: "register.weak_password"},
	{errs: []error{accounts.ErrLocked}, status: http.StatusForbidden, key: "recover.locked", restart: true},
	{errs: []error{accounts.ErrRecoveryExpired, accounts.ErrNotFound}, status: http.StatusGone, key: "recover.expired", restart: true},
}}
