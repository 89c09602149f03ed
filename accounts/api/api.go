// Package api serves the citizen's app its account endpoints under
// /api/app/v1 (described, with identity proofing's, by the app's OpenAPI
// document): activation with a device key, the move of an active account
// to a new device, sign-in by a challenge signed with the device key plus
// the passcode, and the signed-in account's summary. It decodes, calls
// package accounts and encodes. Every error is a stable code with its
// sentence in Vietnamese and English.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Prefix is where the app API is mounted.
const Prefix = "/api/app/v1"

// Handler serves the app's account endpoints.
type Handler struct {
	Accounts *accounts.Service
	// AppLimit admits an unauthenticated app request from a client address;
	// nil admits all.
	AppLimit func(ip string) bool
	Logger   *slog.Logger
}

// maxBody bounds a request: a JWK, a JWS and a few fields.
const maxBody = 16 << 10

// Routes implements server.Mounter.
func (h *Handler) Routes(r *mux.Router) {
	a := r.PathPrefix(Prefix).Subrouter()
	a.Use(httpx.NoStore)
	post := func(path string, fn http.HandlerFunc) {
		a.Handle(path, h.limited(fn)).Methods(http.MethodPost)
	}
	post("/activations", h.startActivation)
	post("/activations/{id}/code", h.activationCode)
	post("/activations/{id}/device", h.activateDevice)
	post("/device-moves", h.startMove)
	post("/device-moves/{id}/code", h.moveCode)
	post("/device-moves/{id}/device", h.moveDevice)
	post("/signin/challenges", h.challenge)
	post("/signin", h.signIn)
	a.HandleFunc("/me", h.me).Methods(http.MethodGet)
	a.HandleFunc("/device", h.unbind).Methods(http.MethodDelete)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Problem is an error answer: the gateway's JSON error (httpx.Error: a
// stable code, its sentence in the request's language: ui_locales, then
// Accept-Language, then Vietnamese) with both sentences.
type Problem struct {
	Error       string            `json:"error"`
	Description string            `json:"error_description"`
	Messages    map[string]string `json:"messages"`
	// RetryAfterMinutes is set with locked_out.
	RetryAfterMinutes int `json:"retry_after_minutes,omitempty"`
}

// writeJSON is the gateway's one JSON writer (httpx.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

func problem(r *http.Request, code string, args ...any) Problem {
	key := "appapi.error." + code
	lang := templates.Negotiate(r.URL.Query().Get("ui_locales"), r.Header.Get("Accept-Language"))
	return Problem{Error: code, Description: templates.T(lang, key, args...),
		Messages: map[string]string{"vi": templates.T(templates.VI, key, args...), "en": templates.T(templates.EN, key, args...)}}
}

func (h *Handler) problem(w http.ResponseWriter, r *http.Request, status int, code string) {
	writeJSON(w, status, problem(r, code))
}

// Codes maps each domain error the app may meet to its status and stable
// code; the first match wins. Exported for the OpenAPI test.
var Codes = []struct {
	Err    error
	Status int
	Code   string
}{
	{accounts.ErrDeviceKey, http.StatusBadRequest, "invalid_device_key"},
	{accounts.ErrDeviceSignature, http.StatusUnauthorized, "bad_device_signature"},
	{accounts.ErrDeviceBoundElsewhere, http.StatusConflict, "device_bound_elsewhere"},
	{accounts.ErrUnknownDevice, http.StatusUnauthorized, "unknown_device"},
	{accounts.ErrNoDevice, http.StatusNotFound, "no_device"},
	{accounts.ErrChallenge, http.StatusUnauthorized, "invalid_challenge"},
	{accounts.ErrChallengeExpired, http.StatusUnauthorized, "challenge_expired"},
	{accounts.ErrWrongPasscode, http.StatusUnauthorized, "wrong_passcode"},
	{accounts.ErrAppSession, http.StatusUnauthorized, "invalid_token"},
	{accounts.ErrLocked, http.StatusForbidden, "account_locked"},
	{accounts.ErrNotActivated, http.StatusForbidden, "not_activated"},
	{accounts.ErrBusy, http.StatusServiceUnavailable, "busy"},
	{accounts.ErrActivationMismatch, http.StatusNotFound, "activation_mismatch"},
	{accounts.ErrAlreadyActive, http.StatusConflict, "already_active"},
	{accounts.ErrNotIdentified, http.StatusConflict, "not_identified"},
	{accounts.ErrWeakPasscode, http.StatusBadRequest, "weak_passcode"},
	{accounts.ErrSecurityQuestions, http.StatusBadRequest, "security_questions"},
	{accounts.ErrWeakPassword, http.StatusBadRequest, "weak_password"},
	{accounts.ErrActivationExpired, http.StatusConflict, "activation_expired"},
	{accounts.ErrInvalidCode, http.StatusUnauthorized, "wrong_code"},
	{accounts.ErrCodeExpired, http.StatusConflict, "code_expired"},
	{accounts.ErrRecoveryUnavailable, http.StatusNotFound, "move_unavailable"},
	{accounts.ErrRecoveryExpired, http.StatusConflict, "move_expired"},
	{accounts.ErrWrongAnswers, http.StatusUnauthorized, "wrong_answers"},
	{accounts.ErrNotFound, http.StatusNotFound, "not_found"},
	{accounts.ErrInvalid, http.StatusBadRequest, "invalid_request"},
}

// fail answers a domain error with its code; an unknown error is logged and
// answered 500 without its text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if le, ok := accounts.AsLockout(err); ok {
		p := problem(r, "locked_out", le.RetryMinutes())
		p.RetryAfterMinutes = le.RetryMinutes()
		w.Header().Set("Retry-After", strconv.Itoa(int(le.RetryAfter.Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, p)
		return
	}
	for _, c := range Codes {
		if errors.Is(err, c.Err) {
			h.problem(w, r, c.Status, c.Code)
			return
		}
	}
	h.log().ErrorContext(r.Context(), "app api", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	h.problem(w, r, http.StatusInternalServerError, "server_error")
}

// limited answers 429 slow_down when AppLimit refuses the client's address.
func (h *Handler) limited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.AppLimit != nil && !h.AppLimit(httpx.ClientIP(r)) {
			w.Header().Set("Retry-After", "60")
			h.problem(w, r, http.StatusTooManyRequests, "slow_down")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decode reads one JSON object of at most maxBody bytes into v, refusing
// unknown fields and other media types.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.problem(w, r, http.StatusUnsupportedMediaType, "invalid_request")
		return false
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.problem(w, r, http.StatusRequestEntityTooLarge, "invalid_request")
			return false
		}
		h.problem(w, r, http.StatusBadRequest, "invalid_request")
		return false
	}
	if _, err := d.Token(); err != io.EOF {
		h.problem(w, r, http.StatusBadRequest, "invalid_request")
		return false
	}
	return true
}

