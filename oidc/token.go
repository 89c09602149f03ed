package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of the protected resources (RFC 6750 §3.1), for the web layer to
// answer with the matching status and WWW-Authenticate challenge.
var (
	// ErrInvalidToken: the access token is unknown, expired, revoked, or
	// its account is locked.
	ErrInvalidToken = errors.New("oidc: invalid access token")
	// ErrInsufficientScope: the token lacks the openid scope.
	ErrInsufficientScope = errors.New("oidc: insufficient scope")
	// ErrUnavailable: the store could not be read (a database outage); the
	// client may retry. Stores wrap their connection and query failures in
	// it, so that an outage is never taken for an unknown token or client.
	ErrUnavailable = errors.New("oidc: temporarily unavailable")
)

// Token serves the token endpoint (RFC 6749 §3.2): it authenticates the
// client and validates the grant, reads the account and the ID token's
// claims, issues the tokens atomically and audits the issuance. It owns its
// transactions: the store work runs in two phases with the account and
// registry reads between them, so a request never holds two pooled
// connections. A nil requester in the error case means the request could
// not be read at all.
func (p *Provider) Token(ctx context.Context, r *http.Request, meta Meta) (fosite.AccessRequester, fosite.AccessResponder, error) {
	proof, err := p.tokenProof(ctx, meta.Sender)
	if err != nil {
		return nil, nil, p.tokenError(ctx, nil, err, meta)
	}
	// Phase 1: authenticate the client and validate the grant.
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		return nil, nil, unavailable(err)
	}
	var ar fosite.AccessRequester
	if phase1Reads(r) {
		// Only reads (and a client assertion's jti, one statement): no
		// transaction of ours, two round trips fewer. A refresh token's
		// reuse revokes its family in fosite's own transaction.
		ar, err = p.OAuth2.NewAccessRequest(pctx, r, NewSession())
	} else {
		var tctx context.Context
		tctx, err = p.Store.BeginTX(pctx)
		if err != nil {
			release()
			return nil, nil, unavailable(err)
		}
		ar, err = p.OAuth2.NewAccessRequest(tctx, r, NewSession())
		// Commit even on error: fosite's own nested transactions (a
		// reused code revoking its tokens) must stick.
		if cerr := p.Store.Commit(tctx); cerr != nil && err == nil {
			err = fosite.ErrServerError.WithWrap(cerr)
		}
	}
	release()
	if err != nil {
		return ar, nil, p.tokenError(ctx, ar, unavailable(policyHint(ar, err)), meta)
	}
	client, _ := ClientOf(ar.GetClient())
	if err := p.checkFAPI2Token(r, ar); err != nil {
		return ar, nil, p.tokenError(ctx, ar, err, meta)
	}
	grant := GrantAuthorizationCode
	eventType := audit.TokenIssued
	switch {
	case ar.GetGrantTypes().ExactOne(GrantClientCredentials):
		grant = GrantClientCredentials
		for _, s := range ar.GetRequestedScopes() {
			if attributes.CitizenScope(s) {
				return ar, nil, fosite.ErrInvalidScope.WithHintf("Scope '%s' concerns citizens; client credentials carry no citizen data.", s)
			}
			ar.GrantScope(s)
		}
	case ar.GetGrantTypes().ExactOne(GrantRefreshToken):
		grant, eventType = GrantRefreshToken, audit.TokenRefreshed
	case ar.GetGrantTypes().ExactOne(GrantTokenExchange):
		grant = GrantTokenExchange
	}
	jkt, err := p.bindDPoP(ar, client, proof)
	if err != nil {
		p.recordBoundMisuse(ctx, err, ar, "token", meta)
		return ar, nil, p.tokenError(ctx, ar, err, meta)
	}
	if grant != GrantTokenExchange {
		// The exchange grant refuses resource itself (invalid_target).
		if err := grantResources(ar, client); err != nil {
			return ar, nil, p.tokenError(ctx, ar, err, meta)
		}
	}

	sess, _ := ar.GetSession().(*Session)
	var released []string
	if grant != GrantClientCredentials {
		if sess == nil || sess.AccountID == "" {
			return ar, nil, fosite.ErrServerError.WithDebug("session without account")
		}
		acct, err := p.Account(ctx, sess.AccountID)
		if err != nil {
			if errors.Is(err, ErrAccountLocked) || errors.Is(err, ErrAccountNotFound) {
				p.revokeGrant(ctx, ar.GetID())
				return ar, nil, fosite.ErrInvalidGrant.WithHint("The account is locked.")
			}
			return ar, nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
		if grant == GrantTokenExchange {
			if err := p.exchangeFor(ctx, ar, client, sess); err != nil {
				return ar, nil, p.tokenError(ctx, ar, err, meta)
			}
		}
		if sess.DependentID != "" {
			// The guardian's authority is checked at every issuance: it
			// ends at the child's 14th birthday or with the guardianship.
			_, err := p.authority(ctx, sess.AccountID, sess.DependentID)
			switch {
			case errors.Is(err, ErrNoAuthority):
				p.revokeGrant(ctx, ar.GetID())
				return ar, nil, p.tokenError(ctx, ar, fosite.ErrInvalidGrant.WithHint("The guardian may no longer act for this dependent."), meta)
			case err != nil:
				return ar, nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
			}
		}
		if len(sess.IDTokenClaimNames) > 0 { // set only for openid grants
			vals, names, err := p.releaseFor(ctx, sess, acct, sess.IDTokenClaimNames)
			if err != nil {
				return ar, nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
			}
			ctx = WithIDTokenClaims(ctx, vals)
			released = names
		}
		if grant == GrantRefreshToken && sess.Claims != nil {
			// A new ID token gets a new expiry, not the first one's.
			sess.Claims.ExpiresAt = time.Time{}
		}
	}

	resp, err := p.issue(ctx, ar, client, grant)
	if err != nil {
		return ar, nil, p.tokenError(ctx, ar, err, meta)
	}
	if jkt != "" {
		resp.SetTokenType("DPoP") // RFC 9449 §5
	}
	e := audit.Event{Type: eventType, ActorKind: audit.Client, ActorID: client.ID, ClientID: client.ID,
		Scopes: ar.GetGrantedScopes(), Claims: released, Outcome: audit.Success,
		Detail: map[string]string{"grant_type": grant}}
	if client.JWTAccessTokens() {
		e.Detail["access_token_format"] = AccessTokenJWT
	}
	if sess != nil && sess.AccountID != "" {
		e.AccountID = sess.AccountID
		e.ACR = sess.ACR()
	}
	if err := p.recordActing(ctx, meta.stamp(e), sess); err != nil {
		// Fail closed: nothing unaudited leaves; what was stored is revoked
		// (a client-credentials JWT stored nothing).
		p.Logger.ErrorContext(ctx, "audit token issuance", "error", err, "request_id", meta.RequestID)
		if !stateless(grant, client) {
			p.revokeGrant(ctx, ar.GetID())
		}
		return ar, nil, fosite.ErrServerError
	}
	if sess != nil {
		p.ConsentUsed(ctx, sess.holderID(), client.ID)
	}
	return ar, resp, nil
}

