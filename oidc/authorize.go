package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// ErrUnmetAuthenticationRequirements is OpenID Connect Core's
// unmet_authentication_requirements (OIDC Core 1.0 errata set 2, §3.1.2.6):
// the account cannot reach the requested assurance level.
var ErrUnmetAuthenticationRequirements = &fosite.RFC6749Error{
	ErrorField:       "unmet_authentication_requirements",
	DescriptionField: "The account cannot meet the requested authentication requirements.",
	CodeField:        http.StatusBadRequest,
}

// ErrUnknownChallenge: no such consent challenge, or it expired, was not
// answered, or was already used.
var ErrUnknownChallenge = errors.New("oidc: unknown consent challenge")

// MaxSignInRounds bounds the sign-in round trips of one authorization
// request: a sign-in page that keeps coming back too weak ends the request
// instead of looping.
const MaxSignInRounds = 3

// PKCE code_challenge bounds (RFC 7636 §4.2: the S256 challenge of a 43 to
// 128 character verifier is 43 characters; §4.1 bounds verifiers, and the
// same bounds keep a challenge from being anything but base64url).
const (
	minChallengeLen = 43
	maxChallengeLen = 128
)

// Meta is what the transport knows of a request that the audit trail keeps.
type Meta struct {
	IP        string
	UserAgent string
	RequestID string
	// Sender is how the token was presented and the DPoP proof, at the
	// token endpoint and protected resources.
	Sender Sender
}

func (m Meta) stamp(e audit.Event) audit.Event {
	e.IP, e.UserAgent, e.RequestID = m.IP, m.UserAgent, m.RequestID
	return e
}

// AuthorizeRequest is an authorization request validated completely
// (ValidateAuthorize): every answer from here on goes to the relying party.
type AuthorizeRequest struct {
	// Fosite is fosite's view of the request, for writing the response.
	Fosite fosite.AuthorizeRequester
	Client *Client
	// ClaimsRequest is the claims parameter (OIDC Core §5.5).
	ClaimsRequest ClaimsRequest
	// RequestedClaims are the claims named one by one that the client may
	// receive (RequestedClaims).
	RequestedClaims []string
	// Need is the assurance level the sign-in must reach.
	Need Requirement
	// MaxAge is max_age (OIDC Core §3.1.2.1); negative when absent.
	MaxAge time.Duration
	// PARURI is the request_uri of a pushed request (RFC 9126), "" if the
	// parameters came with the request.
	PARURI string
	// Outer is what the browser may carry back to /authorize (after a
	// sign-in): the parameters it sent, or only client_id and request_uri
	// for a pushed request, whose parameters never go back to the browser.
	Outer     url.Values
	prompts   []string
	UILocales string
}

// Prompt reports whether prompt (OIDC Core §3.1.2.1) lists v.
func (r *AuthorizeRequest) Prompt(v string) bool { return slices.Contains(r.prompts, v) }

// Form is the request's parameters (a pushed request's, once resolved).
func (r *AuthorizeRequest) Form() url.Values { return r.Fosite.GetRequestForm() }

// SignInAttempt is what the browser's session knows for this request.
type SignInAttempt struct {
	// SignIn is the browser's sign-in; nil when nobody is signed in. Its
	// AccountLevel is ignored: the account is read afresh.
	SignIn *SignIn
	// Since is when this request first sent the browser to sign in (zero if
	// it never did): prompt=login is satisfied by a sign-in after it.
	Since time.Time
	// Rounds is how often this request sent the browser to sign in.
	Rounds int
	// ActingFor is the guardian's choice on the choice page for this
	// request (act_for_dependent): ActSelf, a dependent's id, or "" when
	// not chosen yet.
	ActingFor string
}

// Step is what the web layer must do next with an authorization request.
type Step int

// The steps of an authorization.
const (
	// StepRespond: send Decision.Response to the relying party.
	StepRespond Step = iota + 1
	// StepError: send Decision.Err to the relying party.
	StepError
	// StepSignIn: send the browser to sign in at Decision.Level
	// (Decision.Force: even if signed in), then back to the request.
	StepSignIn
	// StepConsent: send the browser to the consent screen with
	// Decision.ChallengeID.
	StepConsent
	// StepUnmet: tell the citizen how to reach the level, with a link that
	// sends Decision.Err to the relying party.
	StepUnmet
	// StepChooseDependent: the signed-in guardian chooses "myself" or a
	// dependent (DependentChoices) before consent, then the browser comes
	// back to the request with the choice (SignInAttempt.ActingFor).
	StepChooseDependent
)

