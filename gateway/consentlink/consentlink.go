package consentlink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// Config builds a Provider adapter.
type Config struct {
	// Store is the oidc token store (consent revocation ends tokens there).
	Store oidc.Store
	// Clients is the relying-party registry.
	Clients oidc.ClientStore
	// Keys sign consent receipts and logout tokens.
	Keys *oidc.Keys
	// PairwiseKey is the provider's pairwise key (oidc.Config.PairwiseKey),
	// so that receipts and logout tokens name the citizen by the sub of the
	// ID tokens.
	PairwiseKey []byte
	Accounts    oidc.Accounts
	Registry    attributes.Registry
	Documents   attributes.DocumentSource
	// SignAlg signs receipts and logout tokens; ES256 when empty.
	SignAlg string
	Logger  *slog.Logger
}

// Provider is what the consent side needs of the OpenID Connect provider.
type Provider struct {
	cfg      Config
	subjects *oidc.Subjects
}

// Compile-time checks of the interfaces each adapter implements.
var (
	_ consent.TokenRevoker        = (*Provider)(nil)
	_ consent.Signer              = (*Provider)(nil)
	_ consentweb.ValuePreview     = (*Provider)(nil)
	_ consentweb.DependentPreview = (*Challenges)(nil)
	_ consentweb.Clients          = (*Provider)(nil)
	_ consentweb.Subjects         = (*Provider)(nil)
	_ backchannel.Clients         = (*Provider)(nil)
	_ backchannel.Subjects        = (*Provider)(nil)
	_ oidc.ConsentDecider         = (*Decider)(nil)
	_ oidc.ConsentEvents          = (*Decider)(nil)
	_ consentweb.Challenges       = (*Challenges)(nil)
)

// NewProvider checks cfg and builds the consent side's adapter.
func NewProvider(cfg Config) (*Provider, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Store": cfg.Store != nil, "Clients": cfg.Clients != nil, "Keys": cfg.Keys != nil,
		"Accounts": cfg.Accounts != nil, "Registry": cfg.Registry != nil, "Documents": cfg.Documents != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("consentlink: missing %v", missing)
	}
	if len(cfg.PairwiseKey) < 32 {
		return nil, errors.New("consentlink: pairwise key must be at least 32 bytes")
	}
	if cfg.SignAlg == "" {
		cfg.SignAlg = oidc.ES256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Provider{cfg: cfg, subjects: oidc.NewSubjects(cfg.PairwiseKey)}, nil
}

// RevokeClientTokens implements consent.TokenRevoker.
func (l *Provider) RevokeClientTokens(ctx context.Context, accountID, clientID string) error {
	n, err := l.cfg.Store.RevokeClientTokens(ctx, accountID, clientID)
	if err != nil {
		return fmt.Errorf("consentlink: %w", err)
	}
	l.cfg.Logger.InfoContext(ctx, "client tokens revoked", "client_id", clientID, "removed", n)
	return nil
}

// Sign implements consent.Signer with the key ID tokens are signed with now.
func (l *Provider) Sign(_ context.Context, claims map[string]any, typ string) (string, error) {
	return l.cfg.Keys.SignType(l.cfg.SignAlg, typ, claims)
}

func (l *Provider) client(ctx context.Context, id string) (oidc.Client, error) {
	c, err := l.cfg.Clients.LoadClient(ctx, id)
	if err != nil {
		return oidc.Client{}, fmt.Errorf("consentlink: client %q: %w", id, err)
	}
	return c, nil
}

// Client implements consent/web.Clients.
func (l *Provider) Client(ctx context.Context, id string) (consent.Client, error) {
	c, err := l.client(ctx, id)
	if err != nil {
		return consent.Client{}, err
	}
	return consentClient(c), nil
}

func consentClient(c oidc.Client) consent.Client {
	return consent.Client{
		ID: c.ID, Name: c.Name.VI, NameEN: c.Name.EN, LogoURI: c.LogoURL, Kind: string(c.Kind),
		Purpose: c.Purpose.VI, PurposeEN: c.Purpose.EN, PurposeVersion: strconv.Itoa(c.PurposeVersion),
	}
}

// BackchannelLogout implements backchannel.Clients.
func (l *Provider) BackchannelLogout(ctx context.Context, id string) (backchannel.Endpoint, error) {
	c, err := l.client(ctx, id)
	if err != nil {
		return backchannel.Endpoint{}, err
	}
	return backchannel.Endpoint{URI: c.BackchannelLogoutURI}, nil
}

// Subject implements consent/web.Subjects and backchannel.Subjects: the sub
// of the client's ID tokens (pairwise unless registered public).
func (l *Provider) Subject(ctx context.Context, accountID, clientID string) (string, error) {
	c, err := l.client(ctx, clientID)
	if err != nil {
		return "", err
	}
	return l.subjects.For(&c, accountID), nil
}

// Decider is what the provider needs of the consent service.
type Decider struct{ svc *consent.Service }