// stateless reports a token request answered without any row: client
// credentials for a client with JWT access tokens.
func stateless(grant string, c *Client) bool {
	return grant == GrantClientCredentials && c != nil && c.JWTAccessTokens()
}

// issue is the token request's second phase: the tokens are issued and
// stored atomically. The commit need not wait for the WAL flush: the audit
// event the caller records is waited for, and its flush makes the tokens
// durable too (LazyCommitter), one flush per request. A client-credentials
// JWT is stored nowhere: no transaction at all.
func (p *Provider) issue(ctx context.Context, ar fosite.AccessRequester, client *Client, grant string) (fosite.AccessResponder, error) {
	if stateless(grant, client) {
		return p.statelessAccessResponse(ar, client)
	}
	tctx, err := p.beginLazy(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	resp, err := p.OAuth2.NewAccessResponse(tctx, ar)
	if err != nil {
		_ = p.Store.Rollback(tctx)
		if grant == GrantRefreshToken && errors.Is(err, fosite.ErrSerializationFailure) {
			// The refresh token was active when phase 1 read it but another
			// request rotated (or revoked) it first: a reuse like any other
			// (RFC 9700 §4.14.2). fosite's refresh handler answers
			// invalid_request ("retry") and rolls back, and no storage error
			// can make it answer otherwise, so the family is revoked here,
			// outside the rolled-back transaction, and the answer is fosite's
			// own for reuse (which tokenError audits).
			p.revokeGrant(ctx, ar.GetID())
			err = fosite.ErrInvalidGrant.WithWrap(fosite.ErrInactiveToken).
				WithHint("The refresh token was already used.").
				WithDebug("Concurrent refresh token reuse; all related tokens have been revoked.")
		}
		return nil, err
	}
	if err := p.Store.Commit(tctx); err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	return resp, nil
}

// phase1Reads reports whether the token request's first phase only reads:
// client credentials and refresh (whose reuse handling fosite runs in a
// transaction of its own). An authorization code's reuse revokes two token
// kinds, and a token exchange reads a subject token: those keep the
// transaction around the whole phase.
func phase1Reads(r *http.Request) bool {
	if r.ParseForm() != nil {
		return false
	}
	switch r.PostForm.Get("grant_type") {
	case GrantClientCredentials, GrantRefreshToken:
		return true
	}
	return false
}

// beginLazy begins a transaction whose commit need not wait for the WAL
// flush when the store can (LazyCommitter); otherwise an ordinary one.
func (p *Provider) beginLazy(ctx context.Context) (context.Context, error) {
	if lc, ok := p.Store.(LazyCommitter); ok {
		return lc.BeginLazyTX(ctx)
	}
	return p.Store.BeginTX(ctx)
}

// checkFAPI2Token applies the FAPI 2.0 rules fosite does not know to a
// token request it accepted: the client authenticated with private_key_jwt
// (§5.3.2.1, also refused at registration) and an authorization code is at
// most FAPI2CodeLifespan old (§5.3.2.1). An expired code is not revoked:
// nothing was issued with it, and it can never be redeemed.
func (p *Provider) checkFAPI2Token(r *http.Request, ar fosite.AccessRequester) error {
	client, ok := ClientOf(ar.GetClient())
	if !ok || !client.FAPI2() {
		return nil
	}
	if client.TokenEndpointAuthMethod != AuthPrivateKeyJWT || r.PostForm.Get("client_assertion_type") != clientAssertionJWTBearer {
		return fosite.ErrInvalidClient.WithHint("A fapi2 client authenticates with private_key_jwt only.")
	}
	if !ar.GetGrantTypes().ExactOne(GrantAuthorizationCode) {
		return nil
	}
	sess, _ := ar.GetSession().(*Session)
	if sess == nil || sess.CodeIssuedAt.IsZero() || p.now().Sub(sess.CodeIssuedAt) > FAPI2CodeLifespan {
		return fosite.ErrInvalidGrant.WithHint("The authorization code expired (a fapi2 client's code lives 60 seconds).")
	}
	return nil
}

// clientAssertionJWTBearer is the client_assertion_type of private_key_jwt
// (RFC 7523 §2.2).
const clientAssertionJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// revokeGrant ends every token of a grant (best effort; logged on failure).
// It runs on a context the client cannot cancel: a client that disconnects
// must not leave behind the token this cleanup is for.
func (p *Provider) revokeGrant(ctx context.Context, requestID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := p.Store.RevokeRefreshToken(ctx, requestID)
	if err == nil {
		err = p.Store.RevokeAccessToken(ctx, requestID)
	}
	if err != nil {
		p.Logger.ErrorContext(ctx, "revoke grant", "error", err)
	}
}

// tokenError logs a refused token request and audits a refresh token reuse
// (fosite has revoked the whole family); it returns err.
func (p *Provider) tokenError(ctx context.Context, ar fosite.AccessRequester, err error, meta Meta) error {
	rfc := fosite.ErrorToRFC6749Error(err)
	p.Logger.InfoContext(ctx, "token error", "error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.DebugField,
		"request_id", meta.RequestID)
	if errors.Is(err, fosite.ErrInactiveToken) {
		e := audit.Event{Type: audit.RefreshReuse, ActorKind: audit.Client, Outcome: audit.Denied, Reason: "refresh_token_reuse"}
		if ar != nil && ar.GetClient() != nil {
			e.ActorID, e.ClientID = ar.GetClient().GetID(), ar.GetClient().GetID()
		}
		if aerr := p.Record(ctx, meta.stamp(e)); aerr != nil {
			p.Logger.ErrorContext(ctx, "audit refresh reuse", "error", aerr)
		}
	}
	return err
}

// Userinfo serves OIDC Core §5.3: the claims granted, read fresh from the
// registries, never cached in the token. Errors: ErrInvalidToken,
// ErrInsufficientScope, ErrUnavailable, or another for a server error.
func (p *Provider) Userinfo(ctx context.Context, token string, meta Meta) (map[string]any, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: no access token", ErrInvalidToken)
	}
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		return nil, err // wraps ErrUnavailable
	}
	_, ar, _, err := p.introspectAccess(pctx, token, fosite.AccessToken, nil)
	release()
	if errors.Is(err, ErrUnavailable) {
		return nil, err
	}
	if err != nil {
		return nil, ErrInvalidToken
	}
	noteUserinfoClient(ctx, ar.GetClient())
	if err := p.resourceDPoP(ctx, ar, token, p.Issuer+PathUserinfo, meta.Sender); err != nil {
		p.recordBoundMisuse(ctx, err, ar, "userinfo", meta)
		return nil, err
	}
	sess, _ := ar.GetSession().(*Session)
	if sess == nil || sess.AccountID == "" || !ar.GetGrantedScopes().Has(attributes.ScopeOpenID) {
		return nil, ErrInsufficientScope
	}
	acct, err := p.Account(ctx, sess.AccountID)
	if err != nil {
		if errors.Is(err, ErrAccountLocked) || errors.Is(err, ErrAccountNotFound) {
			return nil, ErrInvalidToken
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	vals, names, err := p.releaseFor(ctx, sess, acct, sess.UserinfoClaims)
	if errors.Is(err, ErrNoAuthority) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("%w: release claims: %w", ErrUnavailable, err)
	}
	clientID := ar.GetClient().GetID()
	if err := p.recordActing(ctx, meta.stamp(audit.Event{Type: audit.UserinfoRead, ActorKind: audit.Client,
		ActorID: clientID, ClientID: clientID, AccountID: sess.AccountID, Scopes: ar.GetGrantedScopes(),
		Claims: names, ACR: sess.ACR(), Outcome: audit.Success}), sess); err != nil {
		return nil, err
	}
	p.ConsentUsed(ctx, sess.holderID(), clientID)
	vals["sub"] = sess.Subject
	if act := sess.Act(); act != nil {
		vals["act"] = act
	}
	return vals, nil
}

