package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.RegistrationStore = (*Store)(nil)

const registrationColumns = `id::text, personal_id, coalesce(phone, ''), email, lang, code_hash, created_at, expires_at, attempts, burnt, confirmed_at, completed_at`

func scanRegistration(row pgx.Row) (accounts.Registration, error) {
	var g accounts.Registration
	err := row.Scan(&g.ID, &g.PersonalID, &g.Phone, &g.Email, &g.Lang, &g.CodeHash, &g.CreatedAt, &g.ExpiresAt, &g.Attempts, &g.Burnt,
		&g.ConfirmedAt, &g.CompletedAt)
	if err != nil {
		return accounts.Registration{}, translate(err)
	}
	g.CreatedAt, g.ExpiresAt = g.CreatedAt.UTC(), g.ExpiresAt.UTC()
	g.ConfirmedAt, g.CompletedAt = utcPtr(g.ConfirmedAt), utcPtr(g.CompletedAt)
	return g, nil
}

// CreateRegistration implements accounts.RegistrationStore.
func (s *Store) CreateRegistration(ctx context.Context, g accounts.Registration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO registrations (id, personal_id, phone, email, lang, code_hash, created_at, expires_at,
		attempts, burnt, confirmed_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		g.ID, g.PersonalID, nullable(g.Phone), g.Email, langOf(g.Lang), g.CodeHash, g.CreatedAt.UTC(), g.ExpiresAt.UTC(), g.Attempts, g.Burnt,
		utcPtr(g.ConfirmedAt), utcPtr(g.CompletedAt))
	if err != nil {
		return fmt.Errorf("accounts/postgres: create registration: %w", translate(err))
	}
	return nil
}

// UpdateRegistration implements accounts.RegistrationStore.
func (s *Store) UpdateRegistration(ctx context.Context, id string, fn func(*accounts.Registration) error) (accounts.Registration, error) {
	if !validUUID(id) {
		return accounts.Registration{}, accounts.ErrNotFound
	}
	var out accounts.Registration
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		g, err := scanRegistration(tx.QueryRow(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE registrations SET attempts = $2, burnt = $3, confirmed_at = $4, completed_at = $5
			WHERE id = $1`, id, g.Attempts, g.Burnt, utcPtr(g.ConfirmedAt), utcPtr(g.CompletedAt))
		out = g
		return err
	})
	if err != nil {
		return accounts.Registration{}, fmt.Errorf("accounts/postgres: update registration: %w", err)
	}
	return out, nil
}

// PhoneInUse implements accounts.RegistrationStore.
func (s *Store) PhoneInUse(ctx context.Context, phone string) (bool, error) {
	var used bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE phone = $1)`, phone).Scan(&used); err != nil {
		return false, fmt.Errorf("accounts/postgres: phone in use: %w", err)
	}
	return used, nil
}

// PurgeRegistrations implements accounts.RegistrationStore.
func (s *Store) PurgeRegistrations(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM registrations WHERE created_at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: purge registrations: %w", err)
	}
	return tag.RowsAffected(), nil
}
