package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/oidc/dpop"
)

// sender reads how a request presents its token and its DPoP proof
// (RFC 9449 §4.1, §7.1).
func sender(r *http.Request) oidc.Sender {
	s := oidc.Sender{Method: r.Method}
	if proofs := r.Header.Values("DPoP"); len(proofs) > 0 {
		s.Proof, s.Proofs = proofs[0], len(proofs)
	}
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "DPoP"):
		s.Scheme = "DPoP"
	case strings.EqualFold(scheme, "Bearer"):
		s.Scheme = "Bearer"
	}
	return s
}

// accessToken is the token of a protected-resource request: after the DPoP
// scheme (RFC 9449 §7.1), else as RFC 6750 allows (header or form body).
func accessToken(r *http.Request) string {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "DPoP") {
		return strings.TrimSpace(tok)
	}
	return fosite.AccessTokenFromRequest(r)
}

// dpopTokenHeaders sets DPoP-Nonce on a token endpoint answer to a request
// that sent a proof, or that is refused for a DPoP reason (RFC 9449 §8):
// the client's next proof carries it.
func (h *Handler) dpopTokenHeaders(w http.ResponseWriter, r *http.Request, err error) {
	code := ""
	if err != nil {
		code = fosite.ErrorToRFC6749Error(err).ErrorField
	}
	if len(r.Header.Values("DPoP")) > 0 || code == dpop.ErrUseNonce.Code || code == dpop.ErrInvalidProof.Code {
		w.Header().Set("DPoP-Nonce", h.Provider.DPoPNonce())
	}
}

// dpopChallenge is the WWW-Authenticate challenge of the DPoP scheme
// (RFC 9449 §7.1), with the algorithms accepted.
func dpopChallenge(code, desc string) string {
	c := `DPoP algs="` + strings.Join(oidc.DPoPAlgs(), " ") + `"`
	if code != "" {
		c += `, error="` + code + `", error_description="` + strings.ReplaceAll(desc, `"`, "'") + `"`
	}
	return c
}

// dpopUserinfo answers a userinfo request presented under the DPoP scheme,
// or refused for a DPoP reason, with DPoP challenges; it reports whether it
// answered (false: the bearer path answers). On success it only adds a
// fresh DPoP-Nonce.
func (h *Handler) dpopUserinfo(w http.ResponseWriter, r *http.Request, err error) bool {
	dpopScheme := sender(r).Scheme == "DPoP"
	var de *dpop.Error
	isDPoP := errors.As(err, &de)
	if err == nil || !dpopScheme && !isDPoP && !errors.Is(err, oidc.ErrDPoPBound) {
		if dpopScheme {
			w.Header().Set("DPoP-Nonce", h.Provider.DPoPNonce())
		}
		return false
	}
	status, code, desc := 0, "", ""
	switch {
	case isDPoP:
		status, code, desc = http.StatusUnauthorized, de.Code, de.Description
		w.Header().Set("DPoP-Nonce", h.Provider.DPoPNonce())
	case errors.Is(err, oidc.ErrDPoPBound):
		status, code, desc = http.StatusUnauthorized, "invalid_token", "the access token is DPoP-bound; present it with the DPoP scheme and a proof"
	case errors.Is(err, oidc.ErrInvalidToken) && accessToken(r) == "":
		status, code, desc = http.StatusUnauthorized, "invalid_token", "no access token"
	case errors.Is(err, oidc.ErrInvalidToken):
		status, code, desc = http.StatusUnauthorized, "invalid_token", "the access token is not valid"
	case errors.Is(err, oidc.ErrInsufficientScope):
		status, code, desc = http.StatusForbidden, "insufficient_scope", "the openid scope is needed"
	default:
		return false // unavailable, server error: as for bearer tokens
	}
	w.Header().Set("WWW-Authenticate", dpopChallenge(code, desc))
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
	return true
}
