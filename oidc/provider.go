package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc/dpop"
)

// Endpoint paths, relative to the issuer.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathJWKS      = "/jwks.json"
	PathAuthorize = "/authorize"
	// PathAuthorizeResume is where the consent screen sends the browser
	// back to the authorization flow (ResumeURL).
	PathAuthorizeResume = "/authorize/resume"
	PathToken           = "/token"
	PathUserinfo        = "/userinfo"
	PathIntrospect      = "/introspect"
	PathRevoke          = "/revoke"
	PathLogout          = "/logout"
	PathPAR             = "/par"
)

// PARPrefix is the request_uri prefix of pushed requests (RFC 9126 §2.2).
const PARPrefix = "urn:ietf:params:oauth:request_uri:"

// Config builds a Provider. Every secret comes from configuration, never
// generated here, so that all replicas agree.
type Config struct {
	// Issuer is the https URL of the gateway, without a trailing slash.
	Issuer string
	Store  Store
	Keys   *Keys
	// SecretPepper keys the client-secret hash (≥32 bytes).
	Hasher *SecretHasher
	// TokenSecret keys fosite's HMAC tokens and codes (≥32 bytes). Only
	// signatures of tokens are stored.
	TokenSecret []byte
	// PairwiseKey keys pairwise subjects (≥32 bytes). Changing it changes
	// every citizen's sub at every pairwise client.
	PairwiseKey []byte
	Accounts    Accounts
	Registry    attributes.Registry
	Documents   attributes.DocumentSource
	Consent     ConsentDecider // required; the consent service's decider in the product
	// Challenges parks authorization requests while the citizen answers the
	// consent screen; without it a decision that needs the citizen ends with
	// consent_required.
	Challenges ChallengeStore
	Audit      audit.Recorder
	// Dependents is the guardianship registry: whom a guardian may act for
	// at a client that accepts dependents. nil: nobody acts for anyone.
	Dependents Dependents
	// BackchannelLogout says relying parties are notified through OpenID
	// Connect Back-Channel Logout 1.0 (with sid): set it once the consent
	// service has a logout notifier, so discovery says so.
	BackchannelLogout bool

	AccessTokenLifespan   time.Duration // default 10m
	RefreshTokenLifespan  time.Duration // default 30 days
	IDTokenLifespan       time.Duration // default 10m
	AuthorizeCodeLifespan time.Duration // default 1m
	PARLifespan           time.Duration // default 90s
	Logger                *slog.Logger
	// JWKSClient fetches private_key_jwt clients' jwks_uri; it should refuse
	// non-public addresses (httpx.PublicOnlyClient). nil: a plain client.
	JWKSClient *http.Client
	// JWKSCacheTTL is how long a fetched jwks_uri is trusted (default 15m);
	// an unknown kid is fetched again at once.
	JWKSCacheTTL time.Duration
	// Now is the clock of authorization decisions; time.Now when nil.
	Now func() time.Time
}

// Provider is the composed OpenID Connect provider.
type Provider struct {
	OAuth2       fosite.OAuth2Provider
	FositeConfig *fosite.Config
	Fosite       *fosite.Fosite
	Store        Store
	Keys         *Keys
	Subjects     *Subjects
	Accounts     Accounts
	Registry     attributes.Registry
	Documents    attributes.DocumentSource
	Consent      ConsentDecider
	Audit        audit.Recorder
	Logger       *slog.Logger
	Issuer       string

	backchannel bool
	discovery   []byte
	requests    *RequestObjects
	challenges  ChallengeStore
	clock       func() time.Time
	dpop        *dpop.Verifier
	dependents  Dependents
	// tokens issues the access tokens of the token exchange grant.
	tokens oauth2.CoreStrategy
	// jwtAT signs and checks JWT access tokens (RFC 9068).
	jwtAT *jwtAccessTokens
}

func (p *Provider) now() time.Time { return p.clock().UTC() }

