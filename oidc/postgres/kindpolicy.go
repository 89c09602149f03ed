package postgres

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/oidc"
)

var _ oidc.KindPolicyStore = (*Store)(nil)

// KindRules implements oidc.KindPolicyStore.
func (s *Store) KindRules(ctx context.Context) ([]oidc.KindRule, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT kind, scope, allowed FROM oidc_kind_policy ORDER BY kind, scope`)
	if err != nil {
		return nil, fmt.Errorf("oidc/postgres: kind policy: %w: %w", oidc.ErrUnavailable, err)
	}
	defer rows.Close()
	var out []oidc.KindRule
	for rows.Next() {
		var r oidc.KindRule
		var kind string
		if err := rows.Scan(&kind, &r.Scope, &r.Allowed); err != nil {
			return nil, err
		}
		r.Kind = oidc.Kind(kind)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetKindRule implements oidc.KindPolicyStore.
func (s *Store) SetKindRule(ctx context.Context, r oidc.KindRule) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO oidc_kind_policy (kind, scope, allowed, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, scope) DO UPDATE SET allowed = EXCLUDED.allowed, updated_at = EXCLUDED.updated_at`,
		string(r.Kind), r.Scope, r.Allowed, s.now().UTC())
	if err != nil {
		return fmt.Errorf("oidc/postgres: set kind policy: %w", err)
	}
	return nil
}
