package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// Migrations are the accounts tables.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is accounts.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ accounts.Store = (*Store)(nil)

// NewStore returns a Store on pool (the application role).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// translate maps driver errors to the accounts sentinels.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return accounts.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w (%s)", accounts.ErrAlreadyExists, pgErr.ConstraintName)
	}
	return err
}

const accountColumns = `id::text, personal_id, level, status, coalesce(phone, ''), email, lock_reason,
	password_hash, totp_secret, totp_confirmed, totp_last_step, created_at, activated_at, updated_at,
	passcode_hash, security_answers, sign_ins_ended_at, coalesce(evidence_id::text, ''), lang, first_sign_in_at`

func scanRecord(row pgx.Row) (accounts.Record, error) {
	var r accounts.Record
	var status string
	var answers []byte
	err := row.Scan(&r.ID, &r.PersonalID, &r.Level, &status, &r.Phone, &r.Email, &r.LockReason,
		&r.PasswordHash, &r.TOTP.Secret, &r.TOTP.Confirmed, &r.TOTP.LastStep, &r.CreatedAt, &r.ActivatedAt, &r.UpdatedAt,
		&r.PasscodeHash, &answers, &r.SignInsEndedAt, &r.EvidenceID, &r.Lang, &r.FirstSignInAt)
	if err != nil {
		return accounts.Record{}, translate(err)
	}
	if err := json.Unmarshal(answers, &r.SecurityAnswers); err != nil {
		return accounts.Record{}, fmt.Errorf("security answers: %w", err)
	}
	if len(r.SecurityAnswers) == 0 {
		r.SecurityAnswers = nil
	}
	r.Status = accounts.Status(status)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if r.ActivatedAt != nil {
		t := r.ActivatedAt.UTC()
		r.ActivatedAt = &t
	}
	r.SignInsEndedAt, r.FirstSignInAt = utcPtr(r.SignInsEndedAt), utcPtr(r.FirstSignInAt)
	return r, nil
}

// langOf is the lang column's value: Vietnamese unless English was chosen.
func langOf(l string) string {
	if l == accounts.LangEN {
		return l
	}
	return accounts.LangVI
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Create implements accounts.Store.
func (s *Store) Create(ctx context.Context, r accounts.Record, fn func() error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO accounts (id, personal_id, level, status, phone, email, lock_reason,
			password_hash, totp_secret, totp_confirmed, totp_last_step, created_at, activated_at, updated_at,
			passcode_hash, security_answers, evidence_id, lang)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			r.ID, r.PersonalID, int(r.Level), string(r.Status), nullable(r.Phone), r.Email, r.LockReason,
			r.PasswordHash, r.TOTP.Secret, r.TOTP.Confirmed, r.TOTP.LastStep, r.CreatedAt.UTC(), utcPtr(r.ActivatedAt), r.UpdatedAt.UTC(),
			r.PasscodeHash, answersJSON(r.SecurityAnswers), nullable(r.EvidenceID), langOf(r.Lang))
		if err != nil {
			return translate(err)
		}
		if err := insertEvidence(ctx, tx, r); err != nil {
			return err
		}
		if fn != nil {
			return fn()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: create: %w", err)
	}
	return nil
}

// answersJSON is the security_answers column value: a JSON array, never
// null.
func answersJSON(a []accounts.SecurityAnswer) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a) // strings only: cannot fail
	return string(b)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Get implements accounts.Store.
func (s *Store) Get(ctx context.Context, id string) (accounts.Record, error) {
	if !validUUID(id) {
		return accounts.Record{}, accounts.ErrNotFound
	}
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return accounts.Record{}, fmt.Errorf("accounts/postgres: get: %w", err)
	}
	return r, nil
}