// NewProvider composes fosite with our store, hasher and signer.
func NewProvider(cfg Config) (*Provider, error) {
	var errs []error
	if !strings.HasPrefix(cfg.Issuer, "https://") && !strings.HasPrefix(cfg.Issuer, "http://") || strings.HasSuffix(cfg.Issuer, "/") {
		errs = append(errs, errors.New("issuer must be an http(s) URL without a trailing slash"))
	}
	if len(cfg.TokenSecret) < 32 {
		errs = append(errs, errors.New("token secret must be at least 32 bytes"))
	}
	if len(cfg.PairwiseKey) < 32 {
		errs = append(errs, errors.New("pairwise key must be at least 32 bytes"))
	}
	if cfg.Store == nil || cfg.Keys == nil || cfg.Hasher == nil || cfg.Accounts == nil || cfg.Registry == nil || cfg.Documents == nil || cfg.Audit == nil {
		errs = append(errs, errors.New("store, keys, hasher, accounts, registry, documents and audit are required"))
	}
	// No silent default: a wiring mistake must not release claims without
	// asking the citizen. AutoConsent is for tests and load benchmarks.
	if cfg.Consent == nil {
		errs = append(errs, errors.New("a consent decider is required (oidc.AutoConsent only for tests and benchmarks)"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("oidc: %w", errors.Join(errs...))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.AccessTokenLifespan, 10*time.Minute)
	def(&cfg.RefreshTokenLifespan, 30*24*time.Hour)
	def(&cfg.IDTokenLifespan, 10*time.Minute)
	def(&cfg.AuthorizeCodeLifespan, time.Minute)
	def(&cfg.PARLifespan, 90*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	fc := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan,
		IDTokenLifespan:       cfg.IDTokenLifespan,
		IDTokenIssuer:         cfg.Issuer,
		AccessTokenIssuer:     cfg.Issuer,
		TokenURL:              cfg.Issuer + PathToken,
		ScopeStrategy:         fosite.ExactScopeStrategy,
		// Set here, not left to fosite's getter, which writes its default
		// into the shared Config on first use: a data race between the
		// first concurrent token requests (seen by gateway/hatest under
		// -race).
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
		// RFC 9700 §2.1.1 and the issue: S256 for every client, never plain.
		EnforcePKCE:                     true,
		EnablePKCEPlainChallengeMethod:  false,
		GlobalSecret:                    cfg.TokenSecret,
		ClientSecretsHasher:             cfg.Hasher,
		RefreshTokenScopes:              []string{attributes.ScopeOfflineAccess},
		AllowedPromptValues:             []string{"login", "none", "consent"},
		PushedAuthorizeRequestURIPrefix: PARPrefix,
		PushedAuthorizeContextLifespan:  cfg.PARLifespan,
		MinParameterEntropy:             8,
		// The granted scope goes to the client in the token response
		// (RFC 6749 §5.1), not through the browser in the authorization
		// response, where RFC 6749 §4.1.2 does not have it.
		OmitRedirectScopeParam:     true,
		SendDebugMessagesToClients: false,
		FormPostHTMLTemplate:       formPostTemplate,
	}
	if cfg.JWKSCacheTTL == 0 {
		cfg.JWKSCacheTTL = 15 * time.Minute
	}
	jwksOpts := []func(*fosite.DefaultJWKSFetcherStrategy){fosite.JKWKSFetcherWithDefaultTTL(cfg.JWKSCacheTTL)}
	if cfg.JWKSClient != nil {
		rc := retryablehttp.NewClient()
		rc.HTTPClient = cfg.JWKSClient
		rc.RetryMax = 2
		rc.Logger = nil
		jwksOpts = append(jwksOpts, fosite.JWKSFetcherWithHTTPClient(rc))
	}
	fc.JWKSFetcherStrategy = fosite.NewDefaultJWKSFetcherStrategy(jwksOpts...)
	signer := &Signer{Keys: cfg.Keys}
	jwtAT := &jwtAccessTokens{issuer: cfg.Issuer, keys: cfg.Keys, now: cfg.Now}
	strategy := &compose.CommonStrategy{
		CoreStrategy:               &accessTokenStrategy{CoreStrategy: compose.NewOAuth2HMACStrategy(fc), jwt: jwtAT},
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: signer, Config: fc},
		Signer:                     signer,
	}
	provider := compose.Compose(fc, cfg.Store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
		compose.PushedAuthorizeHandlerFactory,
	)
	// RFC 9126 §2 and FAPI 2.0 §5.3.2.1: a client assertion's aud may be
	// the issuer, the PAR endpoint or the token endpoint, at every endpoint
	// that authenticates clients (fosite's client authentication reads the
	// accepted audiences from the Fosite's own config only).
	provider.(*fosite.Fosite).Config = &assertionAudiences{Config: fc,
		urls: []string{cfg.Issuer + PathToken, cfg.Issuer + PathPAR, cfg.Issuer}}
	p := &Provider{
		OAuth2: provider, FositeConfig: fc, Fosite: provider.(*fosite.Fosite), Store: cfg.Store, Keys: cfg.Keys,
		Subjects: NewSubjects(cfg.PairwiseKey), Accounts: cfg.Accounts,
		Registry: cfg.Registry, Documents: cfg.Documents, Consent: cfg.Consent,
		Audit: cfg.Audit, Logger: cfg.Logger, Issuer: cfg.Issuer, backchannel: cfg.BackchannelLogout,
		challenges: cfg.Challenges, clock: cfg.Now, dpop: newDPoPVerifier(cfg.TokenSecret, cfg.Now),
		dependents: cfg.Dependents, tokens: strategy.CoreStrategy, jwtAT: jwtAT,
	}
	// RFC 8693 token exchange: fosite has no handler for it.
	fc.TokenEndpointHandlers = append(fc.TokenEndpointHandlers, &tokenExchange{p: p})
	for i, h := range fc.TokenEndpointHandlers {
		fc.TokenEndpointHandlers[i] = grantGate{h}
	}
	fc.ResponseModeHandlerExtension = jarmModes{fosite.NewDefaultResponseModeHandler()}
	p.requests = &RequestObjects{Issuer: cfg.Issuer, Now: p.now, Keys: p.clientKeys}
	p.discovery = p.renderDiscovery()
	return p, nil
}

// grantGate asks a token endpoint handler to build the response only for a
// grant it handles. fosite asks every handler, and each of the others
// answers with an error that captures a stack trace: four per
// client-credentials token, about 7% of the gateway's CPU for it (measured
// with pprof on dinhdanh dev at c64). fosite's request phase already skips
// handlers this way.
type grantGate struct{ fosite.TokenEndpointHandler }

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler.
func (g grantGate) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	return g.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, ar, resp)
}