// Decision is the outcome of Authorize.
type Decision struct {
	Step     Step
	Response fosite.AuthorizeResponder
	Err      error
	// Level and Force for StepSignIn; Reason says why (no_session,
	// prompt_login, max_age, step_up, no_account).
	Level  assurance.Level
	Force  bool
	Reason string
	// ChallengeID for StepConsent.
	ChallengeID string
	// ForgetSignIn: the browser's sign-in names an account that no longer
	// exists; the web layer signs the browser out.
	ForgetSignIn bool
}

func respond(r fosite.AuthorizeResponder) Decision { return Decision{Step: StepRespond, Response: r} }
func refuse(err error) Decision                    { return Decision{Step: StepError, Err: err} }

// ValidateAuthorize reads and validates an authorization request completely
// before anyone is asked to sign in (RFC 7636 §4.4.1, RFC 6749 §4.1.2.1):
// client, redirect URI, response type and mode, scopes, PKCE, acr_values,
// claims, prompt, max_age, request objects and the client's PAR rule. On an
// error the returned request, when not nil and its redirect URI valid,
// carries it back to the relying party; otherwise the citizen gets a page.
// Nothing is written: a pushed request stays usable until it is answered.
func (p *Provider) ValidateAuthorize(ctx context.Context, r *http.Request) (*AuthorizeRequest, error) {
	return p.validateAuthorize(ctx, r, false)
}

// validateAuthorize is ValidateAuthorize; resumed is set for a request
// parked for consent, whose pushed request was resolved when it was parked.
func (p *Provider) validateAuthorize(ctx context.Context, r *http.Request, resumed bool) (*AuthorizeRequest, error) {
	if err := r.ParseForm(); err != nil {
		return nil, fosite.ErrInvalidRequest.WithHint("The request could not be read.")
	}
	// RFC 6749 §3.1: no parameter more than once. Where the answer goes is
	// known only once client_id and redirect_uri are single.
	dup := duplicated(r.Form)
	if dup == "client_id" || dup == "redirect_uri" {
		return nil, fosite.ErrInvalidRequest.WithHintf("The parameter '%s' was sent more than once.", dup)
	}
	// What the browser sent, before fosite merges a pushed request into
	// r.Form.
	outer := cloneValues(r.Form)
	signed := false
	if uri := outer.Get("request_uri"); uri != "" && !strings.HasPrefix(uri, PARPrefix) {
		// RFC 9101 §5.2: request objects by reference are not fetched; only
		// the request_uri of a pushed request is known here.
		return nil, fosite.ErrRequestURINotSupported.WithHint("Only the request_uri of a pushed authorization request (RFC 9126) is accepted.")
	}
	if raw := outer.Get("request"); raw != "" {
		if outer.Get("request_uri") != "" {
			return nil, fosite.ErrInvalidRequest.WithHint("Send request or request_uri, not both.")
		}
		form, err := p.requestObject(ctx, outer.Get("client_id"), raw)
		if err != nil {
			return nil, err
		}
		// RFC 9101 §6.3: only the object's parameters are used.
		r.Form = form
		signed = true
	}
	// fosite deletes a pushed request as it reads it: in a transaction
	// rolled back, the request stays usable until it is answered
	// (issueCode deletes it). Without a request_uri fosite only reads the
	// client: no transaction, two statements fewer per authorization.
	tctx := ctx
	if r.Form.Has("request_uri") {
		var err error
		if tctx, err = p.Store.BeginTX(ctx); err != nil {
			return nil, unavailable(err)
		}
	}
	ar, err := p.OAuth2.NewAuthorizeRequest(tctx, r)
	if tctx != ctx {
		_ = p.Store.Rollback(tctx)
	}
	req := &AuthorizeRequest{Fosite: ar, MaxAge: -1, Outer: outer}
	if ar == nil {
		req = nil
	}
	if err != nil {
		return req, unavailable(policyHint(ar, err))
	}
	client, ok := ClientOf(ar.GetClient())
	if !ok {
		return req, fosite.ErrServerError.WithDebug("client of an unexpected type")
	}
	req.Client = client
	if dup != "" {
		return req, fosite.ErrInvalidRequest.WithHintf("The parameter '%s' was sent more than once.", dup)
	}
	if uri := outer.Get("request_uri"); strings.HasPrefix(uri, PARPrefix) {
		req.PARURI = uri
		req.Outer = url.Values{"client_id": {outer.Get("client_id")}, "request_uri": {uri}}
	}
	if signed {
		req.Outer = url.Values{"client_id": {outer.Get("client_id")}, "request": {outer.Get("request")}}
	}
	if req.PARURI != "" {
		sess, _ := ar.GetSession().(*Session)
		signed = sess != nil && sess.SignedRequest
	}
	if client.RequireSignedRequestObject && !signed && !resumed {
		return req, fosite.ErrInvalidRequest.WithHint("This client must send its authorization request as a signed request object (RFC 9101), by value or pushed.")
	}
	if (client.RequirePAR || client.FAPI2()) && req.PARURI == "" && !resumed {
		return req, fosite.ErrInvalidRequest.WithHint("This client must use a pushed authorization request (RFC 9126).")
	}
	if client.FAPI2() && !resumed {
		// FAPI 2.0 §5.3.2.1 (RFC 9126 §4): the authorization request of a
		// fapi2 client is client_id and request_uri, nothing else.
		for _, k := range slices.Sorted(maps.Keys(outer)) {
			if k != "client_id" && k != "request_uri" {
				return req, fosite.ErrInvalidRequest.WithHintf("Only client_id and request_uri may be sent to the authorization endpoint with a pushed request; '%s' was sent too.", k)
			}
		}
	}
	if err := p.checkAuthorize(req); err != nil {
		return req, err
	}
	return req, nil
}

