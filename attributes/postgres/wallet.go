package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// WalletStore changes documents' wallet state, each change audited inside
// its transaction.
type WalletStore struct {
	pool  *pgxpool.Pool
	audit AuditTx
}

var _ attributes.WalletStore = (*WalletStore)(nil)

// NewWalletStore returns a WalletStore on pool. auditTx is required: a
// change that cannot be audited is not made.
func NewWalletStore(pool *pgxpool.Pool, auditTx AuditTx) *WalletStore {
	return &WalletStore{pool: pool, audit: auditTx}
}

// UpdateWallet implements attributes.WalletStore: the document's row is
// locked (FOR UPDATE) so that a registry's batch withdrawing it waits for
// the citizen's change, or the change sees the withdrawal.
func (s *WalletStore) UpdateWallet(ctx context.Context, kind attributes.DocumentKind, number string,
	decide func(d attributes.Document, state attributes.WalletState) (attributes.WalletChange, error)) (attributes.Document, error) {
	if s.audit == nil {
		return attributes.Document{}, errors.New("attributes/postgres: wallet: no audit recorder")
	}
	var d attributes.Document
	var decided error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var state string
		var err error
		d, err = scanDocument(tx.QueryRow(ctx, `SELECT `+documentColumns+`, wallet FROM documents
			WHERE kind = $1 AND number = $2 FOR UPDATE`, string(kind), number), &state)
		if errors.Is(err, pgx.ErrNoRows) {
			decided = attributes.ErrNotFound
			return decided
		}
		if err != nil {
			return err
		}
		change, err := decide(d, attributes.WalletState(state))
		if err != nil {
			decided = err
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET wallet = $3 WHERE kind = $1 AND number = $2`,
			string(kind), number, string(change.State)); err != nil {
			return err
		}
		// Last statement before commit (RecordTx locks the audit head).
		if err := s.audit(ctx, tx, change.Event); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if decided != nil {
		return attributes.Document{}, decided
	}
	if err != nil {
		return attributes.Document{}, fmt.Errorf("attributes/postgres: wallet %s: %w", kind, err)
	}
	return d, nil
}
