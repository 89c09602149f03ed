package oidc

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Usage metrics of a relying party per day.
const (
	// MetricSignIns counts authorization codes redeemed: a citizen signed
	// in at the relying party.
	MetricSignIns = "sign_ins"
	// MetricTokens counts tokens issued (every grant, refreshes included).
	MetricTokens = "tokens"
	// MetricFailures counts the relying party's refused or failed events
	// the audit log holds (authorization denied, consent refused, refresh
	// reuse, a DPoP key mismatch, ...).
	MetricFailures = "failures"
)

// UsageCount is one relying party's count of one metric on one day (a
// calendar day in Vietnam).
type UsageCount struct {
	ClientID string
	Day      time.Time // the date, as midnight UTC
	Metric   string
	N        int64
}

// UsageDay is one day's figures of a relying party.
type UsageDay struct {
	Day      time.Time
	SignIns  int64
	Tokens   int64
	Failures int64
}

// ErrorRate is failures over everything counted that day (0 when nothing
// was).
func (d UsageDay) ErrorRate() float64 {
	total := d.Tokens + d.Failures
	if total == 0 {
		return 0
	}
	return float64(d.Failures) / float64(total)
}

// UsageStore keeps the rolled-up counts and the audit position they reach.
type UsageStore interface {
	// UsageCursor is the last audit sequence number rolled up; ok false
	// before the first run.
	UsageCursor(ctx context.Context) (seq int64, ok bool, err error)
	// AddUsage adds counts and moves the cursor from from to to in one
	// transaction; ErrUsageMoved when the cursor is no longer from (another
	// replica rolled the same range up first: nothing is added).
	AddUsage(ctx context.Context, from, to int64, counts []UsageCount) error
	// ClientUsage returns a client's counts for days in [from, to).
	ClientUsage(ctx context.Context, clientID string, from, to time.Time) ([]UsageCount, error)
	// PruneUsage deletes the counts of days before before, and says how
	// many rows went.
	PruneUsage(ctx context.Context, before time.Time) (int64, error)
}

// ErrUsageMoved: the usage cursor moved under a roll-up.
var ErrUsageMoved = errors.New("oidc: usage cursor moved")

// AuditRange reads the audit log by sequence number: its head, and the
// entries of a bounded range (audit/postgres.Store, adapted by the top
// floor).
type AuditRange interface {
	HeadSeq(ctx context.Context) (int64, error)
	Entries(ctx context.Context, from, to int64) iter.Seq2[audit.Entry, error]
}

// Usage rolls the audit log up into per-client daily counts, incrementally
// by sequence number, so that the console's usage figures read a few rows
// of oidc_client_usage and never audit_events (which holds billions of
// rows): each run reads only the entries after the cursor, in ranges of
// Batch, through the primary key. The audit hot path pays nothing.
//
// Token tables were the other source considered: oidc_requests holds
// tokens only until they expire and are swept, and no failures, so it
// cannot give seven days of figures.
type Usage struct {
	Store UsageStore
	Audit AuditRange
	// Batch is the most entries read per range (DefaultUsageBatch when 0).
	Batch int64
	// Backfill is the longest log rolled up from the start on the first
	// run (DefaultUsageBackfill when 0): a longer one starts at its head,
	// so that installing the roll-up on a large log does not walk it.
	Backfill int64
	Now      func() time.Time
}

// Defaults of Usage.
const (
	DefaultUsageBatch    = 10_000
	DefaultUsageBackfill = 1_000_000
	// UsageDays is how many days the console shows.
	UsageDays = 7
	// UsageKeptDays is how long the daily counts are kept: a year and a
	// month, for a year's comparison (a few rows per client and day).
	UsageKeptDays = 400
)

func (u *Usage) now() time.Time {
	if u.Now != nil {
		return u.Now().UTC()
	}
	return time.Now().UTC()
}

