package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// Inbox is accounts.DevInbox on the dev_sms_inbox table: messages survive
// restarts and every replica shows the same inbox. Development only.
type Inbox struct {
	pool *pgxpool.Pool
	// Limit caps how many messages listings return (100 when zero).
	Limit int
}

var _ accounts.DevInbox = (*Inbox)(nil)

// NewInbox returns an Inbox on pool.
func NewInbox(pool *pgxpool.Pool) *Inbox { return &Inbox{pool: pool} }

// Add implements accounts.DevInbox.
func (i *Inbox) Add(ctx context.Context, m accounts.DevMessage) error {
	if _, err := i.pool.Exec(ctx, `INSERT INTO dev_sms_inbox (phone, body, sent_at) VALUES ($1, $2, $3)`,
		m.Phone, m.Body, m.SentAt.UTC()); err != nil {
		return fmt.Errorf("accounts/postgres: inbox add: %w", err)
	}
	return nil
}

// Messages implements accounts.DevInbox.
func (i *Inbox) Messages(ctx context.Context, phone string) ([]accounts.DevMessage, error) {
	return i.list(ctx, `SELECT phone, body, sent_at FROM dev_sms_inbox WHERE phone = $1 ORDER BY id DESC LIMIT $2`, phone, i.limit())
}

// All implements accounts.DevInbox.
func (i *Inbox) All(ctx context.Context) ([]accounts.DevMessage, error) {
	return i.list(ctx, `SELECT phone, body, sent_at FROM dev_sms_inbox ORDER BY id DESC LIMIT $1`, i.limit())
}

func (i *Inbox) limit() int {
	if i.Limit > 0 {
		return i.Limit
	}
	return 100
}

func (i *Inbox) list(ctx context.Context, q string, args ...any) ([]accounts.DevMessage, error) {
	rows, err := i.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: inbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (accounts.DevMessage, error) {
		var m accounts.DevMessage
		err := row.Scan(&m.Phone, &m.Body, &m.SentAt)
		m.SentAt = m.SentAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: inbox: %w", err)
	}
	return out, nil
}
