package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// AuditTx records an event inside the caller's transaction, so that a batch
// and its audit row commit or roll back together (audit/postgres
// Store.RecordTx with the audit key, wired by cmd/dinhdanh).
type AuditTx func(ctx context.Context, tx pgx.Tx, e audit.Event) error

// FeedStore applies the registries' update feeds.
type FeedStore struct {
	pool  *pgxpool.Pool
	now   func() time.Time
	audit AuditTx
}

var _ attributes.FeedStore = (*FeedStore)(nil)

// NewFeedStore returns a FeedStore on pool. auditTx is required: a batch
// that cannot be audited is not applied.
func NewFeedStore(pool *pgxpool.Pool, now func() time.Time, auditTx AuditTx) *FeedStore {
	if now == nil {
		now = time.Now
	}
	return &FeedStore{pool: pool, now: now, audit: auditTx}
}

// LastSeq is the sequence number of kind's last applied batch (0: none).
func (s *FeedStore) LastSeq(ctx context.Context, kind attributes.DocumentKind) (int64, error) {
	var last int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT last_seq FROM document_feeds WHERE kind = $1), 0)`, string(kind)).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: feed: %w", err)
	}
	return last, nil
}

// ApplyFeed implements attributes.FeedStore: one transaction that locks the
// kind's feed row (so batches of one registry apply one at a time), checks
// the sequence number, copies the entries into a temporary table, checks
// them against the registries set-wise, applies them with one statement per
// operation, records the batch and its audit event.
func (s *FeedStore) ApplyFeed(ctx context.Context, b attributes.FeedBatch, actor string) (attributes.FeedResult, error) {
	if s.audit == nil {
		return attributes.FeedResult{}, errors.New("attributes/postgres: feed: no audit recorder")
	}
	res := attributes.FeedResult{Kind: b.Kind, Seq: b.Seq, Entries: len(b.Entries)}
	digest := b.Digest()
	now := s.now().UTC()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		kind := string(b.Kind)
		if _, err := tx.Exec(ctx, `INSERT INTO document_feeds (kind, last_seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, kind); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRow(ctx, `SELECT last_seq FROM document_feeds WHERE kind = $1 FOR UPDATE`, kind).Scan(&last); err != nil {
			return err
		}
		if b.Seq <= last {
			var old []byte
			err := tx.QueryRow(ctx, `SELECT digest FROM document_feed_batches WHERE kind = $1 AND seq = $2`, kind, b.Seq).Scan(&old)
			if err != nil {
				return fmt.Errorf("applied batch %d: %w", b.Seq, err)
			}
			if !bytes.Equal(old, digest) {
				return attributes.ErrFeedReplayMismatch
			}
			return nil // replay: Applied stays false
		}
		if b.Seq != last+1 {
			return &attributes.FeedGapError{Kind: b.Kind, Got: b.Seq, Expected: last + 1}
		}
		if err := applyEntries(ctx, tx, b); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document_feeds SET last_seq = $2 WHERE kind = $1`, kind, b.Seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO document_feed_batches (kind, seq, digest, entries, actor, applied_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, kind, b.Seq, digest, len(b.Entries), actor, now); err != nil {
			return err
		}
		counts := map[attributes.FeedOp]int{}
		for _, e := range b.Entries {
			counts[e.Op]++
		}
		// Last statement before commit (RecordTx locks the audit head).
		e := audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.System, ActorID: actor,
			Outcome: audit.Success, Reason: "document_feed_batch", Detail: map[string]string{
				"kind": kind, "seq": strconv.FormatInt(b.Seq, 10), "entries": strconv.Itoa(len(b.Entries)),
				"upserts": strconv.Itoa(counts[attributes.OpUpsert]), "suspensions": strconv.Itoa(counts[attributes.OpSuspend]),
				"withdrawals": strconv.Itoa(counts[attributes.OpWithdraw]), "expiries": strconv.Itoa(counts[attributes.OpExpire]),
			}}
		if err := s.audit(ctx, tx, e); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		res.Applied = true
		return nil
	})
	if err != nil {
		var gap *attributes.FeedGapError
		var bad *attributes.FeedInvalidError
		if errors.As(err, &gap) || errors.As(err, &bad) || errors.Is(err, attributes.ErrFeedReplayMismatch) {
			return attributes.FeedResult{}, err
		}
		return attributes.FeedResult{}, fmt.Errorf("attributes/postgres: feed %s batch %d, nothing applied: %w", b.Kind, b.Seq, err)
	}
	return res, nil
}

func applyEntries(ctx context.Context, tx pgx.Tx, b attributes.FeedBatch) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE feed_in (line int NOT NULL, op text NOT NULL, number text NOT NULL,
		holder_id text, issued_on date, expires_on date, issuer text NOT NULL, fields jsonb NOT NULL) ON COMMIT DROP`); err != nil {
		return err
	}
	cols := []string{"line", "op", "number", "holder_id", "issued_on", "expires_on", "issuer", "fields"}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"feed_in"}, cols, pgx.CopyFromSlice(len(b.Entries), func(i int) ([]any, error) {
		e := b.Entries[i]
		fields := e.Fields
		if fields == nil {
			fields = map[string]string{}
		}
		return []any{e.Line, string(e.Op), e.Number, nullString(e.HolderID), datePtr(e.IssuedOn), datePtr(e.ExpiresOn), e.Issuer, fields}, nil
	}))
	if err != nil {
		return err
	}
	// Every entry that cannot apply, in one query, so one refusal lists
	// them all.
	rows, err := tx.Query(ctx, `
		SELECT f.line, 'holder_id ' || f.holder_id || ' is not in the population registry'
		FROM feed_in f WHERE f.op = 'upsert' AND NOT EXISTS (SELECT 1 FROM population p WHERE p.personal_id = f.holder_id)
		UNION ALL
		SELECT f.line, 'no ' || $1 || ' numbered ' || f.number
		FROM feed_in f LEFT JOIN documents d ON d.kind = $1 AND d.number = f.number
		WHERE f.op <> 'upsert' AND d.number IS NULL
		UNION ALL
		SELECT f.line, 'document ' || f.number || ' is not held by ' || f.holder_id
		FROM feed_in f JOIN documents d ON d.kind = $1 AND d.number = f.number
		WHERE f.op <> 'upsert' AND f.holder_id IS NOT NULL AND f.holder_id <> d.holder_id
		ORDER BY 1`, string(b.Kind))
	if err != nil {
		return err
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (attributes.LineError, error) {
		var l attributes.LineError
		err := r.Scan(&l.Line, &l.Err)
		return l, err
	})
	if err != nil {
		return err
	}
	if err := attributes.NewFeedInvalid(bad); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO documents (kind, number, holder_id, issued_on, expires_on, issuer, fields, status, updated_at)
		SELECT $1, number, holder_id, issued_on, expires_on, issuer, fields, 'valid', now() FROM feed_in WHERE op = 'upsert'
		ON CONFLICT (kind, number) DO UPDATE SET holder_id = EXCLUDED.holder_id, issued_on = EXCLUDED.issued_on,
			expires_on = EXCLUDED.expires_on, issuer = EXCLUDED.issuer, fields = EXCLUDED.fields,
			status = 'valid', updated_at = now()`, string(b.Kind)); err != nil {
		return err
	}
	// Status changes keep the other columns, except an expiry that brings
	// its own date.
	_, err = tx.Exec(ctx, `UPDATE documents d SET
			status = CASE f.op WHEN 'suspend' THEN 'suspended' WHEN 'withdraw' THEN 'withdrawn' ELSE 'expired' END,
			expires_on = coalesce(f.expires_on, d.expires_on), updated_at = now()
		FROM feed_in f WHERE d.kind = $1 AND d.number = f.number AND f.op <> 'upsert'`, string(b.Kind))
	return err
}

func datePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dateUTC(*t)
}

// SetCredential stores the push credential of kind's registry (its keyed
// hash), replacing any earlier one, audited in the same transaction.
func (s *FeedStore) SetCredential(ctx context.Context, kind attributes.DocumentKind, tokenHash []byte, actor string) error {
	if !attributes.KnownDocumentKind(kind) {
		return fmt.Errorf("attributes/postgres: registry credential: unknown document kind %q", kind)
	}
	if s.audit == nil {
		return errors.New("attributes/postgres: registry credential: no audit recorder")
	}
	now := s.now().UTC()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO registry_credentials (kind, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (kind) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by`,
			string(kind), tokenHash, now, actor); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
			Outcome: audit.Success, Reason: "registry_credential_created", Detail: map[string]string{"kind": string(kind)}})
	})
	if err != nil {
		return fmt.Errorf("attributes/postgres: registry credential: %w", err)
	}
	return nil
}

// KindOfToken returns the registry whose push credential has tokenHash, or
// attributes.ErrNotFound.
func (s *FeedStore) KindOfToken(ctx context.Context, tokenHash []byte) (attributes.DocumentKind, error) {
	var kind string
	err := s.pool.QueryRow(ctx, `SELECT kind FROM registry_credentials WHERE token_hash = $1`, tokenHash).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", attributes.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("attributes/postgres: registry credential: %w", err)
	}
	return attributes.DocumentKind(kind), nil
}