// jwksFetchTimeout bounds one fetch of a client's jwks_uri.
const jwksFetchTimeout = 5 * time.Second

// clientKeys reads a client's jwks_uri through fosite's fetcher, the one
// client assertions use: one cache (JWKSCacheTTL) and one HTTP client
// (JWKSClient, refusing non-public addresses in the product) for both.
func (p *Provider) clientKeys(ctx context.Context, uri string, refresh bool) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	set, err := p.FositeConfig.JWKSFetcherStrategy.Resolve(ctx, uri, refresh)
	if err != nil {
		return nil, err
	}
	keys := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, k := range set.Keys {
		keys = append(keys, jose.JSONWebKey{Key: k.Key, KeyID: k.KeyID, Algorithm: k.Algorithm, Use: k.Use})
	}
	return keys, nil
}

// assertionAudiences is fosite's config with more accepted client assertion
// audiences than the token URL.
type assertionAudiences struct {
	*fosite.Config
	urls []string
}

// GetTokenURLs implements fosite.TokenURLProvider.
func (a *assertionAudiences) GetTokenURLs(context.Context) []string { return a.urls }

// Discovery returns the pre-rendered discovery document (OIDC Discovery §3).
// It lists only what this provider implements.
func (p *Provider) Discovery() []byte { return p.discovery }

