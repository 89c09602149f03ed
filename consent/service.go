package consent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// DefaultTTL is how long a consent lasts unless configured otherwise: 12
// months, after which the consent screen is shown again.
const DefaultTTL = 365 * 24 * time.Hour

// TokenRevoker ends the access and refresh tokens a client holds for a
// citizen, at once. The OIDC token store implements it (for instance by
// bumping a per-citizen-and-client generation that token validation checks).
type TokenRevoker interface {
	RevokeClientTokens(ctx context.Context, accountID, clientID string) error
}

// LogoutReason says why a relying party is told that a session ended.
type LogoutReason string

// Logout reasons.
const (
	LogoutConsentRevoked LogoutReason = "consent_revoked"
	LogoutSignedOut      LogoutReason = "signed_out"
	LogoutAccountLocked  LogoutReason = "account_locked"
)

// Logout asks that one relying party be told, through OpenID Connect
// Back-Channel Logout 1.0, that a citizen's session with it ended.
type Logout struct {
	AccountID string
	ClientID  string
	// SID is the sign-in session id (the sid claim of the ID tokens issued
	// in it), empty when every session of the citizen ends.
	SID    string
	Reason LogoutReason
}

// LogoutNotifier queues back-channel logout notifications. It records the
// notification durably and returns; delivery and retries happen later. A
// client without a registered backchannel_logout_uri is silently skipped.
type LogoutNotifier interface {
	NotifyLogout(ctx context.Context, l Logout) error
}

// Config builds a Service.
type Config struct {
	Store Store
	// Audit records every grant, refusal, revocation and receipt download;
	// when it fails, the action fails.
	Audit audit.Recorder
	// Tokens ends a client's tokens when its consent is revoked.
	Tokens TokenRevoker
	// Logout, when set, is told to notify relying parties (revocation, sign
	// out, account lock).
	Logout LogoutNotifier
	// Signer signs consent receipts; without it Receipt fails.
	Signer Signer
	// Issuer is the gateway's issuer URL, the iss of receipts.
	Issuer string
	// TTL is how long a consent lasts; DefaultTTL when zero.
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NewID makes receipt ids; random UUIDs when nil.
	NewID func() string
	// Connected, when set, is told after a grant commits that had no
	// consent in force before it (a service newly connected): the top floor
	// tells the citizen.
	Connected ConnectedNotifier
}

// ConnectedNotifier is told of a relying party newly connected to an
// account: the first consent, or a new one after a revocation or an
// expiry. Renewals and widenings of a consent in force are not told. Its
// error is not the grant's: it logs its own.
type ConnectedNotifier interface {
	ServiceConnected(ctx context.Context, accountID, clientID string, claims int) error
}

// Service applies the consent rules.
type Service struct {
	store  Store
	audit  audit.Recorder
	tokens TokenRevoker
	logout LogoutNotifier
	signer Signer
	issuer string
	ttl    time.Duration
	now    func() time.Time
	newID  func() string

	connected ConnectedNotifier
}

// NewService checks cfg and builds the service.
func NewService(cfg Config) (*Service, error) {
	var missing []string
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if cfg.Audit == nil {
		missing = append(missing, "Audit")
	}
	if cfg.Tokens == nil {
		missing = append(missing, "Tokens")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("consent: new service: missing %s", strings.Join(missing, ", "))
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("consent: new service: negative TTL %s", cfg.TTL)
	}
	s := &Service{
		store: cfg.Store, audit: cfg.Audit, tokens: cfg.Tokens, logout: cfg.Logout,
		signer: cfg.Signer, issuer: cfg.Issuer, ttl: cfg.TTL, now: cfg.Now, newID: cfg.NewID,
		connected: cfg.Connected,
	}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	return s, nil
}

// Reason says why the consent screen is needed.
type Reason string

