package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.AppDeviceStore = (*Store)(nil)

const deviceColumns = `id, account_id::text, public_jwk, name, model, bound_at, last_sign_in_at`

func scanDevice(row pgx.Row) (accounts.AppDevice, error) {
	var d accounts.AppDevice
	if err := row.Scan(&d.ID, &d.AccountID, &d.PublicJWK, &d.Name, &d.Model, &d.BoundAt, &d.LastSignInAt); err != nil {
		return accounts.AppDevice{}, translate(err)
	}
	d.BoundAt = d.BoundAt.UTC()
	d.LastSignInAt = utcPtr(d.LastSignInAt)
	return d, nil
}

// BindDevice implements accounts.AppDeviceStore.
func (s *Store) BindDevice(ctx context.Context, d accounts.AppDevice, fn func(old *accounts.AppDevice) error) error {
	if !validUUID(d.AccountID) {
		return fmt.Errorf("accounts/postgres: bind device: %w", accounts.ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, d.AccountID).Scan(&one); err != nil {
			return translate(err)
		}
		var old *accounts.AppDevice
		o, err := scanDevice(tx.QueryRow(ctx, `DELETE FROM app_devices WHERE account_id = $1 RETURNING `+deviceColumns, d.AccountID))
		switch {
		case err == nil:
			old = &o
		case !errors.Is(err, accounts.ErrNotFound):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO app_devices (id, account_id, public_jwk, name, model, bound_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, d.AccountID, d.PublicJWK, d.Name, d.Model, d.BoundAt.UTC())
		if err != nil {
			return translate(err)
		}
		if fn != nil {
			return fn(old)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: bind device: %w", err)
	}
	return nil
}

// DeviceByID implements accounts.AppDeviceStore.
func (s *Store) DeviceByID(ctx context.Context, id string) (accounts.AppDevice, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM app_devices WHERE id = $1`, id))
	if err != nil {
		return accounts.AppDevice{}, fmt.Errorf("accounts/postgres: device: %w", err)
	}
	return d, nil
}

// DeviceOf implements accounts.AppDeviceStore.
func (s *Store) DeviceOf(ctx context.Context, accountID string) (accounts.AppDevice, error) {
	if !validUUID(accountID) {
		return accounts.AppDevice{}, fmt.Errorf("accounts/postgres: device of: %w", accounts.ErrNotFound)
	}
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM app_devices WHERE account_id = $1`, accountID))
	if err != nil {
		return accounts.AppDevice{}, fmt.Errorf("accounts/postgres: device of: %w", err)
	}
	return d, nil
}

// UnbindDevice implements accounts.AppDeviceStore.
func (s *Store) UnbindDevice(ctx context.Context, accountID string, fn func(accounts.AppDevice) error) error {
	if !validUUID(accountID) {
		return fmt.Errorf("accounts/postgres: unbind device: %w", accounts.ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := scanDevice(tx.QueryRow(ctx, `DELETE FROM app_devices WHERE account_id = $1 RETURNING `+deviceColumns, accountID))
		if err != nil {
			return err
		}
		if fn != nil {
			return fn(d)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: unbind device: %w", err)
	}
	return nil
}

// CreateAppChallenge implements accounts.AppDeviceStore. Challenges that
// expired an hour before this one was made are deleted on the way.
func (s *Store) CreateAppChallenge(ctx context.Context, c accounts.AppChallenge) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM app_challenges WHERE expires_at < $1`, c.CreatedAt.UTC().Add(-time.Hour)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO app_challenges (hash, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			c.Hash, c.DeviceID, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: create app challenge: %w", err)
	}
	return nil
}

// UseAppChallenge implements accounts.AppDeviceStore.
func (s *Store) UseAppChallenge(ctx context.Context, hash []byte, at time.Time) (accounts.AppChallenge, error) {
	var c accounts.AppChallenge
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT hash, device_id, created_at, expires_at, used_at FROM app_challenges
			WHERE hash = $1 FOR UPDATE`, hash).Scan(&c.Hash, &c.DeviceID, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt)
		if err != nil {
			return translate(err)
		}
		if c.UsedAt != nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE app_challenges SET used_at = $2 WHERE hash = $1`, hash, at.UTC())
		return err
	})
	if err != nil {
		return accounts.AppChallenge{}, fmt.Errorf("accounts/postgres: use app challenge: %w", err)
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utcPtr(c.UsedAt)
	return c, nil
}

// CreateAppSession implements accounts.AppDeviceStore.
func (s *Store) CreateAppSession(ctx context.Context, sess accounts.AppSession) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE app_devices SET last_sign_in_at = $3 WHERE id = $1 AND account_id::text = $2`,
			sess.DeviceID, sess.AccountID, sess.CreatedAt.UTC())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return accounts.ErrNotFound
		}
		_, err = tx.Exec(ctx, `INSERT INTO app_sessions (hash, account_id, device_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, sess.Hash, sess.AccountID, sess.DeviceID, sess.CreatedAt.UTC(), sess.ExpiresAt.UTC())
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: create app session: %w", err)
	}
	return nil
}

// AppSession implements accounts.AppDeviceStore.
func (s *Store) AppSession(ctx context.Context, hash []byte) (accounts.AppSession, error) {
	var a accounts.AppSession
	err := s.pool.QueryRow(ctx, `SELECT hash, account_id::text, device_id, created_at, expires_at FROM app_sessions WHERE hash = $1`,
		hash).Scan(&a.Hash, &a.AccountID, &a.DeviceID, &a.CreatedAt, &a.ExpiresAt)
	if err != nil {
		return accounts.AppSession{}, fmt.Errorf("accounts/postgres: app session: %w", translate(err))
	}
	a.CreatedAt, a.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	return a, nil
}
