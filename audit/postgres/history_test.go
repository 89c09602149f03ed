package postgres_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

func TestHistory(t *testing.T) {
	e := newEnv(t, day(2026, 9, 1, 8, 0, 0), defaultOpts())
	ctx := t.Context()
	types := []audit.EventType{audit.SignInSucceeded, audit.TokenIssued, audit.ConsentGranted}
	var mine []audit.Event
	for i := range 60 {
		ev := signIn("acc-1", []string{"portal", "bank"}[i%2], i)
		ev.Type = types[i%3]
		if i%4 == 3 {
			ev.AccountID = "acc-2" // someone else's
		} else {
			mine = append(mine, ev)
		}
		require.NoError(t, e.log.Record(ctx, ev))
		e.clock.Advance(40 * time.Hour) // 60 events over three months: several partitions
	}
	slices.Reverse(mine)

	requestIDs := func(es []audit.Entry) []string {
		var out []string
		for _, en := range es {
			out = append(out, en.RequestID)
		}
		return out
	}
	want := func(keep func(audit.Event) bool) []string {
		var out []string
		for _, ev := range mine {
			if keep(ev) {
				out = append(out, ev.RequestID)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		filter audit.Filter
		keep   func(audit.Event) bool
	}{
		{"everything, newest first", audit.Filter{Limit: 7}, func(audit.Event) bool { return true }},
		{"one relying party", audit.Filter{Limit: 4, ClientID: "bank"}, func(ev audit.Event) bool { return ev.ClientID == "bank" }},
		{"some types", audit.Filter{Limit: 5, Types: []audit.EventType{audit.ConsentGranted, audit.TokenIssued}},
			func(ev audit.Event) bool { return ev.Type != audit.SignInSucceeded }},
		{"both", audit.Filter{ClientID: "portal", Types: []audit.EventType{audit.SignInSucceeded}},
			func(ev audit.Event) bool { return ev.ClientID == "portal" && ev.Type == audit.SignInSucceeded }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []audit.Entry
			f := tc.filter
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100)
				p, err := e.store.History(ctx, "acc-1", f)
				require.NoError(t, err)
				require.LessOrEqual(t, len(p.Entries), f.PageSize())
				got = append(got, p.Entries...)
				if p.Next.IsZero() {
					break
				}
				// Cursors survive a trip through a URL.
				f.Before, err = audit.ParseCursor(p.Next.String())
				require.NoError(t, err)
			}
			require.Equal(t, want(tc.keep), requestIDs(got))
			for i := 1; i < len(got); i++ {
				require.Greater(t, got[i-1].Seq, got[i].Seq)
			}
			for _, en := range got {
				require.Equal(t, "acc-1", en.AccountID)
				require.Equal(t, time.UTC, en.Time.Location())
			}
		})
	}

	t.Run("export everything", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, audit.WriteCSV(&buf, audit.AllHistory(ctx, e.store, "acc-1", audit.Filter{Limit: 6})))
		rows, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 1+len(mine))
		require.Equal(t, "req-58", rows[1][13])
	})
	t.Run("no account", func(t *testing.T) {
		_, err := e.store.History(ctx, "", audit.Filter{})
		require.Error(t, err)
	})
	t.Run("stranger sees nothing", func(t *testing.T) {
		p, err := e.store.History(ctx, "acc-3", audit.Filter{})
		require.NoError(t, err)
		require.Empty(t, p.Entries)
		require.True(t, p.Next.IsZero())
	})
	t.Run("values round-trip", func(t *testing.T) {
		p, err := e.store.History(ctx, "acc-1", audit.Filter{Limit: 1})
		require.NoError(t, err)
		got := p.Entries[0]
		require.Equal(t, []string{"openid", "profile"}, got.Scopes)
		require.Equal(t, "203.0.113.7", got.IP)
		require.Equal(t, fmt.Sprint(audit.Success), fmt.Sprint(got.Outcome))
		require.Equal(t, got.Hash, audit.ComputeHash(mustPrev(t, e, got.Seq), got))
	})
}

func mustPrev(t *testing.T, e *env, seq int64) audit.Hash {
	t.Helper()
	for en, err := range e.store.Entries(t.Context(), seq-1, seq-1) {
		require.NoError(t, err)
		return en.Hash
	}
	t.Fatalf("no event %d", seq-1)
	return audit.Hash{}
}

// Every field must come back from the database exactly as it was hashed,
// or verification would cry tampering: quotes, commas and braces in list
// items (PostgreSQL array syntax), backslashes, non-ASCII text, odd times.
func TestValuesRoundTripExactly(t *testing.T) {
	e := newEnv(t, time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.FixedZone("ICT", 7*3600)), defaultOpts())
	ev := audit.Event{
		Time: time.Date(2026, 2, 28, 17, 0, 0, 123456789, time.UTC),
		Type: audit.ConsentGranted, ActorKind: audit.Citizen, ActorID: `acc "1"`, AccountID: "acc-1",
		ClientID: "ngân-hàng,{a}", Scopes: []string{`a,b`, `{c}`, `"d"`, `e\f`, "NULL", "", "phạm vi"},
		Claims: []string{"personal_id_number"}, ACR: "urn:vn:eid:loa:2", Outcome: audit.Denied,
		Reason: `it's "bad"`, IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (Nguyễn\t\\)", RequestID: "r\n1",
		Detail: map[string]string{"k,1": `{"json":true}`, "ký": "giá trị", "empty": ""},
	}
	require.NoError(t, e.log.Record(t.Context(), ev))
	want, err := audit.Normalize(ev, e.clock.Now())
	require.NoError(t, err)
	for got, err := range e.store.Entries(t.Context(), 1, 1) {
		require.NoError(t, err)
		require.Equal(t, want, got.Event)
		require.Equal(t, time.Date(2026, 12, 31, 16, 59, 59, 999999000, time.UTC), got.LoggedAt)
	}
	e.requireIntact(t)
}
