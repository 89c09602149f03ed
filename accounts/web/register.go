package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/personalid"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of self-registration (MISSION "Level 1", on the web).
const (
	PathRegister         = "/register"
	PathRegisterVerify   = "/register/verify"
	PathRegisterPassword = "/register/password"
	// PathRegisterForeigner is a foreigner's first step: passport data
	// instead of the ID card's; the code and password steps are shared.
	PathRegisterForeigner = "/register/foreigner"
)

// keyRegister holds the registration in progress (pendingRegistration,
// JSON).
const keyRegister = "register.pending"

// registerTTL bounds the pages' flow; the service bounds the registration
// itself.
const registerTTL = 30 * time.Minute

type pendingRegistration struct {
	ID          string    `json:"id"`
	MaskedPhone string    `json:"masked_phone"` // or the masked e-mail address
	ByEmail     bool      `json:"by_email,omitempty"`
	Foreigner   bool      `json:"foreigner,omitempty"`
	Confirmed   bool      `json:"confirmed"`
	StartedAt   time.Time `json:"started_at"`
}

func (p pendingRegistration) begun() (time.Time, bool) { return p.StartedAt, p.ID != "" }
func (p pendingRegistration) codePassed() bool         { return p.Confirmed }
func (p pendingRegistration) maskedPhone() string      { return p.MaskedPhone }

// registration is self-registration's pages and state.
var registration = flow[pendingRegistration, templates.RegisterPage]{
	key: keyRegister, ttl: registerTTL, path: PathRegister, afterCode: PathRegisterPassword,
	first: templates.RegisterDetails, code: templates.RegisterCode, expired: "register.expired",
	page: func(b templates.Base, step string) templates.RegisterPage {
		return templates.RegisterPage{Base: b, Step: step}
	},
	render: (*templates.Set).Register,
	fields: func(p *templates.RegisterPage) pageFields {
		return pageFields{&p.Error, &p.RetryMinutes, &p.Notice, &p.MaskedPhone}
	},
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
	onboardingRoutes(r,
		step{PathRegister, registration.showStart(h), h.postRegister},
		step{PathRegisterVerify, registration.showCode(h), h.postRegisterVerify},
		step{PathRegisterPassword, h.showRegisterPassword, h.postRegisterPassword},
		step{PathRegisterForeigner, h.showRegisterForeigner, h.postRegisterForeigner},
	)
}

