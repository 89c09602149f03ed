package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"
)

// ChainSource is what verification reads. audit/postgres implements it.
type ChainSource interface {
	// Entries yields the stored entries with from <= Seq <= to in sequence
	// order (rows sharing a sequence number, which only tampering makes,
	// come one after the other).
	Entries(ctx context.Context, from, to int64) iter.Seq2[Entry, error]
	// Checkpoints returns the stored checkpoints with from <= Seq <= to in
	// sequence order.
	Checkpoints(ctx context.Context, from, to int64) ([]Checkpoint, error)
	// LastCheckpoint is as in Store.
	LastCheckpoint(ctx context.Context, kind CheckpointKind, atOrBefore int64) (Checkpoint, error)
}

// SealSource is implemented by chain sources that keep sealed heads
// (audit/postgres does). Verify then compares the chain's end with the
// newest seal.
type SealSource interface {
	// LastSeal returns the newest seal, or ErrNotFound.
	LastSeal(ctx context.Context) (Seal, error)
}

// VerifyOptions say what to verify and against which keys.
type VerifyOptions struct {
	// Keys are the public keys checkpoints may be signed with (the current
	// audit key and every retired one). A checkpoint signed by another key
	// is reported, never skipped.
	Keys KeySet
	// From and To bound the events checked (0: from the retained start, to
	// the end). Recomputation starts at the last signed checkpoint before
	// From, so a recent range is checked without reading five years.
	From, To int64
	// External are checkpoints a third party kept (ReadCheckpoints). They
	// are checked like stored ones, so deleting or rewriting stored
	// checkpoints does not hide a rewritten chain from their holder.
	External []Checkpoint
}

// ProblemKind classifies what verification found.
type ProblemKind string

// Problem kinds.
const (
	// Modified: an event's content (or its stored hash) no longer matches
	// the chain while its neighbours still link.
	Modified ProblemKind = "modified"
	// Deleted: sequence numbers are missing (a gap, later events
	// renumbered, or events a signed checkpoint covers are gone).
	Deleted ProblemKind = "deleted"
	// Inserted: an event that was never chained sits in the chain.
	Inserted ProblemKind = "inserted"
	// Reordered: events were swapped or moved.
	Reordered ProblemKind = "reordered"
	// Rewritten: the chain links up but disagrees with a signed checkpoint:
	// events were changed and every later hash recomputed. The first
	// changed event lies after the previous confirmed checkpoint; which one
	// cannot be told.
	Rewritten ProblemKind = "rewritten"
	// BadCheckpoint: a checkpoint's signature does not verify, or it was
	// signed by a key not in the key set.
	BadCheckpoint ProblemKind = "bad_checkpoint"
	// Unsealed: events lie beyond the sealed head: appended behind the
	// writers' back, or the head was moved back.
	Unsealed ProblemKind = "unsealed"
	// BadSeal: the newest seal was not signed with an audit key.
	BadSeal ProblemKind = "bad_seal"
)

// Problem is one inconsistency found.
type Problem struct {
	Kind ProblemKind
	// Seq is the sequence number of the first event concerned.
	Seq int64
	// Entry is the stored row at fault, when there is one.
	Entry *Entry
	// Message explains it for an operator.
	Message string
}

// Report is the outcome of Verify.
type Report struct {
	// Start is the trusted point recomputation started from: Genesis, a
	// signed retention anchor or a signed checkpoint.
	Start Head
	// StartedFrom says which: "genesis", "retention anchor" or "checkpoint".
	StartedFrom string
	// From and To are the first and last sequence numbers verified.
	From, To int64
	// Events counts the entries whose hash was recomputed.
	Events int64
	// Checkpoints counts the signed checkpoints that matched the chain.
	Checkpoints int
	// Head is the last verified entry.
	Head Head
	// Problem is the first inconsistency, nil when the chain is intact.
	Problem *Problem
	// Problems lists every inconsistency found, in the order found (the
	// first is Problem). After a problem verification goes on from the
	// stored row, so that later tampering is named too; a damaged stretch
	// is reported once, at its first event.
	Problems []Problem
	// Sealed is the newest seal Verify compared the chain's end with (nil
	// when the source keeps none, or a range was verified).
	Sealed *Seal
}

// OK reports whether the chain verified.
func (r Report) OK() bool { return len(r.Problems) == 0 && r.Problem == nil }

func (r *Report) add(p *Problem) {
	if p == nil {
		return
	}
	r.Problems = append(r.Problems, *p)
	r.Problem = &r.Problems[0]
}

