package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// Token types of RFC 8693 §3.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// ErrInvalidTarget is RFC 8693 §2.2.2's invalid_target: the server will not
// issue a token for the subject the client named.
var ErrInvalidTarget = &fosite.RFC6749Error{
	ErrorField:       "invalid_target",
	DescriptionField: "The requested subject is not one the authorization server will issue a token for.",
	CodeField:        400, // Bad Request (RFC 8693 §2.2.2, RFC 6749 §5.2)
}

// tokenExchange is the RFC 8693 grant, for the one case this gateway
// serves: a client that accepts dependents holds a guardian's access token
// and needs one acting for a dependent. The dependent is named with
// requested_subject: its subject at this very client, which the client
// learned from an earlier sign-in as that dependent (the sub of that ID
// token). Phase 1 (HandleTokenEndpointRequest, inside fosite's request
// transaction) checks the request and the subject token; the provider's
// Token then checks the guardian's account, the live authority and the
// dependent's consent between the phases, without a store connection held;
// phase 2 (PopulateTokenEndpointResponse) issues the access token.
type tokenExchange struct{ p *Provider }

var _ fosite.TokenEndpointHandler = (*tokenExchange)(nil)

// CanHandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (*tokenExchange) CanHandleTokenEndpointRequest(_ context.Context, ar fosite.AccessRequester) bool {
	return ar.GetGrantTypes().ExactOne(GrantTokenExchange)
}

// CanSkipClientAuth implements fosite.TokenEndpointHandler: never.
func (*tokenExchange) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// HandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (t *tokenExchange) HandleTokenEndpointRequest(ctx context.Context, ar fosite.AccessRequester) error {
	client, ok := ClientOf(ar.GetClient())
	if !ok {
		return fosite.ErrServerError.WithDebug("client of an unexpected type")
	}
	if !client.AcceptDependents || client.IsPublic() {
		return fosite.ErrUnauthorizedClient.WithHint("Token exchange is for confidential clients registered to accept dependents.")
	}
	form := ar.GetRequestForm()
	switch {
	case form.Get("subject_token") == "":
		return fosite.ErrInvalidRequest.WithHint("subject_token is required (RFC 8693 §2.1).")
	case form.Get("subject_token_type") != TokenTypeAccessToken:
		return fosite.ErrInvalidRequest.WithHintf("subject_token_type must be %s.", TokenTypeAccessToken)
	case form.Get("requested_token_type") != "" && form.Get("requested_token_type") != TokenTypeAccessToken:
		return fosite.ErrInvalidRequest.WithHintf("Only requested_token_type %s is issued.", TokenTypeAccessToken)
	case form.Get("actor_token") != "" || form.Get("actor_token_type") != "":
		return fosite.ErrInvalidRequest.WithHint("actor_token is not accepted: the actor is the subject token's guardian.")
	case form.Get("requested_subject") == "":
		return fosite.ErrInvalidRequest.WithHint("requested_subject (the dependent's sub at this client) is required.")
	case len(form["resource"]) > 0 || len(form["audience"]) > 0:
		return ErrInvalidTarget.WithHint("resource and audience are not supported: the token is for this client.")
	}
	_, sub, err := t.p.OAuth2.IntrospectToken(ctx, form.Get("subject_token"), fosite.AccessToken, NewSession())
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	if err != nil {
		return fosite.ErrInvalidGrant.WithHint("The subject token is not an active access token.")
	}
	ss, _ := sub.GetSession().(*Session)
	switch {
	case sub.GetClient().GetID() != client.ID:
		return fosite.ErrInvalidGrant.WithHint("The subject token was issued to another client.")
	case ss == nil || ss.AccountID == "":
		return fosite.ErrInvalidGrant.WithHint("The subject token does not stand for a citizen.")
	case ss.DependentID != "":
		return fosite.ErrInvalidGrant.WithHint("The subject token already acts for a dependent.")
	}
	// Never more than the subject token carries (RFC 8693 §2.1 scope), and
	// no refresh token: the exchanged token lives at most as long as the
	// subject token.
	granted := sub.GetGrantedScopes()
	scopes := ar.GetRequestedScopes()
	if len(scopes) == 0 {
		scopes = slices.DeleteFunc(slices.Clone(granted), func(s string) bool {
			return s == attributes.ScopeOfflineAccess || s == ScopeActForDependent
		})
	}
	for _, s := range scopes {
		if !granted.Has(s) || s == attributes.ScopeOfflineAccess {
			return fosite.ErrInvalidScope.WithHintf("Scope '%s' is not in the subject token (or asks for a refresh token).", s)
		}
	}
	for _, s := range dropActScope(scopes) {
		ar.GrantScope(s)
	}
	now := t.p.now()
	exp := now.Add(fosite.GetEffectiveLifespan(client, GrantTokenExchange, fosite.AccessToken, t.p.FositeConfig.GetAccessTokenLifespan(ctx)))
	if e := ss.GetExpiresAt(fosite.AccessToken); !e.IsZero() && e.Before(exp) {
		exp = e
	}
	s := NewSession()
	s.AccountID = ss.AccountID
	s.Level = ss.Level
	s.PurposeVersion = client.PurposeVersion
	// A DPoP-bound subject token is exchanged only with a proof by its key
	// (bindDPoP), and the new token is bound to it too: a stolen bound
	// token cannot become a bearer one (RFC 9449 §5).
	s.JKT = ss.JKT
	s.Claims.Issuer = t.p.Issuer
	s.Claims.AuthTime = ss.AuthTime()
	s.Claims.RequestedAt = now
	s.Claims.AuthenticationContextClassReference = ss.ACR()
	s.Claims.AuthenticationMethodsReferences = slices.Clone(ss.Claims.AuthenticationMethodsReferences)
	s.SetExpiresAt(fosite.AccessToken, exp)
	ar.SetSession(s)
	return nil
}

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler:
// it issues the access token of an exchange the provider completed
// (exchangeFor), RFC 8693 §2.2.1.
func (t *tokenExchange) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !t.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	sess, _ := ar.GetSession().(*Session)
	if sess == nil || sess.DependentID == "" {
		return fosite.ErrServerError.WithDebug("token exchange without a dependent")
	}
	token, sig, err := t.p.tokens.GenerateAccessToken(ctx, ar)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if err := t.p.Store.CreateAccessTokenSession(ctx, sig, ar.Sanitize([]string{})); err != nil {
		return err
	}
	resp.SetAccessToken(token)
	resp.SetTokenType("Bearer")
	if exp := sess.GetExpiresAt(fosite.AccessToken); !exp.IsZero() {
		resp.SetExpiresIn(exp.Sub(t.p.now()).Round(time.Second))
	}
	resp.SetScopes(ar.GetGrantedScopes())
	resp.SetExtra("issued_token_type", TokenTypeAccessToken)
	return nil
}