func clientOf(r *http.Request) accounts.Client {
	return accounts.Client{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

// ---- what registration and activation share ----

// step is one page of a flow: GET and HEAD show it, POST submits it.
type step struct {
	path       string
	show, post http.HandlerFunc
}

// onboardingRoutes mounts the steps' pages, never cached.
func onboardingRoutes(r *mux.Router, steps ...step) {
	for _, s := range steps {
		r.Handle(s.path, httpx.NoStore(s.show)).Methods(http.MethodGet, http.MethodHead)
		r.Handle(s.path, httpx.NoStore(s.post)).Methods(http.MethodPost)
	}
}

// flowState is a flow's state in the session.
type flowState interface {
	// begun says whether the state is set, and when its flow started.
	begun() (at time.Time, ok bool)
	// codePassed says whether the SMS code was right; maskedPhone is where
	// it went.
	codePassed() bool
	maskedPhone() string
}

// flow is what registration and activation share: pages one after the
// other (the first step, an SMS code, what comes after the code), whose
// state S lives in the session (JSON, under key) for ttl from the flow's
// start, and which are one template, P, at several steps. The first step's
// page is at path and says expired when the flow ran out; the page after
// the code's is at afterCode.
type flow[S flowState, P any] struct {
	key             string
	ttl             time.Duration
	path, afterCode string
	first, code     string
	expired         string
	// page is a page at a step; render shows it; fields are what the flow
	// sets on it.
	page   func(templates.Base, string) P
	render func(*templates.Set, http.ResponseWriter, int, P) error
	fields func(*P) pageFields
}

// pageFields point to a page's fields that its flow sets: message keys
// (an error, formatted with retryMinutes when > 0; a notice) and where the
// code went.
type pageFields struct {
	err          *string
	retryMinutes *int
	notice       *string
	maskedPhone  *string
}

// load returns the flow in progress, or nothing when there is none or it is
// too old (and forgets it).
func (f *flow[S, P]) load(h *Handler, r *http.Request) (S, bool) {
	s, ok := getJSON[S](r.Context(), h.Sessions, f.key)
	if at, set := s.begun(); ok && set && h.now().Sub(at) <= f.ttl {
		return s, true
	}
	h.Sessions.Remove(r.Context(), f.key)
	var none S
	return none, false
}

// pending returns the flow in progress when its code passed or not, as
// codePassed says; else it sends the browser to the step the flow is at.
func (f *flow[S, P]) pending(h *Handler, w http.ResponseWriter, r *http.Request, codePassed bool) (S, bool) {
	s, ok := f.load(h, r)
	switch {
	case !ok || (codePassed && !s.codePassed()):
		f.expire(w, r)
		return s, false
	case !codePassed && s.codePassed():
		http.Redirect(w, r, f.afterCode, http.StatusSeeOther)
		return s, false
	}
	return s, true
}

// begin starts the flow with s, under a new session token (a new
// privilege), and goes on to next.
func (f *flow[S, P]) begin(h *Handler, w http.ResponseWriter, r *http.Request, lang templates.Lang, s S, next string) {
	if err := h.Sessions.RenewToken(r.Context()); err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	f.advance(h, w, r, s, next)
}

// advance saves s and goes on to next.
func (f *flow[S, P]) advance(h *Handler, w http.ResponseWriter, r *http.Request, s S, next string) {
	putJSON(r.Context(), h.Sessions, f.key, s)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// end forgets the flow.
func (f *flow[S, P]) end(h *Handler, r *http.Request) { h.Sessions.Remove(r.Context(), f.key) }

// expire sends the browser to the first step, which says the flow expired.
func (f *flow[S, P]) expire(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, f.path+"?expired=1", http.StatusSeeOther)
}

// at is the page at a step.
func (f *flow[S, P]) at(h *Handler, r *http.Request, lang templates.Lang, step string) P {
	return f.page(h.base(r, lang), step)
}

func (f *flow[S, P]) show(h *Handler, w http.ResponseWriter, r *http.Request, status int, p P) {
	h.render(w, r, f.render(h.Templates, w, status, p))
}

// fail shows p with the error errKey, formatted with retryMinutes when > 0.
func (f *flow[S, P]) fail(h *Handler, w http.ResponseWriter, r *http.Request, status int, p P, errKey string, retryMinutes int) {
	pf := f.fields(&p)
	*pf.err, *pf.retryMinutes = errKey, retryMinutes
	f.show(h, w, r, status, p)
}

// restart ends the flow and shows its first step with errKey.
func (f *flow[S, P]) restart(h *Handler, w http.ResponseWriter, r *http.Request, lang templates.Lang, status int, errKey string, retryMinutes int) {
	f.end(h, r)
	f.fail(h, w, r, status, f.at(h, r, lang, f.first), errKey, retryMinutes)
}

// showStart serves the first step's page: ?restart=1 ends the flow in
// progress, ?expired=1 says it ran out.
func (f *flow[S, P]) showStart(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		if r.URL.Query().Get("restart") != "" {
			f.end(h, r)
		}
		p := f.at(h, r, lang, f.first)
		if r.URL.Query().Get("expired") == "1" {
			*f.fields(&p).err = f.expired
		}
		f.show(h, w, r, http.StatusOK, p)
	}
}

// codePage is the code step's page of the flow in progress, s.
func (f *flow[S, P]) codePage(h *Handler, r *http.Request, lang templates.Lang, s S) P {
	p := f.at(h, r, lang, f.code)
	*f.fields(&p).maskedPhone = s.maskedPhone()
	return p
}

// showCode serves the code step's page.
func (f *flow[S, P]) showCode(h *Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		if s, ok := f.pending(h, w, r, false); ok {
			f.show(h, w, r, http.StatusOK, f.codePage(h, r, lang, s))
		}
	}
}

// answers are a step's answers to the errors of the service: the first
// of each that matches, else a server error (what names the step in the
// log). A lockout is answered as lockout says.
type answers struct {
	what    string
	lockout lockoutAnswer
	each    []answer
}

// lockoutAnswer is how a step answers a lockout.
type lockoutAnswer int

const (
	// lockoutUnexpected: the step's service has no lockouts; a server
	// error.
	lockoutUnexpected lockoutAnswer = iota
	// lockoutHere: the step's page again; the step sends a code, whose own
	// limits have their own message.
	lockoutHere
	// lockoutRestart: the flow's first step again.
	lockoutRestart
)

