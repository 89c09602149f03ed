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
	// A batch names at most MaxFeedEntries of the registry's documents,
	// which run to millions: each must be found through the primary key.
	// The planner, which knows nothing of the fresh temporary table, would
	// otherwise hash-join it with a scan of the whole documents table (of a
	// kind), making every batch slower as the registry grows (feedbench:
	// 0.4 s per batch at 100,000 documents, 1.3 s at 550,000, and 1.6 GiB
	// of temporary files over a million entries).
	if _, err := tx.Exec(ctx, `SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
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
	// A document the feed creates is not in its holder's wallet (the
	// column's default, 'none') until the holder integrates it; an update
	// leaves the wallet state as it is.
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

// SetCredential stores a new push credential of kind's registry (its keyed
// hash) and revokes the one in force before it, audited in the same
// transaction. It returns the new credential's id.
func (s *FeedStore) SetCredential(ctx context.Context, kind attributes.DocumentKind, tokenHash []byte, actor string) (int64, error) {
	if !attributes.KnownDocumentKind(kind) {
		return 0, fmt.Errorf("attributes/postgres: registry credential: unknown document kind %q", kind)
	}
	if s.audit == nil {
		return 0, errors.New("attributes/postgres: registry credential: no audit recorder")
	}
	now := s.now().UTC()
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var old []int64
		rows, err := tx.Query(ctx, `UPDATE registry_credentials SET revoked_at = $2, revoked_by = $3
			WHERE kind = $1 AND revoked_at IS NULL RETURNING id`, string(kind), now, actor)
		if err != nil {
			return err
		}
		if old, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO registry_credentials (kind, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4)
			RETURNING id`, string(kind), tokenHash, now, actor).Scan(&id); err != nil {
			return err
		}
		for _, o := range old {
			if err := s.audit(ctx, tx, audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
				Outcome: audit.Success, Reason: "registry_credential_revoked",
				Detail: map[string]string{"kind": string(kind), "credential": strconv.FormatInt(o, 10), "replaced_by": strconv.FormatInt(id, 10)}}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
			Outcome: audit.Success, Reason: "registry_credential_created",
			Detail: map[string]string{"kind": string(kind), "credential": strconv.FormatInt(id, 10)}})
	})
	if err != nil {
		return 0, fmt.Errorf("attributes/postgres: registry credential: %w", err)
	}
	return id, nil
}

const credentialColumns = `id, kind, created_at, created_by, last_used_at, revoked_at, coalesce(revoked_by, '')`

func scanCredential(row pgx.Row) (attributes.RegistryCredential, error) {
	var c attributes.RegistryCredential
	var kind string
	if err := row.Scan(&c.ID, &kind, &c.CreatedAt, &c.CreatedBy, &c.LastUsedAt, &c.RevokedAt, &c.RevokedBy); err != nil {
		return attributes.RegistryCredential{}, err
	}
	c.Kind = attributes.DocumentKind(kind)
	c.CreatedAt = c.CreatedAt.UTC()
	for _, t := range []*time.Time{c.LastUsedAt, c.RevokedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return c, nil
}

// Credentials lists every push credential, revoked ones included, newest
// first.
func (s *FeedStore) Credentials(ctx context.Context) ([]attributes.RegistryCredential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+credentialColumns+` FROM registry_credentials ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: registry credentials: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (attributes.RegistryCredential, error) { return scanCredential(r) })
	if err != nil {
		return nil, fmt.Errorf("attributes/postgres: registry credentials: %w", err)
	}
	return out, nil
}

// RevokeCredential revokes credential id at once (the next push with it is
// refused), audited in the same transaction: attributes.ErrNotFound for an
// unknown id, attributes.ErrRevoked for one revoked already.
func (s *FeedStore) RevokeCredential(ctx context.Context, id int64, actor string) (attributes.RegistryCredential, error) {
	if s.audit == nil {
		return attributes.RegistryCredential{}, errors.New("attributes/postgres: revoke registry credential: no audit recorder")
	}
	now := s.now().UTC()
	var c attributes.RegistryCredential
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		c, err = scanCredential(tx.QueryRow(ctx, `SELECT `+credentialColumns+` FROM registry_credentials WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return attributes.ErrNotFound
		}
		if err != nil {
			return err
		}
		if c.RevokedAt != nil {
			return attributes.ErrRevoked
		}
		if _, err := tx.Exec(ctx, `UPDATE registry_credentials SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, id, now, actor); err != nil {
			return err
		}
		c.RevokedAt, c.RevokedBy = &now, actor
		return s.audit(ctx, tx, audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
			Outcome: audit.Success, Reason: "registry_credential_revoked",
			Detail: map[string]string{"kind": string(c.Kind), "credential": strconv.FormatInt(id, 10)}})
	})
	if err != nil {
		return attributes.RegistryCredential{}, fmt.Errorf("attributes/postgres: revoke registry credential %d: %w", id, err)
	}
	return c, nil
}

// Authenticate returns the credential in force whose secret has tokenHash,
// and records its use; attributes.ErrNotFound when none (unknown or
// revoked).
func (s *FeedStore) Authenticate(ctx context.Context, tokenHash []byte) (attributes.RegistryCredential, error) {
	c, err := scanCredential(s.pool.QueryRow(ctx, `UPDATE registry_credentials SET last_used_at = $2
		WHERE token_hash = $1 AND revoked_at IS NULL RETURNING `+credentialColumns, tokenHash, s.now().UTC()))
	if errors.Is(err, pgx.ErrNoRows) {
		return attributes.RegistryCredential{}, attributes.ErrNotFound
	}
	if err != nil {
		return attributes.RegistryCredential{}, fmt.Errorf("attributes/postgres: registry credential: %w", err)
	}
	return c, nil
}
