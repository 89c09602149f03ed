package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Channel delivers a rendered message to an address (a phone number for
// SMS, an e-mail address). An error means it was not delivered and may be
// retried.
type Channel interface {
	Deliver(ctx context.Context, address string, m Message) error
}

// ChannelFunc adapts a function to Channel.
type ChannelFunc func(ctx context.Context, address string, m Message) error

// Deliver implements Channel.
func (f ChannelFunc) Deliver(ctx context.Context, address string, m Message) error {
	return f(ctx, address, m)
}

// Outcome is the result of one attempt. Exactly one of SentAt,
// NextAttemptAt and FailedAt is set.
type Outcome struct {
	Error         string
	SentAt        time.Time
	NextAttemptAt time.Time
	FailedAt      time.Time
}

// Store is the outbox. Claim must let several workers (replicas) share it
// without two of them sending one notification.
type Store interface {
	// Enqueue adds a pending notification; ErrAlreadyExists if its id is
	// taken.
	Enqueue(ctx context.Context, n Notification) error
	// Claim takes up to n pending notifications due at now (NextAttemptAt
	// not after now), skipping rows another worker has locked; counts an
	// attempt on each and sets NextAttemptAt to leaseUntil, so that a
	// worker that dies mid-attempt leaves them to be retried, and returns
	// them. It holds no lock once it returns.
	Claim(ctx context.Context, now time.Time, n int, leaseUntil time.Time) ([]Notification, error)
	// Record stores the outcome of the attempt on notification id.
	Record(ctx context.Context, id string, o Outcome) error
	// Get returns a notification; ErrNotFound if there is none.
	Get(ctx context.Context, id string) (Notification, error)
	// ListForAccount returns an account's notifications, newest first.
	ListForAccount(ctx context.Context, accountID string) ([]Notification, error)
	// Purge deletes sent and failed notifications finished before before,
	// and returns how many; pending ones are never purged.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

// Config builds a Service.
type Config struct {
	Store Store
	// Channels deliver by channel name; a notification for a channel with
	// none is refused at Enqueue.
	Channels map[ChannelName]Channel
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NewID makes notification ids; random UUIDs when nil.
	NewID func() string
	// MaxAttempts before a notification is marked failed; 8 when zero.
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1-based); 30 s doubling
	// up to 6 h when nil.
	Backoff func(attempt int) time.Duration
	// PollInterval is how often Run looks for due notifications besides
	// being woken by Enqueue; 5 s when zero.
	PollInterval time.Duration
	// Batch is how many notifications one claim takes; 16 when zero.
	Batch int
	// Lease is how long a claimed notification is left alone before
	// another worker may retry it; 2 min when zero. It must exceed the
	// channels' own timeouts.
	Lease time.Duration
	// Retention is how long sent and failed notifications (addresses of
	// citizens) are kept for support questions; 90 days when zero.
	Retention time.Duration
}

// Service queues notifications and runs the worker that delivers them.
type Service struct {
	cfg  Config
	wake chan struct{}

	sent, retried, failed atomic.Int64
}

// Stats counts this worker's attempts since it started, for metrics.
type Stats struct {
	Sent, Retried, Failed int64
}

// Stats returns the worker's counts.
func (s *Service) Stats() Stats {
	return Stats{Sent: s.sent.Load(), Retried: s.retried.Load(), Failed: s.failed.Load()}
}

// New checks cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("notify: missing Store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 90 * 24 * time.Hour
	}
	return &Service{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// DefaultBackoff waits 30 s after the first failure, doubling up to 6 h.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Prepare validates n and fills what the outbox sets: id, pending state,
// creation and first attempt times. A caller that writes the row in its
// own transaction (notify/postgres.EnqueueTx) prepares it first.
func (s *Service) Prepare(n Notification) (Notification, error) {
	if err := n.Validate(); err != nil {
		return Notification{}, err
	}
	if _, ok := s.cfg.Channels[n.Channel]; !ok {
		return Notification{}, fmt.Errorf("%w: %s", ErrNoChannel, n.Channel)
	}
	now := s.cfg.Now().UTC()
	if n.ID == "" {
		n.ID = s.cfg.NewID()
	}
	n.State, n.Attempts, n.LastError = Pending, 0, ""
	n.CreatedAt, n.NextAttemptAt, n.SentAt, n.FailedAt = now, now, time.Time{}, time.Time{}
	return n, nil
}

// Enqueue writes a notification into the outbox and wakes the worker. It
// returns the stored notification (with its id).
func (s *Service) Enqueue(ctx context.Context, n Notification) (Notification, error) {
	n, err := s.Prepare(n)
	if err != nil {
		return Notification{}, err
	}
	if err := s.cfg.Store.Enqueue(ctx, n); err != nil {
		return Notification{}, fmt.Errorf("notify: enqueue %s: %w", n.Kind, err)
	}
	s.Wake()
	return n, nil
}

// Wake makes Run look for due notifications now (after a notification was
// written in a caller's own transaction).
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Get returns a notification by id.
func (s *Service) Get(ctx context.Context, id string) (Notification, error) {
	return s.cfg.Store.Get(ctx, id)
}

// ListForAccount returns an account's notifications, newest first.
func (s *Service) ListForAccount(ctx context.Context, accountID string) ([]Notification, error) {
	return s.cfg.Store.ListForAccount(ctx, accountID)
}

// Purge deletes notifications finished longer than the retention ago (the
// gateway's maintenance runs it); it returns how many.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	n, err := s.cfg.Store.Purge(ctx, s.cfg.Now().UTC().Add(-s.cfg.Retention))
	if err != nil {
		return 0, fmt.Errorf("notify: purge: %w", err)
	}
	return n, nil
}

