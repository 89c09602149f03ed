package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// JWT access tokens (RFC 9068), for relying parties whose resource servers
// validate access tokens on their own, against the JWKS, instead of asking
// the introspection endpoint.
//
// A client registered with access_token_format "jwt" gets access tokens
// that are JWS compact serialisations typed at+jwt, signed ES256 with the
// gateway's current signing key (the one ID tokens use, kid in the header,
// published in the JWKS), carrying iss, exp, aud, sub, client_id, iat, jti
// and scope; acr and auth_time when a citizen signed in (and act when a
// guardian acts for a dependent); cnf.jkt when the token is DPoP-bound
// (RFC 9449 §6.1). Never an attribute: those are read at userinfo, fresh.
//
// What is stored:
//   - a client-credentials token has no row at all: it is issued without a
//     transaction and only the request's audit event is written. The
//     gateway's own endpoints accept it on its signature, expiry and
//     issuer, and on its client still being registered and enabled;
//   - a token issued with a citizen (code flow, refresh, token exchange)
//     keeps its row, keyed by the JWS signature, as opaque tokens do: the
//     gateway's userinfo and introspection still need the grant's row, so
//     revocation, consent withdrawal and a locked account end it at once
//     there.
//
// Revocation (RFC 7009) of a client-credentials JWT puts its jti on a
// revocation list (kept until the token expires) that the gateway's
// introspection and userinfo check. A resource server that validates
// locally sees neither that list, nor a revoked grant, nor a locked account:
// for it a token is good until exp. Hence the short lifetime:
// DefaultJWTAccessTokenLifespan, at most MaxJWTAccessTokenLifespan, per
// client (access_token_lifetime).

// Access token formats (Client.AccessTokenFormat).
const (
	AccessTokenOpaque = "opaque"
	AccessTokenJWT    = "jwt"
)

// Lifetimes of JWT access tokens.
const (
	DefaultJWTAccessTokenLifespan = 5 * time.Minute
	MinJWTAccessTokenLifespan     = time.Minute
	MaxJWTAccessTokenLifespan     = 15 * time.Minute
)

// AccessTokenJWTTyp is the typ header of JWT access tokens (RFC 9068 §2.1).
const AccessTokenJWTTyp = "at+jwt"

// JWTAccessTokens reports a client whose access tokens are RFC 9068 JWTs.
func (c *Client) JWTAccessTokens() bool { return c.AccessTokenFormat == AccessTokenJWT }

// JWTAccessTokenLifespan is the life of the client's JWT access tokens.
func (c *Client) JWTAccessTokenLifespan() time.Duration {
	if c.AccessTokenLifetime == 0 {
		return DefaultJWTAccessTokenLifespan
	}
	return time.Duration(c.AccessTokenLifetime) * time.Second
}

var _ fosite.ClientWithCustomTokenLifespans = (*Client)(nil)

// GetEffectiveLifespan implements fosite.ClientWithCustomTokenLifespans: a
// JWT client's access tokens live JWTAccessTokenLifespan, whatever the
// grant; everything else keeps the provider's lifespans.
func (c *Client) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	if tt == fosite.AccessToken && c.JWTAccessTokens() {
		return c.JWTAccessTokenLifespan()
	}
	return fallback
}

// audience is the aud of a JWT access token granted audiences (resource
// indicators the request named): those, else the registered ones, else the
// client's id.
func (c *Client) audience(granted []string) []string {
	switch {
	case len(granted) > 0:
		return granted
	case len(c.AccessTokenAudience) > 0:
		return c.AccessTokenAudience
	}
	return []string{c.ID}
}

func (c *Client) validateAccessTokenFormat() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.AccessTokenFormat {
	case "", AccessTokenOpaque:
		if c.AccessTokenLifetime != 0 {
			bad("access_token_lifetime is for access_token_format jwt")
		}
		if len(c.AccessTokenAudience) > 0 {
			bad("access_token_audience is for access_token_format jwt")
		}
	case AccessTokenJWT:
		if l := c.AccessTokenLifetime; l != 0 && (l < int(MinJWTAccessTokenLifespan/time.Second) || l > int(MaxJWTAccessTokenLifespan/time.Second)) {
			bad("access_token_lifetime must be between %d and %d seconds (a resource server validating JWTs locally sees a lock or a revocation only at expiry)",
				int(MinJWTAccessTokenLifespan/time.Second), int(MaxJWTAccessTokenLifespan/time.Second))
		}
		for _, a := range c.AccessTokenAudience {
			// RFC 8707 §2: an absolute URI without a fragment.
			u, err := url.Parse(a)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment != "" || strings.Contains(a, "#") {
				bad("access_token_audience %q must be an absolute https URI without a fragment", a)
			}
		}
	default:
		bad("access_token_format %q is not one of opaque, jwt", c.AccessTokenFormat)
	}
	return errs
}

