package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// ErrUnknownChallenge is what Challenges returns (wrapped) for a challenge
// that does not exist, expired or was already completed.
var ErrUnknownChallenge = errors.New("consent/web: unknown challenge")

// ErrEnded is what Challenges.Get returns (wrapped), with the Pending's
// AccountID, for a request that waits for an answer but can no longer be
// approved: the guardian's authority over the dependent it is for ended
// while the screen was open. The screen records nothing and sends the
// browser back to the relying party with access_denied.
var ErrEnded = errors.New("consent/web: the request can no longer be approved")

// Pending is an authorization request waiting for the citizen's consent, as
// the OIDC authorize handler stashed it.
type Pending struct {
	// AccountID is the citizen who signed in for this request.
	AccountID string
	Client    consent.Client
	// Scopes requested, and Claims requested one by one (the claims
	// parameter).
	Scopes []string
	Claims []string
	// Essential are the claim names the service cannot do without; the
	// citizen cannot untick them (only refuse altogether).
	Essential []string
	// ACR is the assurance level asked (urn:vn:eid:loa:1 or 2).
	ACR string
	// UILocales is the request's ui_locales.
	UILocales string
	// Reason is why the screen is shown (from consent.Service.Decide).
	Reason consent.Reason
	// ActingFor is the dependent the guardian (AccountID) signs in for: the
	// answer is recorded on the dependent's consent records, given by the
	// guardian. ActingForName is shown on the screen.
	ActingFor     string
	ActingForName string
}

// Outcome is the citizen's answer.
type Outcome struct {
	Approved bool
	// Scopes and Claims approved; release nothing else.
	Scopes []string
	Claims []string
}

// Challenges is the authorize handler's store of pending requests. Begin
// marks a challenge answered before the answer is recorded, so that two
// submissions of one screen record one consent. Complete answers the request
// and returns where to send the browser: back to the relying party with a
// code, or with access_denied when not approved (RFC 6749 §4.1.2.1). All
// return ErrUnknownChallenge for unknown, expired or completed challenges
// (Get and Begin also for answered ones).
type Challenges interface {
	Get(ctx context.Context, id string) (Pending, error)
	Begin(ctx context.Context, id string) error
	Complete(ctx context.Context, id string, o Outcome) (redirectURL string, err error)
}

// Item is one attribute with the citizen's own value as the service would
// receive it (the claim value of package attributes); the page formats it
// in its own language (templates.ClaimValue).
type Item struct {
	Claim string
	// LabelKey is a message key; "consent.claim.<Claim>" when empty.
	LabelKey  string
	Value     any
	Essential bool
}

// ValuePreview reads the citizen's values of the attributes the scopes and
// claims would release. It must never return biometric data.
type ValuePreview interface {
	Preview(ctx context.Context, accountID string, scopes, claims []string) ([]Item, error)
}

// DependentPreview reads the values of a dependent the guardian signs in
// for (Handler.Dependents). Without it the screen names the claims of a
// dependent without their values.
type DependentPreview interface {
	PreviewDependent(ctx context.Context, guardianAccountID, dependentID string, scopes, claims []string) ([]Item, error)
}

// Passkeys lists the citizen's passkeys on the account page; the accounts
// service is one. Their ceremonies are served by accounts/web.
type Passkeys interface {
	PasskeysEnabled() bool
	Reauthenticated(by accounts.SignedIn) bool
	Passkeys(ctx context.Context, accountID string) ([]accounts.Passkey, error)
}

// Clients gives the display details of a relying party (for the account
// page and receipts).
type Clients interface {
	Client(ctx context.Context, clientID string) (consent.Client, error)
}

// Subjects gives the identifier a receipt names the citizen by: the sub the
// client knows (pairwise), never the internal account id.
type Subjects interface {
	Subject(ctx context.Context, accountID, clientID string) (string, error)
}