// answer is an answer to errors of the service: the step's page again with
// a message (an error, or a notice), or the flow's first step with the
// error.
type answer struct {
	errs    []error
	status  int
	key     string
	notice  bool
	restart bool
}

// failed answers err, an error of the service at the step whose page is p.
func (f *flow[S, P]) failed(h *Handler, w http.ResponseWriter, r *http.Request, lang templates.Lang, p P, err error, as answers) {
	if le, ok := accounts.AsLockout(err); ok && as.lockout != lockoutUnexpected {
		w.Header().Set("Retry-After", retryAfter(le))
		if as.lockout == lockoutRestart {
			f.restart(h, w, r, lang, http.StatusTooManyRequests, "register.locked_out", le.RetryMinutes())
			return
		}
		key := "register.locked_out"
		if le.Scope == accounts.ScopeSMS || le.Scope == accounts.ScopeSMSAddress {
			key = "register.sms_limit"
		}
		f.fail(h, w, r, http.StatusTooManyRequests, p, key, le.RetryMinutes())
		return
	}
	if errors.Is(err, accounts.ErrBusy) {
		ref := busy(w)
		f.fail(h, w, r, ref.status, p, ref.msg, 0)
		return
	}
	for _, a := range as.each {
		if !slices.ContainsFunc(a.errs, func(target error) bool { return errors.Is(err, target) }) {
			continue
		}
		switch {
		case a.restart:
			f.restart(h, w, r, lang, a.status, a.key, 0)
		case a.notice:
			*f.fields(&p).notice = a.key
			f.show(h, w, r, a.status, p)
		default:
			f.fail(h, w, r, a.status, p, a.key, 0)
		}
		return
	}
	h.serverError(w, r, lang, as.what, err)
}

// ---- registration's steps ----

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
	lang := h.lang(r)
	page := registration.at(h, r, lang, templates.RegisterDetails)
	page.PersonalID = strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
	page.FullName = strings.Join(strings.Fields(r.PostFormValue("full_name")), " ")
	page.BirthDate = strings.TrimSpace(r.PostFormValue("birth_date"))
	page.Gender = r.PostFormValue("gender")
	page.Phone = strings.TrimSpace(r.PostFormValue("phone"))
	page.Email = strings.TrimSpace(r.PostFormValue("email"))
	// The chip ID card's QR code fills the identity fields (MISSION
	// "Level 1": scanning it fills the form).
	if qr := strings.TrimSpace(r.PostFormValue("qr")); qr != "" {
		q, err := cardreader.ParseQR(qr)
		if err != nil {
			registration.fail(h, w, r, http.StatusBadRequest, page, "register.qr_invalid", 0)
			return
		}
		page.PersonalID, page.FullName, page.Gender = q.PersonalID, q.FullName, string(q.Gender)
		page.BirthDate = q.BirthDate.Format("02/01/2006")
		if (page.Phone == "" && page.Email == "") || r.PostFormValue("action") == "qr" {
			page.Notice = "register.qr_filled"
			registration.show(h, w, r, http.StatusOK, page)
			return
		}
	}
	gender := attributes.Gender(page.Gender)
	if page.PersonalID == "" || page.FullName == "" || page.BirthDate == "" || (page.Phone == "" && page.Email == "") ||
		(gender != attributes.Male && gender != attributes.Female) || len(page.FullName) > 200 {
		registration.fail(h, w, r, http.StatusBadRequest, page, "register.missing", 0)
		return
	}
	birth, ok := parseBirthDate(page.BirthDate)
	if !ok {
		registration.fail(h, w, r, http.StatusBadRequest, page, "register.bad_date", 0)
		return
	}
	page.BirthDate = birth.Format("02/01/2006")
	started, err := h.Accounts.StartRegistration(r.Context(), accounts.RegistrationRequest{
		PersonalID: page.PersonalID, FullName: page.FullName, BirthDate: birth, Gender: gender, Phone: page.Phone,
		Email: page.Email, Lang: string(lang), Client: clientOf(r),
	})
	if err != nil {
		registration.failed(h, w, r, lang, page, err, registerAnswers)
		return
	}
	p := pendingRegistration{ID: started.ID, MaskedPhone: started.MaskedPhone, StartedAt: h.now()}
	if started.MaskedEmail != "" {
		p.MaskedPhone, p.ByEmail = started.MaskedEmail, true
	}
	registration.begin(h, w, r, lang, p, PathRegisterVerify)
}

