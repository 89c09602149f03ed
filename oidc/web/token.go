package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
)

func (h *Handler) event(ctx context.Context, r *http.Request, e audit.Event) audit.Event {
	e.IP = httpx.ClientIP(r)
	e.UserAgent = r.UserAgent()
	e.RequestID = httpx.RequestIDFrom(ctx)
	return e
}

// token serves the token endpoint (RFC 6749 §3.2) in two store phases with
// the account and registry lookups between them.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider

	// Phase 1: authenticate the client and validate the grant.
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		p.OAuth2.WriteAccessError(ctx, w, nil, fosite.ErrServerError.WithWrap(err))
		return
	}
	tctx, err := p.Store.BeginTX(pctx)
	if err != nil {
		release()
		p.OAuth2.WriteAccessError(ctx, w, nil, fosite.ErrServerError.WithWrap(err))
		return
	}
	ar, err := p.OAuth2.NewAccessRequest(tctx, r, oidc.NewSession())
	// Commit even on error: fosite's own nested transactions (refresh reuse
	// revoking the family, a reused code revoking its tokens) must stick.
	if cerr := p.Store.Commit(tctx); cerr != nil && err == nil {
		err = fosite.ErrServerError.WithWrap(cerr)
	}
	release()
	if err != nil {
		h.tokenError(ctx, w, r, ar, err)
		return
	}
	client, _ := oidc.ClientOf(ar.GetClient())
	grant := "authorization_code"
	eventType := audit.TokenIssued
	switch {
	case ar.GetGrantTypes().ExactOne(oidc.GrantClientCredentials):
		grant = oidc.GrantClientCredentials
		for _, s := range ar.GetRequestedScopes() {
			if attributes.CitizenScope(s) {
				h.tokenError(ctx, w, r, ar, fosite.ErrInvalidScope.WithHintf("Scope '%s' concerns citizens; client credentials carry no citizen data.", s))
				return
			}
			ar.GrantScope(s)
		}
	case ar.GetGrantTypes().ExactOne(oidc.GrantRefreshToken):
		grant, eventType = oidc.GrantRefreshToken, audit.TokenRefreshed
	}

	sess, _ := ar.GetSession().(*oidc.Session)
	var released []string
	if grant != oidc.GrantClientCredentials {
		if sess == nil || sess.AccountID == "" {
			h.tokenError(ctx, w, r, ar, fosite.ErrServerError.WithDebug("session without account"))
			return
		}
		acct, err := p.Account(ctx, sess.AccountID)
		if err != nil {
			if errors.Is(err, oidc.ErrAccountLocked) || errors.Is(err, oidc.ErrAccountNotFound) {
				h.revokeGrant(ctx, ar.GetID())
				h.tokenError(ctx, w, r, ar, fosite.ErrInvalidGrant.WithHint("The account is locked."))
				return
			}
			h.tokenError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		if len(sess.IDTokenClaimNames) > 0 { // set only for openid grants
			vals, names, err := p.Release(ctx, acct, sess.Level, sess.IDTokenClaimNames)
			if err != nil {
				h.tokenError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
				return
			}
			ctx = oidc.WithIDTokenClaims(ctx, vals)
			released = names
		}
		if grant == oidc.GrantRefreshToken && sess.Claims != nil {
			// A new ID token gets a new expiry, not the first one's.
			sess.Claims.ExpiresAt = time.Time{}
		}
	}

	// Phase 2: issue atomically.
	tctx, err = p.Store.BeginTX(ctx)
	if err != nil {
		h.tokenError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	resp, err := p.OAuth2.NewAccessResponse(tctx, ar)
	if err != nil {
		_ = p.Store.Rollback(tctx)
		if grant == oidc.GrantRefreshToken && errors.Is(err, fosite.ErrSerializationFailure) {
			// The refresh token was active when phase 1 read it but another
			// request rotated (or revoked) it first: a reuse like any other
			// (RFC 9700 §4.14.2). fosite's refresh handler answers
			// invalid_request ("retry") and rolls back, and no storage error
			// can make it answer otherwise, so the family is revoked here,
			// outside the rolled-back transaction, and the answer is fosite's
			// own for reuse (which tokenError audits).
			h.revokeGrant(ctx, ar.GetID())
			err = fosite.ErrInvalidGrant.WithWrap(fosite.ErrInactiveToken).
				WithHint("The refresh token was already used.").
				WithDebug("Concurrent refresh token reuse; all related tokens have been revoked.")
		}
		h.tokenError(ctx, w, r, ar, err)
		return
	}
	if err := p.Store.Commit(tctx); err != nil {
		h.tokenError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	e := audit.Event{Type: eventType, ActorKind: audit.Client, ActorID: client.ID, ClientID: client.ID,
		Scopes: ar.GetGrantedScopes(), Claims: released, Outcome: audit.Success,
		Detail: map[string]string{"grant_type": grant}}
	if sess != nil && sess.AccountID != "" {
		e.AccountID = sess.AccountID
		e.ACR = sess.ACR()
	}
	if err := p.Record(ctx, h.event(ctx, r, e)); err != nil {
		// Fail closed: nothing unaudited leaves; what was stored is revoked.
		h.logger().ErrorContext(ctx, "audit token issuance", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.revokeGrant(ctx, ar.GetID())
		p.OAuth2.WriteAccessError(ctx, w, ar, fosite.ErrServerError)
		return
	}
	if sess != nil {
		p.ConsentUsed(ctx, sess.AccountID, client.ID)
	}
	p.OAuth2.WriteAccessResponse(ctx, w, ar, resp)
}

// revokeGrant ends every token of a grant (best effort; logged on failure).
func (h *Handler) revokeGrant(ctx context.Context, requestID string) {
	p := h.Provider
	err := p.Store.RevokeRefreshToken(ctx, requestID)
	if err == nil {
		err = p.Store.RevokeAccessToken(ctx, requestID)
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "revoke grant", "error", err)
	}
}

func (h *Handler) tokenError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	h.logger().InfoContext(ctx, "token error", "error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.DebugField,
		"request_id", httpx.RequestIDFrom(ctx))
	if errors.Is(err, fosite.ErrInactiveToken) {
		// fosite has revoked the whole family; record the reuse.
		e := audit.Event{Type: audit.RefreshReuse, ActorKind: audit.Client, Outcome: audit.Denied, Reason: "refresh_token_reuse"}
		if ar != nil && ar.GetClient() != nil {
			e.ActorID, e.ClientID = ar.GetClient().GetID(), ar.GetClient().GetID()
		}
		if err := h.Provider.Record(ctx, h.event(ctx, r, e)); err != nil {
			h.logger().ErrorContext(ctx, "audit refresh reuse", "error", err)
		}
	}
	h.Provider.OAuth2.WriteAccessError(ctx, w, ar, err)
}

// bearerError answers a protected-resource request (RFC 6750 §3).
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// userinfo serves OIDC Core §5.3: the claims granted, read fresh from the
// registries, never cached in the token.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	token := fosite.AccessTokenFromRequest(r)
	if token == "" {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "no access token")
		return
	}
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		bearerError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again")
		return
	}
	_, ar, err := p.OAuth2.IntrospectToken(pctx, token, fosite.AccessToken, oidc.NewSession())
	release()
	if err != nil {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
		return
	}
	sess, _ := ar.GetSession().(*oidc.Session)
	if sess == nil || sess.AccountID == "" || !ar.GetGrantedScopes().Has(attributes.ScopeOpenID) {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the openid scope is needed")
		return
	}
	acct, err := p.Account(ctx, sess.AccountID)
	if err != nil {
		if errors.Is(err, oidc.ErrAccountLocked) || errors.Is(err, oidc.ErrAccountNotFound) {
			bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
			return
		}
		bearerError(w, http.StatusInternalServerError, "server_error", "request id "+httpx.RequestIDFrom(ctx))
		return
	}
	vals, names, err := p.Release(ctx, acct, sess.Level, sess.UserinfoClaims)
	if err != nil {
		h.logger().ErrorContext(ctx, "release claims", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		bearerError(w, http.StatusInternalServerError, "server_error", "request id "+httpx.RequestIDFrom(ctx))
		return
	}
	clientID := ar.GetClient().GetID()
	if err := p.Record(ctx, h.event(ctx, r, audit.Event{Type: audit.UserinfoRead, ActorKind: audit.Client,
		ActorID: clientID, ClientID: clientID, AccountID: sess.AccountID, Scopes: ar.GetGrantedScopes(),
		Claims: names, ACR: sess.ACR(), Outcome: audit.Success})); err != nil {
		h.logger().ErrorContext(ctx, "audit userinfo", "error", err)
		bearerError(w, http.StatusInternalServerError, "server_error", "request id "+httpx.RequestIDFrom(ctx))
		return
	}
	p.ConsentUsed(ctx, sess.AccountID, clientID)
	vals["sub"] = sess.Subject
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(vals)
}