// Handler serves the consent and account pages. Every field but Logger and
// LoginPath is required. Mount it on the browser router (sessions, CSRF).
type Handler struct {
	Consent    *consent.Service
	Challenges Challenges
	Preview    ValuePreview
	// Dependents previews a dependent's values when a guardian signs in
	// for one; optional.
	Dependents DependentPreview
	Clients    Clients
	Subjects   Subjects
	Templates  *templates.Set
	Sessions   *scs.SessionManager
	CSRF       *httpx.CSRF
	Logger     *slog.Logger
	// LoginPath is the sign-in page; /login when empty.
	LoginPath string
	// Passkeys, when set and on, adds the passkeys section to the account
	// page.
	Passkeys Passkeys
	// Profile, when set, adds the choice of the notifications' language to
	// the account page (posted to /account/language, served by
	// accounts/web).
	Profile Profile
}

// Profile reads the signed-in citizen's account (its notification
// language).
type Profile interface {
	Get(ctx context.Context, id string) (accounts.Account, error)
}

// Routes mounts the pages.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle("/consent", httpx.NoStore(http.HandlerFunc(h.showConsent))).Methods(http.MethodGet)
	r.Handle("/consent", httpx.NoStore(http.HandlerFunc(h.answerConsent))).Methods(http.MethodPost)
	r.Handle("/account", httpx.NoStore(http.HandlerFunc(h.account))).Methods(http.MethodGet)
	r.Handle("/account/services/{client}/revoke", httpx.NoStore(http.HandlerFunc(h.revoke))).Methods(http.MethodPost)
	r.Handle("/account/services/{client}/receipt", httpx.NoStore(http.HandlerFunc(h.receipt))).Methods(http.MethodGet)
}

// sessionChallenge remembers the challenge on screen, so that the language
// switch (a link to ?ui_locales=…) still finds it.
const sessionChallenge = "consent_challenge"

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// lang is the page language; fallback is the authorization request's
// ui_locales.
func lang(r *http.Request, fallback string) templates.Lang { return webpage.Lang(r, fallback) }

func (h *Handler) base(r *http.Request, l templates.Lang) templates.Base {
	return templates.Base{Lang: l, CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context()), SignedIn: true}
}

// login returns the signed-in citizen or sends the browser to sign in and
// come back to returnTo.
func (h *Handler) login(w http.ResponseWriter, r *http.Request, returnTo string) (websession.Login, bool) {
	return webpage.RequireLogin(w, r, h.Sessions, h.LoginPath, returnTo)
}

func (h *Handler) loginPath() string {
	if h.LoginPath != "" {
		return h.LoginPath
	}
	return webpage.DefaultLoginPath
}

func (h *Handler) csrfOK(r *http.Request) bool { return webpage.CSRFOK(r, h.CSRF) }

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, l templates.Lang, status int, msg, code string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "consent page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: l, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
		Message: msg, Code: code, LinkURL: "/account", LinkText: "error.back",
	})
}

func actor(r *http.Request, accountID string) consent.Actor {
	return consent.Actor{Kind: "citizen", ID: accountID, IP: httpx.ClientIP(r),
		UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context())}
}

// biometric reports whether a claim name looks like biometric data (the
// portrait or fingerprints, Decree 59 art. 7), which is never shown.
func biometric(claim string) bool {
	c := strings.ToLower(claim)
	for _, s := range []string{"portrait", "picture", "photo", "face", "fingerprint", "biometric"} {
		if strings.Contains(c, s) {
			return true
		}
	}
	return false
}

func labelKey(it Item) string {
	if it.LabelKey != "" {
		return it.LabelKey
	}
	return "consent.claim." + it.Claim
}

func localized(vi, en string, l templates.Lang) string {
	if l == templates.EN && en != "" {
		return en
	}
	return vi
}

func formatTime(t time.Time, l templates.Lang) string {
	if t.IsZero() {
		return ""
	}
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04")
	}
	return webpage.Minute(t)
}

// claimsOf lists what a pending request would release: the claims its
// scopes imply plus those asked one by one, biometrics never.
func claimsOf(scopes, claims []string) []string {
	all := append(attributes.ClaimsForScopes(scopes), claims...)
	all = slices.DeleteFunc(all, func(c string) bool { return c == "" || biometric(c) })
	return attributes.DisplayOrder(all)
}