// String is a summary for operators: one line when the chain is intact,
// and one more line per problem after the first when it is not.
func (r Report) String() string {
	if r.Problem != nil {
		s := fmt.Sprintf("audit chain BROKEN at event %d (%s): %s", r.Problem.Seq, r.Problem.Kind, r.Problem.Message)
		if len(r.Problems) > 1 {
			s += fmt.Sprintf(" [%d problems]", len(r.Problems))
			for _, p := range r.Problems[1:] {
				s += fmt.Sprintf("\n  also at event %d (%s): %s", p.Seq, p.Kind, p.Message)
			}
		}
		return s
	}
	if r.Events == 0 {
		return fmt.Sprintf("audit chain intact: no events after %s %d", r.StartedFrom, r.Start.Seq)
	}
	return fmt.Sprintf("audit chain intact: events %d..%d (%d events, %d checkpoints matched) verified from %s %d",
		r.From, r.To, r.Events, r.Checkpoints, r.StartedFrom, r.Start.Seq)
}

// lookaheadWindow bounds how far the classifier looks for the genuine event
// of a position when an event does not match.
const lookaheadWindow = 64

// Verify recomputes the chain from a trusted start (the latest retention
// anchor, or the last checkpoint before opts.From) and checks every signed
// checkpoint on the way, stored or external, and, when the whole chain to
// its end is verified, the newest seal. It reports every event that was
// modified, deleted, inserted or reordered, every checkpoint the chain
// disagrees with, and an end of chain that is not the sealed head. An error
// means the source could not be read, not that the chain is broken.
//
// What it cannot see without checkpoints held outside the database: a
// superuser who deletes the newest events together with the seals that
// cover them, or everything at once. Publishing checkpoints to a witness as
// they are made (Options.Witness) and verifying against it closes that.
func Verify(ctx context.Context, src ChainSource, opts VerifyOptions) (Report, error) {
	to := opts.To
	whole := to <= 0
	if whole {
		to = math.MaxInt64
	}
	var rep Report
	start, startedFrom, problem, err := verifyStart(ctx, src, opts)
	if err != nil {
		return rep, err
	}
	rep.Start, rep.StartedFrom, rep.Head = start, startedFrom, start
	rep.From = start.Seq + 1
	if problem != nil {
		rep.add(problem)
		return rep, nil
	}
	if to <= start.Seq {
		return rep, nil
	}

	var seal *Seal
	ss, hasSeals := src.(SealSource)
	hasSeals = hasSeals && whole
	if hasSeals {
		sl, err := ss.LastSeal(ctx)
		switch {
		case err == nil:
			seal = &sl
			rep.Sealed = seal
		case !errors.Is(err, ErrNotFound):
			return rep, fmt.Errorf("audit: verify: read seal: %w", err)
		}
	}
	sealSeq := int64(-1)
	if seal != nil {
		sealSeq = seal.Seq
		if !seal.Legacy() {
			if err := opts.Keys.VerifySeal(*seal); err != nil {
				rep.add(&Problem{Kind: BadSeal, Seq: seal.Seq, Message: fmt.Sprintf(
					"the newest seal (event %d) does not verify: %v: the head was forged", seal.Seq, err)})
			}
		}
	}

	stored, err := src.Checkpoints(ctx, start.Seq+1, to)
	if err != nil {
		return rep, fmt.Errorf("audit: verify: read checkpoints: %w", err)
	}
	cps := stored
	for _, c := range opts.External {
		if c.Seq > start.Seq && c.Seq <= to {
			cps = append(cps, c)
		}
	}
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })

	next, stop := iter.Pull2(src.Entries(ctx, start.Seq+1, to))
	defer stop()
	v := &verifier{la: lookahead{next: next}, prev: start, confirmed: start.Seq, keys: opts.Keys}
	var beyondSeal *Entry
	for {
		r, ok, err := v.la.peek(0)
		if err != nil {
			return rep, fmt.Errorf("audit: verify: read events: %w", err)
		}
		if !ok {
			break
		}
		p, err := v.check(r)
		if err != nil {
			return rep, fmt.Errorf("audit: verify: read events: %w", err)
		}
		if p != nil {
			// Report a damaged stretch once; go on from the stored row.
			if !v.broken {
				rep.add(p)
			}
			v.broken, v.damaged = true, true
		} else {
			v.broken = false
		}
		for len(cps) > 0 && cps[0].Seq <= r.Seq {
			if q := v.checkpoint(cps[0], r); q != nil && p == nil {
				rep.add(q)
			}
			cps = cps[1:]
		}
		if r.Seq == sealSeq && r.Hash != seal.Hash && p == nil {
			rep.add(&Problem{Kind: Rewritten, Seq: v.confirmed + 1, Entry: &r, Message: fmt.Sprintf(
				"event %d, the sealed head, no longer has the hash sealed at %s: events after %d were changed and the later hashes recomputed",
				r.Seq, seal.SealedAt.Format(time.RFC3339), v.confirmed)})
		}
		if r.Seq == sealSeq+1 && seal != nil && beyondSeal == nil {
			beyondSeal = &r
		}
		v.accept(r)
		rep.Events++
		rep.Head = r.Head()
		rep.To = r.Seq
	}
	rep.Checkpoints = v.matched
	if len(cps) > 0 {
		// Signed checkpoints beyond the last stored event: the end of the
		// chain was cut off.
		c := cps[len(cps)-1]
		if _, err := opts.Keys.Verify(c); err != nil {
			rep.add(badCheckpoint(c, err))
		} else {
			rep.add(&Problem{Kind: Deleted, Seq: rep.Head.Seq + 1, Message: fmt.Sprintf(
				"events from %d to at least %d are missing%s: checkpoint %d signed at %s covers them",
				rep.Head.Seq+1, c.Seq, emptyNote(rep), c.Seq, c.SignedAt.Format(time.RFC3339))})
		}
	}
	if whole && opts.From <= 0 && rep.Events == 0 && startedFrom == "retention anchor" && len(rep.Problems) == 0 {
		// Retention records an event after every anchor it stores.
		rep.add(&Problem{Kind: Deleted, Seq: start.Seq + 1, Message: fmt.Sprintf(
			"no events after retention anchor %d, though retention records one after each anchor (the chain is empty: truncated)", start.Seq)})
	}
	if hasSeals {
		switch {
		case seal == nil && rep.Head.Seq > start.Seq:
			rep.add(&Problem{Kind: Unsealed, Seq: start.Seq + 1, Message: fmt.Sprintf(
				"no seal covers events %d..%d: the seals were deleted, or the events were written behind the writers' back",
				start.Seq+1, rep.Head.Seq)})
		case seal == nil:
		case seal.Seq > rep.Head.Seq:
			rep.add(&Problem{Kind: Deleted, Seq: rep.Head.Seq + 1, Message: fmt.Sprintf(
				"events %d..%d are missing%s: the head sealed at %s covers them",
				rep.Head.Seq+1, seal.Seq, emptyNote(rep), seal.SealedAt.Format(time.RFC3339))})
		case seal.Seq < rep.Head.Seq:
			p := &Problem{Kind: Unsealed, Seq: seal.Seq + 1, Entry: beyondSeal, Message: fmt.Sprintf(
				"events %d..%d lie beyond the sealed head %d: appended behind the writers' back (forged), or the head was moved back",
				seal.Seq+1, rep.Head.Seq, seal.Seq)}
			if beyondSeal != nil {
				p.Message += "; the first: " + describe(*beyondSeal)
			}
			rep.add(p)
		}
	}
	return rep, nil
}

