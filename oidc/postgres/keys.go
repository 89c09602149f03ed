package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// ListKeys implements oidc.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]oidc.StoredKey, int64, error) {
	var out []oidc.StoredKey
	var version int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		if err := s.q(ctx).QueryRow(ctx, `SELECT version FROM oidc_keys_version`).Scan(&version); err != nil {
			return err
		}
		rows, err := s.q(ctx).Query(ctx, `SELECT kid, alg, public_jwk, private_enc, created_at, sign_from, retire_at
			FROM oidc_signing_keys ORDER BY sign_from DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k oidc.StoredKey
			if err := rows.Scan(&k.KID, &k.Alg, &k.PublicJWK, &k.PrivateEnc, &k.CreatedAt, &k.SignFrom, &k.RetireAt); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("oidc/postgres: list keys: %w", err)
	}
	return out, version, nil
}

// KeysVersion implements oidc.KeyStore.
func (s *Store) KeysVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.q(ctx).QueryRow(ctx, `SELECT version FROM oidc_keys_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("oidc/postgres: keys version: %w", err)
	}
	return v, nil
}

// AddKeys implements oidc.KeyStore. The version row is locked first, which
// serialises rotations of every replica.
func (s *Store) AddKeys(ctx context.Context, keys []oidc.StoredKey, retireAt time.Time, onlyIfEmpty bool) (bool, error) {
	added := false
	err := s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.q(ctx).Exec(ctx, `SELECT version FROM oidc_keys_version FOR UPDATE`); err != nil {
			return err
		}
		if onlyIfEmpty {
			var exists bool
			if err := s.q(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oidc_signing_keys)`).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return nil
			}
		}
		for _, k := range keys {
			if _, err := s.q(ctx).Exec(ctx, `UPDATE oidc_signing_keys SET retire_at = $2 WHERE alg = $1 AND retire_at IS NULL`,
				k.Alg, retireAt.UTC()); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if _, err := s.q(ctx).Exec(ctx, `INSERT INTO oidc_signing_keys (kid, alg, public_jwk, private_enc, created_at, sign_from)
				VALUES ($1, $2, $3, $4, $5, $6)`, k.KID, k.Alg, k.PublicJWK, k.PrivateEnc, k.CreatedAt.UTC(), k.SignFrom.UTC()); err != nil {
				return err
			}
		}
		added = true
		_, err := s.q(ctx).Exec(ctx, `UPDATE oidc_keys_version SET version = version + 1`)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("oidc/postgres: add keys: %w", err)
	}
	return added, nil
}

// DeleteKeysRetiredBefore implements oidc.KeyStore.
func (s *Store) DeleteKeysRetiredBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_signing_keys WHERE retire_at < $1`, t.UTC())
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		if n > 0 {
			_, err = s.q(ctx).Exec(ctx, `UPDATE oidc_keys_version SET version = version + 1`)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: delete keys: %w", err)
	}
	return n, nil
}