// grantResources grants a JWT client's token request the resource servers
// it names with resource (RFC 8707 §2.2), each one of its registered
// access_token_audience; they become the token's aud. An opaque client's
// resource parameters are ignored, as before JWT access tokens existed.
func grantResources(ar fosite.AccessRequester, c *Client) error {
	if c == nil || !c.JWTAccessTokens() {
		return nil
	}
	for _, r := range ar.GetRequestForm()["resource"] {
		if !slices.Contains(c.AccessTokenAudience, r) {
			return ErrInvalidTarget.WithHintf("The resource '%s' is not one registered for this client (access_token_audience).", r)
		}
		if !slices.Contains(ar.GetGrantedAudience(), r) {
			ar.GrantAudience(r)
		}
	}
	return nil
}

// atClaims are the claims of a JWT access token (RFC 9068 §2.2).
type atClaims struct {
	Issuer   string           `json:"iss"`
	Expiry   int64            `json:"exp"`
	Audience josejwt.Audience `json:"aud"`
	Subject  string           `json:"sub"`
	ClientID string           `json:"client_id"`
	IssuedAt int64            `json:"iat"`
	JTI      string           `json:"jti"`
	Scope    string           `json:"scope,omitempty"`
	// ACR and AuthTime: a citizen signed in (RFC 9068 §2.2.1).
	ACR      string `json:"acr,omitempty"`
	AuthTime int64  `json:"auth_time,omitempty"`
	// Act names the guardian acting for the dependent sub (RFC 8693 §4.1).
	Act map[string]any `json:"act,omitempty"`
	CNF *struct {
		JKT string `json:"jkt"`
	} `json:"cnf,omitempty"`
}

// citizen reports a token issued with a citizen's sign-in; such a token has
// a row. A client-credentials token has neither acr nor another subject
// than its client.
func (c *atClaims) citizen() bool { return c.ACR != "" || c.Subject != c.ClientID }

// jwtAccessTokens signs and checks JWT access tokens.
type jwtAccessTokens struct {
	issuer string
	keys   *Keys
	now    func() time.Time
}

// errJWTAccessToken is any reason a JWT access token is refused.
var errJWTAccessToken = errors.New("oidc: invalid JWT access token")

// looksJWT tells a JWS compact serialisation (three dot-separated parts)
// from fosite's HMAC tokens (two).
func looksJWT(token string) bool { return strings.Count(token, ".") == 2 }

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sign issues the JWT access token of req for client c. Its exp is the
// session's access token expiry (set by fosite from the client's
// lifespan), its sub the session's subject when a citizen signed in (the
// pairwise or public sub of the ID token) and the client's id otherwise.
func (j *jwtAccessTokens) sign(req fosite.Requester, c *Client) (token string, claims atClaims, err error) {
	now := j.now().UTC()
	claims = atClaims{Issuer: j.issuer, Audience: c.audience(req.GetGrantedAudience()), Subject: c.ID,
		ClientID: c.ID, IssuedAt: now.Unix(), JTI: newJTI(), Scope: strings.Join(req.GetGrantedScopes(), " ")}
	exp := time.Time{}
	sess, _ := req.GetSession().(*Session)
	if sess != nil {
		exp = sess.GetExpiresAt(fosite.AccessToken)
		if sess.AccountID != "" {
			claims.Subject = sess.Subject
			claims.ACR = sess.ACR()
			claims.AuthTime = sess.AuthTime().Unix()
			claims.Act = sess.Act()
		}
		if sess.JKT != "" {
			claims.CNF = &struct {
				JKT string `json:"jkt"`
			}{sess.JKT}
		}
	}
	if exp.IsZero() {
		exp = now.Add(c.JWTAccessTokenLifespan())
	}
	claims.Expiry = exp.Unix()
	token, err = j.keys.SignType(ES256, AccessTokenJWTTyp, claims)
	if err != nil {
		return "", claims, fmt.Errorf("oidc: sign access token: %w", err)
	}
	return token, claims, nil
}

// verify checks a JWT access token's signature (a key of ours, typ
// at+jwt), issuer and expiry, and returns its claims.
func (j *jwtAccessTokens) verify(token string) (*atClaims, error) {
	payload, err := j.keys.VerifyType(token, AccessTokenJWTTyp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errJWTAccessToken, err)
	}
	var c atClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", errJWTAccessToken, err)
	}
	switch {
	case c.Issuer != j.issuer:
		return nil, fmt.Errorf("%w: issuer %q", errJWTAccessToken, c.Issuer)
	case c.ClientID == "" || c.JTI == "":
		return nil, fmt.Errorf("%w: no client_id or jti", errJWTAccessToken)
	case !j.now().Before(time.Unix(c.Expiry, 0)):
		return nil, fmt.Errorf("%w: expired", errJWTAccessToken)
	}
	return &c, nil
}

// accessTokenStrategy is fosite's HMAC strategy for codes, refresh tokens
// and opaque access tokens, with JWT access tokens for the clients that
// have them. The row of a JWT access token is keyed by its JWS signature.
type accessTokenStrategy struct {
	oauth2.CoreStrategy
	jwt *jwtAccessTokens
}

// AccessTokenSignature implements oauth2.AccessTokenStrategy.
func (s *accessTokenStrategy) AccessTokenSignature(ctx context.Context, token string) string {
	if looksJWT(token) {
		return token[strings.LastIndexByte(token, '.')+1:]
	}
	return s.CoreStrategy.AccessTokenSignature(ctx, token)
}

