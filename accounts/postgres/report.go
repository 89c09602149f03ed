package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.Reports = (*Store)(nil)

// ActivationByProvince implements accounts.Reports: one pass over accounts
// joined to the population registry's residence.
func (s *Store) ActivationByProvince(ctx context.Context) ([]accounts.LocalityFigures, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT coalesce(p.province, '') AS province,
		       count(*),
		       count(*) FILTER (WHERE a.activated_at IS NOT NULL),
		       count(*) FILTER (WHERE a.level = 2),
		       count(*) FILTER (WHERE a.status = 'locked')
		FROM accounts a LEFT JOIN population p ON p.personal_id = a.personal_id
		GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("accounts: activation report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (accounts.LocalityFigures, error) {
		var f accounts.LocalityFigures
		err := r.Scan(&f.Province, &f.Registered, &f.Activated, &f.Level2, &f.Locked)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: activation report: %w", err)
	}
	return out, nil
}
