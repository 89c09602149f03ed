package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/foreigners"
)

// Migrations are the foreigners' registry tables.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is the foreigners' registry on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ foreigners.Registry = (*Store)(nil)

// NewStore returns a Store on pool (the application role).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id, passport_no, issuing_country, nationality, primary_name, secondary_name, birth_date, sex,
	passport_expiry, permit_kind, permit_number, permit_expiry, street, ward, district, province, country,
	phone, email, updated_at`

func scan(row pgx.Row) (foreigners.Resident, error) {
	var r foreigners.Resident
	var kind string
	err := row.Scan(&r.ID, &r.PassportNo, &r.IssuingCountry, &r.Nationality, &r.PrimaryName, &r.SecondaryName,
		&r.BirthDate, &r.Sex, &r.PassportExpiry, &kind, &r.PermitNumber, &r.PermitExpiry,
		&r.Address.Street, &r.Address.Ward, &r.Address.District, &r.Address.Province, &r.Address.Country,
		&r.Phone, &r.Email, &r.UpdatedAt)
	if err != nil {
		return foreigners.Resident{}, err
	}
	r.PermitKind = foreigners.PermitKind(kind)
	r.BirthDate, r.PassportExpiry, r.PermitExpiry = dateUTC(r.BirthDate), dateUTC(r.PassportExpiry), dateUTC(r.PermitExpiry)
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r, nil
}

func one(row pgx.Row, what string) (foreigners.Resident, error) {
	r, err := scan(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return foreigners.Resident{}, foreigners.ErrNotFound
	}
	if err != nil {
		return foreigners.Resident{}, fmt.Errorf("foreigners/postgres: %s: %w", what, err)
	}
	return r, nil
}

// ByPassport implements foreigners.Registry.
func (s *Store) ByPassport(ctx context.Context, issuingCountry, passportNo string) (foreigners.Resident, error) {
	return one(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM foreign_residents
		WHERE issuing_country = $1 AND passport_no = $2`, issuingCountry, passportNo), "by passport")
}

// ByID implements foreigners.Registry.
func (s *Store) ByID(ctx context.Context, id string) (foreigners.Resident, error) {
	return one(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM foreign_residents WHERE id = $1`, id), "by id")
}

// PermitsEndingBy lists the residents whose permit ends on or before the
// day last, soonest first (the permit-expiry sweep's input), leaving out
// those whose account the sweep has locked for that permit already: they
// need nothing more until a renewal (RenewedAfterLock).
func (s *Store) PermitsEndingBy(ctx context.Context, last time.Time) ([]foreigners.Resident, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM foreign_residents f
		WHERE permit_expiry <= $1 AND NOT EXISTS (SELECT 1 FROM foreign_permit_steps l
			WHERE l.resident_id = f.id AND l.permit_expiry = f.permit_expiry AND l.step = 'locked')
		ORDER BY permit_expiry, id`, dateUTC(last))
	if err != nil {
		return nil, fmt.Errorf("foreigners/postgres: permits ending: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (foreigners.Resident, error) { return scan(row) })
	if err != nil {
		return nil, fmt.Errorf("foreigners/postgres: permits ending: %w", err)
	}
	return out, nil
}

// Write puts residents into the registry (replacing any with the same
// number) through tx; the import writes in its own transaction. A passport
// already held by another number is an error (the import reports it).
func Write(ctx context.Context, tx pgx.Tx, rs []foreigners.Resident) (int64, error) {
	var n int64
	for _, r := range rs {
		tag, err := tx.Exec(ctx, `INSERT INTO foreign_residents (`+columns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, now())
			ON CONFLICT (id) DO UPDATE SET passport_no = excluded.passport_no, issuing_country = excluded.issuing_country,
				nationality = excluded.nationality, primary_name = excluded.primary_name,
				secondary_name = excluded.secondary_name, birth_date = excluded.birth_date, sex = excluded.sex,
				passport_expiry = excluded.passport_expiry, permit_kind = excluded.permit_kind,
				permit_number = excluded.permit_number, permit_expiry = excluded.permit_expiry,
				street = excluded.street, ward = excluded.ward, district = excluded.district,
				province = excluded.province, country = excluded.country, phone = excluded.phone,
				email = excluded.email, updated_at = now()`,
			r.ID, r.PassportNo, r.IssuingCountry, r.Nationality, r.PrimaryName, r.SecondaryName,
			dateUTC(r.BirthDate), r.Sex, dateUTC(r.PassportExpiry), string(r.PermitKind), r.PermitNumber,
			dateUTC(r.PermitExpiry), r.Address.Street, r.Address.Ward, r.Address.District, r.Address.Province,
			r.Address.Country, r.Phone, r.Email)
		if err != nil {
			return n, fmt.Errorf("foreigners/postgres: write %s: %w", r.ID, err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// PassportHolders maps each (issuing country, passport number) of keys
// already in the registry to the number holding it, so the import can
// report a passport moved to another number before writing.
func PassportHolders(ctx context.Context, tx pgx.Tx, countries, numbers []string) (map[[2]string]string, error) {
	rows, err := tx.Query(ctx, `SELECT f.issuing_country, f.passport_no, f.id FROM foreign_residents f
		JOIN unnest($1::text[], $2::text[]) AS k(c, n) ON f.issuing_country = k.c AND f.passport_no = k.n`, countries, numbers)
	if err != nil {
		return nil, fmt.Errorf("foreigners/postgres: passport holders: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]string{}
	for rows.Next() {
		var c, n, id string
		if err := rows.Scan(&c, &n, &id); err != nil {
			return nil, fmt.Errorf("foreigners/postgres: passport holders: %w", err)
		}
		out[[2]string{c, n}] = id
	}
	return out, rows.Err()
}

func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Put writes residents in one transaction (tests and tools; the import
// uses Write inside its own).
func (s *Store) Put(ctx context.Context, rs ...foreigners.Resident) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := Write(ctx, tx, rs)
		return err
	})
}

// RecordPermitStep records that the sweep took step for the permit of
// resident id ending on expiry; false when it had been recorded before
// (another run, or another replica, took it).
func (s *Store) RecordPermitStep(ctx context.Context, id string, expiry time.Time, step string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO foreign_permit_steps (resident_id, permit_expiry, step, at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, dateUTC(expiry), step, at.UTC())
	if err != nil {
		return false, fmt.Errorf("foreigners/postgres: record permit step: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RenewedAfterLock lists the residents whose account the sweep locked for
// an expired permit, not lifted since, and whose registry record now holds
// a permit valid on today with a later expiry (a renewal was imported).
// Each comes with the expiry of the permit the lock was for.
func (s *Store) RenewedAfterLock(ctx context.Context, today time.Time) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT l.resident_id, l.permit_expiry FROM foreign_permit_steps l
		JOIN foreign_residents f ON f.id = l.resident_id
		WHERE l.step = 'locked' AND f.permit_expiry >= $1 AND f.permit_expiry > l.permit_expiry
		AND NOT EXISTS (SELECT 1 FROM foreign_permit_steps x WHERE x.resident_id = l.resident_id
			AND x.permit_expiry = l.permit_expiry AND x.step = 'lifted')`, dateUTC(today))
	if err != nil {
		return nil, fmt.Errorf("foreigners/postgres: renewed after lock: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var exp time.Time
		if err := rows.Scan(&id, &exp); err != nil {
			return nil, fmt.Errorf("foreigners/postgres: renewed after lock: %w", err)
		}
		out[id] = dateUTC(exp)
	}
	return out, rows.Err()
}
