package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Store is what the writer needs from storage. audit/postgres implements it.
type Store interface {
	// Head returns the stored head: the newest seal and the newest event.
	Head(ctx context.Context) (StoredHead, error)
	// Append stores entries, chained from prev, and seal, the signed head
	// they form, in one round trip and one transaction, provided prev is
	// still the sealed head and no stored event lies beyond it; otherwise
	// it stores nothing and fails with ErrHeadMoved. It is the fast path
	// of a writer that knows the head.
	Append(ctx context.Context, prev Head, entries []Entry, seal Seal) error
	// AppendLocked locks the head, reads it back, calls chain with it and
	// stores the entries and the seal chain returns, in one transaction:
	// the slow path that always makes progress when other writers keep
	// moving the head. chain may be called more than once; when it fails,
	// nothing is stored and AppendLocked returns its error.
	AppendLocked(ctx context.Context, chain func(head StoredHead) ([]Entry, Seal, error)) error
	// LastCheckpoint returns the checkpoint of the given kind (any kind
	// when empty) with the highest sequence number not above atOrBefore,
	// or ErrNotFound.
	LastCheckpoint(ctx context.Context, kind CheckpointKind, atOrBefore int64) (Checkpoint, error)
	// AddCheckpoint stores a checkpoint; storing one that exists is not an
	// error (several replicas may seal the same head).
	AddCheckpoint(ctx context.Context, c Checkpoint) error
}

// Options tune the writer. Zero values take the defaults.
type Options struct {
	// Now is the clock (default time.Now). Injected by tests.
	Now func() time.Time
	// Logger receives write failures and checkpoint errors (default: discard).
	Logger *slog.Logger
	// MaxBatch is the most events written in one statement (default 512).
	// 1 turns batching off.
	MaxBatch int
	// Linger is how long the writer waits for more events once one has
	// arrived (default 0: events that arrive while a batch is being
	// committed form the next batch, which batches under load without
	// adding latency when idle).
	Linger time.Duration
	// MaxPending bounds the events waiting to be written; Record blocks
	// (until its context ends) when they are all taken (default 16384).
	MaxPending int
	// CheckpointEvery seals the chain after this many events (default 10000).
	CheckpointEvery int64
	// CheckpointInterval seals the chain this often when it has grown
	// (default 1 minute).
	CheckpointInterval time.Duration
	// WriteTimeout bounds one batch write, retries included (default 10s).
	WriteTimeout time.Duration
	// Keys are retired audit keys whose seals the writer still accepts as
	// the head it extends (the key's own public half is always included).
	Keys KeySet
	// Witness receives every checkpoint the writer stores, outside the
	// database (nil: none). Publishing runs beside the writer and never
	// delays a commit; failures are logged and counted.
	Witness Witness
}

// Witness keeps checkpoints outside the database, where a database
// superuser cannot rewrite them (audit/witness has a file and an HTTP sink).
type Witness interface {
	Publish(ctx context.Context, c Checkpoint) error
}

// Stats counts what the writer did.
type Stats struct {
	Batches     int64 // batches committed
	Events      int64 // events committed
	Failed      int64 // events whose batch failed
	Retries     int64 // appends redone under the head lock because the head had moved
	Locked      int64 // batches appended under the head lock (retries included)
	Checkpoints int64 // checkpoints stored
	Published   int64 // checkpoints the witness accepted
	Unpublished int64 // checkpoints the witness did not get (failed or dropped)
	// Alarm is set once the writer found the stored head tampered with
	// (ErrHeadTampered): it has stopped, and every Record fails.
	Alarm string
	// BatchLatency counts committed and failed batch writes by how long
	// the write took (retries under the head lock included): Counts[i]
	// are the writes that took at most LatencyBounds[i] and more than the
	// bound before it; the last count, the writes above every bound.
	BatchLatency Latency
	// SealedAt is when the newest checkpoint this writer knows of was
	// signed (by it, or found stored when it started sealing); zero until
	// it first sealed or read one. Head and Sealed are the sequence
	// numbers of the chain head this writer last wrote or read and of
	// that checkpoint: Head > Sealed means events wait for a checkpoint.
	SealedAt     time.Time
	Head, Sealed int64
}

// LatencyBounds are the upper bounds, in seconds, of Stats.BatchLatency's
// buckets: from a group commit on a local disk (about a millisecond) to a
// write that retried until WriteTimeout.
var LatencyBounds = latencyBounds[:]

var latencyBounds = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Latency is a histogram over LatencyBounds.
type Latency struct {
	Counts []int64 // len(LatencyBounds)+1; the last counts writes above every bound
	Sum    time.Duration
}