// checkAuthorize applies the rules fosite leaves to the response phase or
// does not know, on a request fosite accepted; it fills the parsed fields.
// PAR and the authorization endpoint share it.
func (p *Provider) checkAuthorize(req *AuthorizeRequest) error {
	ar, form := req.Fosite, req.Fosite.GetRequestForm()
	if form.Get("request") != "" {
		return fosite.ErrRequestNotSupported
	}
	if !ar.GetResponseTypes().ExactOne("code") {
		return fosite.ErrUnsupportedResponseType.WithHint("Only response_type=code is supported.")
	}
	switch ar.GetResponseMode() {
	case fosite.ResponseModeDefault, fosite.ResponseModeQuery, fosite.ResponseModeFormPost,
		ResponseModeJWT, ResponseModeQueryJWT, ResponseModeFragmentJWT, ResponseModeFormPostJWT:
	default:
		return fosite.ErrUnsupportedResponseMode.WithHintf("response_mode '%s' is not supported; use query or a JWT mode (JARM).", form.Get("response_mode"))
	}
	if !ar.GetRequestedScopes().Has(attributes.ScopeOpenID) {
		return fosite.ErrInvalidScope.WithHint("The openid scope is required.")
	}
	if err := checkPKCE(form); err != nil {
		return err
	}
	if v := form.Get("max_age"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 100*365*24*3600 {
			return fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative number of seconds.")
		}
		req.MaxAge = time.Duration(n) * time.Second
	}
	cr, err := ParseClaimsRequest(form.Get("claims"))
	if err != nil {
		return fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid JSON.")
	}
	req.ClaimsRequest = cr
	req.prompts = fosite.RemoveEmpty(strings.Split(form.Get("prompt"), " "))
	req.RequestedClaims = RequestedClaims(req.Client, cr)
	req.Need = Require(req.Client, form.Get("acr_values"), cr, ar.GetRequestedScopes(), req.RequestedClaims)
	if req.Need.Unsatisfiable {
		return ErrUnmetAuthenticationRequirements.WithHint("No requested acr value is supported.")
	}
	req.UILocales = form.Get("ui_locales")
	return checkActFor(req.Client, ar.GetRequestedScopes())
}

