package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
)

// Kind of relying party.
type Kind string

// Relying-party kinds.
const (
	KindPublicService Kind = "public_service"
	KindBank          Kind = "bank"
	KindOther         Kind = "other"
)

// Profile is a security profile a client is held to, on top of the rules
// every client follows.
type Profile string

// Client profiles.
const (
	// ProfileDefault is no choice made: Normalize gives a bank ProfileFAPI2
	// and any other client the baseline. A client stored before profiles
	// existed keeps "" and the baseline.
	ProfileDefault Profile = ""
	// ProfileBaseline is the gateway's baseline (PKCE S256, exact redirect
	// URIs, code flow only), chosen explicitly: a bank that is not (yet)
	// held to FAPI 2.0.
	ProfileBaseline Profile = "baseline"
	// ProfileFAPI2 is the FAPI 2.0 Security Profile: PAR only,
	// private_key_jwt, sender-constrained (DPoP) tokens, ES256 or PS256,
	// authorization codes of at most 60 s.
	ProfileFAPI2 Profile = "fapi2"
)

// FAPI2CodeLifespan is the longest life of a fapi2 client's authorization
// code (FAPI 2.0 Security Profile §5.3.2.1, item 13: at most 60 seconds).
const FAPI2CodeLifespan = 60 * time.Second

// SubjectType is how sub is computed for a client (OIDC Core §8).
type SubjectType string

// Subject types.
const (
	SubjectPairwise SubjectType = "pairwise"
	SubjectPublic   SubjectType = "public"
)

// Token endpoint authentication methods (OIDC Core §9) this server supports.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthNone              = "none"
)

// Grant types this server supports.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantTokenExchange is RFC 8693 token exchange, for a client that
	// accepts dependents: the guardian's access token for one acting for a
	// dependent.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Signing algorithms for ID tokens.
const (
	ES256 = "ES256"
	RS256 = "RS256"
	PS256 = "PS256"
)

// Text is a message in Vietnamese and English.
type Text struct {
	VI string `json:"vi"`
	EN string `json:"en,omitempty"`
}