// Log is the Recorder: one writer goroutine owns the chain head. Record
// hands it an event and waits for the result of the batch the event landed
// in; the writer chains each batch in memory, writes it with one statement
// in one transaction, and only then acknowledges every waiter (group
// commit). It also seals the chain into signed checkpoints.
type Log struct {
	store Store
	key   *Key
	opts  Options
	now   func() time.Time
	log   *slog.Logger

	mu     sync.Mutex
	queue  []*batch
	closed bool

	kick    chan struct{}
	slots   chan struct{}
	sealReq chan chan sealResult
	stop    chan struct{}
	stopped chan struct{}

	alarm   error // guarded by mu; set once
	publish chan Checkpoint
	pubDone chan struct{}
	keys    KeySet

	// Owned by the writer goroutine.
	head      Head
	headKnown bool
	// locked counts the next batches that go straight to the head lock:
	// after another writer moved the head, trying the unlocked append
	// first mostly fails again and costs a round trip (see write).
	locked int
	// wrote is the newest head this writer sealed in a commit that was
	// acknowledged: durable. A stored head behind it was moved back
	// (CheckHead).
	wrote     Head
	sealed    Head
	sealedAt  time.Time
	sealKnown bool

	batches, events, failed, retries, lockedBatches, checkpoints, published, unpublished atomic.Int64
	// Read by Stats; written by the writer goroutine after each batch
	// and seal (a few atomic stores per batch, none per event).
	latency                          [len(latencyBounds) + 1]atomic.Int64
	latencySum                       atomic.Int64 // nanoseconds
	sealedAtNano, headSeq, sealedSeq atomic.Int64
}

type batch struct {
	events []Event
	done   chan struct{}
	err    error
}

type sealResult struct {
	cp  Checkpoint
	err error
}

var _ Recorder = (*Log)(nil)

// NewLog starts the writer. key is the dedicated audit key that signs
// checkpoints. Close stops it after writing what is queued.
func NewLog(store Store, key *Key, opts Options) (*Log, error) {
	if store == nil || key == nil {
		return nil, errors.New("audit: NewLog needs a store and a key")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 16384
	}
	if opts.MaxPending < opts.MaxBatch {
		opts.MaxPending = opts.MaxBatch
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 10000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Minute
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	keys := NewKeySet(key.Public())
	for id, k := range opts.Keys {
		keys[id] = k
	}
	l := &Log{
		keys:    keys,
		publish: make(chan Checkpoint, 256),
		pubDone: make(chan struct{}),
		store:   store,
		key:     key,
		opts:    opts,
		now:     func() time.Time { return opts.Now().UTC() },
		log:     opts.Logger,
		kick:    make(chan struct{}, 1),
		slots:   make(chan struct{}, opts.MaxPending),
		sealReq: make(chan chan sealResult),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go l.run()
	go l.publishLoop()
	return l, nil
}

// Record chains and durably stores e. It returns nil only once the batch
// holding e is committed. On error the event may or may not be stored (a
// connection lost during commit cannot tell), and the caller must fail the
// action it was recording. Do not call it while holding a database
// transaction: it waits for a connection of its own (use an in-transaction
// recorder such as postgres.Store.RecordTx instead).
func (l *Log) Record(ctx context.Context, e Event) error {
	e, err := Normalize(e, l.now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Type, err)
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("audit: record %s: waiting for the writer: %w", e.Type, ctx.Err())
	case <-l.stop:
		return ErrClosed
	}
	l.mu.Lock()
	if l.closed || l.alarm != nil {
		err := l.alarm
		if l.closed {
			err = ErrClosed
		}
		l.mu.Unlock()
		<-l.slots
		return err
	}
	n := len(l.queue)
	if n == 0 || len(l.queue[n-1].events) >= l.opts.MaxBatch {
		l.queue = append(l.queue, &batch{done: make(chan struct{})})
		n++
	}
	b := l.queue[n-1]
	b.events = append(b.events, e)
	l.mu.Unlock()

	select {
	case l.kick <- struct{}{}:
	default:
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		// The event may still be written; the caller fails its action.
		return fmt.Errorf("audit: record %s: %w", e.Type, ctx.Err())
	}
}

// Checkpoint seals the current head now (unless it is sealed already) and
// returns the latest checkpoint.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	reply := make(chan sealResult, 1)
	select {
	case l.sealReq <- reply:
	case <-l.stopped:
		return Checkpoint{}, ErrClosed
	case <-ctx.Done():
		return Checkpoint{}, ctx.Err()
	}
	select {
	case r := <-reply:
		return r.cp, r.err
	case <-ctx.Done():
		return Checkpoint{}, ctx.Err()
	}
}

