package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.Reports = (*Store)(nil)

// localityCounts are the figures' counts of accounts.Reports (registered,
// activated, issued, level 1, level 2, locked), over accounts a: the one
// place they are defined for the console and the CLI alike.
const localityCounts = `count(*) AS registered,
	count(*) FILTER (WHERE a.activated_at IS NOT NULL) AS activated,
	count(*) FILTER (WHERE a.activated_at IS NOT NULL AND a.first_sign_in_at IS NOT NULL) AS issued,
	count(*) FILTER (WHERE a.level = 1) AS level1,
	count(*) FILTER (WHERE a.level = 2) AS level2,
	count(*) FILTER (WHERE a.status = 'locked') AS locked`

// ActivationByProvince implements accounts.Reports: one pass over accounts
// joined to the population registry's residence by its primary key.
func (s *Store) ActivationByProvince(ctx context.Context) ([]accounts.LocalityFigures, error) {
	return s.localities(ctx, `SELECT coalesce(p.province, ''), '', `+localityCounts+`
		FROM accounts a LEFT JOIN population p ON p.personal_id = a.personal_id
		GROUP BY 1 ORDER BY 1`)
}

// ActivationByDistrict implements accounts.Reports: the provinces' and the
// named districts' rows in one pass (grouping sets: on a province's row
// the district is NULL).
func (s *Store) ActivationByDistrict(ctx context.Context) ([]accounts.LocalityFigures, error) {
	return s.localities(ctx, `SELECT province, coalesce(district, ''), registered, activated, issued, level1, level2, locked FROM (
		SELECT coalesce(p.province, '') AS province, coalesce(p.district, '') AS district, `+localityCounts+`
		FROM accounts a LEFT JOIN population p ON p.personal_id = a.personal_id
		GROUP BY GROUPING SETS ((coalesce(p.province, '')), (coalesce(p.province, ''), coalesce(p.district, '')))) AS g
		WHERE district IS NULL OR district <> ''
		ORDER BY 1, 2 NULLS FIRST`)
}

func (s *Store) localities(ctx context.Context, q string) ([]accounts.LocalityFigures, error) {
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("accounts: activation report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (accounts.LocalityFigures, error) {
		var f accounts.LocalityFigures
		err := r.Scan(&f.Province, &f.District, &f.Registered, &f.Activated, &f.Issued, &f.Level1, &f.Level2, &f.Locked)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: activation report: %w", err)
	}
	return out, nil
}

// monthOfSQL is the first day of the month of timestamp column c in
// Vietnam's time (accounts.ReportZone, UTC+7 all year), as a date.
func monthOfSQL(c string) string {
	return `date_trunc('month', (` + c + ` AT TIME ZONE 'UTC') + interval '7 hours')::date`
}

// ActivationByMonth implements accounts.Reports: one pass over accounts,
// each account giving up to three events (registered, activated, issued)
// counted in their months.
func (s *Store) ActivationByMonth(ctx context.Context, until time.Time) ([]accounts.MonthFigures, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+monthOfSQL("e.at")+` AS month,
		       count(*) FILTER (WHERE e.kind = 0), count(*) FILTER (WHERE e.kind = 1), count(*) FILTER (WHERE e.kind = 2)
		FROM accounts a, LATERAL (VALUES (0, a.created_at), (1, a.activated_at),
			(2, CASE WHEN a.activated_at IS NOT NULL THEN a.first_sign_in_at END)) AS e (kind, at)
		WHERE e.at IS NOT NULL
		GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("accounts: activation by month: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (accounts.MonthFigures, error) {
		var f accounts.MonthFigures
		var m time.Time
		err := r.Scan(&m, &f.Registered, &f.Activated, &f.Issued)
		f.Month = time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, accounts.ReportZone)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: activation by month: %w", err)
	}
	return accounts.FillMonths(out, until), nil
}