func emptyNote(r Report) string {
	if r.Events == 0 {
		return " (the chain is empty: truncated)"
	}
	return ""
}

// verifyStart picks the trusted start: the latest retention anchor (stored
// or external), moved up to the last checkpoint before opts.From.
func verifyStart(ctx context.Context, src ChainSource, opts VerifyOptions) (Head, string, *Problem, error) {
	start, from := Genesis, "genesis"
	var candidates []Checkpoint
	c, err := src.LastCheckpoint(ctx, RetentionAnchor, math.MaxInt64)
	switch {
	case err == nil:
		candidates = append(candidates, c)
	case !errors.Is(err, ErrNotFound):
		return start, from, nil, fmt.Errorf("audit: verify: read retention anchor: %w", err)
	}
	for _, c := range opts.External {
		if c.Kind == RetentionAnchor {
			candidates = append(candidates, c)
		}
	}
	for _, c := range candidates {
		if c.Seq <= start.Seq {
			continue
		}
		signed, err := opts.Keys.Verify(c)
		if err != nil {
			return start, from, badCheckpoint(c, err), nil
		}
		start, from = signed.Head(), "retention anchor"
	}
	if opts.From-1 <= start.Seq {
		return start, from, nil, nil
	}
	candidates = candidates[:0]
	c, err = src.LastCheckpoint(ctx, "", opts.From-1)
	switch {
	case err == nil:
		candidates = append(candidates, c)
	case !errors.Is(err, ErrNotFound):
		return start, from, nil, fmt.Errorf("audit: verify: read checkpoint: %w", err)
	}
	for _, c := range opts.External {
		if c.Seq < opts.From {
			candidates = append(candidates, c)
		}
	}
	best := Checkpoint{Seq: start.Seq}
	for _, c := range candidates {
		if c.Seq > best.Seq {
			best = c
		}
	}
	if best.Seq > start.Seq {
		signed, err := opts.Keys.Verify(best)
		if err != nil {
			return start, from, badCheckpoint(best, err), nil
		}
		start, from = signed.Head(), "checkpoint"
	}
	return start, from, nil, nil
}