// Reasons for showing the consent screen.
const (
	// ReasonNone: the consent in force covers the request.
	ReasonNone Reason = ""
	// ReasonFirst: the citizen never granted this client anything.
	ReasonFirst Reason = "first"
	// ReasonRevoked: the citizen revoked the consent.
	ReasonRevoked Reason = "revoked"
	// ReasonExpired: the consent is older than its time to live.
	ReasonExpired Reason = "expired"
	// ReasonPurposeChanged: the client's stated purpose changed since.
	ReasonPurposeChanged Reason = "purpose_changed"
	// ReasonWidened: the client asks for more than was granted.
	ReasonWidened Reason = "widened"
	// ReasonForced: the client sent prompt=consent.
	ReasonForced Reason = "prompt_consent"
)

// Request is an authorization request as consent sees it.
type Request struct {
	AccountID string
	ClientID  string
	// Scopes requested.
	Scopes []string
	// Claims are every claim name the request would release: those the
	// scopes imply under the release policy plus those asked for one by one
	// (the claims parameter).
	Claims []string
	// PurposeVersion is the version of the purpose text the client has
	// registered now.
	PurposeVersion string
	// Prompt is the prompt parameter, space-separated (OpenID Connect Core
	// §3.1.2.1).
	Prompt string
}

// Decision is the outcome of Decide.
type Decision struct {
	// NeedsScreen says the consent screen must be shown; Scopes and Claims
	// are then empty.
	NeedsScreen bool
	Reason      Reason
	// Scopes and Claims are what the request may be granted without a
	// screen: the requested ones the consent in force covers (a scope the
	// citizen wholly declined is left out). Release only claims in Claims,
	// whatever the scopes would otherwise imply.
	Scopes []string
	Claims []string
	// Current is the consent in force or last in force, nil when none.
	Current *Grant
}

// Decide applies the consent rules to a request: the consent screen is
// needed when nothing was granted, the consent was revoked or expired, the
// purpose text changed, the request asks for more than was granted, or the
// client sent prompt=consent. With prompt=none a needed screen is an error,
// ErrConsentRequired (OpenID Connect Core §3.1.2.6), returned with the
// decision.
func (s *Service) Decide(ctx context.Context, r Request) (Decision, error) {
	if r.AccountID == "" || r.ClientID == "" {
		return Decision{}, fmt.Errorf("%w: account and client ids are required", ErrInvalid)
	}
	prompt := strings.Fields(r.Prompt)
	scopes, claims := normalize(r.Scopes), normalize(r.Claims)

	var d Decision
	g, err := s.store.Current(ctx, r.AccountID, r.ClientID)
	switch {
	case errors.Is(err, ErrNotFound):
		d.Reason = ReasonFirst
	case err != nil:
		return Decision{}, fmt.Errorf("consent: decide %s for %s: %w", r.ClientID, r.AccountID, err)
	default:
		d.Current = &g
		switch {
		case g.Status(s.now()) == StatusRevoked:
			d.Reason = ReasonRevoked
		case g.Status(s.now()) == StatusExpired:
			d.Reason = ReasonExpired
		case g.PurposeVersion != r.PurposeVersion:
			d.Reason = ReasonPurposeChanged
		case !scopesCovered(scopes, g) || !subset(claims, append(slices.Clone(g.Claims), g.Declined...)):
			d.Reason = ReasonWidened
		case slices.Contains(prompt, "consent"):
			d.Reason = ReasonForced
		}
	}
	if d.Reason != ReasonNone {
		d.NeedsScreen = true
		if slices.Contains(prompt, "none") {
			return d, fmt.Errorf("consent: %s for %s (%s): %w", r.ClientID, r.AccountID, d.Reason, ErrConsentRequired)
		}
		return d, nil
	}
	for _, sc := range scopes {
		if slices.Contains(g.Scopes, sc) {
			d.Scopes = append(d.Scopes, sc)
		}
	}
	for _, c := range claims {
		if slices.Contains(g.Claims, c) {
			d.Claims = append(d.Claims, c)
		}
	}
	return d, nil
}

// scopesCovered reports whether the grant answers every scope: granted, or
// asked about and wholly declined (some of its claims declined, none
// granted), so that a refused scope is neither released nor asked again.
func scopesCovered(scopes []string, g Grant) bool {
	for _, sc := range scopes {
		if slices.Contains(g.Scopes, sc) {
			continue
		}
		claims := attributes.ClaimsForScopes([]string{sc})
		declined := slices.ContainsFunc(claims, func(c string) bool { return slices.Contains(g.Declined, c) })
		granted := slices.ContainsFunc(claims, func(c string) bool { return slices.Contains(g.Claims, c) })
		if !declined || granted {
			return false
		}
	}
	return true
}

