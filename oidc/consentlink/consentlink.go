package consentlink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcweb "github.com/dinhdanh/dinhdanh/oidc/web"
)

// Config builds a Link.
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
	// Consent is the consent service. It needs this Link (TokenRevoker,
	// Signer) to be built, so it may be left nil here and set with
	// SetConsent before the server starts.
	Consent *consent.Service
	// SignAlg signs receipts and logout tokens; ES256 when empty.
	SignAlg string
	Logger  *slog.Logger
}

// Link is the bridge. Its methods implement the interfaces listed in the
// package documentation; the typed accessors return it as each of them.
type Link struct {
	cfg      Config
	subjects *oidc.Subjects
	consent  atomic.Pointer[consent.Service]
}

// Compile-time checks of every interface the Link implements.
var (
	_ oidc.ConsentDecider     = (*Link)(nil)
	_ oidc.ConsentEvents      = (*Link)(nil)
	_ consent.TokenRevoker    = (*Link)(nil)
	_ consent.Signer          = (*Link)(nil)
	_ consentweb.ValuePreview = (*Link)(nil)
	_ consentweb.Clients      = (*Link)(nil)
	_ consentweb.Subjects     = (*Link)(nil)
	_ backchannel.Clients     = (*Link)(nil)
	_ backchannel.Subjects    = (*Link)(nil)
	_ consentweb.Challenges   = (*challenges)(nil)
)

// New checks cfg and builds the link.
func New(cfg Config) (*Link, error) {
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
	l := &Link{cfg: cfg, subjects: oidc.NewSubjects(cfg.PairwiseKey)}
	if cfg.Consent != nil {
		l.consent.Store(cfg.Consent)
	}
	return l, nil
}

// SetConsent sets the consent service (once it is built with this Link as
// its TokenRevoker and Signer).
func (l *Link) SetConsent(s *consent.Service) { l.consent.Store(s) }

func (l *Link) service() (*consent.Service, error) {
	s := l.consent.Load()
	if s == nil {
		return nil, errors.New("consentlink: consent service not set")
	}
	return s, nil
}

// Decider returns the link as oidc's consent decider (for oidc.Config.Consent).
func (l *Link) Decider() oidc.ConsentDecider { return l }

// TokenRevoker returns the link as consent's token revoker.
func (l *Link) TokenRevoker() consent.TokenRevoker { return l }

// Signer returns the link as consent's (and backchannel's) signer.
func (l *Link) Signer() consent.Signer { return l }

// ValuePreview returns the link as consent/web's value preview.
func (l *Link) ValuePreview() consentweb.ValuePreview { return l }

// WebClients returns the link as consent/web's client registry.
func (l *Link) WebClients() consentweb.Clients { return l }

// BackchannelClients returns the link as backchannel's client registry.
func (l *Link) BackchannelClients() backchannel.Clients { return l }

// Subjects returns the link as the subject service of consent/web and
// backchannel (the two interfaces are the same method).
func (l *Link) Subjects() consentweb.Subjects { return l }

// Decide implements oidc.ConsentDecider with consent.Service.Decide: the
// purpose version is the client's current one; prompt=none that would need
// the screen comes back as NeedsPrompt, which the authorize handler answers
// with consent_required.
func (l *Link) Decide(ctx context.Context, r oidc.ConsentRequest) (oidc.ConsentDecision, error) {
	svc, err := l.service()
	if err != nil {
		return oidc.ConsentDecision{}, err
	}
	prompt := ""
	switch {
	case r.PromptNone:
		prompt = "none"
	case r.Prompt:
		prompt = "consent"
	}
	d, err := svc.Decide(ctx, consent.Request{
		AccountID: r.AccountID, ClientID: r.Client.ID, Scopes: r.Scopes, Claims: r.Claims,
		PurposeVersion: strconv.Itoa(r.Client.PurposeVersion), Prompt: prompt,
	})
	if errors.Is(err, consent.ErrConsentRequired) {
		return oidc.ConsentDecision{NeedsPrompt: true, Reason: string(d.Reason)}, nil
	}
	if err != nil {
		return oidc.ConsentDecision{}, fmt.Errorf("consentlink: %w", err)
	}
	return oidc.ConsentDecision{Scopes: d.Scopes, Claims: d.Claims, NeedsPrompt: d.NeedsScreen, Reason: string(d.Reason)}, nil
}