func badCheckpoint(c Checkpoint, err error) *Problem {
	return &Problem{Kind: BadCheckpoint, Seq: c.Seq, Message: fmt.Sprintf("checkpoint %d (%s): %v", c.Seq, c.Kind, err)}
}

type verifier struct {
	la        lookahead
	keys      KeySet
	prev      Head
	prevPrev  Head
	prevEntry *Entry
	confirmed int64 // last sequence number confirmed by a signed checkpoint (or the start)
	matched   int
	broken    bool // the previous row did not link: its stretch is reported
	damaged   bool // a row did not link since the last confirmed checkpoint
	rewritten bool // a rewrite was reported since the last confirmed checkpoint
	buf       []byte
}

// links reports whether r's stored hash is the one computed from prev; it
// reuses one buffer, as it runs once per event.
func (v *verifier) links(prev Hash, r Entry) bool {
	v.buf = AppendCanonical(v.buf[:0], r.Seq, r.LoggedAt, r.Event)
	return hashLink(prev, v.buf) == r.Hash
}

func (v *verifier) accept(r Entry) {
	v.prevPrev, v.prev = v.prev, r.Head()
	v.prevEntry = &r
	v.la.pop()
}

// checkpoint compares a checkpoint for sequence number c.Seq <= r.Seq with
// the accepted chain; r is the entry being accepted.
func (v *verifier) checkpoint(c Checkpoint, r Entry) *Problem {
	signed, err := v.keys.Verify(c)
	if err != nil {
		return badCheckpoint(c, err)
	}
	if signed.Seq != r.Seq {
		// Cannot happen without a gap, which check reports first.
		return &Problem{Kind: Deleted, Seq: signed.Seq, Message: fmt.Sprintf("event %d, sealed by a checkpoint, is missing", signed.Seq)}
	}
	if signed.Hash != r.Hash {
		if v.damaged || v.rewritten {
			// Already reported: the stretch does not link, or a rewrite
			// before this checkpoint runs on to it.
			return nil
		}
		v.rewritten = true
		return &Problem{Kind: Rewritten, Seq: v.confirmed + 1, Entry: &r, Message: fmt.Sprintf(
			"events %d..%d link up but event %d's hash differs from the checkpoint signed at %s: events were changed and the later hashes recomputed; the first changed event is in this range",
			v.confirmed+1, r.Seq, r.Seq, signed.SignedAt.Format(time.RFC3339))}
	}
	v.confirmed = r.Seq
	v.matched++
	v.damaged, v.rewritten = false, false
	return nil
}

