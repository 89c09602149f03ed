package backchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/consent"
)

// LogoutTokenType is the typ header of logout tokens (Back-Channel Logout
// 1.0 §2.4).
const LogoutTokenType = "logout+jwt"

// LogoutEvent is the member of the events claim that marks a logout token
// (Back-Channel Logout 1.0 §2.4).
const LogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// Sentinel errors of queues.
var (
	// ErrNotFound: no such delivery.
	ErrNotFound = errors.New("backchannel: not found")
	// ErrAlreadyExists: a delivery with that id was already queued.
	ErrAlreadyExists = errors.New("backchannel: delivery already exists")
)

// Endpoint is a relying party's back-channel logout registration.
type Endpoint struct {
	// URI is the backchannel_logout_uri; empty when the client registered none.
	URI string
}

// Clients looks up a client's back-channel logout registration. The OIDC
// client store implements it.
type Clients interface {
	BackchannelLogout(ctx context.Context, clientID string) (Endpoint, error)
}

// Subjects gives the sub the client knows the citizen by (pairwise or
// public, as in its ID tokens). The OIDC subject service implements it.
type Subjects interface {
	Subject(ctx context.Context, accountID, clientID string) (string, error)
}

// Delivery is one queued logout notification and the record of its attempts.
type Delivery struct {
	ID        string
	ClientID  string
	AccountID string
	SID       string
	Reason    consent.LogoutReason
	// URI is the client's backchannel_logout_uri when the logout was queued.
	URI       string
	CreatedAt time.Time
	// Attempts counts the attempts started, including one under way.
	Attempts      int
	NextAttemptAt time.Time
	// LastAttemptAt is zero before the first attempt.
	LastAttemptAt time.Time
	// LastStatus is the HTTP status of the last response; 0 when none came.
	LastStatus int
	LastError  string
	// DeliveredAt is set once the relying party answered 2xx; GaveUpAt once
	// the attempts ran out.
	DeliveredAt time.Time
	GaveUpAt    time.Time
}

// Outcome is the result of one attempt.
type Outcome struct {
	Status int
	Error  string
	// Exactly one of these is set: delivered, retry at NextAttemptAt, or
	// given up.
	DeliveredAt   time.Time
	NextAttemptAt time.Time
	GaveUpAt      time.Time
}

// Queue holds deliveries. Claim must let several replicas work one queue
// without sending a delivery twice at once.
type Queue interface {
	Enqueue(ctx context.Context, d Delivery) error
	// Claim takes up to n deliveries due at now (neither delivered nor given
	// up, NextAttemptAt not after now), counts an attempt on each, sets
	// LastAttemptAt to now and NextAttemptAt to leaseUntil (so a replica that
	// dies mid-attempt leaves them to be retried), and returns them.
	Claim(ctx context.Context, now time.Time, n int, leaseUntil time.Time) ([]Delivery, error)
	// Record stores the outcome of the attempt on delivery id.
	Record(ctx context.Context, id string, o Outcome) error
	// Get returns a delivery; ErrNotFound if there is none.
	Get(ctx context.Context, id string) (Delivery, error)
	// ListForAccount returns a citizen's deliveries, newest first.
	ListForAccount(ctx context.Context, accountID string) ([]Delivery, error)
}

// Config builds a Sender.
type Config struct {
	Queue    Queue
	Clients  Clients
	Subjects Subjects
	Signer   consent.Signer
	// Issuer is the iss of logout tokens.
	Issuer string
	// HTTP sends the notifications; a client with a 10 s timeout that does
	// not follow redirects when nil.
	HTTP   *http.Client
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NewID makes delivery ids (the jti of logout tokens); random UUIDs when nil.
	NewID func() string
	// MaxAttempts before giving up; 8 when zero.
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1-based); 30 s doubling
	// up to 6 h when nil.
	Backoff func(attempt int) time.Duration
	// PollInterval is how often Run looks for due deliveries besides being
	// woken by NotifyLogout; 5 s when zero.
	PollInterval time.Duration
	// Batch is how many deliveries one round claims; 16 when zero.
	Batch int
	// Lease is how long a claimed delivery is left alone; 1 min when zero.
	Lease time.Duration
}

// Sender queues and delivers back-channel logout notifications.
type Sender struct {
	cfg  Config
	wake chan struct{}
}

var _ consent.LogoutNotifier = (*Sender)(nil)