// Introspect serves RFC 7662. Only an authenticated client may ask (no
// bearer-token authorisation), and only about its own tokens: a pairwise
// sub must not leak to another sector. An inactive token is {"active":
// false}; an error is a client authentication or request error (RFC 7662
// §2.3) or a server error.
func (p *Provider) Introspect(ctx context.Context, r *http.Request, meta Meta) (map[string]any, error) {
	inactive := map[string]any{"active": false}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil, fosite.ErrInvalidClient.WithHint("Authenticate as a client.")
	}
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	caller, err := p.Fosite.AuthenticateClient(pctx, r, r.PostForm)
	if err != nil {
		release()
		return nil, unavailable(err)
	}
	token := r.PostForm.Get("token")
	if token == "" {
		release()
		return nil, fosite.ErrInvalidRequest.WithHint("The token parameter is missing.")
	}
	use, ar, jwtClaims, err := p.introspectAccess(pctx, token, fosite.TokenUse(r.PostForm.Get("token_type_hint")), caller)
	release()
	if errors.Is(err, ErrUnavailable) {
		return nil, unavailable(err)
	}
	if err != nil || ar.GetClient().GetID() != caller.GetID() {
		return inactive, nil
	}
	sess, _ := ar.GetSession().(*Session)
	if sess != nil && sess.AccountID != "" {
		_, err := p.Account(ctx, sess.AccountID)
		if err == nil && sess.DependentID != "" {
			_, err = p.authority(ctx, sess.AccountID, sess.DependentID)
		}
		switch {
		case errors.Is(err, ErrAccountLocked) || errors.Is(err, ErrAccountNotFound) || errors.Is(err, ErrNoAuthority):
			return inactive, nil
		case err != nil:
			return nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
	}
	e := audit.Event{Type: audit.Introspected, ActorKind: audit.Client, ActorID: caller.GetID(), ClientID: caller.GetID(),
		Scopes: ar.GetGrantedScopes(), Outcome: audit.Success}
	out := map[string]any{
		"active":     true,
		"client_id":  ar.GetClient().GetID(),
		"scope":      strings.Join(ar.GetGrantedScopes(), " "),
		"iat":        ar.GetRequestedAt().Unix(),
		"iss":        p.Issuer,
		"token_type": "Bearer",
	}
	if use == fosite.RefreshToken {
		out["token_type"] = "refresh_token"
	}
	if jwtClaims != nil {
		// A JWT access token (RFC 9068): its own aud and jti, as the
		// resource server reading it locally sees them.
		out["aud"] = jwtClaims.Audience
		out["jti"] = jwtClaims.JTI
		out["iat"] = jwtClaims.IssuedAt
		if !jwtClaims.citizen() {
			out["sub"] = jwtClaims.Subject
		}
	}
	if sess != nil && sess.JKT != "" {
		// RFC 9449 §6.2: the key the token is bound to.
		out["cnf"] = map[string]string{"jkt": sess.JKT}
		if use != fosite.RefreshToken {
			out["token_type"] = "DPoP"
		}
	}
	if sess != nil {
		if exp := sess.GetExpiresAt(fosite.TokenType(use)); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
		if sess.Subject != "" {
			out["sub"] = sess.Subject
			out["acr"] = sess.ACR()
			out["auth_time"] = sess.AuthTime().Unix()
			e.AccountID, e.ACR = sess.AccountID, sess.ACR()
			if act := sess.Act(); act != nil {
				out["act"] = act // RFC 8693 §4.1, as in the token
			}
		}
	}
	if err := p.recordActing(ctx, meta.stamp(e), sess); err != nil {
		p.Logger.ErrorContext(ctx, "audit introspection", "error", err)
		return nil, fosite.ErrServerError
	}
	return out, nil
}

