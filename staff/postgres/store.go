// Package postgres stores the staff domain's credentials on pgx.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/staff"
)

var _ staff.Store = (*Store)(nil)

// Store is staff.Store on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id::text, officer_id, unit, created_at, created_by, revoked_at`

func scan(row pgx.Row) (staff.Credential, error) {
	var c staff.Credential
	err := row.Scan(&c.ID, &c.OfficerID, &c.Unit, &c.CreatedAt, &c.CreatedBy, &c.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return staff.Credential{}, staff.ErrNotFound
	}
	if err != nil {
		return staff.Credential{}, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if c.RevokedAt != nil {
		t := c.RevokedAt.UTC()
		c.RevokedAt = &t
	}
	return c, nil
}

// CreateCredential implements staff.Store.
func (s *Store) CreateCredential(ctx context.Context, c staff.Credential, hash []byte, fn func() error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff_credentials (id, officer_id, unit, token_hash, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.OfficerID, c.Unit, hash, c.CreatedAt.UTC(), c.CreatedBy)
		if err != nil {
			return fmt.Errorf("staff/postgres: create credential: %w", err)
		}
		return fn()
	})
}

// CredentialByHash implements staff.Store.
func (s *Store) CredentialByHash(ctx context.Context, hash []byte) (staff.Credential, error) {
	c, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM staff_credentials WHERE token_hash = $1`, hash))
	if err != nil && !errors.Is(err, staff.ErrNotFound) {
		return staff.Credential{}, fmt.Errorf("staff/postgres: load credential: %w", err)
	}
	return c, err
}

// RevokeCredential implements staff.Store.
func (s *Store) RevokeCredential(ctx context.Context, id string, t time.Time, fn func(staff.Credential) error) (staff.Credential, error) {
	var out staff.Credential
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		c, err := scan(tx.QueryRow(ctx, `UPDATE staff_credentials SET revoked_at = $2
			WHERE id::text = $1 AND revoked_at IS NULL RETURNING `+columns, id, t.UTC()))
		if err != nil {
			return err
		}
		out = c
		return fn(c)
	})
	if err != nil {
		return staff.Credential{}, fmt.Errorf("staff/postgres: revoke credential: %w", err)
	}
	return out, nil
}

// ListCredentials implements staff.Store.
func (s *Store) ListCredentials(ctx context.Context) ([]staff.Credential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM staff_credentials ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: list credentials: %w", err)
	}
	defer rows.Close()
	out := []staff.Credential{}
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("staff/postgres: list credentials: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
