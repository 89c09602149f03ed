package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// KindInsurer is an insurance company.
const KindInsurer Kind = "insurer"

// Kinds are the relying-party kinds, in display order.
func Kinds() []Kind { return []Kind{KindPublicService, KindBank, KindInsurer, KindOther} }

// DocumentScopes are the scopes that release a citizen's documents: the
// scopes the kind policy governs. Every other scope is allowed to every kind.
func DocumentScopes() []string {
	return []string{
		attributes.ScopeDrivingLicence, attributes.ScopeVehicleRegistration,
		attributes.ScopeHealthInsurance, attributes.ScopeSocialInsurance,
	}
}

// DocumentScope reports a scope the kind policy governs.
func DocumentScope(scope string) bool { return slices.Contains(DocumentScopes(), scope) }

// KindPolicy says which document scopes each relying-party kind may have.
// A kind or scope it does not name is refused.
type KindPolicy map[Kind][]string

// DefaultKindPolicy is the policy before an operator changes it:
//   - public services: every document;
//   - banks: driving licence and vehicle registration (identity and
//     collateral for a loan);
//   - insurers: health and social insurance, and vehicle registration
//     (motor insurance);
//   - other: no document.
func DefaultKindPolicy() KindPolicy {
	return KindPolicy{
		KindPublicService: DocumentScopes(),
		KindBank:          {attributes.ScopeDrivingLicence, attributes.ScopeVehicleRegistration},
		KindInsurer:       {attributes.ScopeHealthInsurance, attributes.ScopeSocialInsurance, attributes.ScopeVehicleRegistration},
		KindOther:         {},
	}
}

// Allows reports whether a client of kind may have scope: always for a
// scope that releases no document.
func (p KindPolicy) Allows(kind Kind, scope string) bool {
	if !DocumentScope(scope) {
		return true
	}
	return slices.Contains(p[kind], scope)
}

// Forbidden lists the scopes of scopes kind may not have, in order.
func (p KindPolicy) Forbidden(kind Kind, scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if !p.Allows(kind, s) {
			out = append(out, s)
		}
	}
	return out
}

// Restrict removes from c the document scopes its kind may not have now:
// what the authorization, PAR, refresh and token-exchange endpoints see, so
// that a policy tightened after registration applies at the next request.
func (p KindPolicy) Restrict(c *Client) {
	c.PolicyRefused = p.Forbidden(c.Kind, c.Scopes)
	if len(c.PolicyRefused) == 0 {
		return
	}
	c.Scopes = slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return !p.Allows(c.Kind, s) })
}

// Check refuses a registration with a scope its kind may not have.
func (p KindPolicy) Check(c *Client) error {
	bad := p.Forbidden(c.Kind, c.Scopes)
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: a client of kind %s may not have scope %s (kind policy: dinhdanh policy show)",
		ErrInvalidClient, c.Kind, strings.Join(bad, ", "))
}

// KindRule is one operator's setting of the policy.
type KindRule struct {
	Kind    Kind
	Scope   string
	Allowed bool
}

// KindPolicyStore keeps the operators' settings; a kind and scope never set
// follows DefaultKindPolicy.
type KindPolicyStore interface {
	// KindRules returns every setting made.
	KindRules(ctx context.Context) ([]KindRule, error)
	// SetKindRule records one setting.
	SetKindRule(ctx context.Context, r KindRule) error
}

// BuildKindPolicy is the default policy with the settings applied.
func BuildKindPolicy(rules []KindRule) KindPolicy {
	p := DefaultKindPolicy()
	for _, r := range rules {
		cur := slices.DeleteFunc(slices.Clone(p[r.Kind]), func(s string) bool { return s == r.Scope })
		if r.Allowed {
			cur = append(cur, r.Scope)
		}
		// Kept in the order of DocumentScopes.
		p[r.Kind] = slices.DeleteFunc(DocumentScopes(), func(s string) bool { return !slices.Contains(cur, s) })
	}
	return p
}

// ErrInvalidRule is a policy setting that names no kind or document scope.
var ErrInvalidRule = errors.New("oidc: invalid kind policy rule")

// KindPolicy returns the policy in force.
func (s *Clients) KindPolicy(ctx context.Context) (KindPolicy, error) {
	ps, ok := s.Store.(KindPolicyStore)
	if !ok {
		return DefaultKindPolicy(), nil
	}
	rules, err := ps.KindRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("oidc: kind policy: %w", err)
	}
	return BuildKindPolicy(rules), nil
}

// SetKindRule allows (or refuses) scope to every client of kind, audited
// in the same transaction. A client already registered with a scope now
// refused keeps it in its registration, but is refused it (invalid_scope)
// from its next request on.
func (s *Clients) SetKindRule(ctx context.Context, actor string, r KindRule) error {
	if !slices.Contains(Kinds(), r.Kind) {
		return fmt.Errorf("%w: kind %q is not one of public_service, bank, insurer, other", ErrInvalidRule, r.Kind)
	}
	if !DocumentScope(r.Scope) {
		return fmt.Errorf("%w: scope %q is not a document scope (%s)", ErrInvalidRule, r.Scope, strings.Join(DocumentScopes(), ", "))
	}
	ps, ok := s.Store.(KindPolicyStore)
	if !ok {
		return fmt.Errorf("oidc: this store keeps no kind policy")
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := ps.SetKindRule(ctx, r); err != nil {
			return fmt.Errorf("oidc: set kind policy: %w", err)
		}
		if s.Audit == nil {
			return nil
		}
		verb := "refused"
		if r.Allowed {
			verb = "allowed"
		}
		return s.Audit.Record(ctx, audit.Event{
			Type: audit.ClientChanged, ActorKind: audit.Operator, ActorID: actor,
			Outcome: audit.Success, Reason: "kind_policy_" + verb, Scopes: []string{r.Scope},
			Detail: map[string]string{"kind": string(r.Kind), "scope": r.Scope, "allowed": fmt.Sprint(r.Allowed)},
		})
	})
}

// policyHint explains an invalid_scope the kind policy caused: fosite's own
// hint says only that the client may not request the scope.
func policyHint(ar fosite.Requester, err error) error {
	if ar == nil || ar.GetClient() == nil || !errors.Is(err, fosite.ErrInvalidScope) {
		return err
	}
	c, ok := ClientOf(ar.GetClient())
	if !ok {
		return err
	}
	for _, s := range ar.GetRequestedScopes() {
		if slices.Contains(c.PolicyRefused, s) {
			return fosite.ErrInvalidScope.WithHintf("A client of kind %s may not have scope '%s': the gateway's policy on which kinds of service may read which documents does not allow it.", c.Kind, s)
		}
	}
	return err
}