// Revoke serves RFC 7009: the token's whole grant (access and refresh
// tokens) is revoked, in one transaction, and audited.
func (p *Provider) Revoke(ctx context.Context, r *http.Request, meta Meta) error {
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		return unavailable(err)
	}
	err = p.OAuth2.NewRevocationRequest(tctx, r)
	if err == nil {
		err = p.revokeJWT(tctx, r)
	}
	if err != nil {
		_ = p.Store.Rollback(tctx)
		return unavailable(err)
	}
	if err := p.Store.Commit(tctx); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	clientID := authenticatedClientID(r)
	if aerr := p.Record(ctx, meta.stamp(audit.Event{Type: audit.TokenRevoked, ActorKind: audit.Client,
		ActorID: clientID, ClientID: clientID, Outcome: audit.Success})); aerr != nil {
		p.Logger.ErrorContext(ctx, "audit revocation", "error", aerr)
	}
	return nil
}

// revokeJWT puts a client-credentials JWT access token, which has no row
// for fosite to revoke, on the revocation list until it expires. fosite has
// authenticated the caller; the token must be its own (RFC 7009 §2.1). An
// invalid or expired token needs nothing (RFC 7009 §2.2).
func (p *Provider) revokeJWT(ctx context.Context, r *http.Request) error {
	token := r.PostForm.Get("token")
	if !looksJWT(token) {
		return nil
	}
	claims, err := p.jwtAT.verify(token)
	if err != nil || claims.citizen() {
		return nil // a citizen's JWT has a row: fosite revoked it
	}
	if claims.ClientID != authenticatedClientID(r) {
		return fosite.ErrUnauthorizedClient.WithHint("The token was not issued to the client making the revocation request.")
	}
	if err := p.Store.RevokeJTI(ctx, claims.JTI, time.Unix(claims.Expiry, 0).UTC()); err != nil {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return nil
}

// authenticatedClientID is the client a request fosite has just
// authenticated came from, read as fosite's client authentication reads it:
// the sub of a client_assertion (RFC 7523 §3; its signature was checked),
// else the form-encoded HTTP Basic user name (RFC 6749 §2.3.1), else
// client_id.
func authenticatedClientID(r *http.Request) string {
	if a := r.PostForm.Get("client_assertion"); a != "" {
		var c josejwt.Claims
		tok, err := josejwt.ParseSigned(a, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256})
		if err == nil && tok.UnsafeClaimsWithoutVerification(&c) == nil && c.Subject != "" {
			return c.Subject
		}
	}
	if id, _, ok := r.BasicAuth(); ok {
		if s, err := url.QueryUnescape(id); err == nil {
			return s
		}
	}
	return r.PostForm.Get("client_id")
}

// unavailable turns an error that comes from a store that could not be read
// into temporarily_unavailable (RFC 6749 §4.1.2.1; 503), so that a relying
// party retries instead of throwing away a valid token or credential; other
// errors pass unchanged.
func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if errors.Is(err, fosite.ErrJTIKnown) {
		// RFC 7523 §3.2: a client assertion that fails (here, one already
		// used) is invalid_client, not fosite's own jti_known.
		return fosite.ErrInvalidClient.WithHint("The client assertion was already used (jti).").WithWrap(err)
	}
	return err
}

// Client returns a registered, enabled client (for logout's
// post_logout_redirect_uri check); ErrNotFound otherwise.
func (p *Provider) Client(ctx context.Context, id string) (*Client, error) {
	fc, err := p.Store.GetClient(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("oidc: client %q: %w", id, ErrNotFound)
	}
	c, ok := ClientOf(fc)
	if !ok {
		return nil, fmt.Errorf("oidc: client %q: %w", id, ErrNotFound)
	}
	return c, nil
}
