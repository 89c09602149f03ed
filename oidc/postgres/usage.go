package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dinhdanh/dinhdanh/oidc"
)

var _ oidc.UsageStore = (*Store)(nil)

// UsageCursor implements oidc.UsageStore.
func (s *Store) UsageCursor(ctx context.Context) (int64, bool, error) {
	var seq int64
	err := s.q(ctx).QueryRow(ctx, `SELECT seq FROM oidc_client_usage_cursor`).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("oidc/postgres: usage cursor: %w", err)
	}
	return seq, true, nil
}

// AddUsage implements oidc.UsageStore: the cursor moves with a
// compare-and-set in the transaction that adds the counts. from = -1
// places the cursor for the first time.
func (s *Store) AddUsage(ctx context.Context, from, to int64, counts []oidc.UsageCount) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		var tag pgconn.CommandTag
		var err error
		if from < 0 {
			tag, err = s.q(ctx).Exec(ctx, `INSERT INTO oidc_client_usage_cursor (id, seq) VALUES (true, $1) ON CONFLICT (id) DO NOTHING`, to)
		} else {
			tag, err = s.q(ctx).Exec(ctx, `UPDATE oidc_client_usage_cursor SET seq = $2 WHERE seq = $1`, from, to)
		}
		if err != nil {
			return fmt.Errorf("oidc/postgres: usage cursor: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return oidc.ErrUsageMoved
		}
		if len(counts) == 0 {
			return nil
		}
		ids := make([]string, len(counts))
		days := make([]time.Time, len(counts))
		metrics := make([]string, len(counts))
		ns := make([]int64, len(counts))
		for i, c := range counts {
			ids[i], days[i], metrics[i], ns[i] = c.ClientID, c.Day.UTC(), c.Metric, c.N
		}
		_, err = s.q(ctx).Exec(ctx, `INSERT INTO oidc_client_usage (client_id, day, metric, n)
			SELECT u.client_id, u.day::date, u.metric, u.n FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[]) AS u(client_id, day, metric, n)
			ON CONFLICT (client_id, day, metric) DO UPDATE SET n = oidc_client_usage.n + EXCLUDED.n`, ids, days, metrics, ns)
		if err != nil {
			return fmt.Errorf("oidc/postgres: add usage: %w", err)
		}
		return nil
	})
}

// ClientUsage implements oidc.UsageStore.
func (s *Store) ClientUsage(ctx context.Context, clientID string, from, to time.Time) ([]oidc.UsageCount, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT day, metric, n FROM oidc_client_usage
		WHERE client_id = $1 AND day >= $2::date AND day < $3::date ORDER BY day, metric`,
		clientID, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("oidc/postgres: client usage: %w", err)
	}
	defer rows.Close()
	var out []oidc.UsageCount
	for rows.Next() {
		c := oidc.UsageCount{ClientID: clientID}
		if err := rows.Scan(&c.Day, &c.Metric, &c.N); err != nil {
			return nil, fmt.Errorf("oidc/postgres: client usage: %w", err)
		}
		c.Day = c.Day.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneUsage implements oidc.UsageStore (oidc_client_usage_day_idx).
func (s *Store) PruneUsage(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_client_usage WHERE day < $1::date`, before.UTC().Format(time.DateOnly))
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: prune usage: %w", err)
	}
	return tag.RowsAffected(), nil
}
