package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// WriteAccounts inserts records inside tx for bulk loads (the importer):
// COPY into a temporary table, then one INSERT that skips personal id
// numbers that already have an account, so a load can be repeated. It
// returns how many accounts were created. A phone number held by another
// account fails the whole statement (ErrAlreadyExists).
func WriteAccounts(ctx context.Context, tx pgx.Tx, recs []accounts.Record) (int64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE accounts_in (LIKE accounts INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", err)
	}
	cols := []string{"id", "personal_id", "level", "status", "phone", "email", "lock_reason", "password_hash",
		"totp_secret", "totp_confirmed", "totp_last_step", "created_at", "activated_at", "updated_at"}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"accounts_in"}, cols, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
		r := recs[i]
		return []any{r.ID, r.PersonalID, int16(r.Level), string(r.Status), nullable(r.Phone), r.Email, r.LockReason, r.PasswordHash,
			r.TOTP.Secret, r.TOTP.Confirmed, r.TOTP.LastStep, r.CreatedAt.UTC(), utcPtr(r.ActivatedAt), r.UpdatedAt.UTC()}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", translate(err))
	}
	tag, err := tx.Exec(ctx, `INSERT INTO accounts SELECT * FROM accounts_in ON CONFLICT (personal_id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", translate(err))
	}
	return tag.RowsAffected(), nil
}
