package consentlink

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Preview implements consent/web.ValuePreview: the citizen's values of the
// claims the scopes and claims would release, read through the release
// policy (attributes.Release, which cannot reach biometric data) at the
// account's level, unformatted: the page formats them in its language. A claim the registries hold no
// value for is left out (the screen still names it).
func (l *Provider) Preview(ctx context.Context, accountID string, scopes, claims []string) ([]consentweb.Item, error) {
	a, err := l.cfg.Accounts.Get(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview: load account: %w", err)
	}
	return l.preview(ctx, a.PersonalID, a.Level, scopes, claims)
}

// PreviewDependent implements consent/web.DependentPreview: the values of
// the dependent the guardian signs in for (authority checked by the
// provider), at the guardian's account level.
func (c *Challenges) PreviewDependent(ctx context.Context, guardianAccountID, dependentID string, scopes, claims []string) ([]consentweb.Item, error) {
	g, err := c.clients.cfg.Accounts.Get(ctx, guardianAccountID)
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview: load account: %w", err)
	}
	d, err := c.p.Authority(ctx, guardianAccountID, dependentID)
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview dependent: %w", err)
	}
	return c.clients.preview(ctx, d.PersonalID, g.Level, scopes, claims)
}

func (l *Provider) preview(ctx context.Context, personalID string, level assurance.Level, scopes, claims []string) ([]consentweb.Item, error) {
	names := attributes.DisplayOrder(attributes.ClaimsFor(scopes, claims))
	vals, _, err := attributes.Release(ctx, l.cfg.Registry, l.cfg.Documents, personalID, level, names)
	if errors.Is(err, attributes.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview: %w", err)
	}
	var out []consentweb.Item
	for _, n := range names {
		v, ok := vals[n]
		if !ok {
			continue
		}
		// What has nothing to show (no documents of a kind, an unverified
		// phone) is left out, as a missing value.
		if templates.ClaimValue(templates.VI, n, v) != "" {
			out = append(out, consentweb.Item{Claim: n, Value: v})
		}
	}
	return out, nil
}