func client(r *http.Request) accounts.Client {
	return accounts.Client{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

// ---- activation ----

// ActivationRequest is the first step: the personal ID number and the phone
// number on record.
type ActivationRequest struct {
	PersonalID string `json:"personal_id"`
	Phone      string `json:"phone"`
}

// ActivationStarted says where the code went.
type ActivationStarted struct {
	ActivationID string `json:"activation_id"`
	MaskedPhone  string `json:"masked_phone"`
	NeedPassword bool   `json:"need_password"`
}

func (h *Handler) startActivation(w http.ResponseWriter, r *http.Request) {
	var in ActivationRequest
	if !h.decode(w, r, &in) {
		return
	}
	st, err := h.Accounts.StartActivation(r.Context(), accounts.ActivationRequest{PersonalID: in.PersonalID, Phone: in.Phone, Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ActivationStarted{ActivationID: st.AccountID, MaskedPhone: st.MaskedPhone, NeedPassword: st.NeedPassword})
}

// CodeRequest carries the SMS code.
type CodeRequest struct {
	Code string `json:"code"`
}

// Ticket is what the SMS step returns: the value the device signs.
type Ticket struct {
	Ticket string `json:"ticket"`
}

func (h *Handler) activationCode(w http.ResponseWriter, r *http.Request) {
	var in CodeRequest
	if !h.decode(w, r, &in) {
		return
	}
	t, err := h.Accounts.VerifyActivationCode(r.Context(), accounts.ActivationCode{AccountID: mux.Vars(r)["id"], Code: in.Code, Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Ticket{Ticket: t})
}

// Device is the device to bind: its public key, a compact JWS by it whose
// payload is {"challenge": <ticket>, "iat": <unix seconds>}, and its
// name and model for the citizen.
type Device struct {
	PublicJWK json.RawMessage `json:"public_jwk"`
	Proof     string          `json:"proof"`
	Name      string          `json:"name,omitempty"`
	Model     string          `json:"model,omitempty"`
}

func (d Device) binding() accounts.DeviceBinding {
	return accounts.DeviceBinding{PublicJWK: d.PublicJWK, Proof: d.Proof, Name: d.Name, Model: d.Model}
}

// Answer is a chosen security question and its answer.
type Answer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// ActivateDeviceRequest is the last step of activation from the app.
type ActivateDeviceRequest struct {
	Ticket   string    `json:"ticket"`
	Passcode string    `json:"passcode"`
	Answers  [2]Answer `json:"answers"`
	// Password is required when the first step said need_password.
	Password string `json:"password,omitempty"`
	Device   Device `json:"device"`
}

// Bound is a device bound to an account.
type Bound struct {
	DeviceID string  `json:"device_id"`
	Account  Summary `json:"account"`
}

// Summary is the account as the app shows it: never a biometric.
type Summary struct {
	FullName    string `json:"full_name,omitempty"`
	Level       int    `json:"level"`
	Status      string `json:"status"`
	MaskedPhone string `json:"masked_phone,omitempty"`
}

func summary(a accounts.Account, name string) Summary {
	return Summary{FullName: name, Level: int(a.Level), Status: string(a.Status), MaskedPhone: accounts.MaskPhone(a.Phone)}
}

func (h *Handler) activateDevice(w http.ResponseWriter, r *http.Request) {
	var in ActivateDeviceRequest
	if !h.decode(w, r, &in) {
		return
	}
	a, d, err := h.Accounts.ActivateDevice(r.Context(), accounts.AppActivation{
		Activation: accounts.Activation{AccountID: mux.Vars(r)["id"], Password: in.Password, Passcode: in.Passcode,
			Answers: [2]accounts.Answer{{Question: in.Answers[0].Question, Answer: in.Answers[0].Answer},
				{Question: in.Answers[1].Question, Answer: in.Answers[1].Answer}},
			Ticket: in.Ticket, Client: client(r)},
		Device: in.Device.binding(),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Bound{DeviceID: d.ID, Account: summary(a, "")})
}

// ---- move to a new device ----

// MoveRequest starts the move of an active account to this device.
type MoveRequest struct {
	PersonalID string `json:"personal_id"`
}

// MoveStarted says where the code went and what the knowledge step asks.
type MoveStarted struct {
	MoveID      string   `json:"move_id"`
	MaskedPhone string   `json:"masked_phone"`
	Questions   []string `json:"questions"`
	Passcode    bool     `json:"passcode"`
}

func (h *Handler) startMove(w http.ResponseWriter, r *http.Request) {
	var in MoveRequest
	if !h.decode(w, r, &in) {
		return
	}
	st, err := h.Accounts.StartRecovery(r.Context(), accounts.RecoveryRequest{PersonalID: in.PersonalID, Purpose: accounts.PurposeDevice, Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := st.Questions
	if q == nil {
		q = []string{}
	}
	writeJSON(w, http.StatusCreated, MoveStarted{MoveID: st.AccountID, MaskedPhone: st.MaskedPhone, Questions: q, Passcode: st.Passcode})
}

func (h *Handler) moveCode(w http.ResponseWriter, r *http.Request) {
	var in CodeRequest
	if !h.decode(w, r, &in) {
		return
	}
	t, err := h.Accounts.VerifyRecoveryCode(r.Context(), accounts.RecoveryCode{AccountID: mux.Vars(r)["id"], Purpose: accounts.PurposeDevice,
		Code: in.Code, Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Ticket{Ticket: t})
}

// MoveDeviceRequest is the last step of a move: the two answers (in the
// order of MoveStarted.questions) or the passcode, and the new device.
type MoveDeviceRequest struct {
	Ticket   string    `json:"ticket"`
	Answers  [2]string `json:"answers,omitempty"`
	Passcode string    `json:"passcode,omitempty"`
	Device   Device    `json:"device"`
}

func (h *Handler) moveDevice(w http.ResponseWriter, r *http.Request) {
	var in MoveDeviceRequest
	if !h.decode(w, r, &in) {
		return
	}
	a, d, err := h.Accounts.MoveDevice(r.Context(), accounts.DeviceMove{AccountID: mux.Vars(r)["id"], Ticket: in.Ticket,
		Answers: in.Answers, Passcode: in.Passcode, Device: in.Device.binding(), Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Bound{DeviceID: d.ID, Account: summary(a, "")})
}

// ---- sign-in ----

// ChallengeRequest names the device about to sign in.
type ChallengeRequest struct {
	DeviceID string `json:"device_id"`
}

// Challenge is a single-use sign-in challenge.
type Challenge struct {
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (h *Handler) challenge(w http.ResponseWriter, r *http.Request) {
	var in ChallengeRequest
	if !h.decode(w, r, &in) {
		return
	}
	c, err := h.Accounts.IssueAppChallenge(r.Context(), in.DeviceID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Challenge{Challenge: c.Challenge, ExpiresAt: c.ExpiresAt})
}

// SignInRequest is the device's signature over the challenge and the
// passcode.
type SignInRequest struct {
	DeviceID string `json:"device_id"`
	Proof    string `json:"proof"`
	Passcode string `json:"passcode"`
}

// Session is a new app session.
type Session struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	var in SignInRequest
	if !h.decode(w, r, &in) {
		return
	}
	s, err := h.Accounts.AppSignIn(r.Context(), accounts.AppSignInRequest{DeviceID: in.DeviceID, Proof: in.Proof, Passcode: in.Passcode, Client: client(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Session{AccessToken: s.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt})
}

// DeviceInfo is the bound device as the app and the account page show it.
type DeviceInfo struct {
	ID           string     `json:"id"`
	Name         string     `json:"name,omitempty"`
	Model        string     `json:"model,omitempty"`
	BoundAt      time.Time  `json:"bound_at"`
	LastSignInAt *time.Time `json:"last_sign_in_at,omitempty"`
}

// Me is the signed-in account's summary.
type Me struct {
	Summary
	Device           DeviceInfo `json:"device"`
	SessionExpiresAt time.Time  `json:"session_expires_at"`
}

// principal resolves the bearer token, answering 401 invalid_token itself.
func (h *Handler) principal(w http.ResponseWriter, r *http.Request) (accounts.AppPrincipal, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="app"`)
		h.problem(w, r, http.StatusUnauthorized, "invalid_token")
		return accounts.AppPrincipal{}, false
	}
	p, err := h.Accounts.AppSessionOf(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		if errors.Is(err, accounts.ErrAppSession) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="app", error="invalid_token"`)
		}
		h.fail(w, r, err)
		return accounts.AppPrincipal{}, false
	}
	return p, true
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	p, ok := h.principal(w, r)
	if !ok {
		return
	}
	d := p.Device
	writeJSON(w, http.StatusOK, Me{Summary: summary(p.Account, p.FullName),
		Device:           DeviceInfo{ID: d.ID, Name: d.Name, Model: d.Model, BoundAt: d.BoundAt, LastSignInAt: d.LastSignInAt},
		SessionExpiresAt: p.ExpiresAt})
}

func (h *Handler) unbind(w http.ResponseWriter, r *http.Request) {
	p, ok := h.principal(w, r)
	if !ok {
		return
	}
	c := client(r)
	if err := h.Accounts.UnbindDevice(r.Context(), p.Account.ID, c); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
