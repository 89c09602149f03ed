package population_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

// statements records the SQL a pool runs, with its arguments.
type statements struct {
	mu  sync.Mutex
	all []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	s.mu.Lock()
	s.all = append(s.all, recorded{d.SQL, d.Args})
	s.mu.Unlock()
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *statements) take() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.all
	s.all = nil
	return out
}

// planNode is the part of EXPLAIN (FORMAT JSON) the test reads.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// TestHotQueriesUseIndexes runs the real stores' hot reads (sign-in's
// account lookup, userinfo's registry and documents reads, consent, the
// citizen's history) against a few thousand generated citizens and 60
// monthly audit partitions, with statistics from ANALYZE, records the SQL
// they send, and checks the plan of each: every read of a big table goes
// through an index (no sequential scan of population, accounts, documents,
// consent or an audit partition), and the history reads each partition
// through its account index. The planner sees these tables as large enough
// that a sequential scan costs more, as it does at 10 million rows
// (bench/README.md, "A nation's load", has the plans at that size).
func TestHotQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	_, err := population.ImportGenerated(ctx, f.dst, 3000, 21, population.GenerateOptions{Documents: true}, population.BatchOptions{})
	require.NoError(t, err)

	// Consent for every account at two clients; 60 monthly partitions of
	// history, 500 events each, spread over the accounts.
	_, err = f.db.Owner.Exec(ctx, `
		INSERT INTO consent_changes (account_id, client_id, kind, at, actor_kind, scopes, expires_at)
		SELECT a.id::text, c, 'granted', now(), 'citizen', '{openid}', now() + interval '1 year'
		FROM accounts a, unnest(ARRAY['bank-a', 'dichvucong']) AS c`)
	require.NoError(t, err)
	_, err = f.db.Owner.Exec(ctx, `
		INSERT INTO consent_heads (account_id, client_id, grant_seq, last_at)
		SELECT account_id, client_id, seq, at FROM consent_changes`)
	require.NoError(t, err)
	now := time.Now().UTC()
	for m := range 60 {
		_, err = f.db.Owner.Exec(ctx, `SELECT audit_ensure_partition($1)`, now.AddDate(0, -m, 0))
		require.NoError(t, err)
	}
	_, err = f.db.Owner.Exec(ctx, `
		WITH acc AS (SELECT array_agg(id::text ORDER BY id) AS ids FROM accounts)
		INSERT INTO audit_events (seq, logged_at, at, type, actor_kind, actor_id, account_id, client_id, scopes, claims,
			acr, outcome, reason, ip, user_agent, request_id, detail, hash)
		SELECT i, t, t, 'token.issued', 'citizen', '', acc.ids[1 + i % cardinality(acc.ids)], 'bank-a', '{openid}', '{}',
			'', 'success', '', '', '', '', '{}', decode(repeat('00', 32), 'hex')
		FROM acc, generate_series(1, 30000) AS i,
			LATERAL (SELECT $1::timestamptz - make_interval(secs => (30000 - i) * (59 * 30 * 86400 / 30000.0))) AS x(t)`, now)
	require.NoError(t, err)
	_, err = f.db.Owner.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)

	// The stores on a pool that records what they send.
	rec := &statements{}
	cfg, err := pgxpool.ParseConfig(f.db.AppURL)
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()
	var pid, phone, accountID, guardian string
	require.NoError(t, f.db.App.QueryRow(ctx, `SELECT a.personal_id, a.phone, a.id::text FROM accounts a
		JOIN documents d ON d.holder_id = a.personal_id ORDER BY a.personal_id LIMIT 1`).Scan(&pid, &phone, &accountID))
	require.NoError(t, f.db.App.QueryRow(ctx, `SELECT guardian_id FROM population WHERE guardian_id IS NOT NULL LIMIT 1`).Scan(&guardian))

	accountsStore, registry := accountspg.NewStore(pool), attributespg.NewStore(pool)
	consents, history := consentpg.NewStore(pool), auditpg.NewStore(pool, nil)
	reads := []struct {
		name   string
		run    func() error
		tables []string // each must be read through an index
	}{
		{"sign-in: account by personal id", func() error { _, err := accountsStore.ByPersonalID(ctx, pid); return err }, []string{"accounts"}},
		{"session: account by id", func() error { _, err := accountsStore.Get(ctx, accountID); return err }, []string{"accounts"}},
		{"activation: phone in use", func() error { _, err := accountsStore.PhoneInUse(ctx, phone); return err }, []string{"accounts"}},
		{"userinfo: registry record", func() error { _, err := registry.Person(ctx, pid); return err }, []string{"population"}},
		{"userinfo: documents", func() error { _, err := registry.Documents(ctx, pid); return err }, []string{"documents"}},
		{"dependents", func() error { _, err := registry.Dependents(ctx, guardian); return err }, []string{"population"}},
		{"consent in force", func() error { _, err := consents.Current(ctx, accountID, "bank-a"); return err }, []string{"consent_heads", "consent_changes"}},
		{"consents of a citizen", func() error { _, err := consents.ListForAccount(ctx, accountID); return err }, []string{"consent_heads", "consent_changes"}},
		{"history, first page", func() error { _, err := history.History(ctx, accountID, audit.Filter{}); return err }, []string{"audit_events"}},
		{"history, next page", func() error {
			p, err := history.History(ctx, accountID, audit.Filter{Limit: 2})
			if err != nil || p.Next.IsZero() {
				return fmt.Errorf("no second page: %v", err)
			}
			_, err = history.History(ctx, accountID, audit.Filter{Before: p.Next})
			return err
		}, []string{"audit_events"}},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			rec.take()
			require.NoError(t, r.run())
			var checked int
			for _, st := range rec.take() {
				q := strings.TrimSpace(st.sql)
				if !strings.HasPrefix(strings.ToUpper(q), "SELECT") && !strings.HasPrefix(strings.ToUpper(q), "WITH") {
					continue
				}
				var raw []byte
				require.NoError(t, f.db.App.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q, st.args...).Scan(&raw))
				var plans []struct{ Plan planNode }
				require.NoError(t, json.Unmarshal(raw, &plans))
				partitions := 0
				plans[0].Plan.walk(func(n planNode) {
					for _, table := range r.tables {
						if n.RelationName != table && !strings.HasPrefix(n.RelationName, table+"_y") {
							continue
						}
						checked++
						require.NotEqual(t, "Seq Scan", n.NodeType, "%s reads %s sequentially:\n%s\n%s", r.name, n.RelationName, q, raw)
						index := n.IndexName
						if n.NodeType == "Bitmap Heap Scan" {
							// The index is named by the bitmap scan under it.
							n.walk(func(c planNode) {
								if c.NodeType == "Bitmap Index Scan" {
									index = c.IndexName
								}
							})
						}
						require.NotEmpty(t, index, "%s: %s on %s names no index:\n%s", r.name, n.NodeType, n.RelationName, raw)
						if table == "audit_events" {
							partitions++
							require.Contains(t, index, "account_id", "history reads %s through its account index", n.RelationName)
						}
					}
				})
				if len(r.tables) == 1 && r.tables[0] == "audit_events" {
					require.Positive(t, partitions)
				}
			}
			require.Positive(t, checked, "%s read none of %v", r.name, r.tables)
		})
	}
}
