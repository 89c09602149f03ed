package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dinhdanh/dinhdanh/staff"
)

// translate maps driver errors to the domain's.
func translate(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return staff.ErrNotFound
	case errors.As(err, &pe) && pe.Code == "23505":
		return fmt.Errorf("%w: %s", staff.ErrAlreadyExists, pe.ConstraintName)
	case errors.As(err, &pe) && pe.Code == "23503":
		return fmt.Errorf("%w: %s", staff.ErrNotFound, pe.ConstraintName)
	}
	return err
}

// PutUnit implements staff.MemberStore.
func (s *Store) PutUnit(ctx context.Context, u staff.Unit, fn func() error) error {
	var parent *string
	if p := u.Parent(); p != "" {
		parent = &p
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff_units (code, name, level, parent) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`, u.Code, u.Name, string(u.Level), parent)
		if err != nil {
			return translate(err)
		}
		return fn()
	})
	if err != nil {
		return fmt.Errorf("staff/postgres: put unit: %w", err)
	}
	return nil
}

// Unit implements staff.MemberStore.
func (s *Store) Unit(ctx context.Context, code string) (staff.Unit, error) {
	var u staff.Unit
	err := s.pool.QueryRow(ctx, `SELECT code, name, level FROM staff_units WHERE code = $1`, code).Scan(&u.Code, &u.Name, &u.Level)
	if err != nil {
		return staff.Unit{}, fmt.Errorf("staff/postgres: unit: %w", translate(err))
	}
	return u, nil
}

// Units implements staff.MemberStore.
func (s *Store) Units(ctx context.Context) ([]staff.Unit, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, level FROM staff_units ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: units: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (staff.Unit, error) {
		var u staff.Unit
		err := row.Scan(&u.Code, &u.Name, &u.Level)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: units: %w", err)
	}
	return out, nil
}

const memberColumns = `m.id::text, m.username, m.name, u.code, u.name, u.level, m.roles, m.disabled, m.bootstrap, m.must_change_password, m.sessions_valid_from,
	m.created_at, m.created_by, m.updated_at, m.password_hash, m.totp_secret, m.totp_last_step`

const memberFrom = ` FROM staff_members m JOIN staff_units u ON u.code = m.unit_code `

func scanMember(row pgx.Row) (staff.Record, error) {
	var r staff.Record
	var roles []string
	var validFrom *time.Time
	err := row.Scan(&r.ID, &r.Username, &r.Name, &r.Unit.Code, &r.Unit.Name, &r.Unit.Level, &roles, &r.Disabled, &r.Bootstrap, &r.MustChangePassword, &validFrom,
		&r.CreatedAt, &r.CreatedBy, &r.UpdatedAt, &r.PasswordHash, &r.TOTPSecret, &r.TOTPLastStep)
	if err != nil {
		return staff.Record{}, translate(err)
	}
	r.Roles = make([]staff.Role, len(roles))
	for i, x := range roles {
		r.Roles[i] = staff.Role(x)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if validFrom != nil {
		r.SessionsValidFrom = validFrom.UTC()
	}
	return r, nil
}

func roleStrings(rs []staff.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// CreateMember implements staff.MemberStore.
func (s *Store) CreateMember(ctx context.Context, r staff.Record, first bool, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if first {
			// Two bootstraps at once: the second waits, then sees a member.
			if _, err := tx.Exec(ctx, `LOCK TABLE staff_members IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff_members`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return staff.ErrBootstrapDone
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO staff_members (id, username, name, unit_code, roles, disabled, bootstrap,
			password_hash, totp_secret, totp_last_step, created_at, created_by, updated_at, must_change_password)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, r.Username, r.Name, r.Unit.Code, roleStrings(r.Roles), r.Disabled, r.Bootstrap,
			r.PasswordHash, r.TOTPSecret, r.TOTPLastStep, r.CreatedAt.UTC(), r.CreatedBy, r.UpdatedAt.UTC(), r.MustChangePassword)
		if err != nil {
			return translate(err)
		}
		return fn()
	})
	if err != nil {
		return fmt.Errorf("staff/postgres: create member: %w", err)
	}
	return nil
}

// MemberByID implements staff.MemberStore.
func (s *Store) MemberByID(ctx context.Context, id string) (staff.Record, error) {
	r, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberColumns+memberFrom+`WHERE m.id::text = $1`, id))
	if err != nil {
		return staff.Record{}, fmt.Errorf("staff/postgres: member: %w", err)
	}
	return r, nil
}

// MemberByUsername implements staff.MemberStore.
func (s *Store) MemberByUsername(ctx context.Context, username string) (staff.Record, error) {
	r, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberColumns+memberFrom+`WHERE m.username = $1`, username))
	if err != nil {
		return staff.Record{}, fmt.Errorf("staff/postgres: member: %w", err)
	}
	return r, nil
}

// UpdateMember implements staff.MemberStore.
func (s *Store) UpdateMember(ctx context.Context, id string, fn func(*staff.Record) error) (staff.Record, error) {
	var out staff.Record
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+memberFrom+`WHERE m.id::text = $1 FOR UPDATE OF m`, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE staff_members SET name = $2, unit_code = $3, roles = $4, disabled = $5,
			password_hash = $6, totp_secret = $7, totp_last_step = $8, updated_at = $9, must_change_password = $10,
			sessions_valid_from = $11 WHERE id = $1`,
			r.ID, r.Name, r.Unit.Code, roleStrings(r.Roles), r.Disabled, r.PasswordHash, r.TOTPSecret, r.TOTPLastStep, r.UpdatedAt.UTC(),
			r.MustChangePassword, zeroNull(r.SessionsValidFrom))
		if err != nil {
			return translate(err)
		}
		out = r
		return nil
	})
	if err != nil {
		return staff.Record{}, fmt.Errorf("staff/postgres: update member: %w", err)
	}
	return out, nil
}

