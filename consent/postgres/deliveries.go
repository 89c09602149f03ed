package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
)

var _ backchannel.Queue = (*Deliveries)(nil)

// Deliveries is the back-channel logout queue on PostgreSQL.
type Deliveries struct {
	pool *pgxpool.Pool
}

// NewDeliveries returns the queue on pool (the application role).
func NewDeliveries(pool *pgxpool.Pool) *Deliveries { return &Deliveries{pool: pool} }

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := utc(t)
	return &u
}

// Enqueue implements backchannel.Queue.
func (q *Deliveries) Enqueue(ctx context.Context, d backchannel.Delivery) error {
	_, err := q.pool.Exec(ctx, `
		INSERT INTO backchannel_deliveries (id, client_id, account_id, sid, reason, uri, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.ID, d.ClientID, d.AccountID, d.SID, string(d.Reason), d.URI, utc(d.CreatedAt), utc(d.NextAttemptAt))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("consent/postgres: enqueue %s: %w", d.ID, backchannel.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("consent/postgres: enqueue %s: %w", d.ID, err)
	}
	return nil
}

const deliveryColumns = `id, client_id, account_id, sid, reason, uri, created_at, attempts, next_attempt_at,
	last_attempt_at, last_status, last_error, delivered_at, gave_up_at`

func scanDelivery(row pgx.Row) (backchannel.Delivery, error) {
	var (
		d                           backchannel.Delivery
		reason                      string
		lastAt, deliveredAt, gaveUp *time.Time
	)
	err := row.Scan(&d.ID, &d.ClientID, &d.AccountID, &d.SID, &reason, &d.URI, &d.CreatedAt, &d.Attempts, &d.NextAttemptAt,
		&lastAt, &d.LastStatus, &d.LastError, &deliveredAt, &gaveUp)
	if err != nil {
		return d, err
	}
	d.Reason = consent.LogoutReason(reason)
	d.CreatedAt, d.NextAttemptAt = d.CreatedAt.UTC(), d.NextAttemptAt.UTC()
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{lastAt, &d.LastAttemptAt}, {deliveredAt, &d.DeliveredAt}, {gaveUp, &d.GaveUpAt}} {
		if p.src != nil {
			*p.dst = p.src.UTC()
		}
	}
	return d, nil
}

func collect(rows pgx.Rows) ([]backchannel.Delivery, error) {
	defer rows.Close()
	var out []backchannel.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Claim implements backchannel.Queue. SKIP LOCKED lets replicas claim
// disjoint batches without waiting for each other.
func (q *Deliveries) Claim(ctx context.Context, now time.Time, n int, leaseUntil time.Time) ([]backchannel.Delivery, error) {
	rows, err := q.pool.Query(ctx, `
		UPDATE backchannel_deliveries
		SET attempts = attempts + 1, last_attempt_at = $1, next_attempt_at = $3
		WHERE id IN (
			SELECT id FROM backchannel_deliveries
			WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING `+deliveryColumns, utc(now), n, utc(leaseUntil))
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: claim deliveries: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: claim deliveries: %w", err)
	}
	return out, nil
}

// Record implements backchannel.Queue.
func (q *Deliveries) Record(ctx context.Context, id string, o backchannel.Outcome) error {
	next := o.NextAttemptAt
	if next.IsZero() {
		// Delivered or given up: never due again (the partial index drops it).
		next = o.DeliveredAt
		if next.IsZero() {
			next = o.GaveUpAt
		}
	}
	tag, err := q.pool.Exec(ctx, `
		UPDATE backchannel_deliveries
		SET last_status = $2, last_error = $3, next_attempt_at = $4, delivered_at = $5, gave_up_at = $6
		WHERE id = $1`,
		id, o.Status, o.Error, utc(next), nullTime(o.DeliveredAt), nullTime(o.GaveUpAt))
	if err != nil {
		return fmt.Errorf("consent/postgres: record delivery %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("consent/postgres: record delivery %s: %w", id, backchannel.ErrNotFound)
	}
	return nil
}

// Get implements backchannel.Queue.
func (q *Deliveries) Get(ctx context.Context, id string) (backchannel.Delivery, error) {
	d, err := scanDelivery(q.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM backchannel_deliveries WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("consent/postgres: delivery %s: %w", id, backchannel.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("consent/postgres: delivery %s: %w", id, err)
	}
	return d, nil
}

// ListForAccount implements backchannel.Queue.
func (q *Deliveries) ListForAccount(ctx context.Context, accountID string) ([]backchannel.Delivery, error) {
	rows, err := q.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM backchannel_deliveries
		WHERE account_id = $1 ORDER BY created_at DESC, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: deliveries of %s: %w", accountID, err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: deliveries of %s: %w", accountID, err)
	}
	return out, nil
}