// registerAnswers answer the errors of StartRegistration.
var registerAnswers = answers{what: "start registration", lockout: lockoutHere, each: []answer{
	{errs: []error{accounts.ErrInvalidPhone}, status: http.StatusBadRequest, key: "register.bad_phone"},
	{errs: []error{accounts.ErrInvalidEmail}, status: http.StatusBadRequest, key: "register.bad_email"},
	{errs: []error{accounts.ErrNoEmail}, status: http.StatusBadRequest, key: "register.no_email"},
	{errs: []error{personalid.ErrLength, personalid.ErrDigits, personalid.ErrProvince}, status: http.StatusBadRequest, key: "register.bad_pid"},
	{errs: []error{personalid.ErrYear, personalid.ErrGender, personalid.ErrBirthYearRange}, status: http.StatusBadRequest, key: "register.pid_disagrees"},
	{errs: []error{accounts.ErrIdentityMismatch}, status: http.StatusBadRequest, key: "register.mismatch"},
	{errs: []error{accounts.ErrUnderage}, status: http.StatusForbidden, key: "register.under_14"},
	{errs: []error{accounts.ErrAlreadyRegistered}, status: http.StatusConflict, key: "register.already"},
}}

func (h *Handler) postRegisterVerify(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := registration.pending(h, w, r, false)
	if !ok {
		return
	}
	err := h.Accounts.ConfirmRegistration(r.Context(), accounts.RegistrationCode{
		ID: p.ID, Code: strings.ReplaceAll(r.PostFormValue("code"), " ", ""), Client: clientOf(r),
	})
	if err != nil {
		registration.failed(h, w, r, lang, registration.codePage(h, r, lang, p), err, registerCodeAnswers)
		return
	}
	p.Confirmed = true
	registration.advance(h, w, r, p, PathRegisterPassword)
}

// registerCodeAnswers answer the errors of ConfirmRegistration.
var registerCodeAnswers = answers{what: "confirm registration", lockout: lockoutRestart, each: []answer{
	{errs: []error{accounts.ErrInvalidCode}, status: http.StatusUnauthorized, key: "register.bad_code"},
	{errs: []error{accounts.ErrCodeExpired, accounts.ErrRegistrationExpired}, status: http.StatusGone, key: "register.code_expired", restart: true},
	{errs: []error{accounts.ErrPhoneTaken}, status: http.StatusConflict, key: "register.phone_taken", restart: true},
}}

func (h *Handler) showRegisterPassword(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if p, ok := registration.pending(h, w, r, true); ok {
		page := registration.at(h, r, lang, templates.RegisterPassword)
		page.ByEmail = p.ByEmail
		registration.show(h, w, r, http.StatusOK, page)
	}
}

func (h *Handler) postRegisterPassword(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	p, ok := registration.pending(h, w, r, true)
	if !ok {
		return
	}
	page := registration.at(h, r, lang, templates.RegisterPassword)
	page.ByEmail = p.ByEmail
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		registration.fail(h, w, r, http.StatusBadRequest, page, "register.password_mismatch", 0)
		return
	}
	acct, err := h.Accounts.CompleteRegistration(r.Context(), accounts.RegistrationCompletion{ID: p.ID, Password: pw, Client: clientOf(r)})
	if err != nil {
		registration.failed(h, w, r, lang, page, err, registerPasswordAnswers)
		return
	}
	registration.end(h, r)
	done := registration.at(h, r, lang, templates.RegisterDone)
	if p.Foreigner {
		// A foreigner's login is the number the registry assigned: shown
		// once the phone proved who they are and the account exists.
		done.Foreigner, done.Login = true, acct.PersonalID
	}
	registration.show(h, w, r, http.StatusOK, done)
}

// registerPasswordAnswers answer the errors of CompleteRegistration.
var registerPasswordAnswers = answers{what: "complete registration", each: []answer{
	{errs: []error{accounts.ErrWeakPassword}, status: http.StatusBadRequest, key: "register.weak_password"},
	{errs: []error{accounts.ErrAlreadyRegistered}, status: http.StatusConflict, key: "register.already", restart: true},
	{errs: []error{accounts.ErrPhoneTaken}, status: http.StatusConflict, key: "register.phone_taken", restart: true},
	{errs: []error{accounts.ErrRegistrationExpired, accounts.ErrPhoneNotConfirmed}, status: http.StatusGone, key: "register.expired", restart: true},
}}

// ---- a foreigner's first step ----

