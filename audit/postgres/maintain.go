package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Maintainer runs the history's maintenance as the owner role: creating
// partitions ahead and dropping those past retention. Dropping needs the
// owner (the application role cannot), so it takes an owner-role pool.
type Maintainer struct {
	// Years is how long events are kept (the configuration's
	// audit.retention_years); below audit.RetentionYears, or unset, the
	// law's five years.
	Years int

	owner *pgxpool.Pool
	store *Store
	key   *audit.Key
	keys  audit.KeySet
}

// NewMaintainer returns a maintainer on an owner-role pool. key signs
// retention anchors; keys verify the chain before anything is dropped (the
// current key's public half is always included, add retired ones).
func NewMaintainer(owner *pgxpool.Pool, key *audit.Key, keys audit.KeySet) *Maintainer {
	ks := audit.NewKeySet(key.Public())
	for id, k := range keys {
		ks[id] = k
	}
	return &Maintainer{owner: owner, store: NewStore(owner, nil), key: key, keys: ks}
}

// EnsurePartitions creates the partitions of now's month and the
// monthsAhead following ones, unless they exist, and returns their names.
// Run it daily; the writer also creates a missing current partition itself.
func (m *Maintainer) EnsurePartitions(ctx context.Context, now time.Time, monthsAhead int) ([]string, error) {
	start := monthStart(now)
	var names []string
	for i := range max(monthsAhead, 0) + 1 {
		var name string
		month := start.AddDate(0, i, 0)
		if err := m.owner.QueryRow(ctx, "SELECT audit_ensure_partition($1)", month).Scan(&name); err != nil {
			return names, fmt.Errorf("audit: create partition for %s: %w", month.Format("2006-01"), err)
		}
		names = append(names, name)
	}
	return names, nil
}

type partition struct {
	name   string
	lo, hi time.Time
}

// partitions lists the monthly partitions, oldest first. Partitions not named
// by audit_ensure_partition are left out: retention never drops what it
// does not understand.
func (m *Maintainer) partitions(ctx context.Context, q querier) ([]partition, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_events'::regclass`)
	if err != nil {
		return nil, fmt.Errorf("audit: list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("audit: list partitions: %w", err)
	}
	var out []partition
	for _, n := range names {
		if lo, ok := partitionMonth(n); ok {
			out = append(out, partition{name: n, lo: lo, hi: lo.AddDate(0, 1, 0)})
		}
	}
	slices.SortFunc(out, func(a, b partition) int { return a.lo.Compare(b.lo) })
	return out, nil
}

// partitionMonth parses "audit_events_y2026m11".
func partitionMonth(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, "audit_events_y")
	if !ok || len(rest) != 7 || rest[4] != 'm' {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(rest[:4])
	mo, err2 := strconv.Atoi(rest[5:])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), true
}

