package postgres

import (
	"context"
	"encoding/json"
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
		"totp_secret", "totp_confirmed", "totp_last_step", "created_at", "activated_at", "updated_at", "evidence_id"}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"accounts_in"}, cols, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
		r := recs[i]
		return []any{r.ID, r.PersonalID, int16(r.Level), string(r.Status), nullable(r.Phone), r.Email, r.LockReason, r.PasswordHash,
			r.TOTP.Secret, r.TOTP.Confirmed, r.TOTP.LastStep, r.CreatedAt.UTC(), utcPtr(r.ActivatedAt), r.UpdatedAt.UTC(), nullable(r.EvidenceID)}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", translate(err))
	}
	rows, err := tx.Query(ctx, `INSERT INTO accounts SELECT * FROM accounts_in ON CONFLICT (personal_id) DO NOTHING RETURNING id::text`)
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", translate(err))
	}
	created, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: %w", translate(err))
	}
	// The evidence of the accounts created (not of those skipped).
	byID := make(map[string]accounts.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	var evs []*accounts.Evidence
	for _, id := range created {
		if e := byID[id].Enrolment; e != nil {
			evs = append(evs, e)
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"enrolment_evidence"},
		[]string{"id", "account_id", "level", "method", "document_number", "issuing_state", "document_expiry", "signer",
			"checks", "officer_id", "unit", "source", "created_at"},
		pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
			e := evs[i]
			checks, err := json.Marshal(e.Checks)
			return []any{e.ID, e.AccountID, int16(e.Level), string(e.Method), e.DocumentNumber, e.IssuingState, utcPtr(e.DocumentExpiry),
				e.Signer, checks, e.OfficerID, e.Unit, e.Source, e.CreatedAt.UTC()}, err
		}))
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: write accounts: evidence: %w", translate(err))
	}
	return int64(len(created)), nil
}

// PhoneHolders returns, of phones, those an account holds, with the
// account's personal id number, inside tx (the importer names the line of
// a phone another citizen's account holds instead of failing its batch
// with a constraint name).
func PhoneHolders(ctx context.Context, tx pgx.Tx, phones []string) (map[string]string, error) {
	out := map[string]string{}
	if len(phones) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT phone, personal_id FROM accounts WHERE phone = ANY($1)`, phones)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: phone holders: %w", err)
	}
	var phone, pid string
	_, err = pgx.ForEachRow(rows, []any{&phone, &pid}, func() error {
		out[phone] = pid
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: phone holders: %w", err)
	}
	return out, nil
}
