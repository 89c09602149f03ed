package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.PasskeyStore = (*Store)(nil)

// AddPasskey implements accounts.PasskeyStore.
func (s *Store) AddPasskey(ctx context.Context, p accounts.Passkey, fn func() error) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return fmt.Errorf("accounts/postgres: add passkey: %w", err)
	}
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO account_passkeys
			(id, account_id, name, aaguid, transports, credential, sign_count, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.ID, p.AccountID, p.Name, aaguid, transports, cred, int64(p.SignCount), p.CreatedAt.UTC())
		if err != nil {
			return translate(err)
		}
		if fn != nil {
			return fn()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: add passkey: %w", err)
	}
	return nil
}

// Passkeys implements accounts.PasskeyStore.
func (s *Store) Passkeys(ctx context.Context, accountID string) ([]accounts.Passkey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, account_id::text, name, aaguid, transports, credential,
		sign_count, created_at, last_used_at
		FROM account_passkeys WHERE account_id::text = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: passkeys: %w", err)
	}
	defer rows.Close()
	var out []accounts.Passkey
	for rows.Next() {
		var p accounts.Passkey
		var cred []byte
		var count int64
		if err := rows.Scan(&p.ID, &p.AccountID, &p.Name, &p.AAGUID, &p.Transports, &cred, &count, &p.CreatedAt, &p.LastUsedAt); err != nil {
			return nil, fmt.Errorf("accounts/postgres: passkeys: %w", err)
		}
		if err := json.Unmarshal(cred, &p.Credential); err != nil {
			return nil, fmt.Errorf("accounts/postgres: passkey credential: %w", err)
		}
		// The counter column is the one UsePasskey moves.
		p.SignCount = uint32(count)
		p.Credential.Authenticator.SignCount = p.SignCount
		p.CreatedAt = p.CreatedAt.UTC()
		if p.LastUsedAt != nil {
			t := p.LastUsedAt.UTC()
			p.LastUsedAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UsePasskey implements accounts.PasskeyStore.
func (s *Store) UsePasskey(ctx context.Context, id []byte, signCount uint32, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var count int64
		if err := tx.QueryRow(ctx, `SELECT sign_count FROM account_passkeys WHERE id = $1 FOR UPDATE`, id).Scan(&count); err != nil {
			return translate(err)
		}
		// W3C WebAuthn §7.2 step 22: a counter that does not grow (unless
		// the authenticator keeps none: both zero) means a clone or a
		// replayed answer.
		if (signCount != 0 || count != 0) && int64(signCount) <= count {
			return accounts.ErrPasskeyFailed
		}
		_, err := tx.Exec(ctx, `UPDATE account_passkeys SET sign_count = $2, last_used_at = $3 WHERE id = $1`,
			id, int64(signCount), at.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: use passkey: %w", err)
	}
	return nil
}

// RemovePasskey implements accounts.PasskeyStore.
func (s *Store) RemovePasskey(ctx context.Context, accountID string, id []byte, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM account_passkeys WHERE account_id::text = $1 AND id = $2`, accountID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return accounts.ErrNotFound
		}
		if fn != nil {
			return fn()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: remove passkey: %w", err)
	}
	return nil
}