// ByPersonalID implements accounts.Store.
func (s *Store) ByPersonalID(ctx context.Context, personalID string) (accounts.Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE personal_id = $1`, personalID))
	if err != nil {
		return accounts.Record{}, fmt.Errorf("accounts/postgres: by personal id: %w", err)
	}
	return r, nil
}

// Update implements accounts.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(*accounts.Record) error) (accounts.Record, error) {
	if !validUUID(id) {
		return accounts.Record{}, accounts.ErrNotFound
	}
	var out accounts.Record
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRecord(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET level = $2, status = $3, phone = $4, email = $5, lock_reason = $6,
			password_hash = $7, totp_secret = $8, totp_confirmed = $9, totp_last_step = $10, activated_at = $11, updated_at = $12,
			passcode_hash = $13, security_answers = $14, sign_ins_ended_at = $15, evidence_id = $16, lang = $17
			WHERE id = $1`,
			id, int(r.Level), string(r.Status), nullable(r.Phone), r.Email, r.LockReason,
			r.PasswordHash, r.TOTP.Secret, r.TOTP.Confirmed, r.TOTP.LastStep, utcPtr(r.ActivatedAt), r.UpdatedAt.UTC(),
			r.PasscodeHash, answersJSON(r.SecurityAnswers), utcPtr(r.SignInsEndedAt), nullable(r.EvidenceID), langOf(r.Lang))
		if err != nil {
			return translate(err)
		}
		if err := insertEvidence(ctx, tx, r); err != nil {
			return err
		}
		r.Enrolment = nil
		out = r
		return nil
	})
	if err != nil {
		return accounts.Record{}, fmt.Errorf("accounts/postgres: update: %w", err)
	}
	return out, nil
}

// MarkFirstSignIn implements accounts.Store: one UPDATE by primary key
// that changes no row once the first sign-in is recorded.
func (s *Store) MarkFirstSignIn(ctx context.Context, id string, at time.Time) error {
	if !validUUID(id) {
		return accounts.ErrNotFound
	}
	_, err := s.pool.Exec(ctx, `UPDATE accounts SET first_sign_in_at = $2 WHERE id = $1 AND first_sign_in_at IS NULL`, id, at.UTC())
	if err != nil {
		return fmt.Errorf("accounts/postgres: first sign-in: %w", err)
	}
	return nil
}

// CreateSMSCode implements accounts.Store.
func (s *Store) CreateSMSCode(ctx context.Context, c accounts.SMSCode) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sms_codes SET burnt = true WHERE account_id = $1 AND used_at IS NULL AND NOT burnt`, c.AccountID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sms_codes (id, account_id, code_hash, created_at, expires_at, attempts, used_at, burnt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.AccountID, c.Hash, c.CreatedAt.UTC(), c.ExpiresAt.UTC(), c.Attempts, utcPtr(c.UsedAt), c.Burnt)
		return err
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: no such account
			return fmt.Errorf("accounts/postgres: create SMS code: %w", accounts.ErrNotFound)
		}
		return fmt.Errorf("accounts/postgres: create SMS code: %w", translate(err))
	}
	return nil
}

// UpdateSMSCode implements accounts.Store.
func (s *Store) UpdateSMSCode(ctx context.Context, accountID string, fn func(*accounts.SMSCode) error) error {
	if !validUUID(accountID) {
		return accounts.ErrNotFound
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var c accounts.SMSCode
		err := tx.QueryRow(ctx, `SELECT id::text, account_id::text, code_hash, created_at, expires_at, attempts, used_at, burnt
			FROM sms_codes WHERE account_id = $1 AND used_at IS NULL AND NOT burnt
			ORDER BY created_at DESC LIMIT 1 FOR UPDATE`, accountID).
			Scan(&c.ID, &c.AccountID, &c.Hash, &c.CreatedAt, &c.ExpiresAt, &c.Attempts, &c.UsedAt, &c.Burnt)
		if err != nil {
			return translate(err)
		}
		c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utcPtr(c.UsedAt)
		if err := fn(&c); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sms_codes SET attempts = $2, used_at = $3, burnt = $4 WHERE id = $1`,
			c.ID, c.Attempts, utcPtr(c.UsedAt), c.Burnt)
		return err
	})
	if err != nil {
		return fmt.Errorf("accounts/postgres: update SMS code: %w", err)
	}
	return nil
}

