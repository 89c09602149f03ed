package audit

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page sizes for History.
const (
	DefaultPageSize = 20
	MaxPageSize     = 200
)

// Filter narrows a citizen's history. The zero Filter is the newest page of
// everything.
type Filter struct {
	// ClientID keeps only events at this relying party.
	ClientID string
	// Types keeps only these event types (all when empty).
	Types []EventType
	// Before continues after a page: pass the previous Page.Next.
	Before Cursor
	// Limit is the page size (DefaultPageSize when 0, at most MaxPageSize).
	Limit int
}

// PageSize is the effective page size.
func (f Filter) PageSize() int {
	switch {
	case f.Limit <= 0:
		return DefaultPageSize
	case f.Limit > MaxPageSize:
		return MaxPageSize
	}
	return f.Limit
}

// Cursor is a position in a history for keyset pagination: the log time and
// sequence number of the last entry shown. Its string form is opaque to
// clients and safe in a URL.
type Cursor struct {
	LoggedAt time.Time
	Seq      int64
}

// IsZero reports whether c is the start (newest entry first).
func (c Cursor) IsZero() bool { return c.Seq == 0 }

// String encodes the cursor for a URL ("" for the zero cursor).
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Seq, 36) + "." + strconv.FormatInt(c.LoggedAt.UnixMicro(), 36)
}

// ParseCursor decodes Cursor.String; "" is the zero cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	a, b, ok := strings.Cut(s, ".")
	seq, err1 := strconv.ParseInt(a, 36, 64)
	us, err2 := strconv.ParseInt(b, 36, 64)
	if !ok || err1 != nil || err2 != nil || seq <= 0 {
		return Cursor{}, fmt.Errorf("audit: malformed history cursor %q", s)
	}
	return Cursor{Seq: seq, LoggedAt: time.UnixMicro(us).UTC()}, nil
}

// CursorAt is the cursor that continues after e.
func CursorAt(e Entry) Cursor { return Cursor{LoggedAt: e.LoggedAt, Seq: e.Seq} }

// Page is one page of a history, newest first.
type Page struct {
	Entries []Entry
	// Next continues with older entries; zero on the last page.
	Next Cursor
}

// HistoryReader reads one citizen's usage history, newest first.
// audit/postgres implements it.
type HistoryReader interface {
	History(ctx context.Context, accountID string, f Filter) (Page, error)
}

// AllHistory pages through a whole history (for exports), starting at
// f.Before.
func AllHistory(ctx context.Context, r HistoryReader, accountID string, f Filter) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		f.Types = slices.Clone(f.Types)
		if f.Limit == 0 {
			f.Limit = MaxPageSize
		}
		for {
			p, err := r.History(ctx, accountID, f)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for _, e := range p.Entries {
				if !yield(e, nil) {
					return
				}
			}
			if p.Next.IsZero() {
				return
			}
			f.Before = p.Next
		}
	}
}
