package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Store is what the writer needs from storage. audit/postgres implements it.
type Store interface {
	// Head returns the chain head (Genesis for an empty chain).
	Head(ctx context.Context) (Head, error)
	// Append stores entries, chained from prev, in one round trip and one
	// transaction, and makes the last of them the head, provided prev is
	// still the head; otherwise it stores nothing and fails with
	// ErrHeadMoved. It is the fast path of a writer that knows the head.
	Append(ctx context.Context, prev Head, entries []Entry) error
	// AppendLocked locks the head, calls chain with it and stores the
	// entries chain returns, in one transaction: the slow path that always
	// makes progress when other writers keep moving the head. chain may be
	// called more than once.
	AppendLocked(ctx context.Context, chain func(head Head) []Entry) error
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
}

// Stats counts what the writer did.
type Stats struct {
	Batches     int64 // batches committed
	Events      int64 // events committed
	Failed      int64 // events whose batch failed
	Retries     int64 // appends redone under the head lock because the head had moved
	Checkpoints int64 // checkpoints stored
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

	// Owned by the writer goroutine.
	head      Head
	headKnown bool
	sealed    Head
	sealedAt  time.Time
	sealKnown bool

	batches, events, failed, retries, checkpoints atomic.Int64
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
	l := &Log{
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
	if l.closed {
		l.mu.Unlock()
		<-l.slots
		return ErrClosed
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
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: close: %w", ctx.Err())
	}
}

// Stats returns counters since start.
func (l *Log) Stats() Stats {
	return Stats{
		Batches: l.batches.Load(), Events: l.events.Load(), Failed: l.failed.Load(),
		Retries: l.retries.Load(), Checkpoints: l.checkpoints.Load(),
	}
}

func (l *Log) run() {
	defer close(l.stopped)
	tick := time.NewTicker(l.opts.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.kick:
			l.linger()
			l.drain()
		case <-tick.C:
			if _, err := l.seal(false, true); err != nil {
				l.log.Error("audit checkpoint failed", "err", err)
			}
		case reply := <-l.sealReq:
			l.drain()
			cp, err := l.seal(true, true)
			reply <- sealResult{cp, err}
		case <-l.stop:
			l.drain()
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
		b.err = l.write(b.events)
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
				l.log.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// write chains events after the head and appends them in one statement.
// When the head has moved (another replica, an in-transaction record or
// retention wrote first), or is unknown, it appends under the head lock
// instead, which always makes progress. After any other failure the head is
// unknown: the batch may have been committed before the connection broke, so
// the next batch starts from the stored head.
func (l *Log) write(events []Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.WriteTimeout)
	defer cancel()
	now := l.now()
	if l.headKnown {
		entries := Chain(l.head, now, events...)
		err := l.store.Append(ctx, l.head, entries)
		if err == nil {
			l.head = entries[len(entries)-1].Head()
			return nil
		}
		l.headKnown = false
		if !errors.Is(err, ErrHeadMoved) {
			return fmt.Errorf("audit: record: %w", err)
		}
		l.retries.Add(1)
	}
	var entries []Entry
	err := l.store.AppendLocked(ctx, func(h Head) []Entry {
		entries = Chain(h, now, events...)
		return entries
	})
	if err != nil {
		return fmt.Errorf("audit: record: %w", err)
	}
	l.head, l.headKnown = entries[len(entries)-1].Head(), true
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
		l.head, l.headKnown = h, true
	}
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
	return cp, nil
}
