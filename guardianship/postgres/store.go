package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/guardianship"
)

// Migrations are the guardianship tables, for the migration runner
// (registered in gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS

var _ guardianship.Store = (*Store)(nil)

// Store is guardianship.Store on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const depColumns = `id::text, personal_id, full_name, birth_date, relation, guardian_account_id::text, basis,
	coalesce(record_id::text, ''), registered_at, authority_ends, ended_at, end_reason`

func scanDep(row pgx.Row) (guardianship.Dependent, error) {
	var d guardianship.Dependent
	err := row.Scan(&d.ID, &d.PersonalID, &d.FullName, &d.BirthDate, &d.Relation, &d.GuardianAccountID, &d.Basis,
		&d.RecordID, &d.RegisteredAt, &d.AuthorityEnds, &d.EndedAt, &d.EndReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return guardianship.Dependent{}, guardianship.ErrNotFound
	}
	if err != nil {
		return guardianship.Dependent{}, err
	}
	d.BirthDate = time.Date(d.BirthDate.Year(), d.BirthDate.Month(), d.BirthDate.Day(), 0, 0, 0, 0, time.UTC)
	d.RegisteredAt = d.RegisteredAt.UTC()
	d.AuthorityEnds, d.EndedAt = utcPtr(d.AuthorityEnds), utcPtr(d.EndedAt)
	return d, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// Register implements guardianship.Store.
func (s *Store) Register(ctx context.Context, personalID string, fn func(cur guardianship.Dependent, found bool) (guardianship.Dependent, error)) (guardianship.Dependent, error) {
	var out guardianship.Dependent
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanDep(tx.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE personal_id = $1 FOR UPDATE`, personalID))
		found := err == nil
		if err != nil && !errors.Is(err, guardianship.ErrNotFound) {
			return err
		}
		d, err := fn(cur, found)
		if err != nil {
			return err
		}
		if d.PersonalID != personalID || (found && d.ID != cur.ID) {
			return fmt.Errorf("%w: the row must keep the person and, when found, the id", guardianship.ErrInvalid)
		}
		args := []any{d.ID, d.PersonalID, d.FullName, d.BirthDate.UTC(), d.Relation, d.GuardianAccountID, d.Basis,
			nullID(d.RecordID), d.RegisteredAt.UTC(), d.AuthorityEnds, d.EndedAt, d.EndReason}
		if found {
			_, err = tx.Exec(ctx, `UPDATE dependents SET full_name = $3, birth_date = $4, relation = $5,
				guardian_account_id = $6, basis = $7, record_id = $8, registered_at = $9, authority_ends = $10,
				ended_at = $11, end_reason = $12 WHERE id = $1 AND personal_id = $2`, args...)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO dependents (id, personal_id, full_name, birth_date, relation,
				guardian_account_id, basis, record_id, registered_at, authority_ends, ended_at, end_reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, args...)
		}
		if isUniqueViolation(err) {
			return guardianship.ErrAlreadyExists
		}
		if err != nil {
			return err
		}
		out, err = scanDep(tx.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE id = $1`, d.ID))
		return err
	})
	if err != nil {
		return guardianship.Dependent{}, fmt.Errorf("guardianship/postgres: register: %w", err)
	}
	return out, nil
}

// Update implements guardianship.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(*guardianship.Dependent) error) (guardianship.Dependent, error) {
	if !validID(id) {
		return guardianship.Dependent{}, guardianship.ErrNotFound
	}
	var out guardianship.Dependent
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := scanDep(tx.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dependents SET ended_at = $2, end_reason = $3, authority_ends = $4 WHERE id = $1`,
			id, d.EndedAt, d.EndReason, d.AuthorityEnds); err != nil {
			return err
		}
		out, err = scanDep(tx.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return guardianship.Dependent{}, fmt.Errorf("guardianship/postgres: update %s: %w", id, err)
	}
	return out, nil
}