// GenerateAccessToken implements oauth2.AccessTokenStrategy.
func (s *accessTokenStrategy) GenerateAccessToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	c, ok := ClientOf(req.GetClient())
	if !ok || !c.JWTAccessTokens() {
		return s.CoreStrategy.GenerateAccessToken(ctx, req)
	}
	token, _, err := s.jwt.sign(req, c)
	if err != nil {
		return "", "", err
	}
	return token, s.AccessTokenSignature(ctx, token), nil
}

// ValidateAccessToken implements oauth2.AccessTokenStrategy: req is the
// token's row.
func (s *accessTokenStrategy) ValidateAccessToken(ctx context.Context, req fosite.Requester, token string) error {
	if !looksJWT(token) {
		return s.CoreStrategy.ValidateAccessToken(ctx, req, token)
	}
	c, err := s.jwt.verify(token)
	if err != nil {
		return fosite.ErrTokenExpired.WithWrap(err).WithHint("The access token is expired or invalid.")
	}
	if req.GetClient() == nil || c.ClientID != req.GetClient().GetID() {
		return fosite.ErrRequestUnauthorized.WithHint("The access token does not match its grant.")
	}
	return nil
}

// introspectAccess validates an access token (or, with use RefreshToken
// first, a refresh token) for the gateway's own endpoints, as fosite's
// IntrospectToken does, with JWT access tokens too: a JWT's signature,
// issuer and expiry are checked first, without the store; a citizen's JWT
// then needs its row, and a client-credentials JWT (which has none) needs
// its jti off the revocation list and its client registered and enabled.
// The JWT's claims are returned too (nil for an opaque token). caller, when
// not nil, is the authenticated client asking (introspection), which only
// learns about its own tokens: its registration is the token's, already
// loaded.
func (p *Provider) introspectAccess(ctx context.Context, token string, use fosite.TokenUse, caller fosite.Client) (fosite.TokenUse, fosite.AccessRequester, *atClaims, error) {
	if !looksJWT(token) {
		u, ar, err := p.OAuth2.IntrospectToken(ctx, token, use, NewSession())
		return u, ar, nil, err
	}
	claims, err := p.jwtAT.verify(token)
	if err != nil {
		return "", nil, nil, fosite.ErrRequestUnauthorized.WithWrap(err)
	}
	if claims.citizen() {
		u, ar, err := p.OAuth2.IntrospectToken(ctx, token, fosite.AccessToken, NewSession())
		return u, ar, claims, err
	}
	if caller != nil && caller.GetID() != claims.ClientID {
		return "", nil, nil, fosite.ErrRequestUnauthorized.WithHint("The access token belongs to another client.")
	}
	revoked, err := p.Store.JTIRevoked(ctx, claims.JTI)
	if err != nil {
		return "", nil, nil, err // wraps ErrUnavailable
	}
	if revoked {
		return "", nil, nil, fosite.ErrRequestUnauthorized.WithHint("The access token was revoked.")
	}
	fc := caller
	if fc == nil {
		fc, err = p.Store.GetClient(ctx, claims.ClientID)
		if errors.Is(err, ErrUnavailable) {
			return "", nil, nil, err
		}
		if err != nil {
			return "", nil, nil, fosite.ErrRequestUnauthorized.WithHint("The access token's client is unknown or disabled.")
		}
	}
	sess := NewSession()
	sess.SetExpiresAt(fosite.AccessToken, time.Unix(claims.Expiry, 0).UTC())
	if claims.CNF != nil {
		sess.JKT = claims.CNF.JKT
	}
	ar := fosite.NewAccessRequest(sess)
	ar.ID = claims.JTI
	ar.Client = fc
	ar.RequestedAt = time.Unix(claims.IssuedAt, 0).UTC()
	ar.GrantedScope = fosite.Arguments(strings.Fields(claims.Scope))
	ar.GrantedAudience = fosite.Arguments(claims.Audience)
	return fosite.AccessToken, ar, claims, nil
}

// statelessAccessResponse issues a JWT client's client-credentials token
// without a row and without a transaction (fosite's handler would store
// one): fosite has checked the client and the grant, the provider the
// scopes, DPoP and the resource indicators; the client's grant types are
// checked here.
func (p *Provider) statelessAccessResponse(ar fosite.AccessRequester, c *Client) (fosite.AccessResponder, error) {
	// fosite checks the client's grant types only when it issues
	// (PopulateTokenEndpointResponse), which is skipped here.
	if !c.GetGrantTypes().Has(GrantClientCredentials) {
		return nil, fosite.ErrUnauthorizedClient.WithHint("The OAuth 2.0 Client is not allowed to use authorization grant 'client_credentials'.")
	}
	token, claims, err := p.jwtAT.sign(ar, c)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	resp := fosite.NewAccessResponse()
	resp.SetAccessToken(token)
	resp.SetTokenType("bearer")
	resp.SetExpiresIn(time.Unix(claims.Expiry, 0).Sub(p.now()).Round(time.Second))
	resp.SetScopes(ar.GetGrantedScopes())
	return resp, nil
}