// NewDecider builds the provider's consent decider on the consent service.
func NewDecider(svc *consent.Service) (*Decider, error) {
	if svc == nil {
		return nil, errors.New("consentlink: a consent service is required")
	}
	return &Decider{svc: svc}, nil
}

// Decide implements oidc.ConsentDecider with consent.Service.Decide: the
// purpose version is the client's current one; prompt=none that would need
// the screen comes back as NeedsPrompt, which the provider answers with
// consent_required.
func (d *Decider) Decide(ctx context.Context, r oidc.ConsentRequest) (oidc.ConsentDecision, error) {
	prompt := ""
	switch {
	case r.PromptNone:
		prompt = "none"
	case r.Prompt:
		prompt = "consent"
	}
	dec, err := d.svc.Decide(ctx, consent.Request{
		AccountID: r.AccountID, ClientID: r.Client.ID, Scopes: r.Scopes, Claims: r.Claims,
		PurposeVersion: strconv.Itoa(r.Client.PurposeVersion), Prompt: prompt,
	})
	if errors.Is(err, consent.ErrConsentRequired) {
		return oidc.ConsentDecision{NeedsPrompt: true, Reason: string(dec.Reason)}, nil
	}
	if err != nil {
		return oidc.ConsentDecision{}, fmt.Errorf("consentlink: %w", err)
	}
	return oidc.ConsentDecision{Scopes: dec.Scopes, Claims: dec.Claims, NeedsPrompt: dec.NeedsScreen, Reason: string(dec.Reason)}, nil
}

// ConsentUsed implements oidc.ConsentEvents. A client without a recorded
// consent (a first-party one under AutoConsent) is not an error.
func (d *Decider) ConsentUsed(ctx context.Context, accountID, clientID string) error {
	if err := d.svc.TouchLastUsed(ctx, accountID, clientID); err != nil && !errors.Is(err, consent.ErrNotFound) {
		return fmt.Errorf("consentlink: touch last use: %w", err)
	}
	return nil
}

// SignedOut implements oidc.ConsentEvents: back-channel logout of the
// session's relying parties.
func (d *Decider) SignedOut(ctx context.Context, accountID, sid string) error {
	return d.svc.EndSessions(ctx, accountID, sid, consent.LogoutSignedOut)
}

// Challenges is consent/web's view of the authorization requests the
// provider parked for the consent screen.
type Challenges struct {
	p       *oidc.Provider
	clients *Provider
}

// NewChallenges builds it on the provider, with the clients adapter for the
// screen's display details.
func NewChallenges(p *oidc.Provider, clients *Provider) (*Challenges, error) {
	if p == nil || clients == nil {
		return nil, errors.New("consentlink: a provider and its consent-side adapter are required")
	}
	return &Challenges{p: p, clients: clients}, nil
}

func unknown(err error) error {
	if errors.Is(err, oidc.ErrUnknownChallenge) {
		return fmt.Errorf("%w: %w", consentweb.ErrUnknownChallenge, err)
	}
	return err
}

// Get implements consent/web.Challenges.
func (c *Challenges) Get(ctx context.Context, id string) (consentweb.Pending, error) {
	ch, err := c.p.Challenge(ctx, id)
	if err != nil {
		return consentweb.Pending{}, unknown(err)
	}
	cl, err := c.clients.client(ctx, ch.ClientID)
	if err != nil {
		return consentweb.Pending{}, err
	}
	pending := consentweb.Pending{
		AccountID: ch.AccountID, Client: consentClient(cl), Scopes: ch.Scopes, Claims: ch.Claims,
		Essential: ch.Essential, ACR: ch.ACR, UILocales: ch.UILocales, Reason: consent.Reason(ch.Reason),
	}
	if ch.ActingFor != "" {
		d, err := c.p.Authority(ctx, ch.AccountID, ch.ActingFor)
		switch {
		case errors.Is(err, oidc.ErrNoAuthority):
			// The authority ended while the request waited: the screen
			// must not show the dependent's data any more, and the relying
			// party gets access_denied.
			return consentweb.Pending{AccountID: ch.AccountID}, fmt.Errorf("%w: %w", consentweb.ErrEnded, err)
		case err != nil:
			return consentweb.Pending{}, err
		}
		pending.ActingFor, pending.ActingForName = d.ID, d.Name
	}
	return pending, nil
}

// Begin implements consent/web.Challenges.
func (c *Challenges) Begin(ctx context.Context, id string) error {
	_, err := c.p.BeginChallenge(ctx, id)
	return unknown(err)
}

// Complete implements consent/web.Challenges: the answer is kept on the
// challenge and the browser goes back to the authorization flow, which
// answers the relying party.
func (c *Challenges) Complete(ctx context.Context, id string, o consentweb.Outcome) (string, error) {
	err := c.p.AnswerChallenge(ctx, id, oidc.ChallengeAnswer{Approved: o.Approved, Scopes: o.Scopes, Claims: o.Claims})
	if err != nil {
		return "", unknown(err)
	}
	return oidc.ResumeURL(id), nil
}