// Client is a registered relying party. It implements fosite.Client and
// fosite.OpenIDConnectClient.
type Client struct {
	ID             string `json:"client_id"`
	Name           Text   `json:"name"`
	LogoURL        string `json:"logo_uri,omitempty"`
	Purpose        Text   `json:"purpose"`
	PurposeVersion int    `json:"purpose_version"`
	Kind           Kind   `json:"kind"`
	// RedirectURIs are compared exactly (RFC 6749 §3.1.2.3, OAuth 2.1).
	RedirectURIs           []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI   string   `json:"backchannel_logout_uri,omitempty"`
	GrantTypes             []string `json:"grant_types"`
	Scopes                 []string `json:"scopes"`
	// MinLevel is enforced even when the client asks for less (a bank: 2).
	MinLevel                    assurance.Level `json:"min_level"`
	TokenEndpointAuthMethod     string          `json:"token_endpoint_auth_method"`
	TokenEndpointAuthSigningAlg string          `json:"token_endpoint_auth_signing_alg,omitempty"`
	JWKS                        json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                     string          `json:"jwks_uri,omitempty"`
	IDTokenSignedResponseAlg    string          `json:"id_token_signed_response_alg,omitempty"`
	SubjectType                 SubjectType     `json:"subject_type"`
	SectorIdentifier            string          `json:"sector_identifier,omitempty"`
	RequirePAR                  bool            `json:"require_pushed_authorization_requests"`
	// Profile holds the client to a security profile (ProfileFAPI2).
	Profile Profile `json:"profile,omitempty"`
	// ResponseSecurity asks for signed and encrypted responses (JWE, JARM,
	// RFC 9701).
	ResponseSecurity
	// RequestObjectSigningAlg is the only alg its request objects may use
	// (RFC 9101 §10.2, OAuth dynamic registration metadata); "" allows
	// ES256, PS256 and RS256 (ES256 and PS256 for fapi2).
	RequestObjectSigningAlg string `json:"request_object_signing_alg,omitempty"`
	// RequireSignedRequestObject: every authorization request must come as
	// a signed request object (RFC 9101 §10.5), by value or pushed.
	RequireSignedRequestObject bool `json:"require_signed_request_object,omitempty"`
	// AcceptDependents lets a guardian sign in for a dependent (a child
	// under 14 or a ward) at this client: it may ask for the
	// act_for_dependent scope and use the token exchange grant. Off by
	// default; a client not registered for it never shows the choice.
	AcceptDependents bool `json:"accept_dependents,omitempty"`
	// AccessTokenFormat is the format of its access tokens:
	// AccessTokenOpaque ("" or "opaque", the default) or AccessTokenJWT
	// (RFC 9068 JWTs a resource server validates on its own; see jwtat.go).
	AccessTokenFormat string `json:"access_token_format,omitempty"`
	// AccessTokenLifetime is the life of its JWT access tokens in seconds
	// (0: DefaultJWTAccessTokenLifespan; at most MaxJWTAccessTokenLifespan):
	// short, because a resource server that validates them on its own sees
	// neither a revocation nor a locked account before they expire.
	AccessTokenLifetime int `json:"access_token_lifetime,omitempty"`
	// AccessTokenAudience are the resource servers its JWT access tokens
	// may be for (RFC 8707 resource indicators, absolute https URIs): the
	// aud of a token whose request names none of them; the client's id when
	// empty.
	AccessTokenAudience []string `json:"access_token_audience,omitempty"`
	// Organisation owns the relying party (its name and registration or
	// tax code); LegalBasis is the text (decree, contract) its use of
	// citizens' data rests on. Required for a client proposed from the
	// operators' console (Clients.Propose); optional from the CLI and the
	// admin API.
	Organisation Organisation `json:"organisation,omitzero"`
	LegalBasis   string       `json:"legal_basis,omitempty"`
	// Approval is the second operator's decision on a client proposed from
	// the console; zero for a client registered by the CLI or the admin
	// API, which needs none (see Clients.Create).
	Approval  Approval  `json:"approval,omitzero"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// SecretHash is HMAC-SHA-256(pepper, secret); never serialised.
	SecretHash []byte `json:"-"`
	// PolicyRefused are the registered scopes the kind policy in force
	// takes away (KindPolicy.Restrict); never serialised.
	PolicyRefused []string `json:"-"`
}

// Clone returns a copy of c that shares no slice with it, so that one
// decoded client can be handed to many requests at once (oidc/postgres keeps
// the clients it decoded) without one request's change reaching another.
// TestCloneSharesNothing fails when a field is added that Clone misses.
func (c Client) Clone() Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.AccessTokenAudience = slices.Clone(c.AccessTokenAudience)
	c.JWKS = slices.Clone(c.JWKS)
	c.SecretHash = slices.Clone(c.SecretHash)
	c.PolicyRefused = slices.Clone(c.PolicyRefused)
	return c
}

var _ fosite.OpenIDConnectClient = (*Client)(nil)
var _ fosite.Client = (*Client)(nil)

// GetID implements fosite.Client.
func (c *Client) GetID() string { return c.ID }

// GetHashedSecret implements fosite.Client.
func (c *Client) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs implements fosite.Client.
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes implements fosite.Client.
func (c *Client) GetGrantTypes() fosite.Arguments { return c.GrantTypes }

// GetResponseTypes implements fosite.Client: only the code flow.
func (c *Client) GetResponseTypes() fosite.Arguments {
	if c.Machine() {
		return nil
	}
	return fosite.Arguments{"code"}
}

// GetScopes implements fosite.Client. A client registered to accept
// dependents may also ask for the act_for_dependent scope.
func (c *Client) GetScopes() fosite.Arguments {
	if c.AcceptDependents && !slices.Contains(c.Scopes, ScopeActForDependent) {
		return append(slices.Clone(c.Scopes), ScopeActForDependent)
	}
	return c.Scopes
}

// IsPublic implements fosite.Client.
func (c *Client) IsPublic() bool { return c.TokenEndpointAuthMethod == AuthNone }

// GetAudience implements fosite.Client: the resource servers a JWT
// client's tokens may be for (fosite checks a refreshed grant's audience
// against them); none for an opaque client.
func (c *Client) GetAudience() fosite.Arguments {
	if !c.JWTAccessTokens() {
		return nil
	}
	return c.AccessTokenAudience
}

// GetRequestURIs implements fosite.OpenIDConnectClient: request objects by
// reference are not supported (PAR is).
func (c *Client) GetRequestURIs() []string { return nil }

// GetJSONWebKeys implements fosite.OpenIDConnectClient (go-jose v3 types, as
// fosite wants them).
func (c *Client) GetJSONWebKeys() *josev3.JSONWebKeySet {
	if len(c.JWKS) == 0 {
		return nil
	}
	var set josev3.JSONWebKeySet
	if err := json.Unmarshal(c.JWKS, &set); err != nil {
		return nil
	}
	return &set
}

// GetJSONWebKeysURI implements fosite.OpenIDConnectClient.
func (c *Client) GetJSONWebKeysURI() string { return c.JWKSURI }

// GetRequestObjectSigningAlgorithm implements fosite.OpenIDConnectClient.
func (c *Client) GetRequestObjectSigningAlgorithm() string { return c.RequestObjectSigningAlg }

// RequestObjectAlgs are the algs this client's request objects may use.
func (c *Client) RequestObjectAlgs() []string {
	switch {
	case c.RequestObjectSigningAlg != "":
		return []string{c.RequestObjectSigningAlg}
	case c.FAPI2():
		return []string{ES256, PS256}
	}
	return []string{ES256, PS256, RS256}
}

// GetTokenEndpointAuthMethod implements fosite.OpenIDConnectClient.
func (c *Client) GetTokenEndpointAuthMethod() string { return c.TokenEndpointAuthMethod }

// GetTokenEndpointAuthSigningAlgorithm implements fosite.OpenIDConnectClient.
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string {
	if c.TokenEndpointAuthSigningAlg == "" {
		return RS256
	}
	return c.TokenEndpointAuthSigningAlg
}

// FAPI2 reports a client held to the FAPI 2.0 Security Profile.
func (c *Client) FAPI2() bool { return c.Profile == ProfileFAPI2 }

// Machine reports a client that only uses client credentials: it never
// receives citizen data.
func (c *Client) Machine() bool {
	return len(c.GrantTypes) > 0 && !slices.Contains(c.GrantTypes, GrantAuthorizationCode)
}

// IDTokenAlg is the algorithm of this client's ID tokens (ES256 by default).
func (c *Client) IDTokenAlg() string {
	if c.IDTokenSignedResponseAlg == "" {
		return ES256
	}
	return c.IDTokenSignedResponseAlg
}

// Sector is the pairwise sector identifier (OIDC Core §8.1): the registered
// one, else the host of the redirect URIs.
func (c *Client) Sector() string {
	if c.SectorIdentifier != "" {
		return c.SectorIdentifier
	}
	if len(c.RedirectURIs) > 0 {
		if u, err := url.Parse(c.RedirectURIs[0]); err == nil {
			return u.Host
		}
	}
	return c.ID
}

// DisplayName is the client's name in lang ("vi" or "en").
func (c *Client) DisplayName(lang string) string {
	if lang == "en" && c.Name.EN != "" {
		return c.Name.EN
	}
	return c.Name.VI
}

// Normalize fills defaults: pairwise subjects, ES256, the code grant, a
// minimum level of 1 (2 for banks), client_secret_basic.
func (c *Client) Normalize() {
	if c.SubjectType == "" {
		c.SubjectType = SubjectPairwise
	}
	if c.Kind == "" {
		c.Kind = KindOther
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	if c.Profile == ProfileDefault && c.Kind == KindBank {
		c.Profile = ProfileFAPI2
	}
	if c.FAPI2() {
		// FAPI 2.0 §5.3.2.1: PAR only; §5.3.2.1 and §5.4: private_key_jwt
		// (or mTLS, not built) with ES256 or PS256.
		c.RequirePAR = true
		if c.TokenEndpointAuthMethod == "" {
			c.TokenEndpointAuthMethod = AuthPrivateKeyJWT
		}
		if c.TokenEndpointAuthSigningAlg == "" && c.TokenEndpointAuthMethod == AuthPrivateKeyJWT {
			c.TokenEndpointAuthSigningAlg = ES256
		}
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = AuthClientSecretBasic
	}
	if c.MinLevel == 0 {
		c.MinLevel = 1
		if c.Kind == KindBank {
			c.MinLevel = 2
		}
	}
	if c.PurposeVersion == 0 {
		c.PurposeVersion = 1
	}
	if !c.Machine() && !slices.Contains(c.Scopes, attributes.ScopeOpenID) {
		c.Scopes = append([]string{attributes.ScopeOpenID}, c.Scopes...)
	}
	c.normalizeResponseSecurity()
}

// Validate reports every problem with the registration at once.
func (c *Client) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.ID == "" {
		bad("client_id is empty")
	}
	if c.Name.VI == "" {
		bad("name (vi) is empty")
	}
	switch c.Kind {
	case KindPublicService, KindBank, KindInsurer, KindOther:
	default:
		bad("kind %q is not one of public_service, bank, insurer, other", c.Kind)
	}
	if c.Kind == KindBank && c.MinLevel < 2 {
		bad("a bank needs min_level 2")
	}
	if c.MinLevel < 1 || c.MinLevel > 2 {
		bad("min_level must be 1 or 2")
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
		default:
			bad("grant type %q is not supported", g)
		}
	}
	machine := c.Machine()
	if machine && slices.Contains(c.GrantTypes, GrantRefreshToken) {
		bad("refresh_token needs authorization_code")
	}
	for _, s := range c.Scopes {
		switch {
		case machine && attributes.CitizenScope(s):
			bad("machine client may not have citizen scope %q", s)
		case s == ScopeActForDependent:
			bad("scope %q is not registered: set accept_dependents", s)
		case !machine && !attributes.KnownScope(s):
			bad("scope %q is not known", s)
		}
	}
	switch c.TokenEndpointAuthMethod {
	case AuthClientSecretBasic, AuthClientSecretPost:
	case AuthPrivateKeyJWT:
		if len(c.JWKS) == 0 && c.JWKSURI == "" {
			bad("private_key_jwt needs jwks or jwks_uri")
		}
		if len(c.JWKS) > 0 && c.GetJSONWebKeys() == nil {
			bad("jwks is not a JSON Web Key Set")
		}
		switch c.GetTokenEndpointAuthSigningAlgorithm() {
		case RS256, ES256, PS256:
		default:
			bad("token_endpoint_auth_signing_alg %q is not supported", c.TokenEndpointAuthSigningAlg)
		}
	case AuthNone:
		if machine {
			bad("a machine client must authenticate")
		}
	default:
		bad("token_endpoint_auth_method %q is not supported", c.TokenEndpointAuthMethod)
	}
	switch c.Profile {
	case ProfileDefault, ProfileBaseline, ProfileFAPI2:
	default:
		bad("profile %q is not one of baseline, fapi2", c.Profile)
	}
	switch c.RequestObjectSigningAlg {
	case "", ES256, PS256, RS256:
	default:
		bad("request_object_signing_alg %q is not one of ES256, PS256, RS256", c.RequestObjectSigningAlg)
	}
	errs = append(errs, c.validateAccessTokenFormat()...)
	if c.AcceptDependents && machine {
		bad("accept_dependents is for clients that sign citizens in; a client-credentials client cannot have it")
	}
	if c.FAPI2() {
		errs = append(errs, c.validateFAPI2()...)
	}
	if c.JWKSURI != "" && !httpsURL(c.JWKSURI) {
		bad("jwks_uri must be https")
	}
	switch c.IDTokenAlg() {
	case ES256, RS256:
	default:
		bad("id_token_signed_response_alg %q is not supported", c.IDTokenSignedResponseAlg)
	}
	switch c.SubjectType {
	case SubjectPairwise, SubjectPublic:
	default:
		bad("subject_type %q is not pairwise or public", c.SubjectType)
	}
	if !machine && len(c.RedirectURIs) == 0 {
		bad("redirect_uris is empty")
	}
	hosts := map[string]bool{}
	for _, u := range c.RedirectURIs {
		if err := validRedirect(u); err != nil {
			bad("redirect_uri %q: %v", u, err)
		} else {
			pu, _ := url.Parse(u)
			hosts[pu.Host] = true
		}
	}
	if c.SubjectType == SubjectPairwise && c.SectorIdentifier == "" && len(hosts) > 1 {
		bad("redirect_uris span several hosts: register a sector_identifier")
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := validRedirect(u); err != nil {
			bad("post_logout_redirect_uri %q: %v", u, err)
		}
	}
	if c.BackchannelLogoutURI != "" && !httpsURL(c.BackchannelLogoutURI) {
		bad("backchannel_logout_uri must be https")
	}
	if c.LogoURL != "" {
		if err := ValidLogoURI(c.LogoURL); err != nil {
			bad("%v", err)
		}
	}
	errs = append(errs, c.validateResponseSecurity()...)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidClient, errors.Join(errs...))
	}
	return nil
}

// validateFAPI2 lists what the FAPI 2.0 Security Profile (final) forbids in
// a registration (§5.3.2.1, §5.4.1).
func (c *Client) validateFAPI2() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Machine() {
		bad("profile fapi2 is for the authorization code flow; a client-credentials client cannot have it")
	}
	if c.TokenEndpointAuthMethod != AuthPrivateKeyJWT {
		bad("profile fapi2 needs token_endpoint_auth_method private_key_jwt, not %q (client secrets are not allowed by FAPI 2.0; register profile baseline to keep one)", c.TokenEndpointAuthMethod)
	} else if alg := c.GetTokenEndpointAuthSigningAlgorithm(); alg != ES256 && alg != PS256 {
		bad("profile fapi2 needs token_endpoint_auth_signing_alg ES256 or PS256, not %q", alg)
	}
	if alg := c.RequestObjectSigningAlg; alg != "" && alg != ES256 && alg != PS256 {
		bad("profile fapi2 needs request_object_signing_alg ES256 or PS256, not %q", alg)
	}
	if alg := c.IDTokenAlg(); alg != ES256 {
		// PS256 ID tokens are not built: ES256 is the only FAPI algorithm
		// the gateway signs with.
		bad("profile fapi2 needs id_token_signed_response_alg ES256, not %q", alg)
	}
	if !c.RequirePAR {
		bad("profile fapi2 needs require_pushed_authorization_requests")
	}
	return errs
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

func validRedirect(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return errors.New("has a fragment")
	}
	host := u.Hostname()
	loopback := host == "localhost" || host == "127.0.0.1" || host == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return errors.New("must be https (http only for loopback)")
	}
	return nil
}