func (h *Handler) foreignerPage(r *http.Request, lang templates.Lang) templates.RegisterPage {
	p := registration.at(h, r, lang, templates.RegisterForeigner)
	p.Title = "register.foreigner_title"
	return p
}

func (h *Handler) showRegisterForeigner(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if r.URL.Query().Get("restart") != "" {
		registration.end(h, r)
	}
	registration.show(h, w, r, http.StatusOK, h.foreignerPage(r, lang))
}

func (h *Handler) postRegisterForeigner(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	page := h.foreignerPage(r, lang)
	field := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	page.PassportNo, page.IssuingCountry, page.Nationality = field("passport_no"), field("issuing_country"), field("nationality")
	page.PrimaryName = strings.Join(strings.Fields(r.PostFormValue("primary_name")), " ")
	page.SecondaryName = strings.Join(strings.Fields(r.PostFormValue("secondary_name")), " ")
	page.BirthDate, page.Sex = field("birth_date"), field("sex")
	page.PassportExpiry, page.PermitNumber, page.PermitExpiry = field("passport_expiry"), field("permit_number"), field("permit_expiry")
	page.Phone, page.Email = field("phone"), field("email")
	if page.PassportNo == "" || page.IssuingCountry == "" || page.Nationality == "" || page.PrimaryName == "" ||
		page.BirthDate == "" || page.Sex == "" || page.PassportExpiry == "" || page.PermitNumber == "" ||
		page.PermitExpiry == "" || (page.Phone == "" && page.Email == "") {
		registration.fail(h, w, r, http.StatusBadRequest, page, "register.foreigner_missing", 0)
		return
	}
	var dates [3]time.Time
	for i, s := range []*string{&page.BirthDate, &page.PassportExpiry, &page.PermitExpiry} {
		d, ok := parseBirthDate(*s)
		if !ok {
			registration.fail(h, w, r, http.StatusBadRequest, page, "register.bad_foreigner_date", 0)
			return
		}
		dates[i], *s = d, d.Format("02/01/2006")
	}
	started, err := h.Accounts.StartForeignerRegistration(r.Context(), accounts.ForeignerRegistrationRequest{
		PassportNo: page.PassportNo, IssuingCountry: page.IssuingCountry, Nationality: page.Nationality,
		PrimaryName: page.PrimaryName, SecondaryName: page.SecondaryName, BirthDate: dates[0], Sex: page.Sex,
		PassportExpiry: dates[1], PermitNumber: page.PermitNumber, PermitExpiry: dates[2],
		Phone: page.Phone, Email: page.Email, Lang: string(lang), Client: clientOf(r),
	})
	if err != nil {
		registration.failed(h, w, r, lang, page, err, registerForeignerAnswers)
		return
	}
	p := pendingRegistration{ID: started.ID, MaskedPhone: started.MaskedPhone, Foreigner: true, StartedAt: h.now()}
	if started.MaskedEmail != "" {
		p.MaskedPhone, p.ByEmail = started.MaskedEmail, true
	}
	registration.begin(h, w, r, lang, p, PathRegisterVerify)
}

// registerForeignerAnswers answer the errors of StartForeignerRegistration.
// A mismatch says that the details do not match, never which.
var registerForeignerAnswers = answers{what: "start foreigner registration", lockout: lockoutHere, each: []answer{
	{errs: []error{accounts.ErrInvalidPhone}, status: http.StatusBadRequest, key: "register.bad_phone"},
	{errs: []error{accounts.ErrInvalidEmail}, status: http.StatusBadRequest, key: "register.bad_email"},
	{errs: []error{accounts.ErrNoEmail}, status: http.StatusBadRequest, key: "register.no_email"},
	{errs: []error{accounts.ErrInvalidPassport}, status: http.StatusBadRequest, key: "register.bad_passport"},
	{errs: []error{accounts.ErrIdentityMismatch}, status: http.StatusBadRequest, key: "register.foreigner_mismatch"},
	{errs: []error{accounts.ErrPermitExpired}, status: http.StatusForbidden, key: "register.permit_expired"},
	{errs: []error{accounts.ErrPassportExpired}, status: http.StatusForbidden, key: "register.passport_expired"},
	{errs: []error{accounts.ErrUnderage}, status: http.StatusForbidden, key: "register.foreigner_under_14"},
	{errs: []error{accounts.ErrAlreadyRegistered}, status: http.StatusConflict, key: "register.foreigner_already"},
}}
