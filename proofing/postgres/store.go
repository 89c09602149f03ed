// Package postgres stores the proofing domain's challenges, chip reads,
// app submissions and fingerprint references on pgx.
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
	"github.com/dinhdanh/dinhdanh/proofing"
)

// Migrations are the proofing tables, for the migration runner (registered
// in gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is proofing.Store and proofing.References on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

var (
	_ proofing.Store      = (*Store)(nil)
	_ proofing.References = (*Store)(nil)
)

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// CreateChallenge implements proofing.Store.
func (s *Store) CreateChallenge(ctx context.Context, c proofing.Challenge) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO proofing_challenges (value, issued_to, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		c.Value, c.IssuedTo, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("proofing/postgres: create challenge: %w", err)
	}
	return nil
}

// UseChallenge implements proofing.Store.
func (s *Store) UseChallenge(ctx context.Context, value []byte, issuedTo string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE proofing_challenges SET used_at = $3
		WHERE value = $1 AND issued_to = $2 AND used_at IS NULL AND expires_at > $3`, value, issuedTo, now.UTC())
	if err != nil {
		return fmt.Errorf("proofing/postgres: use challenge: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return proofing.ErrChallenge
	}
	return nil
}

// DeleteExpiredChallenges removes challenges that expired before t; it
// says how many.
func (s *Store) DeleteExpiredChallenges(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM proofing_challenges WHERE expires_at < $1`, t.UTC())
	if err != nil {
		return 0, fmt.Errorf("proofing/postgres: delete challenges: %w", err)
	}
	return tag.RowsAffected(), nil
}

const readColumns = `id::text, personal_id, document_number, issuing_state, document_expiry, access_control, signer, csca,
	person, mismatches, checks, read_by, unit, created_at, used_at, document, portrait, portrait_format`

