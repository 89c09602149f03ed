package guardianship

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// ForOIDC adapts the service to what the provider needs to let a guardian
// act for a dependent at a relying party (oidc.Dependents). The gateway
// wires it; the provider's tests use it on the real service too.
type ForOIDC struct{ Service *Service }

var _ oidc.Dependents = ForOIDC{}

func dependentForOIDC(d Dependent) oidc.Dependent {
	return oidc.Dependent{ID: d.ID, PersonalID: d.PersonalID, Name: d.FullName, Relation: d.Relation}
}

// ActingFor implements oidc.Dependents.
func (a ForOIDC) ActingFor(ctx context.Context, guardianAccountID string) ([]oidc.Dependent, error) {
	ds, err := a.Service.ActingFor(ctx, guardianAccountID)
	if err != nil {
		return nil, err
	}
	out := make([]oidc.Dependent, 0, len(ds))
	for _, d := range ds {
		out = append(out, dependentForOIDC(d))
	}
	return out, nil
}

// Authority implements oidc.Dependents: ErrNoAuthority becomes
// oidc.ErrNoAuthority (both wrapped).
func (a ForOIDC) Authority(ctx context.Context, guardianAccountID, dependentID string) (oidc.Dependent, error) {
	d, err := a.Service.Authority(ctx, guardianAccountID, dependentID)
	if errors.Is(err, ErrNoAuthority) {
		return oidc.Dependent{}, fmt.Errorf("%w: %w", oidc.ErrNoAuthority, err)
	}
	if err != nil {
		return oidc.Dependent{}, err
	}
	return dependentForOIDC(d), nil
}