// checkPKCE enforces RFC 7636 at the authorization endpoint, where fosite
// does not (it checks only when the response is built): a code_challenge is
// required (RFC 9700 §2.1.1), its method must be S256 (an absent method
// means plain, §4.3), and it is 43 to 128 unreserved characters (§4.2).
func checkPKCE(form url.Values) error {
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "":
		return fosite.ErrInvalidRequest.WithHint("A code_challenge (PKCE, RFC 7636) is required.")
	case method != "S256":
		return fosite.ErrInvalidRequest.WithHint("code_challenge_method must be S256; plain is not accepted.")
	case len(challenge) < minChallengeLen || len(challenge) > maxChallengeLen:
		return fosite.ErrInvalidRequest.WithHintf("code_challenge must be %d to %d characters long.", minChallengeLen, maxChallengeLen)
	}
	for _, c := range challenge {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return fosite.ErrInvalidRequest.WithHint("code_challenge may hold only unreserved characters (RFC 7636 §4.2).")
		}
	}
	return nil
}

// Authorize decides an authorization request validated by
// ValidateAuthorize, given what the browser's session knows: the sign-in is
// checked for freshness (prompt=login, max_age), the account for its status
// and level, the sign-in for step-up, the consent decider is asked, and the
// code is issued, or the request is parked for the consent screen. Denials
// are audited.
func (p *Provider) Authorize(ctx context.Context, req *AuthorizeRequest, at SignInAttempt, meta Meta) (Decision, error) {
	now := p.now()
	client := req.Client
	requestedAt := now
	if !at.Since.IsZero() {
		// Seconds, like auth_time, so fosite's prompt=login check holds.
		requestedAt = at.Since.Truncate(time.Second)
	}
	fresh, reason := signInFresh(req, at, now)
	var in SignIn
	forget := false
	if fresh {
		in = *at.SignIn
		a, err := p.Account(ctx, in.AccountID)
		switch {
		case errors.Is(err, ErrAccountLocked):
			p.deny(ctx, client, in.AccountID, "account_locked", meta)
			return refuse(fosite.ErrAccessDenied.WithHint("The account is locked.")), nil
		case errors.Is(err, ErrAccountNotFound):
			fresh, reason, forget = false, "no_account", true
		case err != nil:
			return Decision{}, err
		default:
			in.AccountLevel = a.Level
		}
	}
	if fresh && !in.AccountLevel.Satisfies(req.Need.Level) {
		// The account itself is too weak: no sign-in can fix that here.
		p.deny(ctx, client, in.AccountID, "unmet_authentication_requirements", meta)
		return Decision{Step: StepUnmet, Err: ErrUnmetAuthenticationRequirements}, nil
	}
	if fresh && !in.Level().Satisfies(req.Need.Level) {
		fresh, reason = false, "step_up"
	}
	if !fresh {
		switch {
		case req.Prompt("none"):
			return refuse(fosite.ErrLoginRequired.WithHintf("Sign-in is needed (%s).", reason)), nil
		case at.Rounds >= MaxSignInRounds && reason == "step_up":
			return refuse(ErrUnmetAuthenticationRequirements.WithHint("The second factor was not completed.")), nil
		case at.Rounds >= MaxSignInRounds:
			return refuse(fosite.ErrLoginRequired.WithHint("Sign-in did not complete.")), nil
		}
		return Decision{Step: StepSignIn, Level: req.Need.Level, Reason: reason, ForgetSignIn: forget,
			Force: reason != "no_session" && reason != "step_up"}, nil
	}

	actingFor, d, done, err := p.chooseHolder(ctx, req, in, at, meta)
	if err != nil || done {
		return d, err
	}
	// The consent is the guardian's, recorded on the dependent's records
	// when acting for one.
	holder := in.AccountID
	if actingFor != "" {
		holder = actingFor
	}
	scopes := dropActScope(req.Fosite.GetRequestedScopes())
	decision, err := p.Consent.Decide(ctx, ConsentRequest{
		AccountID: holder, Client: client, Scopes: scopes,
		Claims: attributes.ClaimsFor(scopes, req.RequestedClaims),
		Prompt: req.Prompt("consent"), PromptNone: req.Prompt("none"),
	})
	switch {
	case errors.Is(err, ErrConsentRefused):
		p.deny(ctx, client, in.AccountID, "consent_refused", meta)
		return refuse(fosite.ErrAccessDenied.WithHint("The citizen refused.")), nil
	case err != nil:
		return Decision{}, fmt.Errorf("oidc: consent decision: %w", err)
	case decision.NeedsPrompt && (req.Prompt("none") || p.challenges == nil):
		// OpenID Connect Core §3.1.2.6.
		return refuse(fosite.ErrConsentRequired), nil
	case decision.NeedsPrompt:
		return p.park(ctx, req, Challenge{
			AccountID: in.AccountID, ActingFor: actingFor, ClientID: client.ID, SignIn: in, RequestedAt: requestedAt,
			Scopes: scopes, Claims: req.RequestedClaims,
			Essential: essentialClaims(req.ClaimsRequest, req.RequestedClaims),
			ACR:       req.Need.Level.ACR(), UILocales: req.UILocales, Reason: decision.Reason,
		})
	}
	resp, err := p.issueCode(ctx, req, in, actingFor, requestedAt, decision.Scopes, decision.Claims, req.PARURI)
	if err != nil {
		return refuse(err), nil
	}
	return respond(resp), nil
}

