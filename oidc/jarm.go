package oidc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/ory/fosite"
)

// JWT Secured Authorization Response Mode (JARM) response modes (JARM §2.3).
const (
	// ResponseModeJWT is the default JWT mode of the response type: for
	// response_type=code it is query.jwt (JARM §2.3.4).
	ResponseModeJWT         fosite.ResponseModeType = "jwt"
	ResponseModeQueryJWT    fosite.ResponseModeType = "query.jwt"
	ResponseModeFragmentJWT fosite.ResponseModeType = "fragment.jwt"
	ResponseModeFormPostJWT fosite.ResponseModeType = "form_post.jwt"
)

// JARMModes are the JWT response modes every client may ask for.
var JARMModes = fosite.ResponseModeTypes{ResponseModeJWT, ResponseModeQueryJWT, ResponseModeFragmentJWT, ResponseModeFormPostJWT}

// JARMLifespan is how long an authorization response JWT is valid (its exp;
// JARM §2.1 recommends a short one).
const JARMLifespan = 10 * time.Minute

// IsJARM reports a JWT response mode.
func IsJARM(m fosite.ResponseModeType) bool { return slices.Contains(JARMModes, m) }

// ResponseModes are the response_mode values accepted (discovery's
// response_modes_supported): query (the default of the code flow) and the
// JARM modes.
func ResponseModes() []string {
	out := []string{string(fosite.ResponseModeQuery)}
	for _, m := range JARMModes {
		out = append(out, string(m))
	}
	return out
}

// GetResponseModes implements fosite.ResponseModeClient: the response modes
// of ResponseModes, for every client.
func (c *Client) GetResponseModes() []fosite.ResponseModeType {
	return append([]fosite.ResponseModeType{fosite.ResponseModeQuery}, JARMModes...)
}

// JARMAlg is the algorithm of the client's authorization response JWTs
// (ES256 unless it registered authorization_signed_response_alg).
func (c *Client) JARMAlg() string {
	if c.AuthorizationSignedResponseAlg == "" {
		return ES256
	}
	return c.AuthorizationSignedResponseAlg
}

// AuthorizationResponseJWT is the authorization response (or error)
// parameters params as a JWT (JARM §2.1): signed with the provider's key
// for the client's authorization_signed_response_alg, with iss, aud (the
// client_id) and exp; then encrypted to the client's key (nested, cty JWT)
// when it registered authorization_encrypted_response_alg.
func (p *Provider) AuthorizationResponseJWT(ctx context.Context, c *Client, params url.Values) (string, error) {
	claims := map[string]any{}
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			claims[k] = vs[0]
		}
	}
	claims["iss"] = p.Issuer
	claims["aud"] = c.ID
	claims["exp"] = p.now().Add(JARMLifespan).Unix()
	jws, err := p.Keys.Sign(c.JARMAlg(), claims)
	if err != nil {
		return "", fmt.Errorf("oidc: sign authorization response: %w", err)
	}
	if c.AuthorizationEncryptedResponseAlg == "" {
		return jws, nil
	}
	return p.encryptTo(ctx, c, c.AuthorizationEncryptedResponseAlg, c.AuthorizationEncryptedResponseEnc, []byte(jws), "JWT")
}

// AuthorizeErrorParams are the parameters of an authorization error
// response: error, error_description, state and iss (RFC 9207 §2).
func (p *Provider) AuthorizeErrorParams(ar fosite.AuthorizeRequester, err error) url.Values {
	rfc := fosite.ErrorToRFC6749Error(err).WithLegacyFormat(false).WithExposeDebug(false)
	params := rfc.ToValues()
	params.Set("state", ar.GetState())
	params.Set("iss", p.Issuer)
	return params
}

// jarmModes is fosite's response mode extension: it makes fosite accept
// the JARM modes. Its writers are fosite's no-op defaults, never reached:
// the web layer answers every JARM request itself (its carryOut and
// writeAuthorizeError), delivering AuthorizationResponseJWT.
type jarmModes struct {
	*fosite.DefaultResponseModeHandler
}

var _ fosite.ResponseModeHandler = jarmModes{}

// ResponseModes implements fosite.ResponseModeHandler.
func (jarmModes) ResponseModes() fosite.ResponseModeTypes { return JARMModes }