// CatchUp rolls up the entries after the cursor, at most maxRanges ranges
// of Batch entries (0: until the head), and returns how many entries it
// read.
func (u *Usage) CatchUp(ctx context.Context, maxRanges int) (int64, error) {
	batch := u.Batch
	if batch <= 0 {
		batch = DefaultUsageBatch
	}
	head, err := u.Audit.HeadSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("oidc: usage: audit head: %w", err)
	}
	cur, ok, err := u.Store.UsageCursor(ctx)
	if err != nil {
		return 0, fmt.Errorf("oidc: usage: %w", err)
	}
	if !ok {
		backfill := u.Backfill
		if backfill <= 0 {
			backfill = DefaultUsageBackfill
		}
		if head > backfill {
			cur = head
		}
		if err := u.Store.AddUsage(ctx, -1, cur, nil); err != nil {
			if errors.Is(err, ErrUsageMoved) {
				return 0, nil
			}
			return 0, fmt.Errorf("oidc: usage: start: %w", err)
		}
	}
	var read int64
	for i := 0; cur < head && (maxRanges <= 0 || i < maxRanges); i++ {
		to := min(head, cur+batch)
		counts, n, err := u.rollUp(ctx, cur+1, to)
		if err != nil {
			return read, err
		}
		if err := u.Store.AddUsage(ctx, cur, to, counts); err != nil {
			if errors.Is(err, ErrUsageMoved) {
				return read, nil // another replica is at it
			}
			return read, fmt.Errorf("oidc: usage: %w", err)
		}
		read += n
		cur = to
	}
	return read, nil
}

// rollUp counts the entries with from <= seq <= to.
func (u *Usage) rollUp(ctx context.Context, from, to int64) ([]UsageCount, int64, error) {
	type key struct {
		client, metric string
		day            time.Time
	}
	sums := map[key]int64{}
	var order []key
	add := func(k key) {
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k]++
	}
	var n int64
	for e, err := range u.Audit.Entries(ctx, from, to) {
		if err != nil {
			return nil, n, fmt.Errorf("oidc: usage: read audit: %w", err)
		}
		n++
		for _, m := range usageMetrics(e.Event) {
			add(key{client: e.ClientID, metric: m, day: day(e.Time)})
		}
	}
	out := make([]UsageCount, 0, len(order))
	for _, k := range order {
		out = append(out, UsageCount{ClientID: k.client, Day: k.day, Metric: k.metric, N: sums[k]})
	}
	return out, n, nil
}

// usageMetrics are the metrics an audit event counts towards.
func usageMetrics(e audit.Event) []string {
	if e.ClientID == "" || e.Type == audit.ClientChanged {
		return nil
	}
	if e.Outcome == audit.Failure || e.Outcome == audit.Denied {
		return []string{MetricFailures}
	}
	switch e.Type {
	case audit.TokenIssued:
		if e.Detail["grant_type"] == GrantAuthorizationCode {
			return []string{MetricTokens, MetricSignIns}
		}
		return []string{MetricTokens}
	case audit.TokenRefreshed:
		return []string{MetricTokens}
	case audit.AuthorizeDenied, audit.ConsentRefused, audit.RefreshReuse:
		return []string{MetricFailures}
	}
	return nil
}

// usageZone is where the days of the figures begin and end: Vietnam
// (UTC+7 all year, no daylight saving), the operators' and the ministry's
// day rather than UTC's, which ends at 07:00 there.
var usageZone = time.FixedZone("ICT", 7*60*60)

// day is the calendar day of t in Vietnam, as a date (midnight UTC of that
// date, as PostgreSQL's date reads back).
func day(t time.Time) time.Time {
	y, m, d := t.In(usageZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Last7Days returns a client's figures for the last UsageDays days, oldest
// first, one entry per day (zeros included).
func (u *Usage) Last7Days(ctx context.Context, clientID string) ([]UsageDay, error) {
	end := day(u.now()).AddDate(0, 0, 1)
	start := end.AddDate(0, 0, -UsageDays)
	counts, err := u.Store.ClientUsage(ctx, clientID, start, end)
	if err != nil {
		return nil, fmt.Errorf("oidc: usage of %q: %w", clientID, err)
	}
	days := make([]UsageDay, UsageDays)
	for i := range days {
		days[i].Day = start.AddDate(0, 0, i)
	}
	for _, c := range counts {
		i := int(day(c.Day).Sub(start) / (24 * time.Hour))
		if i < 0 || i >= len(days) {
			continue
		}
		switch c.Metric {
		case MetricSignIns:
			days[i].SignIns += c.N
		case MetricTokens:
			days[i].Tokens += c.N
		case MetricFailures:
			days[i].Failures += c.N
		}
	}
	return days, nil
}

// Prune deletes the daily counts older than UsageKeptDays (an index range
// on day; nothing most days).
func (u *Usage) Prune(ctx context.Context) (int64, error) {
	n, err := u.Store.PruneUsage(ctx, day(u.now()).AddDate(0, 0, -UsageKeptDays))
	if err != nil {
		return 0, fmt.Errorf("oidc: prune usage: %w", err)
	}
	return n, nil
}