// Approval is what the citizen approved on the consent screen.
type Approval struct {
	AccountID string
	ClientID  string
	// Scopes approved: the requested ones, less any whose claims were all
	// declined.
	Scopes []string
	// Claims approved: the essential ones and the voluntary ones left ticked.
	Claims []string
	// Declined are the voluntary claims the citizen unticked.
	Declined       []string
	PurposeVersion string
	// ACR is the assurance level the client asked for (audit only).
	ACR string
	// By is who approved; the citizen (AccountID) when Kind is empty.
	By Actor
}

// Grant records an approval: it appends a grant replacing any earlier one,
// expiring after the configured time to live, and records the audit event
// before the grant becomes visible, so no grant in force goes unaudited.
func (s *Service) Grant(ctx context.Context, a Approval) (Grant, error) {
	by := citizenUnlessSet(a.By, a.AccountID)
	claims := normalize(a.Claims)
	declined := slices.DeleteFunc(normalize(a.Declined), func(c string) bool { return slices.Contains(claims, c) })
	now := s.now().UTC()
	c := Change{
		Kind: Granted, AccountID: a.AccountID, ClientID: a.ClientID, At: now, By: by,
		Scopes: normalize(a.Scopes), Claims: claims, Declined: declined,
		PurposeVersion: a.PurposeVersion, ExpiresAt: now.Add(s.ttl),
	}
	if err := c.Validate(); err != nil {
		return Grant{}, err
	}
	var isNew bool
	g, err := s.store.Update(ctx, a.AccountID, a.ClientID, func(cur Grant, found bool) (Change, error) {
		isNew = !found || cur.Status(now) != StatusActive
		detail := map[string]string{"purpose_version": a.PurposeVersion}
		if len(declined) > 0 {
			detail["declined_claims"] = strings.Join(declined, " ")
		}
		err := s.record(ctx, audit.Event{
			Type: audit.ConsentGranted, Outcome: audit.Success, AccountID: a.AccountID, ClientID: a.ClientID,
			Scopes: c.Scopes, Claims: c.Claims, ACR: a.ACR, Detail: detail,
		}, by)
		return c, err
	})
	if err != nil {
		return Grant{}, fmt.Errorf("consent: grant %s for %s: %w", a.ClientID, a.AccountID, err)
	}
	if isNew && s.connected != nil {
		// After the commit, on a context the caller cannot cancel: the
		// consent stands, and a notice that cannot be queued does not undo
		// it nor fail the sign-in (the notifier logs its own failures).
		_ = s.connected.ServiceConnected(context.WithoutCancel(ctx), a.AccountID, a.ClientID, len(claims))
	}
	return g, nil
}

// Refusal is a consent screen the citizen refused. Nothing is stored: the
// consent in force, if any, stays as it was.
type Refusal struct {
	AccountID      string
	ClientID       string
	Scopes         []string
	Claims         []string
	PurposeVersion string
	ACR            string
	By             Actor
}

// Refuse records a refusal in the audit log. The caller then answers the
// client with access_denied (RFC 6749 §4.1.2.1).
func (s *Service) Refuse(ctx context.Context, r Refusal) error {
	if r.AccountID == "" || r.ClientID == "" {
		return fmt.Errorf("%w: account and client ids are required", ErrInvalid)
	}
	err := s.record(ctx, audit.Event{
		Type: audit.ConsentRefused, Outcome: audit.Denied, AccountID: r.AccountID, ClientID: r.ClientID,
		Scopes: normalize(r.Scopes), Claims: normalize(r.Claims), ACR: r.ACR, Reason: "access_denied",
		Detail: map[string]string{"purpose_version": r.PurposeVersion},
	}, citizenUnlessSet(r.By, r.AccountID))
	if err != nil {
		return fmt.Errorf("consent: refuse %s for %s: %w", r.ClientID, r.AccountID, err)
	}
	return nil
}

