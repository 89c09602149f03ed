package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/biometrics"
)

// Migrations are the biometric_records table.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is biometrics.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ biometrics.Store = (*Store)(nil)

// NewStore returns a Store on pool. now stamps seeded records; time.Now when
// nil.
func NewStore(pool *pgxpool.Pool, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, now: now}
}

// Put implements biometrics.Store.
func (s *Store) Put(ctx context.Context, r biometrics.Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO biometric_records (account_id, kind, position, template, format, captured_at, captured_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account_id, kind, position) DO UPDATE SET template = EXCLUDED.template, format = EXCLUDED.format,
			captured_at = EXCLUDED.captured_at, captured_by = EXCLUDED.captured_by`,
		r.AccountID, string(r.Kind), r.Position, r.Template, r.Format, r.CapturedAt.UTC(), r.CapturedBy)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "23503" || pgErr.Code == "22P02") { // no such account / not a uuid
			return fmt.Errorf("biometrics/postgres: put: %w", biometrics.ErrNotFound)
		}
		return fmt.Errorf("biometrics/postgres: put: %w", err)
	}
	return nil
}

// Records implements biometrics.Store.
func (s *Store) Records(ctx context.Context, accountID string, kinds ...biometrics.Kind) ([]biometrics.Record, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	rows, err := s.pool.Query(ctx, `SELECT account_id::text, kind, position, template, format, captured_at, captured_by
		FROM biometric_records WHERE account_id::text = $1 AND (cardinality($2::text[]) = 0 OR kind = ANY($2))
		ORDER BY kind DESC, position`, accountID, ks)
	if err != nil {
		return nil, fmt.Errorf("biometrics/postgres: records: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (biometrics.Record, error) {
		var r biometrics.Record
		var kind string
		err := row.Scan(&r.AccountID, &kind, &r.Position, &r.Template, &r.Format, &r.CapturedAt, &r.CapturedBy)
		r.Kind, r.CapturedAt = biometrics.Kind(kind), r.CapturedAt.UTC()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("biometrics/postgres: records: %w", err)
	}
	return out, nil
}

// Delete implements biometrics.Store.
func (s *Store) Delete(ctx context.Context, accountID string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM biometric_records WHERE account_id::text = $1`, accountID)
	if err != nil {
		return 0, fmt.Errorf("biometrics/postgres: delete: %w", err)
	}
	return tag.RowsAffected(), nil
}

// SeedDemoSentinels gives every account of level 1 or more that has no
// biometric record a portrait containing biometrics.PortraitSentinel(its
// personal id number), and level 2 accounts also two fingerprints
// containing biometrics.FingerprintSentinel: recognisable bytes for leak
// tests. For demo and test databases only. It returns the records added.
func (s *Store) SeedDemoSentinels(ctx context.Context) (int64, error) {
	// A JPEG start-of-image marker before the sentinel makes the portrait
	// look like an image to anything that sniffs it.
	tag, err := s.pool.Exec(ctx, `
		WITH todo AS (
			SELECT a.id, a.personal_id, a.level FROM accounts a
			WHERE a.level >= 1 AND NOT EXISTS (SELECT 1 FROM biometric_records b WHERE b.account_id = a.id)
		)
		INSERT INTO biometric_records (account_id, kind, position, template, format, captured_at, captured_by)
		SELECT id, 'portrait', 0, '\xffd8ffe0'::bytea || convert_to($1::text || personal_id, 'UTF8'), 'image/jpeg', $3::timestamptz, 'demo' FROM todo
		UNION ALL
		SELECT id, 'fingerprint', f, convert_to($2::text || personal_id || '-' || f, 'UTF8'), 'iso-19794-2', $3::timestamptz, 'demo'
		FROM todo CROSS JOIN (VALUES (1), (6)) AS fingers(f) WHERE level = 2`,
		biometrics.PortraitSentinelPrefix, biometrics.FingerprintSentinelPrefix, s.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("biometrics/postgres: seed demo sentinels: %w", err)
	}
	return tag.RowsAffected(), nil
}
