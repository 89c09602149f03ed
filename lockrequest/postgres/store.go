package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/lockrequest"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Migrations are the lock request tables, for the migration runner
// (registered in gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS

var _ lockrequest.Store = (*Store)(nil)

// Store is lockrequest.Store on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id::text, account_id::text, personal_id, reason, reason_text, state,
	filed_by, filed_username, filed_name, filed_unit, filed_unit_name, filed_unit_level, filed_at,
	decided_by, decided_username, decided_name, decided_unit, decided_unit_name, decided_unit_level, decided_at, note`

func scan(row pgx.Row) (lockrequest.Request, error) {
	var r lockrequest.Request
	var reason, state, filedLevel string
	var dBy, dUser, dName, dUnit, dUnitName, dLevel *string
	err := row.Scan(&r.ID, &r.AccountID, &r.PersonalID, &reason, &r.Text, &state,
		&r.FiledBy.MemberID, &r.FiledBy.Username, &r.FiledBy.Name, &r.FiledBy.Unit.Code, &r.FiledBy.Unit.Name, &filedLevel, &r.FiledAt,
		&dBy, &dUser, &dName, &dUnit, &dUnitName, &dLevel, &r.DecidedAt, &r.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return lockrequest.Request{}, lockrequest.ErrNotFound
	}
	if err != nil {
		return lockrequest.Request{}, err
	}
	r.Reason, r.State, r.FiledBy.Unit.Level = lockrequest.Reason(reason), lockrequest.State(state), staff.UnitLevel(filedLevel)
	r.FiledAt = r.FiledAt.UTC()
	if r.DecidedAt != nil {
		t := r.DecidedAt.UTC()
		r.DecidedAt = &t
	}
	if dBy != nil {
		r.DecidedBy = &lockrequest.Staff{MemberID: *dBy, Username: deref(dUser), Name: deref(dName),
			Unit: staff.Unit{Code: deref(dUnit), Name: deref(dUnitName), Level: staff.UnitLevel(deref(dLevel))}}
	}
	return r, nil
}

// validID reports whether id can be a uuid column's value (anything else
// names no row).
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// Create implements lockrequest.Store.
func (s *Store) Create(ctx context.Context, r lockrequest.Request, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		f := r.FiledBy
		_, err := tx.Exec(ctx, `INSERT INTO lock_requests (id, account_id, personal_id, reason, reason_text, state,
			filed_by, filed_username, filed_name, filed_unit, filed_unit_name, filed_unit_level, filed_at, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, r.AccountID, r.PersonalID, string(r.Reason), r.Text, string(r.State),
			f.MemberID, f.Username, f.Name, f.Unit.Code, f.Unit.Name, string(f.Unit.Level), r.FiledAt.UTC(), r.Note)
		if isUniqueViolation(err) {
			return lockrequest.ErrAlreadyPending
		}
		if err != nil {
			return err
		}
		return fn()
	})
	if err != nil {
		return fmt.Errorf("lockrequest/postgres: create: %w", err)
	}
	return nil
}

// Get implements lockrequest.Store.
func (s *Store) Get(ctx context.Context, id string) (lockrequest.Request, error) {
	if !validID(id) {
		return lockrequest.Request{}, fmt.Errorf("lockrequest/postgres: get: %w", lockrequest.ErrNotFound)
	}
	r, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM lock_requests WHERE id = $1`, id))
	if err != nil {
		return lockrequest.Request{}, fmt.Errorf("lockrequest/postgres: get: %w", err)
	}
	return r, nil
}

// Update implements lockrequest.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(*lockrequest.Request) error) (lockrequest.Request, error) {
	if !validID(id) {
		return lockrequest.Request{}, fmt.Errorf("lockrequest/postgres: update: %w", lockrequest.ErrNotFound)
	}
	var out lockrequest.Request
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM lock_requests WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		var d lockrequest.Staff
		if r.DecidedBy != nil {
			d = *r.DecidedBy
		}
		var at *time.Time
		if r.DecidedAt != nil {
			t := r.DecidedAt.UTC()
			at = &t
		}
		_, err = tx.Exec(ctx, `UPDATE lock_requests SET state = $2, decided_by = $3, decided_username = $4, decided_name = $5,
			decided_unit = $6, decided_unit_name = $7, decided_unit_level = $8, decided_at = $9, note = $10 WHERE id = $1`,
			r.ID, string(r.State), nullable(d.MemberID), nullable(d.Username), nullable(d.Name),
			nullable(d.Unit.Code), nullable(d.Unit.Name), nullable(string(d.Unit.Level)), at, r.Note)
		if err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return lockrequest.Request{}, fmt.Errorf("lockrequest/postgres: update: %w", err)
	}
	return out, nil
}

// nullable stores "" of a decider who is not there as NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// List implements lockrequest.Store.
func (s *Store) List(ctx context.Context, q lockrequest.Query) ([]lockrequest.Request, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if q.State != "" {
		add("state = $?", string(q.State))
	}
	if q.Unit != "" {
		// The unit itself or a unit under it, by dotted code.
		add("(filed_unit = $? OR starts_with(filed_unit, $? || '.'))", q.Unit)
	}
	if q.FiledBy != "" {
		add("filed_by = $?", q.FiledBy)
	}
	if q.AccountID != "" {
		if !validID(q.AccountID) {
			return nil, nil
		}
		add("account_id = $?", q.AccountID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = lockrequest.DefaultLimit
	}
	sql := `SELECT ` + columns + ` FROM lock_requests`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	sql += fmt.Sprintf(` ORDER BY filed_at DESC, id LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("lockrequest/postgres: list: %w", err)
	}
	defer rows.Close()
	var out []lockrequest.Request
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("lockrequest/postgres: list: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lockrequest/postgres: list: %w", err)
	}
	return out, nil
}

// CreateUnlock implements lockrequest.Store.
func (s *Store) CreateUnlock(ctx context.Context, u lockrequest.Unlock, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO counter_unlocks (id, account_id, personal_id, chip_read_id,
			officer_id, officer_username, officer_name, unit, unit_name, unit_level, unlocked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			u.ID, u.AccountID, u.PersonalID, u.ReadID, u.By.MemberID, u.By.Username, u.By.Name,
			u.By.Unit.Code, u.By.Unit.Name, string(u.By.Unit.Level), u.At.UTC())
		if err != nil {
			return err
		}
		return fn()
	})
	if err != nil {
		return fmt.Errorf("lockrequest/postgres: create unlock: %w", err)
	}
	return nil
}
