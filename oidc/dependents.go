package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// ScopeActForDependent is the scope a relying party registered to accept
// dependents (Client.AcceptDependents) asks for when a guardian may sign in
// for a child under 14 or a ward: after sign-in the guardian chooses
// "myself" or one of the dependents. It releases no claim of its own.
const ScopeActForDependent = "act_for_dependent"

// ActSelf is the guardian's choice to act as themselves.
const ActSelf = "self"

// Dependent is a person a guardian may act for: a child under 14 or a
// ward, with an identity but no sign-in of its own.
type Dependent struct {
	// ID is the dependent's opaque id, the key of its subject and of its
	// consent records (never the personal identification number).
	ID string
	// PersonalID keys its attributes in the registries.
	PersonalID string
	Name       string
	// Relation is child or ward.
	Relation string
}

// ErrNoAuthority: the guardian may not act for the dependent now (none
// registered, the child turned 14, the guardianship ended).
var ErrNoAuthority = errors.New("oidc: no authority over the dependent")

// Dependents is what the provider needs of the guardianship registry.
type Dependents interface {
	// ActingFor lists the dependents guardianAccountID may act for now.
	ActingFor(ctx context.Context, guardianAccountID string) ([]Dependent, error)
	// Authority returns the dependent if guardianAccountID may act for it
	// now; ErrNoAuthority (wrapped) otherwise.
	Authority(ctx context.Context, guardianAccountID, dependentID string) (Dependent, error)
}

// ActClaim is the act claim of a token issued to a guardian acting for a
// dependent (RFC 8693 §4.1): the actor is the guardian, named by the
// guardian's own subject at the same client (pairwise in the same sector).
type ActClaim struct {
	Sub string `json:"sub"`
}

// actsFor reports whether the request asks to let the guardian choose.
func actsFor(req *AuthorizeRequest) bool {
	return req.Fosite.GetRequestedScopes().Has(ScopeActForDependent)
}

// checkActFor refuses the act_for_dependent scope from a client not
// registered for it, before any page is shown (authorization endpoint and
// PAR alike).
func checkActFor(c *Client, scopes fosite.Arguments) error {
	if scopes.Has(ScopeActForDependent) && !c.AcceptDependents {
		return fosite.ErrInvalidScope.WithHint("This client is not registered to act for dependents (accept_dependents).")
	}
	return nil
}

// DependentChoices lists the dependents the signed-in guardian may act for
// now, for the choice page. Without a guardianship registry there are none.
func (p *Provider) DependentChoices(ctx context.Context, guardianAccountID string) ([]Dependent, error) {
	if p.dependents == nil {
		return nil, nil
	}
	ds, err := p.dependents.ActingFor(ctx, guardianAccountID)
	if err != nil {
		return nil, fmt.Errorf("oidc: dependents: %w", err)
	}
	return ds, nil
}

// Authority returns the dependent if the guardian may act for it now;
// ErrNoAuthority (wrapped) otherwise.
func (p *Provider) Authority(ctx context.Context, guardianAccountID, dependentID string) (Dependent, error) {
	return p.authority(ctx, guardianAccountID, dependentID)
}

// authority checks that the guardian may act for the dependent now.
func (p *Provider) authority(ctx context.Context, guardianAccountID, dependentID string) (Dependent, error) {
	if p.dependents == nil {
		return Dependent{}, ErrNoAuthority
	}
	d, err := p.dependents.Authority(ctx, guardianAccountID, dependentID)
	if err != nil {
		return Dependent{}, fmt.Errorf("oidc: authority: %w", err)
	}
	return d, nil
}

// actFor turns a grant session of the guardian into one acting for the
// dependent: sub is the dependent's subject at the client (same sector
// rules), act names the guardian's own subject there (RFC 8693 §4.1); acr,
// amr and auth_time stay the guardian's sign-in.
func (p *Provider) actFor(s *Session, c *Client, dependentID string) {
	sub := p.Subjects.For(c, dependentID)
	s.DependentID = dependentID
	s.Subject = sub
	s.Claims.Subject = sub
	s.Claims.Extra["act"] = map[string]any{"sub": p.Subjects.For(c, s.AccountID)}
}

// Act is the act claim of a session acting for a dependent, nil otherwise.
func (s *Session) Act() map[string]any {
	if s.DependentID == "" || s.DefaultSession == nil || s.Claims == nil {
		return nil
	}
	act, _ := s.Claims.Extra["act"].(map[string]any)
	return act
}

// holder is whose attributes a session releases: the account's, or the
// dependent's when the guardian acts for one. The guardian's account must be
// usable and, when acting, the guardian's authority live: ErrNoAuthority
// otherwise.
func (p *Provider) holder(ctx context.Context, sess *Session, acct accounts.Account) (personalID string, err error) {
	if sess.DependentID == "" {
		return acct.PersonalID, nil
	}
	d, err := p.authority(ctx, sess.AccountID, sess.DependentID)
	if err != nil {
		return "", err
	}
	return d.PersonalID, nil
}

// releaseFor reads the named claims of the session's holder at the session's
// level (never above the guardian's account level).
func (p *Provider) releaseFor(ctx context.Context, sess *Session, acct accounts.Account, names []string) (map[string]any, []string, error) {
	pid, err := p.holder(ctx, sess, acct)
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return map[string]any{}, nil, nil
	}
	return attributes.Release(ctx, p.Registry, p.Documents, pid, min(sess.Level, acct.Level), names)
}

// recordActing writes the event in the dependent's history too: the
// guardian's row (e) names the dependent, the dependent's names the
// guardian, so that both histories show the use.
func (p *Provider) recordActing(ctx context.Context, e audit.Event, sess *Session) error {
	if sess == nil || sess.DependentID == "" {
		return p.Record(ctx, e)
	}
	g := e
	g.Detail = withDetail(e.Detail, "acting_for", sess.DependentID)
	if err := p.Record(ctx, g); err != nil {
		return err
	}
	d := e
	d.AccountID = sess.DependentID
	d.Detail = withDetail(e.Detail, "guardian", sess.AccountID)
	return p.Record(ctx, d)
}

func withDetail(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}

// dropActScope leaves the act_for_dependent scope out of a list: it asks
// for the choice, it is not something a citizen consents to.
func dropActScope(scopes []string) []string {
	return slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return s == ScopeActForDependent })
}

// holderID is whose consent the session uses: the dependent's when acting
// for one, else the account's.
func (s *Session) holderID() string {
	if s.DependentID != "" {
		return s.DependentID
	}
	return s.AccountID
}
