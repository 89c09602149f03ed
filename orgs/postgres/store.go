// Package postgres stores organisations (package orgs) on pgx, with their
// migrations.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/orgs"
)

// Migrations are the organisations table, for the migration runner
// (registered in gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS

var _ orgs.Store = (*Store)(nil)

// Store is orgs.Store on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create implements orgs.Store.
func (s *Store) Create(ctx context.Context, o orgs.Organisation, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (code, name, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			o.Code, o.Name, o.CreatedBy, o.CreatedAt.UTC()); err != nil {
			return err
		}
		return fn()
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return orgs.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("orgs/postgres: create: %w", err)
	}
	return nil
}

func scan(row pgx.Row) (orgs.Organisation, error) {
	var o orgs.Organisation
	err := row.Scan(&o.Code, &o.Name, &o.CreatedBy, &o.CreatedAt)
	o.CreatedAt = o.CreatedAt.UTC()
	return o, err
}

// Get implements orgs.Store.
func (s *Store) Get(ctx context.Context, code string) (orgs.Organisation, error) {
	o, err := scan(s.pool.QueryRow(ctx, `SELECT code, name, created_by, created_at FROM organisations WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return orgs.Organisation{}, orgs.ErrNotFound
	}
	if err != nil {
		return orgs.Organisation{}, fmt.Errorf("orgs/postgres: get: %w", err)
	}
	return o, nil
}

// List implements orgs.Store.
func (s *Store) List(ctx context.Context) ([]orgs.Organisation, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, created_by, created_at FROM organisations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("orgs/postgres: list: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (orgs.Organisation, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("orgs/postgres: list: %w", err)
	}
	return list, nil
}

// Accounts is orgs.Accounts on the accounts store: the staff check reads
// the accounts table through the accounts domain's own store.
type Accounts struct{ Store *accountspg.Store }

// Standings implements orgs.Accounts.
func (a Accounts) Standings(ctx context.Context, personalIDs []string) (map[string]orgs.Standing, error) {
	in, err := a.Store.Standings(ctx, personalIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]orgs.Standing, len(in))
	for pid, st := range in {
		out[pid] = orgs.Standing(st)
	}
	return out, nil
}