// New checks cfg and builds a sender.
func New(cfg Config) (*Sender, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Queue": cfg.Queue != nil, "Clients": cfg.Clients != nil, "Subjects": cfg.Subjects != nil,
		"Signer": cfg.Signer != nil, "Issuer": cfg.Issuer != "",
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("backchannel: missing %s", strings.Join(missing, ", "))
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{
			Timeout: 10 * time.Second,
			// Back-Channel Logout 1.0 §2.5: the POST goes to the registered
			// URI; a redirect is not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
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
		cfg.Lease = time.Minute
	}
	return &Sender{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// DefaultBackoff waits 30 s after the first failure, doubling up to 6 h.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// NotifyLogout implements consent.LogoutNotifier: it queues a delivery if
// the client registered a backchannel_logout_uri and wakes the worker.
func (s *Sender) NotifyLogout(ctx context.Context, l consent.Logout) error {
	ep, err := s.cfg.Clients.BackchannelLogout(ctx, l.ClientID)
	if err != nil {
		return fmt.Errorf("backchannel: look up %s: %w", l.ClientID, err)
	}
	if ep.URI == "" {
		return nil
	}
	now := s.cfg.Now().UTC()
	d := Delivery{
		ID: s.cfg.NewID(), ClientID: l.ClientID, AccountID: l.AccountID, SID: l.SID, Reason: l.Reason,
		URI: ep.URI, CreatedAt: now, NextAttemptAt: now,
	}
	if err := s.cfg.Queue.Enqueue(ctx, d); err != nil {
		return fmt.Errorf("backchannel: queue logout of %s: %w", l.ClientID, err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run delivers due notifications until ctx ends, waking every poll interval
// and whenever NotifyLogout queued one.
func (s *Sender) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.ErrorContext(ctx, "back-channel logout round failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunOnce attempts every delivery due now (in batches) and returns how many
// it attempted.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		now := s.cfg.Now().UTC()
		batch, err := s.cfg.Queue.Claim(ctx, now, s.cfg.Batch, now.Add(s.cfg.Lease))
		if err != nil {
			return total, fmt.Errorf("backchannel: claim: %w", err)
		}
		for _, d := range batch {
			if err := s.attempt(ctx, d); err != nil {
				return total, err
			}
			total++
		}
		if len(batch) < s.cfg.Batch {
			return total, nil
		}
	}
}

func (s *Sender) attempt(ctx context.Context, d Delivery) error {
	status, sendErr := s.send(ctx, d)
	now := s.cfg.Now().UTC()
	o := Outcome{Status: status}
	log := s.cfg.Logger.With("delivery_id", d.ID, "client_id", d.ClientID, "attempt", d.Attempts, "status", status)
	switch {
	case sendErr == nil:
		o.DeliveredAt = now
		log.InfoContext(ctx, "back-channel logout delivered")
	case d.Attempts >= s.cfg.MaxAttempts:
		o.Error, o.GaveUpAt = sendErr.Error(), now
		log.WarnContext(ctx, "back-channel logout given up", "error", sendErr)
	default:
		o.Error, o.NextAttemptAt = sendErr.Error(), now.Add(s.cfg.Backoff(d.Attempts))
		log.WarnContext(ctx, "back-channel logout failed, will retry", "error", sendErr, "next_attempt_at", o.NextAttemptAt)
	}
	if err := s.cfg.Queue.Record(ctx, d.ID, o); err != nil {
		return fmt.Errorf("backchannel: record attempt on %s: %w", d.ID, err)
	}
	return nil
}

// LogoutClaims builds the claims of a logout token (Back-Channel Logout 1.0
// §2.4): iss, sub and/or sid, aud, iat, exp, jti and the logout event; never
// a nonce.
func LogoutClaims(issuer, clientID, subject, sid, jti string, now time.Time) map[string]any {
	c := map[string]any{
		"iss":    issuer,
		"aud":    clientID,
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    jti,
		"events": map[string]any{LogoutEvent: map[string]any{}},
	}
	if subject != "" {
		c["sub"] = subject
	}
	if sid != "" {
		c["sid"] = sid
	}
	return c
}

// send signs a fresh logout token (same jti on every attempt) and POSTs it.
func (s *Sender) send(ctx context.Context, d Delivery) (int, error) {
	sub, err := s.cfg.Subjects.Subject(ctx, d.AccountID, d.ClientID)
	if err != nil {
		return 0, fmt.Errorf("subject: %w", err)
	}
	if sub == "" && d.SID == "" {
		return 0, errors.New("neither sub nor sid")
	}
	token, err := s.cfg.Signer.Sign(ctx, LogoutClaims(s.cfg.Issuer, d.ClientID, sub, d.SID, d.ID, s.cfg.Now().UTC()), LogoutTokenType)
	if err != nil {
		return 0, fmt.Errorf("sign logout token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URI, strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// §2.8: 200 means the logout succeeded; any other answer is a failure.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("relying party answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