const throttleColumns = `scope, key, failures, window_start, locked_until, strikes, updated_at`

func scanThrottle(row pgx.Row) (accounts.Throttle, error) {
	var t accounts.Throttle
	var scope string
	var ws, lu *time.Time
	if err := row.Scan(&scope, &t.Key, &t.Failures, &ws, &lu, &t.Strikes, &t.UpdatedAt); err != nil {
		return accounts.Throttle{}, translate(err)
	}
	t.Scope = accounts.Scope(scope)
	if ws != nil {
		t.WindowStart = ws.UTC()
	}
	if lu != nil {
		t.LockedUntil = lu.UTC()
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
	return t, nil
}

func zeroNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Throttles implements accounts.Store.
func (s *Store) Throttles(ctx context.Context, keys ...accounts.ThrottleKey) ([]accounts.Throttle, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	scopes := make([]string, len(keys))
	ks := make([]string, len(keys))
	for i, k := range keys {
		scopes[i], ks[i] = string(k.Scope), k.Key
	}
	rows, err := s.pool.Query(ctx, `SELECT `+throttleColumns+` FROM signin_throttles
		WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, scopes, ks)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: throttles: %w", err)
	}
	defer rows.Close()
	var out []accounts.Throttle
	for rows.Next() {
		t, err := scanThrottle(rows)
		if err != nil {
			return nil, fmt.Errorf("accounts/postgres: throttles: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts/postgres: throttles: %w", err)
	}
	return out, nil
}

// UpdateThrottle implements accounts.Store.
func (s *Store) UpdateThrottle(ctx context.Context, key accounts.ThrottleKey, fn func(*accounts.Throttle) error) (accounts.Throttle, error) {
	var out accounts.Throttle
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Insert-if-missing, then lock: concurrent first failures for one
		// key serialise on the row instead of racing to create it.
		if _, err := tx.Exec(ctx, `INSERT INTO signin_throttles (scope, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			string(key.Scope), key.Key); err != nil {
			return err
		}
		t, err := scanThrottle(tx.QueryRow(ctx, `SELECT `+throttleColumns+` FROM signin_throttles
			WHERE scope = $1 AND key = $2 FOR UPDATE`, string(key.Scope), key.Key))
		if err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
		if t.UpdatedAt.IsZero() {
			t.UpdatedAt = time.Now().UTC()
		}
		_, err = tx.Exec(ctx, `UPDATE signin_throttles SET failures = $3, window_start = $4, locked_until = $5, strikes = $6, updated_at = $7
			WHERE scope = $1 AND key = $2`,
			string(key.Scope), key.Key, t.Failures, zeroNull(t.WindowStart), zeroNull(t.LockedUntil), t.Strikes, t.UpdatedAt.UTC())
		out = t
		return err
	})
	if err != nil {
		return accounts.Throttle{}, fmt.Errorf("accounts/postgres: update throttle: %w", err)
	}
	return out, nil
}

// Purge implements accounts.Store.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sms_codes WHERE expires_at < $1`, before.UTC())
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM signin_throttles WHERE updated_at < $1
			AND (locked_until IS NULL OR locked_until < $1)`, before.UTC())
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		// App sign-in challenges and app sessions past their expiry.
		for _, q := range []string{`DELETE FROM app_challenges WHERE expires_at < $1`, `DELETE FROM app_sessions WHERE expires_at < $1`} {
			tag, err = tx.Exec(ctx, q, before.UTC())
			if err != nil {
				return err
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: purge: %w", err)
	}
	return n, nil
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Accounts reads accounts from the store as accounts.Account, for readers
// that need nothing of the service (the consent screen's value preview,
// built before the service in the composition root).
type Accounts struct{ Store *Store }

// Get returns the account; accounts.ErrNotFound when there is none.
func (a Accounts) Get(ctx context.Context, id string) (accounts.Account, error) {
	r, err := a.Store.Get(ctx, id)
	return r.Account, err
}
