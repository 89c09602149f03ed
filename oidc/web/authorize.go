package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Session keys owned by this package (STYLE §9: typed constants in one
// web-layer file).
const (
	// keyAuthn remembers, per authorization request, when we sent the
	// browser to sign in and how often: prompt=login is satisfied by a
	// sign-in after that time, and a sign-in page that keeps coming back too
	// weak ends the request instead of looping.
	keyAuthn = "oidc.authn"
	// keyLogoutNonce guards the logout confirmation form.
	keyLogoutNonce = "oidc.logout_nonce"
)

type authnMarker struct {
	Hash  string    `json:"h"`
	At    time.Time `json:"at"`
	Count int       `json:"n"`
}

// maxLoginRounds bounds sign-in round trips for one authorization request.
const maxLoginRounds = 3

// ErrUnmetAuthenticationRequirements is OpenID Connect Core's
// unmet_authentication_requirements (§3.1.2.6 via OpenID Connect Core
// Errata / FAPI): the account cannot reach the requested assurance level.
var ErrUnmetAuthenticationRequirements = &fosite.RFC6749Error{
	ErrorField:       "unmet_authentication_requirements",
	DescriptionField: "The account cannot meet the requested authentication requirements.",
	CodeField:        http.StatusBadRequest,
}

func requestHash(form url.Values) string {
	sum := sha256.Sum256([]byte(form.Encode()))
	return hex.EncodeToString(sum[:16])
}

func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	now := h.now()

	// Phase 1: parse and validate (client, redirect_uri, scopes, PAR) on
	// one connection, rolled back: a pushed request stays usable until we
	// actually answer it.
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		h.errorPage(w, r, http.StatusInternalServerError, "error.generic", "server_error")
		return
	}
	ar, err := p.OAuth2.NewAuthorizeRequest(tctx, r)
	_ = p.Store.Rollback(tctx)
	if err != nil {
		h.authorizeError(w, r, ar, err)
		return
	}
	client, ok := oidc.ClientOf(ar.GetClient())
	if !ok {
		h.authorizeError(w, r, ar, fosite.ErrServerError)
		return
	}
	form := ar.GetRequestForm()
	usedPAR := strings.HasPrefix(r.Form.Get("request_uri"), oidc.PARPrefix)
	switch {
	case client.RequirePAR && !usedPAR:
		h.authorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("This client must use a pushed authorization request (RFC 9126)."))
		return
	case form.Get("request") != "":
		h.authorizeError(w, r, ar, fosite.ErrRequestNotSupported)
		return
	case !ar.GetRequestedScopes().Has(attributes.ScopeOpenID):
		h.authorizeError(w, r, ar, fosite.ErrInvalidScope.WithHint("The openid scope is required."))
		return
	}
	cr, err := oidc.ParseClaimsRequest(form.Get("claims"))
	if err != nil {
		h.authorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid JSON."))
		return
	}
	prompts := fosite.RemoveEmpty(strings.Split(form.Get("prompt"), " "))
	promptNone := slices.Contains(prompts, "none")
	requestedClaims := oidc.RequestedClaims(client, cr)
	need := oidc.Require(client, form.Get("acr_values"), cr, ar.GetRequestedScopes(), requestedClaims)
	if need.Unsatisfiable {
		h.authorizeError(w, r, ar, ErrUnmetAuthenticationRequirements.WithHint("No requested acr value is supported."))
		return
	}

	// The browser sign-in.
	hash := requestHash(r.Form)
	var marker authnMarker
	if s := h.Sessions.GetString(ctx, keyAuthn); s != "" {
		_ = json.Unmarshal([]byte(s), &marker)
		if marker.Hash != hash || now.Sub(marker.At) > 30*time.Minute {
			marker = authnMarker{}
		}
	}
	requestedAt := now
	if !marker.At.IsZero() {
		// Seconds, like auth_time, so fosite's prompt=login check holds.
		requestedAt = marker.At.Truncate(time.Second)
	}
	login, signedIn := websession.GetLogin(ctx, h.Sessions)
	fresh := signedIn
	reason := ""
	if signedIn && slices.Contains(prompts, "login") && (marker.At.IsZero() || !login.AuthTime.After(marker.At)) {
		fresh, reason = false, "prompt_login"
	}
	if maxAge, err := strconv.ParseInt(form.Get("max_age"), 10, 64); err == nil && maxAge >= 0 && signedIn {
		if now.Sub(login.AuthTime) > time.Duration(maxAge)*time.Second {
			fresh, reason = false, "max_age"
		}
	}
	if !signedIn {
		reason = "no_session"
	}

	accountLevel := 0
	if fresh {
		a, err := p.Account(ctx, login.AccountID)
		switch {
		case errors.Is(err, oidc.ErrAccountLocked):
			h.deny(ctx, r, client, login.AccountID, "account_locked")
			h.authorizeError(w, r, ar, fosite.ErrAccessDenied.WithHint("The account is locked."))
			return
		case errors.Is(err, oidc.ErrAccountNotFound):
			websession.ClearLogin(ctx, h.Sessions)
			fresh, reason = false, "no_account"
		case err != nil:
			h.logger().ErrorContext(ctx, "load account", "error", err, "request_id", httpx.RequestIDFrom(ctx))
			h.authorizeError(w, r, ar, fosite.ErrServerError)
			return
		default:
			accountLevel = int(a.Level)
		}
	}
	if fresh && accountLevel < need.Level {
		// The account itself is too weak: no sign-in can fix that here.
		h.deny(ctx, r, client, login.AccountID, "unmet_authentication_requirements")
		h.unmet(w, r, ar, client)
		return
	}
	signIn := oidc.SignIn{AccountID: login.AccountID, AccountLevel: accountLevel, Strength: login.Strength,
		AMR: login.AMR, AuthTime: login.AuthTime, SID: login.SID}
	if fresh && signIn.Level() < need.Level {
		fresh, reason = false, "step_up"
	}
	if !fresh {
		if promptNone {
			h.authorizeError(w, r, ar, fosite.ErrLoginRequired.WithHintf("Sign-in is needed (%s).", reason))
			return
		}
		if marker.Count >= maxLoginRounds {
			if reason == "step_up" {
				h.authorizeError(w, r, ar, ErrUnmetAuthenticationRequirements.WithHint("The second factor was not completed."))
			} else {
				h.authorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("Sign-in did not complete."))
			}
			return
		}
		if marker.At.IsZero() {
			marker.At = now
		}
		marker.Hash, marker.Count = hash, marker.Count+1
		b, _ := json.Marshal(marker)
		h.Sessions.Put(ctx, keyAuthn, string(b))
		h.redirectToLogin(w, r, need.Level, reason != "no_session" && reason != "step_up")
		return
	}
	h.Sessions.Remove(ctx, keyAuthn)

	// Consent.
	parURI := ""
	if usedPAR {
		parURI = r.Form.Get("request_uri")
	}
	decision, err := p.Consent.Decide(ctx, oidc.ConsentRequest{
		AccountID: login.AccountID, Client: client, Scopes: ar.GetRequestedScopes(),
		Claims: attributes.ClaimsFor(ar.GetRequestedScopes(), requestedClaims),
		Prompt: slices.Contains(prompts, "consent"), PromptNone: promptNone,
	})
	switch {
	case errors.Is(err, oidc.ErrConsentRefused):
		h.deny(ctx, r, client, login.AccountID, "consent_refused")
		h.authorizeError(w, r, ar, fosite.ErrAccessDenied.WithHint("The citizen refused."))
		return
	case err != nil:
		h.logger().ErrorContext(ctx, "consent decision", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.authorizeError(w, r, ar, fosite.ErrServerError)
		return
	case decision.NeedsPrompt && (promptNone || h.Challenges == nil):
		// OpenID Connect Core §3.1.2.6.
		h.authorizeError(w, r, ar, fosite.ErrConsentRequired)
		return
	case decision.NeedsPrompt:
		h.park(w, r, ar, oidc.Challenge{
			AccountID: login.AccountID, ClientID: client.ID, SignIn: signIn, RequestedAt: requestedAt,
			Scopes: ar.GetRequestedScopes(), Claims: requestedClaims, Essential: essentialClaims(cr, requestedClaims),
			ACR: oidc.ACRValue(need.Level), UILocales: form.Get("ui_locales"), Reason: decision.Reason,
		}, parURI)
		return
	}
	resp, err := h.issueCode(ctx, ar, client, signIn, requestedAt, cr, decision.Scopes, decision.Claims, parURI)
	if err != nil {
		h.authorizeError(w, r, ar, err)
		return
	}
	p.OAuth2.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// essentialClaims lists the claims the claims parameter marks essential
// (OIDC Core §5.5.1) among allowed, those the client may receive
// (oidc.RequestedClaims).
func essentialClaims(cr oidc.ClaimsRequest, allowed []string) []string {
	var out []string
	for _, m := range []map[string]*oidc.ClaimRequest{cr.IDToken, cr.Userinfo} {
		for n, e := range m {
			if e != nil && e.Essential && slices.Contains(allowed, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// issueCode grants the approved scopes and claims and issues the code, in
// one transaction that also consumes the pushed request, if any. It releases
// only claims listed in claims, whatever the scopes would imply: a voluntary
// claim the citizen unticked stays out of the ID token, userinfo and every
// refresh, since the session stores the claim names.
func (h *Handler) issueCode(ctx context.Context, ar fosite.AuthorizeRequester, client *oidc.Client, signIn oidc.SignIn,
	requestedAt time.Time, cr oidc.ClaimsRequest, scopes, claims []string, parURI string) (fosite.AuthorizeResponder, error) {
	p := h.Provider
	if !slices.Contains(scopes, attributes.ScopeOpenID) {
		return nil, fosite.ErrAccessDenied.WithHint("The openid scope was not granted.")
	}
	for _, s := range scopes {
		if !ar.GetRequestedScopes().Has(s) {
			continue
		}
		if s == attributes.ScopeOfflineAccess && !slices.Contains(client.GrantTypes, oidc.GrantRefreshToken) {
			continue
		}
		ar.GrantScope(s)
	}
	userinfo, idToken := oidc.GrantClaims(client, ar.GetGrantedScopes(), cr)
	keep := func(names []string) []string {
		return slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(claims, n) })
	}
	session := p.NewGrantSession(client, signIn, requestedAt, keep(userinfo), keep(idToken))

	// Issue the code atomically (and consume the pushed request).
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	if parURI != "" {
		if err := p.Store.DeletePARSession(tctx, parURI); err != nil {
			_ = p.Store.Rollback(tctx)
			return nil, fosite.ErrInvalidRequestURI.WithHint("The pushed request was already used.")
		}
	}
	resp, err := p.OAuth2.NewAuthorizeResponse(tctx, ar, session)
	if err != nil {
		_ = p.Store.Rollback(tctx)
		return nil, err
	}
	if err := p.Store.Commit(tctx); err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	return resp, nil
}

// authorizeURL is the relative URL of this authorization request, to come
// back to after sign-in or consent.
func (h *Handler) authorizeURL(r *http.Request) string {
	return oidc.PathAuthorize + "?" + r.Form.Encode()
}

func (h *Handler) redirectToLogin(w http.ResponseWriter, r *http.Request, level int, force bool) {
	loginPath := h.LoginPath
	if loginPath == "" {
		loginPath = "/login"
	}
	q := url.Values{}
	q.Set("return_to", h.authorizeURL(r))
	q.Set("ui_locales", string(h.lang(r)))
	if level >= 2 {
		q.Set("acr_values", oidc.ACRValue(level))
	}
	if force {
		q.Set("prompt", "login")
	}
	http.Redirect(w, r, loginPath+"?"+q.Encode(), http.StatusFound)
}

// authorizeError answers an authorization request: to the relying party when
// the redirect_uri was validated, otherwise as an HTML page (RFC 6749
// §4.1.2.1: never redirect to an unverified URI).
func (h *Handler) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	ctx := r.Context()
	rfc := fosite.ErrorToRFC6749Error(err)
	h.logger().InfoContext(ctx, "authorize error", "error", rfc.ErrorField, "hint", rfc.HintField,
		"debug", rfc.DebugField, "request_id", httpx.RequestIDFrom(ctx))
	if ar != nil && ar.IsRedirectURIValid() {
		h.Provider.OAuth2.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	msg := "oidc.error.request"
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField || rfc.ErrorField == fosite.ErrInvalidRequest.ErrorField && ar != nil && ar.GetClient() == nil {
		msg = "oidc.error.invalid_client"
	}
	status := rfc.CodeField
	if status < 400 {
		status = http.StatusBadRequest
	}
	h.errorPage(w, r, status, msg, rfc.ErrorField)
}

// locationRecorder captures the redirect fosite would send.
type locationRecorder struct {
	h      http.Header
	status int
}

func (l *locationRecorder) Header() http.Header         { return l.h }
func (l *locationRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (l *locationRecorder) WriteHeader(s int)           { l.status = s }

// unmet tells the citizen how to reach level 2, with a link that returns the
// unmet_authentication_requirements error to the relying party.
func (h *Handler) unmet(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, c *oidc.Client) {
	ctx := r.Context()
	rec := &locationRecorder{h: http.Header{}}
	h.Provider.OAuth2.WriteAuthorizeError(ctx, rec, ar, ErrUnmetAuthenticationRequirements)
	lang := h.lang(r)
	page := templates.OIDCUnmetPage{
		Base:       templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
		ClientName: c.DisplayName(string(lang)),
		ReturnURL:  rec.h.Get("Location"),
	}
	if h.Templates == nil {
		http.Redirect(w, r, page.ReturnURL, http.StatusSeeOther)
		return
	}
	if err := h.Templates.OIDCUnmet(w, http.StatusForbidden, page); err != nil {
		h.logger().ErrorContext(ctx, "render unmet page", "error", err)
	}
}

// deny records a refused authorization (best effort: nothing was issued).
// r is nil when a parked request is resumed outside its HTTP request.
func (h *Handler) deny(ctx context.Context, r *http.Request, c *oidc.Client, accountID, reason string) {
	e := audit.Event{
		Type: audit.AuthorizeDenied, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID,
		ClientID: c.ID, Outcome: audit.Denied, Reason: reason, RequestID: httpx.RequestIDFrom(ctx),
	}
	if r != nil {
		e.IP, e.UserAgent = httpx.ClientIP(r), r.UserAgent()
	}
	if err := h.Provider.Record(ctx, e); err != nil {
		h.logger().ErrorContext(ctx, "audit authorize denial", "error", err)
	}
}