// ConsentUsed implements oidc.ConsentEvents. A client without a recorded
// consent (a first-party one under AutoConsent) is not an error.
func (l *Link) ConsentUsed(ctx context.Context, accountID, clientID string) error {
	svc, err := l.service()
	if err != nil {
		return err
	}
	if err := svc.TouchLastUsed(ctx, accountID, clientID); err != nil && !errors.Is(err, consent.ErrNotFound) {
		return fmt.Errorf("consentlink: touch last use: %w", err)
	}
	return nil
}

// SignedOut implements oidc.ConsentEvents: back-channel logout of the
// session's relying parties.
func (l *Link) SignedOut(ctx context.Context, accountID, sid string) error {
	svc, err := l.service()
	if err != nil {
		return err
	}
	return svc.EndSessions(ctx, accountID, sid, consent.LogoutSignedOut)
}

// RevokeClientTokens implements consent.TokenRevoker.
func (l *Link) RevokeClientTokens(ctx context.Context, accountID, clientID string) error {
	n, err := l.cfg.Store.RevokeClientTokens(ctx, accountID, clientID)
	if err != nil {
		return fmt.Errorf("consentlink: %w", err)
	}
	l.cfg.Logger.InfoContext(ctx, "client tokens revoked", "client_id", clientID, "removed", n)
	return nil
}

// Sign implements consent.Signer with the key ID tokens are signed with now.
func (l *Link) Sign(_ context.Context, claims map[string]any, typ string) (string, error) {
	return l.cfg.Keys.SignType(l.cfg.SignAlg, typ, claims)
}

func (l *Link) client(ctx context.Context, id string) (oidc.Client, error) {
	c, err := l.cfg.Clients.LoadClient(ctx, id)
	if err != nil {
		return oidc.Client{}, fmt.Errorf("consentlink: client %q: %w", id, err)
	}
	return c, nil
}

// Client implements consent/web.Clients.
func (l *Link) Client(ctx context.Context, id string) (consent.Client, error) {
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
func (l *Link) BackchannelLogout(ctx context.Context, id string) (backchannel.Endpoint, error) {
	c, err := l.client(ctx, id)
	if err != nil {
		return backchannel.Endpoint{}, err
	}
	return backchannel.Endpoint{URI: c.BackchannelLogoutURI}, nil
}

// Subject implements consent/web.Subjects and backchannel.Subjects: the sub
// of the client's ID tokens (pairwise unless registered public).
func (l *Link) Subject(ctx context.Context, accountID, clientID string) (string, error) {
	c, err := l.client(ctx, clientID)
	if err != nil {
		return "", err
	}
	return l.subjects.For(&c, accountID), nil
}

// Challenges returns consent/web's view of the parked authorization
// requests of the provider's handler h.
func (l *Link) Challenges(h *oidcweb.Handler) consentweb.Challenges { return &challenges{l: l, h: h} }

type challenges struct {
	l *Link
	h *oidcweb.Handler
}

func unknown(err error) error {
	if errors.Is(err, oidcweb.ErrUnknownChallenge) {
		return fmt.Errorf("%w: %w", consentweb.ErrUnknownChallenge, err)
	}
	return err
}

// Get implements consent/web.Challenges.
func (c *challenges) Get(ctx context.Context, id string) (consentweb.Pending, error) {
	ch, err := c.h.Challenge(ctx, id)
	if err != nil {
		return consentweb.Pending{}, unknown(err)
	}
	cl, err := c.l.client(ctx, ch.ClientID)
	if err != nil {
		return consentweb.Pending{}, err
	}
	return consentweb.Pending{
		AccountID: ch.AccountID, Client: consentClient(cl), Scopes: ch.Scopes, Claims: ch.Claims,
		Essential: ch.Essential, ACR: ch.ACR, UILocales: ch.UILocales, Reason: consent.Reason(ch.Reason),
	}, nil
}

// Begin implements consent/web.Challenges.
func (c *challenges) Begin(ctx context.Context, id string) error {
	_, err := c.h.BeginChallenge(ctx, id)
	return unknown(err)
}

// Complete implements consent/web.Challenges.
func (c *challenges) Complete(ctx context.Context, id string, o consentweb.Outcome) (string, error) {
	u, err := c.h.CompleteChallenge(ctx, id, o.Approved, o.Scopes, o.Claims)
	return u, unknown(err)
}