// chooseHolder applies the guardian's choice of a request asking for
// act_for_dependent: the choice page first (unless the guardian has nobody
// to act for), then the dependent chosen, whose authority must be live. It
// returns the dependent's id ("" for the guardian themselves), or a
// decision to carry out (done).
func (p *Provider) chooseHolder(ctx context.Context, req *AuthorizeRequest, in SignIn, at SignInAttempt, meta Meta) (string, Decision, bool, error) {
	if !actsFor(req) || !req.Client.AcceptDependents {
		return "", Decision{}, false, nil
	}
	switch at.ActingFor {
	case ActSelf:
		return "", Decision{}, false, nil
	case "":
		ds, err := p.DependentChoices(ctx, in.AccountID)
		if err != nil {
			return "", Decision{}, true, err
		}
		if len(ds) == 0 {
			return "", Decision{}, false, nil
		}
		if req.Prompt("none") {
			// OIDC Core §3.1.2.6: the choice needs the guardian.
			return "", refuse(fosite.ErrInteractionRequired.WithHint("The guardian must choose whom to sign in for.")), true, nil
		}
		return "", Decision{Step: StepChooseDependent}, true, nil
	}
	d, err := p.authority(ctx, in.AccountID, at.ActingFor)
	switch {
	case errors.Is(err, ErrNoAuthority):
		p.deny(ctx, req.Client, in.AccountID, "no_authority", meta)
		return "", refuse(fosite.ErrAccessDenied.WithHint("The guardian may not act for this person.")), true, nil
	case err != nil:
		return "", Decision{}, true, err
	}
	return d.ID, Decision{}, false, nil
}

// signInFresh reports whether the browser's sign-in may answer the request
// as it stands (before the account is read), and why not.
func signInFresh(req *AuthorizeRequest, at SignInAttempt, now time.Time) (bool, string) {
	in := at.SignIn
	switch {
	case in == nil:
		return false, "no_session"
	case req.Prompt("login") && (at.Since.IsZero() || !in.AuthTime.After(at.Since)):
		return false, "prompt_login"
	case req.MaxAge >= 0 && now.Sub(in.AuthTime) > req.MaxAge:
		return false, "max_age"
	}
	return true, ""
}

// park stores the request as a consent challenge bound to the signed-in
// account. A pushed request is consumed now: the challenge stands for it.
func (p *Provider) park(ctx context.Context, req *AuthorizeRequest, c Challenge) (Decision, error) {
	id, err := randomID()
	if err != nil {
		return Decision{}, err
	}
	c.ID = id
	c.Form = url.Values{}
	for k, v := range req.Form() {
		c.Form[k] = slices.Clone(v)
	}
	c.CreatedAt = p.now()
	c.ExpiresAt = c.CreatedAt.Add(ChallengeLifespan)
	err = p.challenges.CreateChallenge(ctx, c, req.PARURI)
	switch {
	case errors.Is(err, ErrNotFound):
		return refuse(fosite.ErrInvalidRequestURI.WithHint("The pushed request was already used.")), nil
	case err != nil:
		return Decision{}, fmt.Errorf("oidc: park authorization request: %w", err)
	}
	return Decision{Step: StepConsent, ChallengeID: c.ID}, nil
}