// Get implements guardianship.Store.
func (s *Store) Get(ctx context.Context, id string) (guardianship.Dependent, error) {
	if !validID(id) {
		return guardianship.Dependent{}, guardianship.ErrNotFound
	}
	d, err := scanDep(s.pool.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE id = $1`, id))
	if err != nil && !errors.Is(err, guardianship.ErrNotFound) {
		return d, fmt.Errorf("guardianship/postgres: get: %w", err)
	}
	return d, err
}

// ByPersonalID implements guardianship.Store.
func (s *Store) ByPersonalID(ctx context.Context, personalID string) (guardianship.Dependent, error) {
	d, err := scanDep(s.pool.QueryRow(ctx, `SELECT `+depColumns+` FROM dependents WHERE personal_id = $1`, personalID))
	if err != nil && !errors.Is(err, guardianship.ErrNotFound) {
		return d, fmt.Errorf("guardianship/postgres: by personal id: %w", err)
	}
	return d, err
}

func (s *Store) deps(ctx context.Context, sql string, args ...any) ([]guardianship.Dependent, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (guardianship.Dependent, error) { return scanDep(r) })
}

// ForGuardian implements guardianship.Store.
func (s *Store) ForGuardian(ctx context.Context, guardianAccountID string) ([]guardianship.Dependent, error) {
	if !validID(guardianAccountID) {
		return nil, nil
	}
	out, err := s.deps(ctx, `SELECT `+depColumns+` FROM dependents WHERE guardian_account_id = $1
		ORDER BY registered_at, id`, guardianAccountID)
	if err != nil {
		return nil, fmt.Errorf("guardianship/postgres: for guardian: %w", err)
	}
	return out, nil
}

// Due implements guardianship.Store.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]guardianship.Dependent, error) {
	out, err := s.deps(ctx, `SELECT `+depColumns+` FROM dependents WHERE ended_at IS NULL AND authority_ends <= $1
		ORDER BY authority_ends, id LIMIT $2`, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("guardianship/postgres: due: %w", err)
	}
	return out, nil
}

const recColumns = `id::text, ward_id, guardian_id, number, starts, ends, officer_id, unit, created_at`

func scanRec(row pgx.Row) (guardianship.Record, error) {
	var r guardianship.Record
	err := row.Scan(&r.ID, &r.WardID, &r.GuardianID, &r.Number, &r.Starts, &r.Ends, &r.OfficerID, &r.Unit, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return guardianship.Record{}, guardianship.ErrNotFound
	}
	if err != nil {
		return guardianship.Record{}, err
	}
	r.Starts, r.CreatedAt, r.Ends = r.Starts.UTC(), r.CreatedAt.UTC(), utcPtr(r.Ends)
	return r, nil
}

// CreateRecord implements guardianship.Store.
func (s *Store) CreateRecord(ctx context.Context, r guardianship.Record, audit func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO guardianship_records (id, ward_id, guardian_id, number, starts, ends,
			officer_id, unit, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.ID, r.WardID, r.GuardianID, r.Number, r.Starts.UTC(), utcPtr(r.Ends), r.OfficerID, r.Unit, r.CreatedAt.UTC())
		if isUniqueViolation(err) {
			return guardianship.ErrAlreadyExists
		}
		if err != nil {
			return err
		}
		return audit()
	})
	if err != nil {
		return fmt.Errorf("guardianship/postgres: create record: %w", err)
	}
	return nil
}

// GetRecord implements guardianship.Store.
func (s *Store) GetRecord(ctx context.Context, id string) (guardianship.Record, error) {
	if !validID(id) {
		return guardianship.Record{}, guardianship.ErrNotFound
	}
	r, err := scanRec(s.pool.QueryRow(ctx, `SELECT `+recColumns+` FROM guardianship_records WHERE id = $1`, id))
	if err != nil && !errors.Is(err, guardianship.ErrNotFound) {
		return r, fmt.Errorf("guardianship/postgres: get record: %w", err)
	}
	return r, err
}

func (s *Store) recs(ctx context.Context, sql string, args ...any) ([]guardianship.Record, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (guardianship.Record, error) { return scanRec(r) })
}

// RecordsFor implements guardianship.Store.
func (s *Store) RecordsFor(ctx context.Context, wardID string) ([]guardianship.Record, error) {
	out, err := s.recs(ctx, `SELECT `+recColumns+` FROM guardianship_records WHERE ward_id = $1
		ORDER BY starts DESC, created_at DESC`, wardID)
	if err != nil {
		return nil, fmt.Errorf("guardianship/postgres: records for ward: %w", err)
	}
	return out, nil
}

// ListRecords implements guardianship.Store.
func (s *Store) ListRecords(ctx context.Context, limit int) ([]guardianship.Record, error) {
	out, err := s.recs(ctx, `SELECT `+recColumns+` FROM guardianship_records ORDER BY created_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("guardianship/postgres: list records: %w", err)
	}
	return out, nil
}

// UpdateRecord implements guardianship.Store.
func (s *Store) UpdateRecord(ctx context.Context, id string, fn func(*guardianship.Record) error) (guardianship.Record, error) {
	if !validID(id) {
		return guardianship.Record{}, guardianship.ErrNotFound
	}
	var out guardianship.Record
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRec(tx.QueryRow(ctx, `SELECT `+recColumns+` FROM guardianship_records WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE guardianship_records SET ends = $2 WHERE id = $1`, id, utcPtr(r.Ends)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dependents SET authority_ends = $2 WHERE record_id = $1 AND ended_at IS NULL`,
			id, utcPtr(r.Ends)); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return guardianship.Record{}, fmt.Errorf("guardianship/postgres: update record %s: %w", id, err)
	}
	return out, nil
}