func (p *Provider) renderDiscovery() []byte {
	claims := append([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash", "act"}, attributes.Claims()...)
	doc := map[string]any{
		"issuer":                                           p.Issuer,
		"authorization_endpoint":                           p.Issuer + PathAuthorize,
		"token_endpoint":                                   p.Issuer + PathToken,
		"userinfo_endpoint":                                p.Issuer + PathUserinfo,
		"jwks_uri":                                         p.Issuer + PathJWKS,
		"introspection_endpoint":                           p.Issuer + PathIntrospect,
		"revocation_endpoint":                              p.Issuer + PathRevoke,
		"end_session_endpoint":                             p.Issuer + PathLogout,
		"pushed_authorization_request_endpoint":            p.Issuer + PathPAR,
		"require_pushed_authorization_requests":            false,
		"authorization_response_iss_parameter_supported":   true,
		"scopes_supported":                                 append(attributes.Scopes(), ScopeActForDependent),
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         ResponseModes(),
		"grant_types_supported":                            []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantTokenExchange},
		"acr_values_supported":                             assurance.Supported(),
		"subject_types_supported":                          []string{string(SubjectPairwise), string(SubjectPublic)},
		"id_token_signing_alg_values_supported":            []string{ES256, RS256},
		"token_endpoint_auth_methods_supported":            []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT, AuthNone},
		"token_endpoint_auth_signing_alg_values_supported": []string{RS256, ES256, PS256},
		"introspection_endpoint_auth_methods_supported":    []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT},
		"revocation_endpoint_auth_methods_supported":       []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT, AuthNone},
		"code_challenge_methods_supported":                 []string{"S256"},
		"claims_supported":                                 claims,
		"claim_types_supported":                            []string{"normal"},
		"claims_parameter_supported":                       true,
		// RFC 9101: signed request objects by value and pushed; by
		// reference only as a pushed request's request_uri.
		"request_parameter_supported":                 true,
		"request_object_signing_alg_values_supported": []string{ES256, PS256, RS256},
		"require_signed_request_object":               false,
		"request_uri_parameter_supported":             false,
		"prompt_values_supported":                     []string{"none", "login", "consent"},
		"ui_locales_supported":                        []string{"vi", "en"},
		"claims_locales_supported":                    []string{"vi"},
		"frontchannel_logout_supported":               false,
		"backchannel_logout_supported":                p.backchannel,
		"display_values_supported":                    []string{"page"},
		"dpop_signing_alg_values_supported":           dpop.AlgNames(),
	}
	if p.backchannel {
		// Logout tokens carry sid when a sign-in session ended (and sub
		// otherwise), the sid of the ID tokens (Back-Channel Logout 1.0 §2.1).
		doc["backchannel_logout_session_supported"] = true
	}
	responseSecurityDiscovery(doc)
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

// SignIn is a completed browser sign-in, as the web layer read it from the
// session.
type SignIn struct {
	AccountID    string
	AccountLevel assurance.Level
	Strength     assurance.Level
	AMR          []string
	AuthTime     time.Time
	SID          string
}

// Level is the acr level of the sign-in: min(account level, strength).
func (s SignIn) Level() assurance.Level { return assurance.Of(s.AccountLevel, s.Strength) }

// NewGrantSession builds the session stored with a new authorization code.
// requestedAt is when the authorization request was first seen (before any
// sign-in it caused), which fosite's prompt/max_age checks compare with
// auth_time.
func (p *Provider) NewGrantSession(c *Client, in SignIn, requestedAt time.Time, userinfo, idToken []string) *Session {
	s := NewSession()
	sub := p.Subjects.For(c, in.AccountID)
	s.Subject = sub
	s.Username = ""
	s.AccountID = in.AccountID
	s.Level = in.Level()
	s.UserinfoClaims = slices.Clone(userinfo)
	s.IDTokenClaimNames = slices.Clone(idToken)
	s.PurposeVersion = c.PurposeVersion
	s.Claims.Subject = sub
	s.Claims.Issuer = p.Issuer
	s.Claims.AuthTime = in.AuthTime.UTC().Truncate(time.Second)
	s.Claims.RequestedAt = requestedAt.UTC()
	s.Claims.AuthenticationContextClassReference = s.Level.ACR()
	s.Claims.AuthenticationMethodsReferences = slices.Clone(in.AMR)
	if in.SID != "" {
		s.Claims.Extra["sid"] = in.SID
	}
	s.Headers.Extra[idTokenAlgHint] = c.IDTokenAlg()
	return s
}