// Revoke ends the consent of accountID to clientID: it appends the
// revocation (audited before it commits), then ends the client's tokens for
// the citizen and queues a back-channel logout. Revoking an already revoked
// consent appends nothing but still ends the tokens, so a revocation whose
// token step failed can simply be repeated. ErrNotFound if nothing was ever
// granted.
func (s *Service) Revoke(ctx context.Context, accountID, clientID string, by Actor) error {
	by = citizenUnlessSet(by, accountID)
	_, err := s.store.Update(ctx, accountID, clientID, func(cur Grant, found bool) (Change, error) {
		c := Change{Kind: Revoked, AccountID: accountID, ClientID: clientID, At: s.now().UTC(), By: by}
		if err := CheckAppend(cur, found, c); err != nil {
			return Change{}, err
		}
		return c, s.record(ctx, audit.Event{
			Type: audit.ConsentRevoked, Outcome: audit.Success, AccountID: accountID, ClientID: clientID,
			Scopes: cur.Scopes, Claims: cur.Claims,
		}, by)
	})
	already := errors.Is(err, ErrRevoked)
	if err != nil && !already {
		return fmt.Errorf("consent: revoke %s for %s: %w", clientID, accountID, err)
	}
	if err := s.tokens.RevokeClientTokens(ctx, accountID, clientID); err != nil {
		return fmt.Errorf("consent: revoked %s for %s but ending its tokens failed: %w", clientID, accountID, err)
	}
	if already || s.logout == nil {
		return nil
	}
	if err := s.logout.NotifyLogout(ctx, Logout{AccountID: accountID, ClientID: clientID, Reason: LogoutConsentRevoked}); err != nil {
		return fmt.Errorf("consent: revoked %s for %s but queueing back-channel logout failed: %w", clientID, accountID, err)
	}
	return nil
}

// EndSessions queues a back-channel logout to every client the citizen has
// a consent with that is not revoked: on sign-out (with the session's sid)
// and when the account is locked (sid empty). It does nothing without a
// LogoutNotifier.
func (s *Service) EndSessions(ctx context.Context, accountID, sid string, reason LogoutReason) error {
	if s.logout == nil {
		return nil
	}
	grants, err := s.store.ListForAccount(ctx, accountID)
	if err != nil {
		return fmt.Errorf("consent: end sessions of %s: %w", accountID, err)
	}
	var errs []error
	for _, g := range grants {
		if !g.RevokedAt.IsZero() {
			continue
		}
		if err := s.logout.NotifyLogout(ctx, Logout{AccountID: accountID, ClientID: g.ClientID, SID: sid, Reason: reason}); err != nil {
			errs = append(errs, fmt.Errorf("consent: queue logout of %s for %s: %w", g.ClientID, accountID, err))
		}
	}
	return errors.Join(errs...)
}

// Current returns the consent of accountID to clientID as it stands.
func (s *Service) Current(ctx context.Context, accountID, clientID string) (Grant, error) {
	return s.store.Current(ctx, accountID, clientID)
}

// Connections returns every consent the citizen ever gave, most recent
// first, revoked and expired ones included (Grant.Status tells them apart).
func (s *Service) Connections(ctx context.Context, accountID string) ([]Grant, error) {
	return s.store.ListForAccount(ctx, accountID)
}

// TouchLastUsed marks that clientID used its consent now (token issued or
// refreshed, userinfo read); the account page shows it as last use.
func (s *Service) TouchLastUsed(ctx context.Context, accountID, clientID string) error {
	return s.store.TouchLastUsed(ctx, accountID, clientID, s.now().UTC())
}

// Now returns the service's clock reading in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

func (s *Service) record(ctx context.Context, e audit.Event, by Actor) error {
	e.Time = s.now().UTC()
	e.ActorKind, e.ActorID = by.Kind, by.ID
	e.IP, e.UserAgent, e.RequestID = by.IP, by.UserAgent, by.RequestID
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("consent: audit %s: %w", e.Type, err)
	}
	return nil
}

func citizenUnlessSet(by Actor, accountID string) Actor {
	if by.Kind == "" {
		by.Kind, by.ID = audit.Citizen, accountID
	}
	return by
}
