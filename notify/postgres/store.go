package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/notify"
)

var _ notify.Store = (*Store)(nil)

// Store is the outbox on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns the outbox on pool (the application role).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := utc(t)
	return &u
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// execer is a pool, a connection or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Enqueue implements notify.Store.
func (s *Store) Enqueue(ctx context.Context, n notify.Notification) error {
	return EnqueueTx(ctx, s.pool, n)
}

// EnqueueTx writes a notification prepared by notify.Service.Prepare with
// tx, so that it is queued if and only if the caller's transaction commits.
// Call the service's Wake after the commit.
func EnqueueTx(ctx context.Context, tx execer, n notify.Notification) error {
	// Checked again here: a row written beside the service must still be
	// on the allow-list.
	if err := n.Validate(); err != nil {
		return err
	}
	params := n.Params
	if params == nil {
		params = map[string]string{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("notify/postgres: enqueue %s: %w", n.ID, err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO notifications (id, account_id, channel, address, kind, lang, params, state, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)`,
		n.ID, nullString(n.AccountID), string(n.Channel), n.Address, string(n.Kind), string(n.Lang), p,
		utc(n.NextAttemptAt), utc(n.CreatedAt))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("notify/postgres: enqueue %s: %w", n.ID, notify.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("notify/postgres: enqueue %s: %w", n.ID, err)
	}
	return nil
}

const columns = `id, coalesce(account_id::text, ''), channel, address, kind, lang, params, state, attempts,
	next_attempt_at, last_error, created_at, sent_at, failed_at`

func scan(row pgx.Row) (notify.Notification, error) {
	var (
		n                          notify.Notification
		channel, kind, lang, state string
		params                     []byte
		sent, failed               *time.Time
	)
	err := row.Scan(&n.ID, &n.AccountID, &channel, &n.Address, &kind, &lang, &params, &state, &n.Attempts,
		&n.NextAttemptAt, &n.LastError, &n.CreatedAt, &sent, &failed)
	if err != nil {
		return n, err
	}
	n.Channel, n.Kind, n.Lang, n.State = notify.ChannelName(channel), notify.Kind(kind), notify.Lang(lang), notify.State(state)
	if err := json.Unmarshal(params, &n.Params); err != nil {
		return n, fmt.Errorf("params: %w", err)
	}
	n.NextAttemptAt, n.CreatedAt = n.NextAttemptAt.UTC(), n.CreatedAt.UTC()
	if sent != nil {
		n.SentAt = sent.UTC()
	}
	if failed != nil {
		n.FailedAt = failed.UTC()
	}
	return n, nil
}

func collect(rows pgx.Rows) ([]notify.Notification, error) {
	defer rows.Close()
	var out []notify.Notification
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Claim implements notify.Store. One statement, so the row locks last only
// as long as it: SKIP LOCKED lets workers claim disjoint batches without
// waiting for each other, and the lease (next_attempt_at moved to
// leaseUntil) keeps a claimed row from being claimed again while it is
// being sent, with no lock or connection held meanwhile.
func (s *Store) Claim(ctx context.Context, now time.Time, n int, leaseUntil time.Time) ([]notify.Notification, error) {
	rows, err := s.pool.Query(ctx, `
		UPDATE notifications
		SET attempts = attempts + 1, next_attempt_at = $3
		WHERE id IN (
			SELECT id FROM notifications
			WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING `+columns, utc(now), n, utc(leaseUntil))
	if err != nil {
		return nil, fmt.Errorf("notify/postgres: claim: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("notify/postgres: claim: %w", err)
	}
	return out, nil
}

// Record implements notify.Store.
func (s *Store) Record(ctx context.Context, id string, o notify.Outcome) error {
	state, next := notify.Pending, o.NextAttemptAt
	switch {
	case !o.SentAt.IsZero():
		state, next = notify.Sent, o.SentAt
	case !o.FailedAt.IsZero():
		state, next = notify.Failed, o.FailedAt
	case next.IsZero():
		return fmt.Errorf("notify/postgres: record %s: outcome sets no time", id)
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE notifications
		SET state = $2, last_error = $3, next_attempt_at = $4, sent_at = $5, failed_at = $6
		WHERE id = $1 AND state = 'pending'`,
		id, string(state), o.Error, utc(next), nullTime(o.SentAt), nullTime(o.FailedAt))
	if err != nil {
		return fmt.Errorf("notify/postgres: record %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("notify/postgres: record %s: %w", id, notify.ErrNotFound)
	}
	return nil
}

// Get implements notify.Store.
func (s *Store) Get(ctx context.Context, id string) (notify.Notification, error) {
	if uuid.Validate(id) != nil {
		return notify.Notification{}, fmt.Errorf("notify/postgres: notification %s: %w", id, notify.ErrNotFound)
	}
	n, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return n, fmt.Errorf("notify/postgres: notification %s: %w", id, notify.ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("notify/postgres: notification %s: %w", id, err)
	}
	return n, nil
}

// ListForAccount implements notify.Store.
func (s *Store) ListForAccount(ctx context.Context, accountID string) ([]notify.Notification, error) {
	if uuid.Validate(accountID) != nil {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM notifications
		WHERE account_id = $1 ORDER BY created_at DESC, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("notify/postgres: notifications of %s: %w", accountID, err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("notify/postgres: notifications of %s: %w", accountID, err)
	}
	return out, nil
}

// Purge implements notify.Store.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM notifications
		WHERE (state = 'sent' AND sent_at < $1) OR (state = 'failed' AND failed_at < $1)`, utc(before))
	if err != nil {
		return 0, fmt.Errorf("notify/postgres: purge: %w", err)
	}
	return tag.RowsAffected(), nil
}