// Members implements staff.MemberStore.
func (s *Store) Members(ctx context.Context) ([]staff.Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+memberFrom+`ORDER BY m.username`)
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: members: %w", err)
	}
	defer rows.Close()
	out := []staff.Member{}
	for rows.Next() {
		r, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("staff/postgres: members: %w", err)
		}
		out = append(out, r.Member)
	}
	return out, rows.Err()
}

func zeroNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

const throttleColumns = `key, failures, window_start, locked_until, strikes, updated_at`

func scanThrottle(row pgx.Row) (staff.Throttle, error) {
	var t staff.Throttle
	var ws, lu *time.Time
	if err := row.Scan(&t.Key, &t.Failures, &ws, &lu, &t.Strikes, &t.UpdatedAt); err != nil {
		return staff.Throttle{}, translate(err)
	}
	if ws != nil {
		t.WindowStart = ws.UTC()
	}
	if lu != nil {
		t.LockedUntil = lu.UTC()
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
	return t, nil
}

// Throttles implements staff.MemberStore.
func (s *Store) Throttles(ctx context.Context, keys ...string) ([]staff.Throttle, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+throttleColumns+` FROM staff_throttles WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: throttles: %w", err)
	}
	defer rows.Close()
	var out []staff.Throttle
	for rows.Next() {
		t, err := scanThrottle(rows)
		if err != nil {
			return nil, fmt.Errorf("staff/postgres: throttles: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpdateThrottle implements staff.MemberStore.
func (s *Store) UpdateThrottle(ctx context.Context, key string, fn func(*staff.Throttle) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Insert-if-missing, then lock: concurrent first failures serialise
		// on the row instead of racing to create it.
		if _, err := tx.Exec(ctx, `INSERT INTO staff_throttles (key) VALUES ($1) ON CONFLICT DO NOTHING`, key); err != nil {
			return err
		}
		t, err := scanThrottle(tx.QueryRow(ctx, `SELECT `+throttleColumns+` FROM staff_throttles WHERE key = $1 FOR UPDATE`, key))
		if err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE staff_throttles SET failures = $2, window_start = $3, locked_until = $4, strikes = $5, updated_at = $6
			WHERE key = $1`, key, t.Failures, zeroNull(t.WindowStart), zeroNull(t.LockedUntil), t.Strikes, t.UpdatedAt.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("staff/postgres: update throttle: %w", err)
	}
	return nil
}

// PurgeThrottles deletes throttles untouched since before and no longer
// locked, returning how many went.
func (s *Store) PurgeThrottles(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM staff_throttles WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("staff/postgres: purge throttles: %w", err)
	}
	return tag.RowsAffected(), nil
}

// AddPasskey implements staff.MemberStore.
func (s *Store) AddPasskey(ctx context.Context, p staff.Passkey, fn func() error) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return fmt.Errorf("staff/postgres: add passkey: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff_passkeys (id, member_id, name, credential, sign_count, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.MemberID, p.Name, cred, int64(p.Credential.Authenticator.SignCount), p.CreatedAt.UTC())
		if err != nil {
			return translate(err)
		}
		return fn()
	})
	if err != nil {
		return fmt.Errorf("staff/postgres: add passkey: %w", err)
	}
	return nil
}

// Passkeys implements staff.MemberStore.
func (s *Store) Passkeys(ctx context.Context, memberID string) ([]staff.Passkey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, member_id::text, name, credential, sign_count, created_at, last_used_at
		FROM staff_passkeys WHERE member_id::text = $1 ORDER BY created_at, id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("staff/postgres: passkeys: %w", err)
	}
	defer rows.Close()
	var out []staff.Passkey
	for rows.Next() {
		var p staff.Passkey
		var cred []byte
		var count int64
		if err := rows.Scan(&p.ID, &p.MemberID, &p.Name, &cred, &count, &p.CreatedAt, &p.LastUsedAt); err != nil {
			return nil, fmt.Errorf("staff/postgres: passkeys: %w", err)
		}
		if err := json.Unmarshal(cred, &p.Credential); err != nil {
			return nil, fmt.Errorf("staff/postgres: passkey credential: %w", err)
		}
		// The counter column is the one UsePasskey moves.
		p.Credential.Authenticator.SignCount = uint32(count)
		p.CreatedAt = p.CreatedAt.UTC()
		if p.LastUsedAt != nil {
			t := p.LastUsedAt.UTC()
			p.LastUsedAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UsePasskey implements staff.MemberStore.
func (s *Store) UsePasskey(ctx context.Context, id []byte, signCount uint32, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var count int64
		if err := tx.QueryRow(ctx, `SELECT sign_count FROM staff_passkeys WHERE id = $1 FOR UPDATE`, id).Scan(&count); err != nil {
			return translate(err)
		}
		// W3C WebAuthn §7.2 step 22: a counter that does not grow (unless
		// the authenticator keeps none: both zero) means a clone or a
		// replayed answer.
		if (signCount != 0 || count != 0) && int64(signCount) <= count {
			return staff.ErrPasskeyFailed
		}
		_, err := tx.Exec(ctx, `UPDATE staff_passkeys SET sign_count = $2, last_used_at = $3 WHERE id = $1`, id, int64(signCount), at.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("staff/postgres: use passkey: %w", err)
	}
	return nil
}