// check decides whether r, the next stored row, is the genuine next event.
func (v *verifier) check(r Entry) (*Problem, error) {
	k := v.prev.Seq + 1
	switch {
	case r.Seq < k:
		return &Problem{Kind: Inserted, Seq: r.Seq, Entry: &r, Message: fmt.Sprintf(
			"a second event claims sequence number %d: %s", r.Seq, describe(r))}, nil
	case r.Seq > k:
		return &Problem{Kind: Deleted, Seq: k, Message: fmt.Sprintf("events %d..%d are missing", k, r.Seq-1)}, nil
	}
	n, hasN, err := v.la.peek(1)
	if err != nil {
		return nil, err
	}
	if hasN && n.Seq == k {
		return v.duplicate(r, n)
	}
	if v.links(v.prev.Hash, r) {
		return nil, nil
	}
	hasN = hasN && n.Seq == k+1
	// r does not link. Work out the likeliest tampering.
	if v.prevEntry != nil && fits(v.prevPrev.Hash, r, k-1, r.Hash) {
		// r is the genuine event k-1: the accepted row before it was
		// forged with a valid hash and the later events renumbered.
		return &Problem{Kind: Inserted, Seq: k - 1, Entry: v.prevEntry, Message: fmt.Sprintf(
			"event %d was inserted (later events renumbered): %s", k-1, describe(*v.prevEntry))}, nil
	}
	if hasN && ComputeHash(r.Hash, n) == n.Hash {
		return &Problem{Kind: Modified, Seq: k, Entry: &r, Message: fmt.Sprintf(
			"event %d was modified: its content no longer matches its hash, which event %d still links to (now reads: %s)", k, k+1, describe(r))}, nil
	}
	if hasN && ComputeHash(ComputeHash(v.prev.Hash, r), n) == n.Hash {
		return &Problem{Kind: Modified, Seq: k, Entry: &r, Message: fmt.Sprintf(
			"event %d was modified: its stored hash was altered (%s)", k, describe(r))}, nil
	}
	for j := 1; j <= lookaheadWindow; j++ {
		x, ok, err := v.la.peek(j)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if fits(v.prev.Hash, x, k, x.Hash) {
			// x, stored at x.Seq, is the genuine event k.
			if j == 1 && fits(x.Hash, r, k+1, r.Hash) {
				return &Problem{Kind: Reordered, Seq: k, Entry: &r, Message: fmt.Sprintf(
					"events %d and %d were swapped", k, k+1)}, nil
			}
			// Inserted rows push the genuine events up by j: the one after x
			// still links to x as event k+1.
			y, hasY, err := v.la.peek(j + 1)
			if err != nil {
				return nil, err
			}
			if x.Seq == k+int64(j) && (!hasY || fits(x.Hash, y, k+1, y.Hash)) {
				return &Problem{Kind: Inserted, Seq: k, Entry: &r, Message: fmt.Sprintf(
					"%d event(s) were inserted at %d (later events renumbered), the first: %s", j, k, describe(r))}, nil
			}
			return &Problem{Kind: Reordered, Seq: k, Entry: &r, Message: fmt.Sprintf(
				"event %d was moved to position %d", k, x.Seq)}, nil
		}
		// The contents were exchanged but the hashes (and perhaps the log
		// times) left in place.
		moved := x
		moved.LoggedAt = r.LoggedAt
		if fits(v.prev.Hash, x, k, r.Hash) || fits(v.prev.Hash, moved, k, r.Hash) {
			return &Problem{Kind: Reordered, Seq: k, Entry: &r, Message: fmt.Sprintf(
				"the contents of events %d and %d were exchanged", k, x.Seq)}, nil
		}
	}
	if hasN {
		for d := int64(1); d <= lookaheadWindow; d++ {
			if fits(r.Hash, n, n.Seq+d, n.Hash) {
				return &Problem{Kind: Deleted, Seq: k, Message: fmt.Sprintf(
					"%d event(s) from %d were deleted and the later events renumbered", d, k)}, nil
			}
		}
	}
	return &Problem{Kind: Modified, Seq: k, Entry: &r, Message: fmt.Sprintf(
		"event %d does not match its hash: modified, or forged (%s)", k, describe(r))}, nil
}

// duplicate handles two rows a and b claiming sequence number k: the genuine
// one links to the previous hash and is linked to by event k+1.
func (v *verifier) duplicate(a, b Entry) (*Problem, error) {
	next, hasNext, err := v.la.peek(2)
	if err != nil {
		return nil, err
	}
	links := func(e Entry) bool {
		ok := ComputeHash(v.prev.Hash, e) == e.Hash
		if ok && hasNext && next.Seq == e.Seq+1 {
			ok = ComputeHash(e.Hash, next) == next.Hash
		}
		return ok
	}
	forged := b
	if links(b) && !links(a) {
		forged = a
	}
	return &Problem{Kind: Inserted, Seq: a.Seq, Entry: &forged, Message: fmt.Sprintf(
		"a second event claims sequence number %d: %s", a.Seq, describe(forged))}, nil
}

// fits reports whether x, placed at sequence number seq after prev, hashes to want.
func fits(prev Hash, x Entry, seq int64, want Hash) bool {
	x.Seq = seq
	return ComputeHash(prev, x) == want
}

func describe(e Entry) string {
	s := fmt.Sprintf("%s at %s", e.Type, e.Time.UTC().Format(time.RFC3339Nano))
	if e.AccountID != "" {
		s += " for account " + e.AccountID
	}
	if e.ClientID != "" {
		s += " via " + e.ClientID
	}
	return s
}

// lookahead buffers a pulled iterator so the classifier can peek ahead.
type lookahead struct {
	next func() (Entry, error, bool)
	buf  []Entry
	done bool
}

func (l *lookahead) peek(i int) (Entry, bool, error) {
	for len(l.buf) <= i && !l.done {
		e, err, ok := l.next()
		if !ok {
			l.done = true
			break
		}
		if err != nil {
			return Entry{}, false, err
		}
		l.buf = append(l.buf, e)
	}
	if i < len(l.buf) {
		return l.buf[i], true, nil
	}
	return Entry{}, false, nil
}

func (l *lookahead) pop() {
	l.buf[0] = Entry{}
	l.buf = l.buf[1:]
}
