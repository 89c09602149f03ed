package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Migrations holds the audit schema: migrations/*.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store keeps the usage history in PostgreSQL. On the application role's
// pool it is the writer's Store, the verifier's ChainSource and the history
// page's HistoryReader; retention and partition creation live in Maintainer.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time

	mu     sync.Mutex
	months map[int64]bool // month starts (Unix seconds) whose partition is known to exist
}

var (
	_ audit.Store         = (*Store)(nil)
	_ audit.ChainSource   = (*Store)(nil)
	_ audit.HistoryReader = (*Store)(nil)
)

// NewStore returns a store on pool. now is the clock used by RecordTx
// (time.Now when nil); the Log has its own.
func NewStore(pool *pgxpool.Pool, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, now: now, months: map[int64]bool{}}
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const columns = `seq, logged_at, at, type, actor_kind, actor_id, account_id, client_id, scopes, claims,
	acr, outcome, reason, ip, user_agent, request_id, detail, hash`

// Head returns the stored head: the newest seal and the newest stored event.
func (s *Store) Head(ctx context.Context) (audit.StoredHead, error) {
	return readHead(ctx, s.pool)
}

const sealColumns = `seq, prev_seq, hash, logged_at, sealed_at, key_id, sig`

// readHead reads the newest seal and the newest event, in one statement so
// that both come from one snapshot.
func readHead(ctx context.Context, q querier) (audit.StoredHead, error) {
	return scanHead(q.QueryRow(ctx, headSQL))
}

const headSQL = `SELECT s.seq, s.prev_seq, s.hash, s.logged_at, s.sealed_at, s.key_id, s.sig,
		e.seq, e.hash, e.logged_at
	FROM (SELECT) AS one
	LEFT JOIN LATERAL (SELECT ` + sealColumns + ` FROM audit_seals ORDER BY seq DESC LIMIT 1) s ON true
	LEFT JOIN LATERAL (SELECT seq, hash, logged_at FROM audit_events ORDER BY seq DESC LIMIT 1) e ON true`

func scanHead(row pgx.Row) (audit.StoredHead, error) {
	var sh audit.StoredHead
	var (
		seq, prevSeq, endSeq      *int64
		hash, sig, endHash        []byte
		loggedAt, sealedAt, endAt *time.Time
		keyID                     *string
	)
	err := row.Scan(&seq, &prevSeq, &hash, &loggedAt, &sealedAt, &keyID, &sig, &endSeq, &endHash, &endAt)
	if err != nil {
		return sh, fmt.Errorf("audit: read head: %w", err)
	}
	if seq != nil {
		sh.Sealed = true
		sh.Seal = audit.Seal{Seq: *seq, PrevSeq: *prevSeq, LoggedAt: loggedAt.UTC(), SealedAt: sealedAt.UTC(), KeyID: *keyID, Sig: sig}
		if sh.Seal.Hash, err = audit.HashFromBytes(hash); err != nil {
			return sh, err
		}
	}
	if endSeq != nil {
		sh.End = audit.Head{Seq: *endSeq, LoggedAt: endAt.UTC()}
		if sh.End.Hash, err = audit.HashFromBytes(endHash); err != nil {
			return sh, err
		}
	}
	return sh, nil
}

// lockHead takes the seal table in SHARE ROW EXCLUSIVE mode until the
// transaction ends (through audit_lock_head: the application role may not
// LOCK in that mode itself), so that the head it reads back is the head it
// extends: every other writer's seal waits. Retention (exclusive) then also
// takes the event table exclusively. Every writer takes the seal table
// before the event table (the append statement reads and inserts the seal
// first), so they cannot deadlock.
func lockHead(ctx context.Context, tx pgx.Tx, exclusive bool) error {
	stmts := []string{"SELECT audit_lock_head()"}
	if exclusive {
		stmts = append(stmts, "LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("audit: lock head: %w", err)
		}
	}
	return nil
}

// LastSeal returns the newest seal, or audit.ErrNotFound.
func (s *Store) LastSeal(ctx context.Context) (audit.Seal, error) {
	sh, err := readHead(ctx, s.pool)
	if err != nil {
		return audit.Seal{}, err
	}
	if !sh.Sealed {
		return audit.Seal{}, fmt.Errorf("audit: no seal: %w", audit.ErrNotFound)
	}
	return sh.Seal, nil
}

func collectSeals(rows pgx.Rows) ([]audit.Seal, error) {
	defer rows.Close()
	var out []audit.Seal
	for rows.Next() {
		var s audit.Seal
		var hash []byte
		if err := rows.Scan(&s.Seq, &s.PrevSeq, &hash, &s.LoggedAt, &s.SealedAt, &s.KeyID, &s.Sig); err != nil {
			return nil, fmt.Errorf("audit: read seals: %w", err)
		}
		var err error
		if s.Hash, err = audit.HashFromBytes(hash); err != nil {
			return nil, err
		}
		s.LoggedAt, s.SealedAt = s.LoggedAt.UTC(), s.SealedAt.UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read seals: %w", err)
	}
	return out, nil
}

// appendSQL seals the batch and inserts it, in one statement: one round
// trip, one transaction. The seal goes in only when the newest seal is still
// prev ($1, $2) and the newest stored event is still the one it seals (the
// newest row of each partition's primary-key index: a probe per partition,
// whatever the table's size); its prev_seq is unique,
// so of two writers extending the same head the second fails (23505). When
// no seal goes in, the INSERT inserts nothing. The WITH clause comes first,
// so the statement locks the seal table before the event table, the order
// every writer takes them.
const appendSQL = `WITH head AS (
	SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1
), stored AS (
	SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1
), sealed AS (
	INSERT INTO audit_seals (` + sealColumns + `)
	SELECT $3, $1, $4, $5, $24, $25, $26
	WHERE coalesce((SELECT seq FROM head), 0) = $1
		AND coalesce((SELECT hash FROM head), decode(repeat('00', 32), 'hex')) = $2
		AND coalesce((SELECT seq FROM stored), 0) = $1
		AND coalesce((SELECT hash FROM stored), decode(repeat('00', 32), 'hex')) = $2
	RETURNING 1
)
INSERT INTO audit_events (` + columns + `)
SELECT u.seq, u.logged_at, u.at, u.type, u.actor_kind, u.actor_id, u.account_id, u.client_id,
	u.scopes::text[], u.claims::text[], u.acr, u.outcome, u.reason, u.ip,
	u.user_agent, u.request_id, u.detail::jsonb, u.hash
FROM unnest($6::bigint[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[],
	$12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
	$20::text[], $21::text[], $22::text[], $23::bytea[])
	AS u(seq, logged_at, at, type, actor_kind, actor_id, account_id, client_id, scopes, claims,
	acr, outcome, reason, ip, user_agent, request_id, detail, hash)
WHERE EXISTS (SELECT FROM sealed)`

// Append stores entries chained from prev together with seal, the signed
// head they form, or fails with audit.ErrHeadMoved when prev is no longer
// the sealed head (or events lie beyond it). It first makes sure the
// month's partition exists.
func (s *Store) Append(ctx context.Context, prev audit.Head, entries []audit.Entry, seal audit.Seal) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.ensureMonths(ctx, s.pool, entries, true); err != nil {
		return err
	}
	err := appendEntries(ctx, s.pool, prev, entries, seal)
	if isNoPartition(err) {
		// A partition cached as existing was rolled back or dropped.
		s.forgetMonths()
		if err = s.ensureMonths(ctx, s.pool, entries, true); err == nil {
			err = appendEntries(ctx, s.pool, prev, entries, seal)
		}
	}
	return err
}

// AppendLocked appends under the head lock, in one transaction: lock the
// seals, then the events (the order every writer takes them), read the
// stored head back, chain, seal, insert. Partitions are created outside the
// transaction: creating one waits for every writer, and writers may be
// waiting for the lock held here.
//
// Every writer of the chain (every replica's Log) queues for this lock, so
// it is held as briefly as the chain allows: two round trips, each a
// pipeline (BEGIN, the lock and the head read; then the insert and
// COMMIT), and the commit does not wait for the disk under the lock: it
// commits with synchronous_commit off, which releases the lock once the
// commit record is in the WAL buffers. Then, on the same connection, a
// transaction that writes a WAL record of its own (a transactional logical
// message, which any role may emit, at any wal_level) commits with
// synchronous_commit on: it waits until the WAL is flushed up to its commit
// record, and replicated when replication is synchronous, and that record
// lies after the append's. AppendLocked returns only then, while the next
// writer's append already runs. WAL is flushed in order, so a crash or a
// failover in between loses this append together with every append chained
// after it, never one in the middle, and none of them was acknowledged.
//
// The wait must write WAL: a transaction that only takes an id (SELECT
// txid_current()) writes its commit record asynchronously and waits for
// nothing; a writer acknowledged appends that a failover then lost
// (gateway/hatest found it, with a writer's alarm on the promoted node).
// Checked by hand with synchronous_standby_names naming an absent standby:
// txid_current() returns at once, the logical message waits.
func (s *Store) AppendLocked(ctx context.Context, chain func(audit.StoredHead) ([]audit.Entry, audit.Seal, error)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	defer conn.Release()
	for range 3 {
		missing, wrote, err := s.appendLocked(ctx, conn.Conn(), chain)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			if err := s.ensureMonths(ctx, s.pool, missing, true); err != nil {
				return err
			}
			continue
		}
		if !wrote {
			return nil
		}
		if err := s.awaitDurable(ctx, conn.Conn()); err != nil {
			return err
		}
		return nil
	}
	return errors.New("audit: append: partitions keep disappearing")
}

// awaitDurable returns once everything conn committed is durable (and on
// the synchronous standby): see AppendLocked.
func (s *Store) awaitDurable(ctx context.Context, conn *pgx.Conn) error {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit = on") // whatever the role's default
	b.Queue("SELECT pg_logical_emit_message(true, 'dinhdanh.audit.durable', '')")
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		if conn.PgConn().TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_, _ = conn.Exec(rctx, "ROLLBACK") // else the pool drops the connection
		}
		return fmt.Errorf("audit: append: wait for the append to be durable: %w", err)
	}
	return nil
}

// appendLocked is one try of AppendLocked on conn: it reports the entries
// whose month has no partition yet (nothing written), or whether it wrote.
// The transaction is always ended: committed, or rolled back on a context
// of its own, so that a cancelled request cannot leave it open.
func (s *Store) appendLocked(ctx context.Context, conn *pgx.Conn, chain func(audit.StoredHead) ([]audit.Entry, audit.Seal, error)) (missing []audit.Entry, wrote bool, err error) {
	open := false
	defer func() {
		if open {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if _, rerr := conn.Exec(rctx, "ROLLBACK"); rerr != nil {
				// The pool drops a connection left in a transaction.
				err = errors.Join(err, fmt.Errorf("audit: append: roll back: %w", rerr))
			}
		}
	}()

	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit = off") // awaitDurable waits, outside the lock
	b.Queue("SELECT audit_lock_head()")
	b.Queue(headSQL)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	open = err == nil
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		if _, err = br.Exec(); err != nil {
			err = fmt.Errorf("audit: lock head: %w", err)
		}
	}
	var head audit.StoredHead
	if err == nil {
		head, err = scanHead(br.QueryRow())
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: append: %w", cerr)
	}
	if err != nil {
		return nil, false, err
	}

	entries, seal, err := chain(head)
	if err != nil || len(entries) == 0 {
		return nil, false, err
	}
	if missing = s.unknownMonths(entries); len(missing) > 0 {
		return missing, false, nil // rolled back; create them, come again
	}
	args, err := appendArgs(head.Seal.Head(), entries, seal)
	if err != nil {
		return nil, false, err
	}
	b = &pgx.Batch{}
	b.Queue(appendSQL, args...)
	b.Queue("COMMIT")
	br = conn.SendBatch(ctx, b)
	tag, err := br.Exec()
	err = appendResult(tag, err, head.Seal.Head(), len(entries))
	if err == nil {
		if _, err = br.Exec(); err != nil {
			err = fmt.Errorf("audit: append: commit: %w", err)
		} else {
			open = false
		}
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: append: %w", cerr)
	}
	if err != nil {
		return nil, false, err
	}
	return nil, true, nil
}

func (s *Store) unknownMonths(entries []audit.Entry) []audit.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []audit.Entry
	for _, e := range entries {
		if !s.months[monthStart(e.LoggedAt).Unix()] {
			out = append(out, e)
		}
	}
	return out
}

func appendEntries(ctx context.Context, q querier, prev audit.Head, entries []audit.Entry, seal audit.Seal) error {
	args, err := appendArgs(prev, entries, seal)
	if err != nil {
		return err
	}
	tag, err := q.Exec(ctx, appendSQL, args...)
	return appendResult(tag, err, prev, len(entries))
}

// appendArgs are appendSQL's arguments for entries chained after prev and
// sealed by seal.
func appendArgs(prev audit.Head, entries []audit.Entry, seal audit.Seal) ([]any, error) {
	n := len(entries)
	seqs := make([]int64, n)
	logged := make([]time.Time, n)
	at := make([]time.Time, n)
	hashes := make([][]byte, n)
	var text [14][]string // type .. detail, in appendSQL's order
	for j := range text {
		text[j] = make([]string, n)
	}
	for i, e := range entries {
		seqs[i], logged[i], at[i], hashes[i] = e.Seq, e.LoggedAt, e.Time, e.Hash[:]
		scopes, claims, detail, err := encodeLists(e.Event)
		if err != nil {
			return nil, err
		}
		for j, v := range [14]string{string(e.Type), string(e.ActorKind), e.ActorID, e.AccountID, e.ClientID,
			scopes, claims, e.ACR, string(e.Outcome), e.Reason, e.IP, e.UserAgent, e.RequestID, detail} {
			text[j][i] = v
		}
	}
	last := entries[n-1]
	args := []any{prev.Seq, prev.Hash[:], last.Seq, last.Hash[:], last.LoggedAt, seqs, logged, at}
	for _, col := range text {
		args = append(args, col)
	}
	if seal.Seq != last.Seq || seal.Hash != last.Hash || seal.PrevSeq != prev.Seq {
		return nil, fmt.Errorf("audit: append: the seal (%d after %d) is not the batch's head (%d after %d)",
			seal.Seq, seal.PrevSeq, last.Seq, prev.Seq)
	}
	return append(args, hashes, seal.SealedAt, seal.KeyID, seal.Sig), nil
}

// appendResult turns appendSQL's outcome for n entries after prev into
// the error to return (audit.ErrHeadMoved when another writer sealed first).
func appendResult(tag pgconn.CommandTag, err error, prev audit.Head, n int) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.TableName == "audit_seals" {
		// Another writer sealed a successor of prev first.
		return fmt.Errorf("audit: append after %d: %w", prev.Seq, audit.ErrHeadMoved)
	}
	if err != nil {
		return fmt.Errorf("audit: append %d events after %d: %w", n, prev.Seq, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("audit: append after %d: %w", prev.Seq, audit.ErrHeadMoved)
	}
	if tag.RowsAffected() != int64(n) {
		return fmt.Errorf("audit: append: %d of %d events inserted", tag.RowsAffected(), n)
	}
	return nil
}

// encodeLists encodes an event's lists for appendSQL: scopes and claims as
// PostgreSQL array literals, cast to text[] by the server's array parser
// (a JSON array turned into text[] by a SQL function cost about 5 µs of the
// server's CPU per list, measured: about a sixth of an event's insert),
// detail as JSON.
func encodeLists(e audit.Event) (scopes, claims, detail string, err error) {
	b, err := json.Marshal(e.Detail)
	if err != nil {
		return "", "", "", fmt.Errorf("audit: encode event: %w", err)
	}
	detail = string(b)
	if detail == "null" {
		detail = "{}"
	}
	return textArray(e.Scopes), textArray(e.Claims), detail, nil
}

// textArray is list as a PostgreSQL array literal with every element
// quoted, so that no element reads as NULL or splits on a comma, a brace or
// a space: inside the quotes only the backslash and the double quote are
// escaped (PostgreSQL's array input rules).
func textArray(list []string) string {
	if len(list) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(v); j++ {
			if c := v[j]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// monthStart is the first instant of t's month in UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensureMonths creates the partitions the entries' log times fall in. With
// cache it remembers them (only on autocommit connections: a partition
// created inside a caller's transaction may be rolled back).
func (s *Store) ensureMonths(ctx context.Context, q querier, entries []audit.Entry, cache bool) error {
	var last time.Time
	for _, e := range entries {
		m := monthStart(e.LoggedAt)
		if m.Equal(last) {
			continue
		}
		last = m
		if err := s.ensureMonth(ctx, q, m, cache); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ensureMonth(ctx context.Context, q querier, m time.Time, cache bool) error {
	s.mu.Lock()
	known := s.months[m.Unix()]
	s.mu.Unlock()
	if known {
		return nil
	}
	if _, err := q.Exec(ctx, "SELECT audit_ensure_partition($1)", m); err != nil {
		return fmt.Errorf("audit: create partition for %s: %w", m.Format("2006-01"), err)
	}
	if cache {
		s.mu.Lock()
		s.months[m.Unix()] = true
		s.mu.Unlock()
	}
	return nil
}

func (s *Store) forgetMonths() {
	s.mu.Lock()
	clear(s.months)
	s.mu.Unlock()
}

// isNoPartition recognises "no partition of relation ... found for row".
func isNoPartition(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.Contains(pgErr.Message, "no partition")
}

// RecordTx chains e inside the caller's transaction, for events that must
// commit or roll back together with a state change (account locked, consent
// revoked), and seals the new head with key. It locks the head until tx
// ends, so call it as the last statement before commit: every audit writer
// waits for that lock, and a transaction that went on to lock other rows
// could deadlock with one that holds them and waits for the head. It refuses
// (audit.ErrHeadTampered) to extend a head that the audit key did not seal.
// The Log notices the moved head on its next batch.
func (s *Store) RecordTx(ctx context.Context, tx pgx.Tx, key *audit.Key, e audit.Event) (audit.Entry, error) {
	now := s.now().UTC()
	e, err := audit.Normalize(e, now)
	if err != nil {
		return audit.Entry{}, err
	}
	// Create the partition before taking any lock: creating one waits for
	// every writer, and a writer may be waiting for the head we lock.
	if err := s.ensureMonth(ctx, tx, monthStart(now), false); err != nil {
		return audit.Entry{}, err
	}
	if err := lockHead(ctx, tx, false); err != nil {
		return audit.Entry{}, err
	}
	head, err := readHead(ctx, tx)
	if err != nil {
		return audit.Entry{}, err
	}
	if err := audit.CheckHead(head, audit.NewKeySet(key.Public()), audit.Genesis); err != nil {
		return audit.Entry{}, err
	}
	prev := head.Seal.Head()
	entries := audit.Chain(prev, now, e)
	seal := key.Seal(prev.Seq, entries[0].Head(), now)
	if err := appendEntries(ctx, tx, prev, entries, seal); err != nil {
		return audit.Entry{}, err
	}
	return entries[0], nil
}

// LastCheckpoint returns the checkpoint of kind (any when empty) with the
// highest sequence number not above atOrBefore, or audit.ErrNotFound.
func (s *Store) LastCheckpoint(ctx context.Context, kind audit.CheckpointKind, atOrBefore int64) (audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE ($1 = '' OR kind = $1) AND seq <= $2 ORDER BY seq DESC, kind LIMIT 1`, string(kind), atOrBefore)
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	cps, err := collectCheckpoints(rows)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if len(cps) == 0 {
		return audit.Checkpoint{}, fmt.Errorf("audit: no %s checkpoint at or before %d: %w", kindName(kind), atOrBefore, audit.ErrNotFound)
	}
	return cps[0], nil
}

func kindName(k audit.CheckpointKind) string {
	if k == "" {
		return "any"
	}
	return string(k)
}

// Checkpoints returns the checkpoints with from <= seq <= to, in order.
func (s *Store) Checkpoints(ctx context.Context, from, to int64) ([]audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE seq BETWEEN $1 AND $2 ORDER BY seq, kind`, from, to)
	if err != nil {
		return nil, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	return collectCheckpoints(rows)
}

// AddCheckpoint stores c; an existing checkpoint of the same kind and
// sequence number is left as it is.
func (s *Store) AddCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	return addCheckpoint(ctx, s.pool, c)
}

func addCheckpoint(ctx context.Context, q querier, c audit.Checkpoint) error {
	_, err := q.Exec(ctx, `INSERT INTO audit_checkpoints (`+checkpointColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		c.Seq, string(c.Kind), c.Hash[:], c.LoggedAt, c.SignedAt, c.KeyID, c.JWS)
	if err != nil {
		return fmt.Errorf("audit: store checkpoint %d: %w", c.Seq, err)
	}
	return nil
}

const checkpointColumns = `seq, kind, hash, logged_at, signed_at, key_id, jws`

func collectCheckpoints(rows pgx.Rows) ([]audit.Checkpoint, error) {
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var c audit.Checkpoint
		var kind string
		var hash []byte
		if err := rows.Scan(&c.Seq, &kind, &hash, &c.LoggedAt, &c.SignedAt, &c.KeyID, &c.JWS); err != nil {
			return nil, fmt.Errorf("audit: read checkpoints: %w", err)
		}
		var err error
		if c.Hash, err = audit.HashFromBytes(hash); err != nil {
			return nil, err
		}
		c.Kind, c.LoggedAt, c.SignedAt = audit.CheckpointKind(kind), c.LoggedAt.UTC(), c.SignedAt.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	return out, nil
}

// EntriesChunk is how many sequence numbers one statement of Entries
// reads. One statement for a whole chain of 100 million events made
// PostgreSQL sort the whole table on disk (it chose a sequential scan and a
// sort over 63 partitions' index scans) and run out of space; a bounded
// range is read through each partition's (seq, logged_at) key instead.
var EntriesChunk int64 = 50_000

// Entries yields the stored entries with from <= seq <= to in sequence
// order, EntriesChunk sequence numbers per statement; a range with no
// entries (a gap, which verification reports) is skipped by asking for the
// next stored sequence number. It holds a connection only while a chunk is
// read.
func (s *Store) Entries(ctx context.Context, from, to int64) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for lo := from; lo <= to; {
			hi := to
			if lo <= to-EntriesChunk {
				hi = lo + EntriesChunk - 1
			}
			n, ok := s.entryChunk(ctx, lo, hi, yield)
			if !ok {
				return
			}
			if hi == to {
				return
			}
			lo = hi + 1
			if n > 0 {
				continue
			}
			var next *int64
			if err := s.pool.QueryRow(ctx, `SELECT min(seq) FROM audit_events WHERE seq BETWEEN $1 AND $2`, lo, to).Scan(&next); err != nil {
				yield(audit.Entry{}, fmt.Errorf("audit: read events: %w", err))
				return
			}
			if next == nil {
				return
			}
			lo = *next
		}
	}
}

// entryChunk yields the entries with lo <= seq <= hi and says how many
// there were, and false when the iteration must stop.
func (s *Store) entryChunk(ctx context.Context, lo, hi int64, yield func(audit.Entry, error) bool) (int, bool) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM audit_events
		WHERE seq BETWEEN $1 AND $2 ORDER BY seq`, lo, hi)
	if err != nil {
		yield(audit.Entry{}, fmt.Errorf("audit: read events: %w", err))
		return 0, false
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		e, err := scanEntry(rows)
		n++
		if !yield(e, err) || err != nil {
			return n, false
		}
	}
	if err := rows.Err(); err != nil {
		yield(audit.Entry{}, fmt.Errorf("audit: read events: %w", err))
		return n, false
	}
	return n, true
}

func scanEntry(rows pgx.Rows) (audit.Entry, error) {
	var e audit.Entry
	var typ, actorKind, outcome string
	var detail, hash []byte
	if err := rows.Scan(&e.Seq, &e.LoggedAt, &e.Time, &typ, &actorKind, &e.ActorID, &e.AccountID, &e.ClientID,
		&e.Scopes, &e.Claims, &e.ACR, &outcome, &e.Reason, &e.IP, &e.UserAgent, &e.RequestID, &detail, &hash); err != nil {
		return e, fmt.Errorf("audit: read event: %w", err)
	}
	e.Type, e.ActorKind, e.Outcome = audit.EventType(typ), audit.ActorKind(actorKind), audit.Outcome(outcome)
	e.LoggedAt, e.Time = e.LoggedAt.UTC(), e.Time.UTC()
	if len(e.Scopes) == 0 {
		e.Scopes = nil
	}
	if len(e.Claims) == 0 {
		e.Claims = nil
	}
	if len(detail) > 2 {
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			return e, fmt.Errorf("audit: read event %d: detail: %w", e.Seq, err)
		}
	}
	var err error
	if e.Hash, err = audit.HashFromBytes(hash); err != nil {
		return e, fmt.Errorf("audit: read event %d: %w", e.Seq, err)
	}
	return e, nil
}

// History returns one page of the account's history, newest first. The
// query walks the (account_id, logged_at, seq) index partition by partition,
// newest first, and stops at the page size: its cost depends on the page,
// not on the size of the table or of the history.
func (s *Store) History(ctx context.Context, accountID string, f audit.Filter) (audit.Page, error) {
	if accountID == "" {
		return audit.Page{}, fmt.Errorf("audit: history: %w: no account id", audit.ErrInvalidEvent)
	}
	limit := f.PageSize()
	var q strings.Builder
	q.WriteString(`SELECT ` + columns + ` FROM audit_events WHERE account_id = $1`)
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ClientID != "" {
		q.WriteString(` AND client_id = ` + arg(f.ClientID))
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		q.WriteString(` AND type = ANY(` + arg(types) + `::text[])`)
	}
	if !f.Before.IsZero() {
		t, seq := arg(f.Before.LoggedAt.UTC()), arg(f.Before.Seq)
		// The plain bound lets the planner skip newer partitions.
		q.WriteString(` AND logged_at <= ` + t + ` AND (logged_at, seq) < (` + t + `, ` + seq + `)`)
	}
	q.WriteString(` ORDER BY logged_at DESC, seq DESC LIMIT ` + arg(limit+1))
	rows, err := s.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return audit.Page{}, fmt.Errorf("audit: history: %w", err)
	}
	defer rows.Close()
	var p audit.Page
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return audit.Page{}, err
		}
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return audit.Page{}, fmt.Errorf("audit: history: %w", err)
	}
	if len(p.Entries) > limit {
		p.Entries = p.Entries[:limit]
		p.Next = audit.CursorAt(p.Entries[limit-1])
	}
	return p, nil
}