// Close stops accepting events, writes those queued, seals a final
// checkpoint and stops the writer, or gives up when ctx ends.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	select {
	case <-l.stopped:
	case <-ctx.Done():
		return fmt.Errorf("audit: close: %w", ctx.Err())
	}
	select {
	case <-l.pubDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: close: publishing checkpoints: %w", ctx.Err())
	}
}

// Keys returns the public keys whose seals and checkpoints the writer
// accepts: its own and the retired ones of Options.Keys (a copy).
func (l *Log) Keys() KeySet {
	ks := make(KeySet, len(l.keys))
	for id, k := range l.keys {
		ks[id] = k
	}
	return ks
}

// Alarm returns the error that stopped the writer (wrapping
// ErrHeadTampered), or nil.
func (l *Log) Alarm() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.alarm
}

// raise stops the writer for good when err says the head was tampered with.
func (l *Log) raise(err error) {
	if !errors.Is(err, ErrHeadTampered) {
		return
	}
	l.mu.Lock()
	first := l.alarm == nil
	if first {
		l.alarm = err
	}
	l.mu.Unlock()
	if first {
		l.log.Error("AUDIT ALARM: the stored chain head was tampered with; the audit writer has stopped and every audited action is refused until an operator investigates (dinhdanh audit verify)", "err", err)
	}
}

func (l *Log) publishLoop() {
	defer close(l.pubDone)
	if l.opts.Witness == nil {
		for range l.publish {
		}
		return
	}
	for c := range l.publish {
		ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
		err := l.opts.Witness.Publish(ctx, c)
		cancel()
		if err != nil {
			l.unpublished.Add(1)
			l.log.Error("audit checkpoint not published to the witness", "seq", c.Seq, "err", err)
			continue
		}
		l.published.Add(1)
	}
}

// Stats returns counters since start.
func (l *Log) Stats() Stats {
	st := Stats{
		Batches: l.batches.Load(), Events: l.events.Load(), Failed: l.failed.Load(),
		Retries: l.retries.Load(), Locked: l.lockedBatches.Load(), Checkpoints: l.checkpoints.Load(),
		Published: l.published.Load(), Unpublished: l.unpublished.Load(),
		Alarm: errString(l.Alarm()),
		Head:  l.headSeq.Load(), Sealed: l.sealedSeq.Load(),
	}
	if ns := l.sealedAtNano.Load(); ns != 0 {
		st.SealedAt = time.Unix(0, ns).UTC()
	}
	st.BatchLatency.Counts = make([]int64, len(l.latency))
	for i := range l.latency {
		st.BatchLatency.Counts[i] = l.latency[i].Load()
	}
	st.BatchLatency.Sum = time.Duration(l.latencySum.Load())
	return st
}

// observe counts one batch write that took d.
func (l *Log) observe(d time.Duration) {
	i, _ := slices.BinarySearch(latencyBounds[:], d.Seconds())
	l.latency[i].Add(1)
	l.latencySum.Add(int64(d))
}

// note stores what Stats reports of the head and the newest
// checkpoint; the writer goroutine calls it after it changed either.
func (l *Log) note() {
	l.headSeq.Store(l.head.Seq)
	if l.sealKnown {
		l.sealedSeq.Store(l.sealed.Seq)
		l.sealedAtNano.Store(l.sealedAt.UnixNano())
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (l *Log) run() {
	defer close(l.stopped)
	defer close(l.publish)
	tick := time.NewTicker(l.opts.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.kick:
			l.linger()
			l.drain()
		case <-tick.C:
			if l.Alarm() != nil {
				continue
			}
			if _, err := l.seal(false, true); err != nil {
				l.raise(err)
				l.log.Error("audit checkpoint failed", "err", err)
			}
		case reply := <-l.sealReq:
			l.drain()
			cp, err := l.seal(true, true)
			reply <- sealResult{cp, err}
		case <-l.stop:
			l.drain()
			if l.Alarm() != nil {
				return
			}
			if _, err := l.seal(true, false); err != nil && !errors.Is(err, ErrNotFound) {
				l.log.Error("audit final checkpoint failed", "err", err)
			}
			return
		}
	}
}

func (l *Log) linger() {
	if l.opts.Linger <= 0 {
		return
	}
	t := time.NewTimer(l.opts.Linger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.stop:
	}
}

func (l *Log) pop() *batch {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return nil
	}
	b := l.queue[0]
	l.queue[0] = nil
	l.queue = l.queue[1:]
	return b
}