func scanRead(row pgx.Row) (proofing.ChipRead, error) {
	var r proofing.ChipRead
	var exp *time.Time
	var person, checks []byte
	err := row.Scan(&r.ID, &r.PersonalID, &r.DocumentNumber, &r.IssuingState, &exp, &r.AccessControl, &r.Signer, &r.CSCA,
		&person, &r.Mismatches, &checks, &r.ReadBy, &r.Unit, &r.CreatedAt, &r.UsedAt, &r.Document, &r.Portrait, &r.PortraitFormat)
	if errors.Is(err, pgx.ErrNoRows) {
		return proofing.ChipRead{}, proofing.ErrNotFound
	}
	if err != nil {
		return proofing.ChipRead{}, err
	}
	if exp != nil {
		r.DocumentExpiry = exp.UTC()
	}
	if err := json.Unmarshal(person, &r.Person); err != nil {
		return proofing.ChipRead{}, fmt.Errorf("person: %w", err)
	}
	if err := json.Unmarshal(checks, &r.Checks); err != nil {
		return proofing.ChipRead{}, fmt.Errorf("checks: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	r.UsedAt = utc(r.UsedAt)
	if len(r.Mismatches) == 0 {
		r.Mismatches = nil
	}
	return r, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func date(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SaveRead implements proofing.Store.
func (s *Store) SaveRead(ctx context.Context, r proofing.ChipRead, fn func() error) error {
	person, err := json.Marshal(r.Person)
	if err != nil {
		return err
	}
	checks, err := json.Marshal(nonNil(r.Checks))
	if err != nil {
		return err
	}
	mismatches := r.Mismatches
	if mismatches == nil {
		mismatches = []string{}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO chip_reads (id, personal_id, document_number, issuing_state, document_expiry,
			access_control, signer, csca, person, mismatches, checks, read_by, unit, created_at, document, portrait, portrait_format)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			r.ID, r.PersonalID, r.DocumentNumber, r.IssuingState, date(r.DocumentExpiry), r.AccessControl, r.Signer, r.CSCA,
			person, mismatches, checks, r.ReadBy, r.Unit, r.CreatedAt.UTC(), document(r.Document), r.Portrait, r.PortraitFormat)
		if err != nil {
			return fmt.Errorf("proofing/postgres: save read: %w", err)
		}
		return fn()
	})
}

func nonNil(c []accounts.Check) []accounts.Check {
	if c == nil {
		return []accounts.Check{}
	}
	return c
}

// Read implements proofing.Store.
func (s *Store) Read(ctx context.Context, id string) (proofing.ChipRead, error) {
	r, err := scanRead(s.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM chip_reads WHERE id::text = $1`, id))
	if err != nil && !errors.Is(err, proofing.ErrNotFound) {
		return proofing.ChipRead{}, fmt.Errorf("proofing/postgres: read: %w", err)
	}
	return r, err
}

func document(d string) string {
	if d == "" {
		return proofing.DocumentIDCard
	}
	return d
}

// UseRead implements proofing.Store.
func (s *Store) UseRead(ctx context.Context, id string, t time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE chip_reads SET used_at = $2 WHERE id::text = $1 AND used_at IS NULL`, id, t.UTC())
	if err != nil {
		return fmt.Errorf("proofing/postgres: use read: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return proofing.ErrStale
	}
	return nil
}

// DropPortraits implements proofing.Store.
func (s *Store) DropPortraits(ctx context.Context, id string, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE chip_reads SET portrait = NULL, portrait_format = ''
		WHERE portrait IS NOT NULL AND (id::text = $1 OR created_at < $2)`, id, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("proofing/postgres: drop portraits: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ReleaseRead implements proofing.Store.
func (s *Store) ReleaseRead(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE chip_reads SET used_at = NULL WHERE id::text = $1`, id); err != nil {
		return fmt.Errorf("proofing/postgres: release read: %w", err)
	}
	return nil
}

// Reads implements proofing.Store.
func (s *Store) Reads(ctx context.Context, readBy string, since time.Time) ([]proofing.ChipRead, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+readColumns+` FROM chip_reads WHERE read_by = $1 AND read_by <> '' AND created_at >= $2
		ORDER BY created_at DESC LIMIT 100`, readBy, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("proofing/postgres: reads: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (proofing.ChipRead, error) { return scanRead(row) })
	if err != nil {
		return nil, fmt.Errorf("proofing/postgres: reads: %w", err)
	}
	return out, nil
}

const submissionColumns = `id::text, account_id::text, personal_id, channel, coalesce(read_id::text, ''), document_number,
	issuing_state, document_expiry, signer, checks, state, portrait, portrait_format, created_at, decided_at, decided_by,
	unit, reason, evidence_id`

func scanSubmission(row pgx.Row) (proofing.Submission, error) {
	var s proofing.Submission
	var checks []byte
	var channel, state string
	err := row.Scan(&s.ID, &s.AccountID, &s.PersonalID, &channel, &s.ReadID, &s.DocumentNumber, &s.IssuingState,
		&s.DocumentExpiry, &s.Signer, &checks, &state, &s.Portrait, &s.PortraitFormat, &s.CreatedAt, &s.DecidedAt,
		&s.DecidedBy, &s.Unit, &s.Reason, &s.EvidenceID)
	if errors.Is(err, pgx.ErrNoRows) {
		return proofing.Submission{}, proofing.ErrNotFound
	}
	if err != nil {
		return proofing.Submission{}, err
	}
	s.Channel, s.State = proofing.Channel(channel), proofing.SubmissionState(state)
	if err := json.Unmarshal(checks, &s.Checks); err != nil {
		return proofing.Submission{}, fmt.Errorf("checks: %w", err)
	}
	s.CreatedAt, s.DecidedAt, s.DocumentExpiry = s.CreatedAt.UTC(), utc(s.DecidedAt), utc(s.DocumentExpiry)
	return s, nil
}

func nullUUID(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateSubmission implements proofing.Store.
func (s *Store) CreateSubmission(ctx context.Context, sub proofing.Submission, fn func() error) error {
	checks, err := json.Marshal(nonNil(sub.Checks))
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enrolment_submissions (id, account_id, personal_id, channel, read_id, document_number,
			issuing_state, document_expiry, signer, checks, state, portrait, portrait_format, created_at, decided_at, decided_by,
			unit, reason, evidence_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			sub.ID, sub.AccountID, sub.PersonalID, string(sub.Channel), nullUUID(sub.ReadID), sub.DocumentNumber,
			sub.IssuingState, sub.DocumentExpiry, sub.Signer, checks, string(sub.State), sub.Portrait, sub.PortraitFormat,
			sub.CreatedAt.UTC(), utc(sub.DecidedAt), sub.DecidedBy, sub.Unit, sub.Reason, sub.EvidenceID)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23503" {
				return fmt.Errorf("proofing/postgres: create submission: %w", proofing.ErrNotFound)
			}
			return fmt.Errorf("proofing/postgres: create submission: %w", err)
		}
		return fn()
	})
}