// introspect serves RFC 7662. Only an authenticated client may ask (no
// bearer-token authorisation), and only about its own tokens: a pairwise
// sub must not leak to another sector.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	writeInactive := func() {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":false}`))
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		h.introspectionError(w, fosite.ErrInvalidRequest)
		return
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		h.introspectionError(w, fosite.ErrInvalidClient.WithHint("Authenticate as a client."))
		return
	}
	pctx, release, err := p.Store.Acquire(ctx)
	if err != nil {
		h.introspectionError(w, fosite.ErrServerError)
		return
	}
	caller, err := p.Fosite.AuthenticateClient(pctx, r, r.PostForm)
	if err != nil {
		release()
		h.introspectionError(w, err)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		release()
		h.introspectionError(w, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	use, ar, err := p.OAuth2.IntrospectToken(pctx, token, fosite.TokenUse(r.PostForm.Get("token_type_hint")), oidc.NewSession())
	release()
	if err != nil || ar.GetClient().GetID() != caller.GetID() {
		writeInactive()
		return
	}
	sess, _ := ar.GetSession().(*oidc.Session)
	if sess != nil && sess.AccountID != "" {
		if _, err := p.Account(ctx, sess.AccountID); err != nil {
			writeInactive()
			return
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
	if sess != nil {
		if exp := sess.GetExpiresAt(fosite.TokenType(use)); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
		if sess.Subject != "" {
			out["sub"] = sess.Subject
			out["acr"] = sess.ACR()
			out["auth_time"] = sess.AuthTime().Unix()
			e.AccountID, e.ACR = sess.AccountID, sess.ACR()
		}
	}
	if err := p.Record(ctx, h.event(ctx, r, e)); err != nil {
		h.logger().ErrorContext(ctx, "audit introspection", "error", err)
		h.introspectionError(w, fosite.ErrServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// revoke serves RFC 7009: the token's whole grant (access and refresh
// tokens) is revoked, in one transaction.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		p.OAuth2.WriteRevocationResponse(ctx, w, fosite.ErrServerError)
		return
	}
	err = p.OAuth2.NewRevocationRequest(tctx, r)
	if err != nil {
		_ = p.Store.Rollback(tctx)
	} else if cerr := p.Store.Commit(tctx); cerr != nil {
		err = fosite.ErrServerError.WithWrap(cerr)
	}
	if err == nil {
		clientID := authenticatedClientID(r)
		if aerr := p.Record(ctx, h.event(ctx, r, audit.Event{Type: audit.TokenRevoked, ActorKind: audit.Client,
			ActorID: clientID, ClientID: clientID, Outcome: audit.Success})); aerr != nil {
			h.logger().ErrorContext(ctx, "audit revocation", "error", aerr)
		}
	}
	p.OAuth2.WriteRevocationResponse(ctx, w, err)
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

// par serves RFC 9126 pushed authorization requests.
func (h *Handler) par(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		p.OAuth2.WritePushedAuthorizeError(ctx, w, nil, fosite.ErrServerError)
		return
	}
	ar, err := p.OAuth2.NewPushedAuthorizeRequest(tctx, r)
	if err == nil {
		switch {
		case ar.GetRequestForm().Get("request") != "":
			err = fosite.ErrRequestNotSupported
		case ar.GetRequestForm().Get("request_uri") != "":
			err = fosite.ErrInvalidRequest.WithHint("request_uri is not allowed in a pushed request.")
		case !ar.GetRequestedScopes().Has(attributes.ScopeOpenID):
			err = fosite.ErrInvalidScope.WithHint("The openid scope is required.")
		default:
			if _, cerr := oidc.ParseClaimsRequest(ar.GetRequestForm().Get("claims")); cerr != nil {
				err = fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid JSON.")
			}
		}
	}
	if err != nil {
		_ = p.Store.Rollback(tctx)
		p.OAuth2.WritePushedAuthorizeError(ctx, w, ar, err)
		return
	}
	resp, err := p.OAuth2.NewPushedAuthorizeResponse(tctx, ar, oidc.NewSession())
	if err != nil {
		_ = p.Store.Rollback(tctx)
		p.OAuth2.WritePushedAuthorizeError(ctx, w, ar, err)
		return
	}
	if err := p.Store.Commit(tctx); err != nil {
		p.OAuth2.WritePushedAuthorizeError(ctx, w, ar, fosite.ErrServerError)
		return
	}
	p.OAuth2.WritePushedAuthorizeResponse(ctx, w, ar, resp)
}

// introspectionError answers RFC 7662 §2.3 errors as RFC 6749 §5.2 JSON
// (fosite turns some of them into {"active":false}, hiding a client
// authentication failure).
func (h *Handler) introspectionError(w http.ResponseWriter, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	status := rfc.CodeField
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
	}
	if status < 400 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]string{"error": rfc.ErrorField, "error_description": rfc.DescriptionField})
}
