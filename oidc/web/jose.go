package web

import (
	"net/http"
	"net/url"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// writeJARM sends authorization response (or error) parameters to the
// relying party's validated redirect URI as one "response" parameter
// holding the provider's JWT (JARM §2.3): in the query (jwt, query.jwt), in
// the fragment (fragment.jwt) or by form post (form_post.jwt, under the
// form post page's own CSP). If the JWT cannot be built (the client's
// encryption key is unavailable) the citizen gets an error page: nothing
// unsigned may reach the relying party in its place.
func (h *Handler) writeJARM(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, params url.Values) {
	ctx := r.Context()
	c, ok := oidc.ClientOf(ar.GetClient())
	var jwt string
	var err error
	if ok {
		jwt, err = h.Provider.AuthorizationResponseJWT(ctx, c, params)
	}
	if !ok || err != nil {
		h.logger().ErrorContext(ctx, "jarm response", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.errorPage(w, r, http.StatusInternalServerError, "oidc.error.request", "server_error")
		return
	}
	u := *ar.GetRedirectURI()
	u.Fragment = ""
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	switch ar.GetResponseMode() {
	case oidc.ResponseModeFormPostJWT:
		w.Header().Set("Content-Security-Policy", oidc.FormPostCSP)
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		fosite.WriteAuthorizeFormPostResponse(u.String(), url.Values{"response": {jwt}}, fosite.GetPostFormHTMLTemplate(ctx, h.Provider.Fosite), w)
		return
	case oidc.ResponseModeFragmentJWT:
		w.Header().Set("Location", u.String()+"#"+url.Values{"response": {jwt}}.Encode())
	default: // jwt, query.jwt
		q := u.Query()
		q.Set("response", jwt)
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
	}
	w.WriteHeader(http.StatusSeeOther)
}

// introspectionJWT answers an introspection request that asked for
// application/token-introspection+jwt with the signed response (RFC 9701).
func (h *Handler) introspectionJWT(w http.ResponseWriter, r *http.Request, out map[string]any) {
	jws, err := h.Provider.IntrospectionJWT(r.Context(), oidc.AuthenticatedClientID(r), out)
	if err != nil {
		h.logger().ErrorContext(r.Context(), "sign introspection", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		h.introspectionError(w, r, fosite.ErrServerError)
		return
	}
	w.Header().Set("Content-Type", oidc.IntrospectionJWTType)
	_, _ = w.Write([]byte(jws))
}