// Retain drops every partition whose whole range is older than the retention
// period at now (its upper bound at or before now − 5 years): never one that
// could hold a younger event. Before dropping it verifies the chain up to
// the last event it drops, and refuses (audit.ErrChainBroken) when that
// fails: evidence of tampering is never destroyed. In one transaction it then
// stores a signed retention anchor (the last dropped event's sequence number
// and hash, from which the chain verifies on), drops the partitions and
// records an audit.RetentionApplied event.
func (m *Maintainer) Retain(ctx context.Context, now time.Time) (audit.RetentionReport, error) {
	now = now.UTC()
	rep := audit.RetentionReport{Cutoff: audit.RetentionCutoff(now, m.Years)}
	var owner bool
	if err := m.owner.QueryRow(ctx, `SELECT pg_has_role(relowner, 'USAGE') FROM pg_class
		WHERE oid = 'audit_events'::regclass`).Scan(&owner); err != nil {
		return rep, fmt.Errorf("audit: retain: %w", err)
	}
	if !owner {
		return rep, errors.New("audit: retain: must run as the owner of the audit tables (dinhdanh_owner)")
	}
	parts, err := m.partitions(ctx, m.owner)
	if err != nil {
		return rep, err
	}
	var drop []partition
	for _, p := range parts {
		if !p.hi.After(rep.Cutoff) {
			drop = append(drop, p)
		}
	}
	if len(drop) == 0 {
		return rep, nil
	}
	bound := drop[len(drop)-1].hi

	anchor, found, err := lastBefore(ctx, m.owner, bound)
	if err != nil {
		return rep, err
	}
	if found {
		// The dropped partitions must hold a prefix of the chain, or
		// verification would see a hole.
		var firstKept *int64
		if err := m.owner.QueryRow(ctx, `SELECT min(seq) FROM audit_events WHERE logged_at >= $1`, bound).Scan(&firstKept); err != nil {
			return rep, fmt.Errorf("audit: retain: %w", err)
		}
		if firstKept != nil && *firstKept <= anchor.Seq {
			return rep, fmt.Errorf("%w: event %d, logged after %s, precedes event %d, logged before it: retention would cut the chain",
				audit.ErrChainBroken, *firstKept, bound.Format(time.RFC3339), anchor.Seq)
		}
		vr, err := audit.Verify(ctx, m.store, audit.VerifyOptions{Keys: m.keys, To: anchor.Seq})
		if err != nil {
			return rep, fmt.Errorf("audit: retain: %w", err)
		}
		if !vr.OK() {
			return rep, fmt.Errorf("%w: nothing dropped: %s", audit.ErrChainBroken, vr)
		}
		if vr.Head.Seq != anchor.Seq || vr.Head.Hash != anchor.Hash {
			return rep, fmt.Errorf("%w: nothing dropped: verification ended at %d, not at the last event to drop %d",
				audit.ErrChainBroken, vr.Head.Seq, anchor.Seq)
		}
	}

	if _, err := m.owner.Exec(ctx, "SELECT audit_ensure_partition($1)", monthStart(now)); err != nil {
		return rep, fmt.Errorf("audit: retain: create partition: %w", err)
	}
	err = pgx.BeginFunc(ctx, m.owner, func(tx pgx.Tx) error {
		// The seals, then the events: the order every writer locks them.
		if err := lockHead(ctx, tx, true); err != nil {
			return err
		}
		stored, err := readHead(ctx, tx)
		if err != nil {
			return err
		}
		if err := audit.CheckHead(stored, m.keys, audit.Genesis); err != nil {
			return err
		}
		head := stored.Seal.Head()
		detail := map[string]string{
			"cutoff":     rep.Cutoff.Format(time.RFC3339),
			"partitions": strconv.Itoa(len(drop)),
			"first":      drop[0].name,
			"last":       drop[len(drop)-1].name,
		}
		if found {
			again, _, err := lastBefore(ctx, tx, bound)
			if err != nil {
				return err
			}
			if again.Seq != anchor.Seq || again.Hash != anchor.Hash {
				return fmt.Errorf("%w: the last event to drop changed while retention ran", audit.ErrChainBroken)
			}
			cp, err := m.key.Sign(audit.RetentionAnchor, anchor, now)
			if err != nil {
				return err
			}
			if err := addCheckpoint(ctx, tx, cp); err != nil {
				return err
			}
			rep.Anchor = &cp
			detail["anchor_seq"] = strconv.FormatInt(anchor.Seq, 10)
		}
		for _, p := range drop {
			if _, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{p.name}.Sanitize()); err != nil {
				return err
			}
			rep.Dropped = append(rep.Dropped, p.name)
		}
		e, err := audit.Normalize(audit.Event{
			Type: audit.RetentionApplied, ActorKind: audit.System, ActorID: "retention",
			Outcome: audit.Success, Detail: detail,
		}, now)
		if err != nil {
			return err
		}
		entries := audit.Chain(head, now, e)
		seal := m.key.Seal(head.Seq, entries[0].Head(), now)
		if err := appendEntries(ctx, tx, head, entries, seal); err != nil {
			return err
		}
		rep.Event = &entries[0]
		return nil
	})
	if err != nil {
		rep.Dropped, rep.Anchor, rep.Event = nil, nil, nil
		return rep, fmt.Errorf("audit: retain: %w", err)
	}
	return rep, nil
}

// lastBefore returns the last event logged before bound.
func lastBefore(ctx context.Context, q querier, bound time.Time) (audit.Head, bool, error) {
	var h audit.Head
	var hash []byte
	err := q.QueryRow(ctx, `SELECT seq, hash, logged_at FROM audit_events
		WHERE logged_at < $1 ORDER BY seq DESC LIMIT 1`, bound).Scan(&h.Seq, &hash, &h.LoggedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("audit: retain: find last event to drop: %w", err)
	}
	if h.Hash, err = audit.HashFromBytes(hash); err != nil {
		return h, false, err
	}
	h.LoggedAt = h.LoggedAt.UTC()
	return h, true, nil
}

// ExportCheckpoints returns every stored checkpoint with from <= seq <= to
// (to <= 0: to the end), for audit.WriteCheckpoints.
func (s *Store) ExportCheckpoints(ctx context.Context, from, to int64) ([]audit.Checkpoint, error) {
	if to <= 0 {
		to = math.MaxInt64
	}
	return s.Checkpoints(ctx, from, to)
}