// Challenge returns the consent challenge id while it waits for an answer;
// ErrUnknownChallenge (wrapped) otherwise. The caller checks that its
// AccountID is the signed-in citizen's.
func (p *Provider) Challenge(ctx context.Context, id string) (Challenge, error) {
	if p.challenges == nil {
		return Challenge{}, ErrUnknownChallenge
	}
	c, err := p.challenges.GetChallenge(ctx, id, p.now())
	if errors.Is(err, ErrNotFound) {
		return Challenge{}, fmt.Errorf("oidc: challenge: %w", ErrUnknownChallenge)
	}
	return c, err
}

// BeginChallenge marks the challenge answered, so that one screen records
// one answer; a second submission gets ErrUnknownChallenge.
func (p *Provider) BeginChallenge(ctx context.Context, id string) (Challenge, error) {
	if p.challenges == nil {
		return Challenge{}, ErrUnknownChallenge
	}
	c, err := p.challenges.BeginChallenge(ctx, id, p.now())
	if errors.Is(err, ErrNotFound) {
		return Challenge{}, fmt.Errorf("oidc: challenge: %w", ErrUnknownChallenge)
	}
	return c, err
}

// AnswerChallenge keeps the citizen's answer on a challenge begun with
// BeginChallenge; the consent itself must have been recorded (or the
// refusal audited) before. The browser then goes back to the authorization
// flow (PathAuthorizeResume), where ResumeAuthorize answers the relying
// party.
func (p *Provider) AnswerChallenge(ctx context.Context, id string, a ChallengeAnswer) error {
	if p.challenges == nil {
		return ErrUnknownChallenge
	}
	err := p.challenges.AnswerChallenge(ctx, id, a, p.now())
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("oidc: challenge: %w", ErrUnknownChallenge)
	}
	return err
}

// ResumeURL is where the browser goes once a challenge is answered.
func ResumeURL(challengeID string) string {
	return PathAuthorizeResume + "?" + url.Values{"challenge": {challengeID}}.Encode()
}

// ResumeAuthorize finishes a request parked for consent, once answered: the
// request is validated again (the client may have been disabled or its
// redirect URIs changed since) and the relying party gets a code for exactly
// the approved scopes and claims, or access_denied. The challenge is used up
// whatever happens; it must belong to the browser's signed-in account. The
// returned request is nil when the answer cannot go to a relying party.
func (p *Provider) ResumeAuthorize(ctx context.Context, challengeID string, in *SignIn, meta Meta) (*AuthorizeRequest, Decision, error) {
	if p.challenges == nil {
		return nil, Decision{}, ErrUnknownChallenge
	}
	c, err := p.challenges.TakeChallenge(ctx, challengeID, p.now())
	if errors.Is(err, ErrNotFound) || err == nil && (c.Answer == nil || in == nil || in.AccountID != c.AccountID) {
		return nil, Decision{}, fmt.Errorf("oidc: resume: %w", ErrUnknownChallenge)
	}
	if err != nil {
		return nil, Decision{}, fmt.Errorf("oidc: resume: %w", err)
	}
	// The parameters as a plain request: a pushed one was resolved and
	// consumed when parked.
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+PathAuthorize+"?"+c.Form.Encode(), nil)
	if err != nil {
		return nil, Decision{}, fmt.Errorf("oidc: resume: %w", err)
	}
	req, err := p.validateAuthorize(ctx, r, true)
	if err != nil {
		return req, refuse(err), nil
	}
	if req.Client.ID != c.ClientID {
		return nil, Decision{}, errors.New("oidc: resume: client changed")
	}
	// An authority that ended while the screen was open refuses whatever
	// the answer (the screen withdraws the request without one).
	if c.ActingFor != "" {
		if _, err := p.authority(ctx, c.AccountID, c.ActingFor); err != nil {
			if errors.Is(err, ErrNoAuthority) {
				p.deny(ctx, req.Client, c.AccountID, "no_authority", meta)
				return req, refuse(fosite.ErrAccessDenied.WithHint("The guardian may no longer act for this person.")), nil
			}
			return req, Decision{}, err
		}
	}
	if !c.Answer.Approved {
		return req, refuse(fosite.ErrAccessDenied.WithHint("The citizen did not consent.")), nil
	}
	if _, err := p.Account(ctx, c.AccountID); err != nil {
		if errors.Is(err, ErrAccountLocked) || errors.Is(err, ErrAccountNotFound) {
			p.deny(ctx, req.Client, c.AccountID, "account_locked", meta)
			return req, refuse(fosite.ErrAccessDenied.WithHint("The account is locked.")), nil
		}
		return req, Decision{}, err
	}
	// Nothing beyond what was asked, whatever the answer says.
	all := attributes.ClaimsFor(c.Scopes, c.Claims)
	scopes := slices.DeleteFunc(slices.Clone(c.Answer.Scopes), func(s string) bool { return !slices.Contains(c.Scopes, s) })
	claims := slices.DeleteFunc(slices.Clone(c.Answer.Claims), func(n string) bool { return !slices.Contains(all, n) })
	resp, err := p.issueCode(ctx, req, c.SignIn, c.ActingFor, c.RequestedAt, scopes, claims, "")
	if err != nil {
		return req, refuse(err), nil
	}
	return req, respond(resp), nil
}

