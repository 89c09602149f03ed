package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// ErrUnknownChallenge: no such consent challenge, or it expired or was
// already answered.
var ErrUnknownChallenge = errors.New("oidc/web: unknown consent challenge")

func (h *Handler) consentPath() string {
	if h.ConsentPath != "" {
		return h.ConsentPath
	}
	return "/consent"
}

// park stores the authorization request as a consent challenge, bound to
// the signed-in account, and sends the browser to the consent screen. A
// pushed request is consumed now: from here on the challenge stands for it.
func (h *Handler) park(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, c oidc.Challenge, parURI string) {
	ctx := r.Context()
	var b [32]byte
	_, _ = rand.Read(b[:])
	c.ID = base64.RawURLEncoding.EncodeToString(b[:])
	c.Form = url.Values{}
	for k, v := range ar.GetRequestForm() {
		c.Form[k] = slices.Clone(v)
	}
	c.CreatedAt = h.now()
	c.ExpiresAt = c.CreatedAt.Add(oidc.ChallengeLifespan)
	err := h.Challenges.CreateChallenge(ctx, c, parURI)
	switch {
	case errors.Is(err, oidc.ErrNotFound):
		h.authorizeError(w, r, ar, fosite.ErrInvalidRequestURI.WithHint("The pushed request was already used."))
		return
	case err != nil:
		h.logger().ErrorContext(ctx, "park authorization request", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.authorizeError(w, r, ar, fosite.ErrServerError)
		return
	}
	q := url.Values{"challenge": {c.ID}}
	if c.UILocales != "" {
		q.Set("ui_locales", c.UILocales)
	}
	http.Redirect(w, r, h.consentPath()+"?"+q.Encode(), http.StatusFound)
}

// Challenge returns the consent challenge id if it is waiting for an
// answer; ErrUnknownChallenge (wrapped) otherwise. The caller checks that
// its AccountID is the signed-in citizen's.
func (h *Handler) Challenge(ctx context.Context, id string) (oidc.Challenge, error) {
	if h.Challenges == nil {
		return oidc.Challenge{}, ErrUnknownChallenge
	}
	c, err := h.Challenges.GetChallenge(ctx, id, h.now())
	if errors.Is(err, oidc.ErrNotFound) {
		return oidc.Challenge{}, fmt.Errorf("challenge: %w", ErrUnknownChallenge)
	}
	return c, err
}

// BeginChallenge marks the challenge answered, so that one screen records
// one answer; a second submission gets ErrUnknownChallenge.
func (h *Handler) BeginChallenge(ctx context.Context, id string) (oidc.Challenge, error) {
	if h.Challenges == nil {
		return oidc.Challenge{}, ErrUnknownChallenge
	}
	c, err := h.Challenges.BeginChallenge(ctx, id, h.now())
	if errors.Is(err, oidc.ErrNotFound) {
		return oidc.Challenge{}, fmt.Errorf("challenge: %w", ErrUnknownChallenge)
	}
	return c, err
}

// CompleteChallenge resumes the parked authorization request with the
// citizen's answer and returns where to send the browser: to the relying
// party with a code for exactly the approved scopes and claims or, when not
// approved, with access_denied and the request's state (RFC 6749 §4.1.2.1).
// The challenge is used up whatever happens. The consent itself must have
// been recorded (or the refusal audited) by the caller before.
func (h *Handler) CompleteChallenge(ctx context.Context, id string, approved bool, scopes, claims []string) (string, error) {
	p := h.Provider
	if h.Challenges == nil {
		return "", ErrUnknownChallenge
	}
	c, err := h.Challenges.TakeChallenge(ctx, id, h.now())
	if errors.Is(err, oidc.ErrNotFound) {
		return "", fmt.Errorf("challenge: %w", ErrUnknownChallenge)
	}
	if err != nil {
		return "", err
	}

	// Validate the request again (the client may have been disabled or its
	// redirect URIs changed since), as a plain request: a pushed one was
	// resolved and consumed when parked.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+oidc.PathAuthorize+"?"+c.Form.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("resume authorization: %w", err)
	}
	tctx, err := p.Store.BeginTX(ctx)
	if err != nil {
		return "", fmt.Errorf("resume authorization: %w", err)
	}
	ar, err := p.OAuth2.NewAuthorizeRequest(tctx, req)
	_ = p.Store.Rollback(tctx)
	if err != nil {
		return h.errorRedirect(ctx, ar, err)
	}
	client, ok := oidc.ClientOf(ar.GetClient())
	if !ok || client.ID != c.ClientID {
		return "", errors.New("resume authorization: client changed")
	}
	if !approved {
		return h.errorRedirect(ctx, ar, fosite.ErrAccessDenied.WithHint("The citizen did not consent."))
	}
	if _, err := p.Account(ctx, c.AccountID); err != nil {
		if errors.Is(err, oidc.ErrAccountLocked) || errors.Is(err, oidc.ErrAccountNotFound) {
			h.deny(ctx, nil, client, c.AccountID, "account_locked")
			return h.errorRedirect(ctx, ar, fosite.ErrAccessDenied.WithHint("The account is locked."))
		}
		return "", err
	}
	cr, err := oidc.ParseClaimsRequest(c.Form.Get("claims"))
	if err != nil {
		return h.errorRedirect(ctx, ar, fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid JSON."))
	}
	// Nothing beyond what was asked, whatever the answer says.
	all := attributes.ClaimsFor(c.Scopes, c.Claims)
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return !slices.Contains(c.Scopes, s) })
	claims = slices.DeleteFunc(slices.Clone(claims), func(n string) bool { return !slices.Contains(all, n) })
	resp, err := h.issueCode(ctx, ar, client, c.SignIn, c.RequestedAt, cr, scopes, claims, "")
	if err != nil {
		return h.errorRedirect(ctx, ar, err)
	}
	rec := &locationRecorder{h: http.Header{}}
	p.OAuth2.WriteAuthorizeResponse(ctx, rec, ar, resp)
	loc := rec.h.Get("Location")
	if loc == "" {
		return "", errors.New("resume authorization: only response_mode=query is supported")
	}
	return loc, nil
}

// errorRedirect is the redirect to the relying party carrying err, or err
// itself when the redirect URI was not validated (never redirect then).
func (h *Handler) errorRedirect(ctx context.Context, ar fosite.AuthorizeRequester, err error) (string, error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	h.logger().InfoContext(ctx, "authorize error", "error", rfc.ErrorField, "hint", rfc.HintField,
		"debug", rfc.DebugField, "request_id", httpx.RequestIDFrom(ctx))
	if ar == nil || !ar.IsRedirectURIValid() {
		return "", fmt.Errorf("resume authorization: %w", err)
	}
	rec := &locationRecorder{h: http.Header{}}
	h.Provider.OAuth2.WriteAuthorizeError(ctx, rec, ar, err)
	loc := rec.h.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("resume authorization: %w", err)
	}
	return loc, nil
}