// Submission implements proofing.Store.
func (s *Store) Submission(ctx context.Context, id string) (proofing.Submission, error) {
	sub, err := scanSubmission(s.pool.QueryRow(ctx, `SELECT `+submissionColumns+` FROM enrolment_submissions WHERE id::text = $1`, id))
	if err != nil && !errors.Is(err, proofing.ErrNotFound) {
		return proofing.Submission{}, fmt.Errorf("proofing/postgres: submission: %w", err)
	}
	return sub, err
}

// UpdateSubmission implements proofing.Store.
func (s *Store) UpdateSubmission(ctx context.Context, id string, fn func(*proofing.Submission) error) (proofing.Submission, error) {
	var out proofing.Submission
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sub, err := scanSubmission(tx.QueryRow(ctx, `SELECT `+submissionColumns+` FROM enrolment_submissions
			WHERE id::text = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&sub); err != nil {
			return err
		}
		checks, err := json.Marshal(nonNil(sub.Checks))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE enrolment_submissions SET checks = $2, state = $3, portrait = $4, decided_at = $5,
			decided_by = $6, unit = $7, reason = $8, evidence_id = $9 WHERE id = $1`,
			sub.ID, checks, string(sub.State), sub.Portrait, utc(sub.DecidedAt), sub.DecidedBy, sub.Unit, sub.Reason, sub.EvidenceID)
		if err != nil {
			return err
		}
		out = sub
		return nil
	})
	if err != nil {
		if errors.Is(err, proofing.ErrNotFound) {
			return proofing.Submission{}, err
		}
		return proofing.Submission{}, fmt.Errorf("proofing/postgres: update submission: %w", err)
	}
	return out, nil
}

// PendingSubmissions implements proofing.Store.
func (s *Store) PendingSubmissions(ctx context.Context, limit int) ([]proofing.Submission, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM enrolment_submissions WHERE state = 'pending'
		ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("proofing/postgres: pending: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (proofing.Submission, error) { return scanSubmission(row) })
	if err != nil {
		return nil, fmt.Errorf("proofing/postgres: pending: %w", err)
	}
	return out, nil
}

// FingerprintReference implements proofing.References.
func (s *Store) FingerprintReference(ctx context.Context, personalID string, position int) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT template FROM fingerprint_references WHERE personal_id = $1 AND position = $2`,
		personalID, position).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, proofing.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("proofing/postgres: fingerprint reference: %w", err)
	}
	return b, nil
}

// PutFingerprintReference loads the template enrolled for a card's finger
// (from the card production database, or the demo data).
func (s *Store) PutFingerprintReference(ctx context.Context, personalID string, position int, template []byte, source string, t time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO fingerprint_references (personal_id, position, template, source, loaded_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (personal_id, position) DO UPDATE
		SET template = EXCLUDED.template, source = EXCLUDED.source, loaded_at = EXCLUDED.loaded_at`,
		personalID, position, template, source, t.UTC())
	if err != nil {
		return fmt.Errorf("proofing/postgres: put fingerprint reference: %w", err)
	}
	return nil
}