// essentialClaims lists the claims the claims parameter marks essential
// (OIDC Core §5.5.1) among allowed, those the client may receive
// (RequestedClaims).
func essentialClaims(cr ClaimsRequest, allowed []string) []string {
	var out []string
	for _, m := range []map[string]*ClaimRequest{cr.IDToken, cr.Userinfo} {
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
func (p *Provider) issueCode(ctx context.Context, req *AuthorizeRequest, in SignIn, actingFor string, requestedAt time.Time,
	scopes, claims []string, parURI string) (fosite.AuthorizeResponder, error) {
	ar, client := req.Fosite, req.Client
	if !slices.Contains(scopes, attributes.ScopeOpenID) {
		return nil, fosite.ErrAccessDenied.WithHint("The openid scope was not granted.")
	}
	for _, s := range scopes {
		if !ar.GetRequestedScopes().Has(s) {
			continue
		}
		if s == attributes.ScopeOfflineAccess && !slices.Contains(client.GrantTypes, GrantRefreshToken) {
			continue
		}
		ar.GrantScope(s)
	}
	userinfo, idToken := GrantClaims(client, ar.GetGrantedScopes(), req.ClaimsRequest)
	keep := func(names []string) []string {
		return slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(claims, n) })
	}
	session := p.NewGrantSession(client, in, requestedAt, keep(userinfo), keep(idToken))
	if actingFor != "" {
		p.actFor(session, client, actingFor)
	}
	session.CodeIssuedAt = p.now()

	// The code's commit need not wait for the WAL flush: the code is
	// worth nothing until the token request, whose audit event is flushed
	// after it. A crash in between loses a code the client may have
	// received; redeeming it then gets invalid_grant (LazyCommitter).
	tctx, err := p.beginLazy(ctx)
	if err != nil {
		return nil, unavailable(err)
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
	// RFC 9207 §2: the issuer in every authorization response, so that a
	// relying party with several providers knows who answered (mix-up).
	resp.AddParameter("iss", p.Issuer)
	if err := p.Store.Commit(tctx); err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	return resp, nil
}

// deny records a refused authorization (best effort: nothing was issued).
func (p *Provider) deny(ctx context.Context, c *Client, accountID, reason string, meta Meta) {
	e := meta.stamp(audit.Event{
		Type: audit.AuthorizeDenied, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID,
		ClientID: c.ID, Outcome: audit.Denied, Reason: reason,
	})
	if err := p.Record(ctx, e); err != nil {
		p.Logger.ErrorContext(ctx, "audit authorize denial", "error", err)
	}
}

// PushAuthorize serves a pushed authorization request (RFC 9126): the client
// is authenticated and the request validated as the authorization endpoint
// would (checkAuthorize), then stored, in one transaction.
func (p *Provider) PushAuthorize(ctx context.Context, r *http.Request) (fosite.AuthorizeRequester, fosite.PushedAuthorizeResponder, error) {
	if err := r.ParseForm(); err != nil {
		return nil, nil, fosite.ErrInvalidRequest.WithHint("The request could not be read.")
	}
	if dup := duplicated(r.PostForm); dup != "" {
		return nil, nil, fosite.ErrInvalidRequest.WithHintf("The parameter '%s' was sent more than once.", dup)
	}
	signed := false
	if raw := r.PostForm.Get("request"); raw != "" {
		form, err := p.requestObject(ctx, r.PostForm.Get("client_id"), raw)
		if err != nil {
			return nil, nil, err
		}
		// RFC 9126 §3: the object carries the authorization parameters,
		// the body only the client's authentication beside it.
		for _, k := range []string{"client_assertion", "client_assertion_type", "client_secret"} {
			if v, ok := r.PostForm[k]; ok {
				form[k] = v
			}
		}
		r.PostForm, r.Form = form, cloneValues(form)
		signed = true
	}
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		return nil, nil, unavailable(err)
	}
	ar, err := p.OAuth2.NewPushedAuthorizeRequest(tctx, r)
	if err == nil {
		err = p.checkPushed(ar, signed)
	}
	if err == nil {
		// The client's credentials are not authorization parameters: they
		// are not stored with the request, nor ever shown again.
		for _, k := range []string{"client_secret", "client_assertion", "client_assertion_type"} {
			ar.GetRequestForm().Del(k)
		}
	}
	if err != nil {
		_ = p.Store.Rollback(tctx)
		return ar, nil, unavailable(policyHint(ar, err))
	}
	sess := NewSession()
	sess.SignedRequest = signed
	resp, err := p.OAuth2.NewPushedAuthorizeResponse(tctx, ar, sess)
	if err != nil {
		_ = p.Store.Rollback(tctx)
		return ar, nil, err
	}
	if err := p.Store.Commit(tctx); err != nil {
		return ar, nil, fosite.ErrServerError.WithWrap(err)
	}
	return ar, resp, nil
}