func (l *Log) drain() {
	for b := l.pop(); b != nil; b = l.pop() {
		if b.err = l.Alarm(); b.err == nil {
			start := time.Now()
			b.err = l.write(b.events)
			l.observe(time.Since(start))
			l.note()
			l.raise(b.err)
		}
		if b.err != nil {
			l.failed.Add(int64(len(b.events)))
			l.log.Error("audit write failed; the actions are refused", "events", len(b.events), "err", b.err)
		} else {
			l.batches.Add(1)
			l.events.Add(int64(len(b.events)))
		}
		close(b.done)
		for range b.events {
			<-l.slots
		}
		if b.err == nil {
			if _, err := l.seal(false, false); err != nil {
				l.raise(err)
				l.log.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// lockedRun is how many batches go straight to the head lock after the
// head was found moved. Measured with bench/audit -writers (several Logs on
// one chain): with 4 and more writers nearly every unlocked append failed.
const lockedRun = 16

// write chains events after the head, seals the new head with the audit key
// and appends both in one statement. When the head has moved (another
// replica, an in-transaction record or retention wrote first), or is
// unknown, it appends under the head lock instead, which always makes
// progress, after reading the stored head back and checking that a writer
// with the audit key sealed it (CheckHead): a head moved by anyone else is
// refused with ErrHeadTampered, never extended. After any other failure the
// head is unknown: the batch may have been committed before the connection
// broke, so the next batch starts from the stored head. After a moved head
// the next lockedRun batches take the lock directly.
func (l *Log) write(events []Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
	defer cancel()
	now := l.now()
	if l.locked > 0 {
		l.locked--
	} else if l.headKnown {
		entries := Chain(l.head, now, events...)
		last := entries[len(entries)-1].Head()
		err := l.store.Append(ctx, l.head, entries, l.key.Seal(l.head.Seq, last, now))
		if err == nil {
			l.head, l.wrote = last, last
			return nil
		}
		l.headKnown = false
		if !errors.Is(err, ErrHeadMoved) {
			return fmt.Errorf("audit: record: %w", err)
		}
		l.retries.Add(1)
		// Other writers (replicas) are extending the chain: take the
		// lock directly for a while, then try the unlocked append again.
		l.locked = lockedRun
	}
	l.lockedBatches.Add(1)
	var last Head
	err := l.store.AppendLocked(ctx, func(h StoredHead) ([]Entry, Seal, error) {
		if err := CheckHead(h, l.keys, l.wrote); err != nil {
			return nil, Seal{}, err
		}
		prev := h.Seal.Head()
		entries := Chain(prev, now, events...)
		last = entries[len(entries)-1].Head()
		return entries, l.key.Seal(prev.Seq, last, now), nil
	})
	if err != nil {
		return fmt.Errorf("audit: record: %w", err)
	}
	l.head, l.headKnown, l.wrote = last, true, last
	return nil
}

// seal signs the head into a checkpoint when due (or when forced). refresh
// rereads the head first, since other writers may have moved it.
func (l *Log) seal(force, refresh bool) (Checkpoint, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
	defer cancel()
	now := l.now()
	if refresh || !l.headKnown {
		h, err := l.store.Head(ctx)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("audit: checkpoint: read chain head: %w", err)
		}
		// Never sign a head no writer with the audit key sealed.
		if err := CheckHead(h, l.keys, l.wrote); err != nil {
			return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
		}
		// Not wrote: another writer's batch is visible on the primary as
		// soon as it commits there, before its synchronous standby has
		// it, and a failover can take it back unacknowledged. Taken as
		// wrote, it made this writer see the promoted standby's head as
		// moved back and stop (gateway/hatest found it). Only this
		// writer's own acknowledged batches advance wrote.
		l.head, l.headKnown = h.Seal.Head(), true
	}
	defer l.note()
	if !l.sealKnown {
		cp, err := l.store.LastCheckpoint(ctx, "", math.MaxInt64)
		switch {
		case errors.Is(err, ErrNotFound):
			l.sealed, l.sealedAt = Genesis, now
		case err != nil:
			return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
		default:
			l.sealed, l.sealedAt = cp.Head(), cp.SignedAt
		}
		l.sealKnown = true
	}
	if l.head.Seq <= l.sealed.Seq {
		if force {
			cp, err := l.store.LastCheckpoint(ctx, "", math.MaxInt64)
			if err != nil {
				return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
			}
			return cp, nil
		}
		return Checkpoint{}, nil
	}
	due := force || l.head.Seq-l.sealed.Seq >= l.opts.CheckpointEvery || now.Sub(l.sealedAt) >= l.opts.CheckpointInterval
	if !due {
		return Checkpoint{}, nil
	}
	cp, err := l.key.Sign(PeriodicCheckpoint, l.head, now)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := l.store.AddCheckpoint(ctx, cp); err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	l.checkpoints.Add(1)
	l.sealed, l.sealedAt = l.head, now
	if l.opts.Witness != nil {
		select {
		case l.publish <- cp:
		default:
			l.unpublished.Add(1)
			l.log.Error("audit checkpoint not published: the witness is too slow", "seq", cp.Seq)
		}
	}
	return cp, nil
}
