package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// hintClaims are the claims of an id_token_hint that logout reads; aud may
// be a string or an array (jwt.Audience reads both).
type hintClaims struct {
	jwt.Claims
	SID string `json:"sid"`
}

// logout serves OpenID Connect RP-Initiated Logout 1.0. With an
// id_token_hint of this browser's sign-in it signs out at once; otherwise it
// asks the citizen to confirm. post_logout_redirect_uri must match one
// registered for the client exactly.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := h.Provider
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "oidc.error.logout", "invalid_request")
		return
	}
	hint := r.Form.Get("id_token_hint")
	clientID := r.Form.Get("client_id")
	postURI := r.Form.Get("post_logout_redirect_uri")
	state := r.Form.Get("state")

	var claims hintClaims
	hintOK := false
	if hint != "" {
		// Expired hints are fine (§2). Only an ID token is one: consent
		// receipts and logout tokens are signed with the same keys, and a
		// receipt is in every citizen's hands.
		payload, err := p.Keys.VerifyType(hint, "JWT")
		if err != nil || json.Unmarshal(payload, &claims) != nil || claims.Issuer != p.Issuer || len(claims.Audience) == 0 {
			h.errorPage(w, r, http.StatusBadRequest, "oidc.error.logout", "invalid_request")
			return
		}
		aud := claims.Audience[0]
		if aud == "" || clientID != "" && clientID != aud {
			h.errorPage(w, r, http.StatusBadRequest, "oidc.error.logout", "invalid_request")
			return
		}
		clientID, hintOK = aud, true
	}
	var client *oidc.Client
	if clientID != "" {
		c, err := p.Client(ctx, clientID)
		if err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "oidc.error.invalid_client", "invalid_client")
			return
		}
		client = c
	}
	if postURI != "" && (client == nil || !slices.Contains(client.PostLogoutRedirectURIs, postURI)) {
		h.errorPage(w, r, http.StatusBadRequest, "oidc.error.logout", "invalid_request")
		return
	}

	lang := h.lang(r)
	login, signedIn := websession.GetLogin(ctx, h.Sessions)
	confirmed := false
	if r.Method == http.MethodPost {
		want := h.Sessions.GetString(ctx, keyLogoutNonce)
		confirmed = want != "" && equalSecret(want, r.PostForm.Get("logout_nonce"))
		h.Sessions.Remove(ctx, keyLogoutNonce)
	}
	// Signing out without asking needs proof that the hint was issued for
	// this very sign-in: its sid. A hint without one (or anyone else's ID
	// token) proves nothing, and a link carrying it must not sign the
	// citizen out behind their back (§2: the OP asks the End-User).
	sameSession := hintOK && claims.SID != "" && login.SID != "" && claims.SID == login.SID
	if signedIn && !sameSession && !confirmed {
		var b [24]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		h.Sessions.Put(ctx, keyLogoutNonce, nonce)
		hidden := map[string]string{}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state", "ui_locales"} {
			if v := r.Form.Get(k); v != "" {
				hidden[k] = v
			}
		}
		if clientID != "" {
			hidden["client_id"] = clientID
		}
		page := templates.OIDCLogoutPage{Base: templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
			Nonce: nonce, Hidden: hidden}
		if client != nil {
			page.ClientName = client.DisplayName(string(lang))
		}
		if err := h.Templates.OIDCLogout(w, http.StatusOK, page); err != nil {
			h.logger().ErrorContext(ctx, "render logout", "error", err)
		}
		return
	}
	if signedIn {
		websession.ClearLogin(ctx, h.Sessions)
		if err := h.Sessions.RenewToken(ctx); err != nil {
			h.logger().ErrorContext(ctx, "renew session token", "error", err)
		}
		p.EndSignIn(ctx, login.AccountID, login.SID, clientID, meta(r))
	}
	if postURI != "" {
		u, _ := url.Parse(postURI)
		if state != "" {
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
		}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	page := templates.OIDCLogoutPage{Base: templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(ctx)}, Done: true}
	if err := h.Templates.OIDCLogout(w, http.StatusOK, page); err != nil {
		h.logger().ErrorContext(ctx, "render logout", "error", err)
	}
}