func (p *Provider) checkPushed(ar fosite.AuthorizeRequester, signed bool) error {
	if ar.GetRequestForm().Get("request_uri") != "" {
		return fosite.ErrInvalidRequest.WithHint("request_uri is not allowed in a pushed request.")
	}
	client, ok := ClientOf(ar.GetClient())
	if !ok {
		return fosite.ErrServerError.WithDebug("client of an unexpected type")
	}
	if client.RequireSignedRequestObject && !signed {
		return fosite.ErrInvalidRequest.WithHint("This client must push its authorization request as a signed request object (RFC 9101).")
	}
	return p.checkAuthorize(&AuthorizeRequest{Fosite: ar, Client: client, MaxAge: -1})
}

// requestObject verifies the request object of the client clientID names
// (RFC 9101 §5: client_id is sent beside it) and returns its parameters.
func (p *Provider) requestObject(ctx context.Context, clientID, raw string) (url.Values, error) {
	if clientID == "" {
		return nil, fosite.ErrInvalidRequest.WithHint("client_id is required beside a request object (RFC 9101 §5).")
	}
	fc, err := p.Store.GetClient(ctx, clientID)
	if errors.Is(err, fosite.ErrNotFound) {
		return nil, fosite.ErrInvalidClient.WithHint("The requested OAuth 2.0 Client does not exist.")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	client, ok := ClientOf(fc)
	if !ok {
		return nil, fosite.ErrServerError.WithDebug("client of an unexpected type")
	}
	return p.requests.Verify(ctx, raw, client)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// duplicated returns a parameter sent more than once (RFC 6749 §3.1,
// RFC 9126 §2.1), the first in name order, or "".
func duplicated(form url.Values) string {
	var dups []string
	for k, v := range form {
		if len(v) > 1 {
			dups = append(dups, k)
		}
	}
	if len(dups) == 0 {
		return ""
	}
	slices.Sort(dups)
	return dups[0]
}

// randomID is 32 random bytes, base64url: an unguessable handle.
func randomID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("oidc: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
