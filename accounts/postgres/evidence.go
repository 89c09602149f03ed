package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

const evidenceColumns = `id::text, account_id::text, level, method, document_number, issuing_state, document_expiry,
	signer, checks, officer_id, unit, source, created_at, revoked_at, revoked_reason, document, csca`

// insertEvidence writes r.Enrolment, when set, in tx: the evidence the
// write's new level rests on.
func insertEvidence(ctx context.Context, tx pgx.Tx, r accounts.Record) error {
	e := r.Enrolment
	if e == nil {
		return nil
	}
	checks, err := json.Marshal(e.Checks)
	if err != nil {
		return err
	}
	var expiry *time.Time
	if e.DocumentExpiry != nil {
		d := e.DocumentExpiry.UTC()
		expiry = &d
	}
	_, err = tx.Exec(ctx, `INSERT INTO enrolment_evidence (id, account_id, level, method, document_number, issuing_state,
		document_expiry, signer, checks, officer_id, unit, source, created_at, document, csca)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		e.ID, r.ID, int(e.Level), string(e.Method), e.DocumentNumber, e.IssuingState,
		expiry, e.Signer, checks, e.OfficerID, e.Unit, e.Source, e.CreatedAt.UTC(), e.Document, e.CSCA)
	return translate(err)
}

func scanEvidence(row pgx.Row) (accounts.Evidence, error) {
	var e accounts.Evidence
	var method string
	var checks []byte
	err := row.Scan(&e.ID, &e.AccountID, &e.Level, &method, &e.DocumentNumber, &e.IssuingState, &e.DocumentExpiry,
		&e.Signer, &checks, &e.OfficerID, &e.Unit, &e.Source, &e.CreatedAt, &e.RevokedAt, &e.RevokedReason,
		&e.Document, &e.CSCA)
	if err != nil {
		return accounts.Evidence{}, translate(err)
	}
	e.Method = accounts.EvidenceMethod(method)
	if err := json.Unmarshal(checks, &e.Checks); err != nil {
		return accounts.Evidence{}, fmt.Errorf("evidence checks: %w", err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if e.RevokedAt != nil {
		t := e.RevokedAt.UTC()
		e.RevokedAt = &t
	}
	if e.DocumentExpiry != nil {
		t := e.DocumentExpiry.UTC()
		e.DocumentExpiry = &t
	}
	return e, nil
}

func evidenceOf(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, accountID string) ([]accounts.Evidence, error) {
	rows, err := q.Query(ctx, `SELECT `+evidenceColumns+` FROM enrolment_evidence WHERE account_id = $1
		ORDER BY created_at DESC, seq DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []accounts.Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceOf implements accounts.Store.
func (s *Store) EvidenceOf(ctx context.Context, accountID string) ([]accounts.Evidence, error) {
	if !validUUID(accountID) {
		return nil, nil
	}
	out, err := evidenceOf(ctx, s.pool, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: evidence: %w", err)
	}
	return out, nil
}

// RevokeEvidence implements accounts.Store.
func (s *Store) RevokeEvidence(ctx context.Context, accountID, evidenceID string, at time.Time, reason string,
	fn func(r *accounts.Record, valid []accounts.Evidence) error) (accounts.Record, error) {
	if !validUUID(accountID) || !validUUID(evidenceID) {
		return accounts.Record{}, accounts.ErrNotFound
	}
	var out accounts.Record
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRecord(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, accountID))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE enrolment_evidence SET revoked_at = $3, revoked_reason = $4
			WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL`, evidenceID, accountID, at.UTC(), reason)
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return accounts.ErrNotFound
		}
		all, err := evidenceOf(ctx, tx, accountID)
		if err != nil {
			return err
		}
		var valid []accounts.Evidence
		for _, e := range all {
			if e.Valid() {
				valid = append(valid, e)
			}
		}
		if err := fn(&r, valid); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET level = $2, evidence_id = $3, updated_at = $4 WHERE id = $1`,
			accountID, int(r.Level), nullable(r.EvidenceID), r.UpdatedAt.UTC())
		if err != nil {
			return translate(err)
		}
		out = r
		return nil
	})
	if err != nil {
		return accounts.Record{}, fmt.Errorf("accounts/postgres: revoke evidence: %w", err)
	}
	return out, nil
}