// exchangeFor completes a token exchange between the phases: the
// requested_subject must be the subject at this client of a dependent the
// guardian may act for now, and the dependent's consent at this client
// must cover the scopes, without asking anyone (there is no browser).
func (p *Provider) exchangeFor(ctx context.Context, ar fosite.AccessRequester, client *Client, sess *Session) error {
	want := ar.GetRequestForm().Get("requested_subject")
	ds, err := p.DependentChoices(ctx, sess.AccountID)
	if err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	var dep *Dependent
	for i := range ds {
		if p.Subjects.For(client, ds[i].ID) == want {
			dep = &ds[i]
		}
	}
	if dep == nil {
		return ErrInvalidTarget.WithHint("requested_subject is not a dependent the guardian may act for now.")
	}
	scopes := ar.GetGrantedScopes()
	for _, s := range scopes {
		// The client's scopes are those the kind policy allows now
		// (store.GetClient): a document scope the policy took away since
		// the guardian's token was issued is not passed on.
		if !slices.Contains(client.GetScopes(), s) {
			return fosite.ErrInvalidScope.WithHintf("The OAuth 2.0 Client is not allowed to request scope '%s'.", s)
		}
	}
	d, err := p.Consent.Decide(ctx, ConsentRequest{
		AccountID: dep.ID, Client: client, Scopes: scopes,
		Claims: attributes.ClaimsFor(scopes, nil), PromptNone: true,
	})
	switch {
	case errors.Is(err, ErrConsentRefused):
		return fosite.ErrInvalidGrant.WithHint("The dependent's consent at this client was refused.")
	case err != nil:
		return fosite.ErrTemporarilyUnavailable.WithWrap(fmt.Errorf("consent decision: %w", err))
	case d.NeedsPrompt:
		return fosite.ErrInvalidGrant.WithHint("No consent is recorded for the dependent at this client covering these scopes; the guardian must sign in for the dependent once.")
	}
	for _, s := range scopes {
		if !slices.Contains(d.Scopes, s) {
			return fosite.ErrInvalidGrant.WithHintf("The dependent's consent at this client does not cover scope '%s'.", s)
		}
	}
	userinfo, _ := GrantClaims(client, scopes, ClaimsRequest{})
	sess.UserinfoClaims = slices.DeleteFunc(userinfo, func(n string) bool { return !slices.Contains(d.Claims, n) })
	p.actFor(sess, client, dep.ID)
	return nil
}