// Run delivers due notifications until ctx ends, every poll interval and
// whenever Enqueue (or Wake) says there is one. What is pending when ctx
// ends stays in the outbox for the next worker.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.ErrorContext(ctx, "notification round failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunOnce attempts every notification due now, in batches, and returns how
// many it attempted. The store holds no connection while a message is being
// sent: rows are claimed (leased) in one statement, then sent, then their
// outcome recorded. Delivery is at least once: a worker that dies between
// sending and recording leaves the row to be sent again after its lease.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		now := s.cfg.Now().UTC()
		batch, err := s.cfg.Store.Claim(ctx, now, s.cfg.Batch, now.Add(s.cfg.Lease))
		if err != nil {
			return total, fmt.Errorf("notify: claim: %w", err)
		}
		for _, n := range batch {
			if err := s.attempt(ctx, n); err != nil {
				return total, err
			}
			total++
		}
		if len(batch) < s.cfg.Batch {
			break
		}
	}
	return total, nil
}

// attempt renders and sends one claimed notification and records the
// outcome. A notification that cannot be rendered (a template removed
// since it was queued) fails at once: retrying cannot help.
func (s *Service) attempt(ctx context.Context, n Notification) error {
	log := s.cfg.Logger.With("notification_id", n.ID, "kind", string(n.Kind), "channel", string(n.Channel), "attempt", n.Attempts)
	var sendErr error
	final := false
	m, err := Render(n)
	if err != nil {
		sendErr, final = err, true
	} else if ch, ok := s.cfg.Channels[n.Channel]; !ok {
		sendErr = fmt.Errorf("%w: %s", ErrNoChannel, n.Channel)
	} else {
		sendErr = ch.Deliver(ctx, n.Address, m)
	}
	if sendErr != nil && ctx.Err() != nil {
		// Stopping: the row stays pending under its lease, and the next
		// worker (after a restart, another replica) retries it.
		return ctx.Err()
	}
	now := s.cfg.Now().UTC()
	var o Outcome
	switch {
	case sendErr == nil:
		o.SentAt = now
		s.sent.Add(1)
		log.InfoContext(ctx, "notification sent")
	case final || n.Attempts >= s.cfg.MaxAttempts:
		o.Error, o.FailedAt = sendErr.Error(), now
		s.failed.Add(1)
		log.WarnContext(ctx, "notification failed, no more attempts", "error", sendErr)
	default:
		o.Error, o.NextAttemptAt = sendErr.Error(), now.Add(s.cfg.Backoff(n.Attempts))
		s.retried.Add(1)
		log.WarnContext(ctx, "notification not sent, will retry", "error", sendErr, "next_attempt_at", o.NextAttemptAt)
	}
	if err := s.cfg.Store.Record(context.WithoutCancel(ctx), n.ID, o); err != nil {
		return fmt.Errorf("notify: record attempt on %s: %w", n.ID, err)
	}
	return nil
}