// Errors of claim release.
var (
	ErrAccountLocked   = errors.New("oidc: account locked")
	ErrAccountNotFound = errors.New("oidc: account not found")
)

// Account loads an account and refuses locked or missing ones.
func (p *Provider) Account(ctx context.Context, id string) (accounts.Account, error) {
	a, err := p.Accounts.Get(ctx, id)
	if errors.Is(err, accounts.ErrNotFound) {
		return accounts.Account{}, ErrAccountNotFound
	}
	if err != nil {
		return accounts.Account{}, fmt.Errorf("oidc: load account: %w", err)
	}
	if a.Status == accounts.Locked {
		return a, ErrAccountLocked
	}
	return a, nil
}

// Release reads the values of the named claims for the account at the
// session's level. It reads the population and document registries only.
func (p *Provider) Release(ctx context.Context, a accounts.Account, level assurance.Level, names []string) (map[string]any, []string, error) {
	if len(names) == 0 {
		return map[string]any{}, nil, nil
	}
	return attributes.Release(ctx, p.Registry, p.Documents, a.PersonalID, min(level, a.Level), names)
}

// Record writes an audit event; a failure must fail the action.
func (p *Provider) Record(ctx context.Context, e audit.Event) error {
	if err := p.Audit.Record(ctx, e); err != nil {
		return fmt.Errorf("oidc: audit: %w", err)
	}
	return nil
}

// ConsentUsed tells the consent decider, if it follows usage
// (ConsentEvents), that clientID used accountID's consent. Best effort: a
// failure is logged, the response already given stands.
func (p *Provider) ConsentUsed(ctx context.Context, accountID, clientID string) {
	ev, ok := p.Consent.(ConsentEvents)
	if !ok || accountID == "" {
		return
	}
	if err := ev.ConsentUsed(ctx, accountID, clientID); err != nil {
		p.Logger.WarnContext(ctx, "mark consent used", "client_id", clientID, "error", err)
	}
}

// SignedOut tells the consent decider, if it follows sessions
// (ConsentEvents), that a sign-in session ended. Best effort.
func (p *Provider) SignedOut(ctx context.Context, accountID, sid string) {
	ev, ok := p.Consent.(ConsentEvents)
	if !ok || accountID == "" {
		return
	}
	if err := ev.SignedOut(ctx, accountID, sid); err != nil {
		p.Logger.ErrorContext(ctx, "queue back-channel logout", "error", err)
	}
}

// EndSignIn records that the citizen signed out at the gateway
// (RP-initiated logout, with the relying party that asked) and tells the
// relying parties of that sign-in session (Back-Channel Logout 1.0). Best
// effort: the browser is signed out whatever happens here.
func (p *Provider) EndSignIn(ctx context.Context, accountID, sid, clientID string, meta Meta) {
	e := meta.stamp(audit.Event{Type: audit.SignedOut, ActorKind: audit.Citizen, ActorID: accountID,
		AccountID: accountID, ClientID: clientID, Outcome: audit.Success, Reason: "rp_initiated"})
	if err := p.Record(ctx, e); err != nil {
		p.Logger.ErrorContext(ctx, "audit logout", "error", err)
	}
	p.SignedOut(ctx, accountID, sid)
}

// ClientOf returns the *Client behind a fosite client.
func ClientOf(c fosite.Client) (*Client, bool) {
	cl, ok := c.(*Client)
	return cl, ok
}

// AuthenticatedClientID is the client a request that fosite has just
// authenticated came from (the caller of introspection, for its signed
// response).
func AuthenticatedClientID(r *http.Request) string { return authenticatedClientID(r) }
