// Command planbench times the hot reads of sign-in, userinfo, consent and
// the citizen's history through the real stores against a loaded database
// and prints the plan PostgreSQL chose for each statement they send
// (EXPLAIN ANALYZE, BUFFERS), so that the figures of a big data set can be
// read against their plans. It prints, never asserts; the test that plans
// use indexes is population's TestHotQueriesUseIndexes.
//
//	go run ./bench/cmd/planbench -db URL [-audit-db URL] [-n 2000]
//
// URL connects as the application role to a database loaded with
// `dinhdanh import population -generate N`; -audit-db, a database whose
// audit_events were loaded by bench/audit (its account ids, acc-NNNNNNN),
// for the history rows. Citizens are drawn at random from the whole table.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
)

// tracer keeps the statements a pool sends while on.
type tracer struct {
	mu  sync.Mutex
	on  bool
	all []stmt
}

type stmt struct {
	sql  string
	args []any
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.mu.Lock()
	if t.on {
		t.all = append(t.all, stmt{d.SQL, d.Args})
	}
	t.mu.Unlock()
	return ctx
}

func (t *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func main() {
	dbURL := flag.String("db", os.Getenv("DATABASE_URL"), "the loaded database, as the application role")
	auditURL := flag.String("audit-db", "", "a database loaded by bench/audit, for the history rows (default: no history rows)")
	n := flag.Int("n", 2000, "calls per row (random citizens)")
	flag.Parse()
	ctx := context.Background()
	tr := &tracer{}
	open := func(url string) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(url)
		check(err)
		cfg.ConnConfig.Tracer = tr
		cfg.MaxConns = 2
		p, err := pgxpool.NewWithConfig(ctx, cfg)
		check(err)
		return p
	}
	pool := open(*dbURL)
	defer pool.Close()

	// Random citizens over the whole table: personal ids, account ids,
	// phones, from a sample of the accounts.
	type citizen struct{ pid, id, phone string }
	var cs []citizen
	rows, err := pool.Query(ctx, `SELECT personal_id, id::text, coalesce(phone, '') FROM accounts TABLESAMPLE SYSTEM (1) LIMIT 20000`)
	check(err)
	for rows.Next() {
		var c citizen
		check(rows.Scan(&c.pid, &c.id, &c.phone))
		cs = append(cs, c)
	}
	check(rows.Err())
	var people, accountsN int64
	check(pool.QueryRow(ctx, `SELECT reltuples::bigint FROM pg_class WHERE relname = 'population'`).Scan(&people))
	check(pool.QueryRow(ctx, `SELECT reltuples::bigint FROM pg_class WHERE relname = 'accounts'`).Scan(&accountsN))
	fmt.Printf("planbench: about %d people, %d accounts; %d sampled citizens; %d calls per row\n\n", people, accountsN, len(cs), *n)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() citizen { return cs[rng.IntN(len(cs))] }

	acc, reg, cons := accountspg.NewStore(pool), attributespg.NewStore(pool), consentpg.NewStore(pool)
	type row struct {
		name string
		run  func() error
	}
	ignore := func(err error) error {
		if err != nil && !strings.Contains(err.Error(), "not found") {
			return err
		}
		return nil
	}
	rowsToRun := []row{
		{"sign-in: account by personal id", func() error { _, err := acc.ByPersonalID(ctx, pick().pid); return err }},
		{"session: account by id", func() error { _, err := acc.Get(ctx, pick().id); return err }},
		{"activation: phone in use", func() error { _, err := acc.PhoneInUse(ctx, pick().phone); return err }},
		{"userinfo: registry record", func() error { _, err := reg.Person(ctx, pick().pid); return err }},
		{"userinfo: documents", func() error { _, err := reg.Documents(ctx, pick().pid); return err }},
		{"dependents", func() error { _, err := reg.Dependents(ctx, pick().pid); return err }},
		{"consent in force", func() error { _, err := cons.Current(ctx, pick().id, "bank-a"); return ignore(err) }},
		{"consents of a citizen", func() error { _, err := cons.ListForAccount(ctx, pick().id); return err }},
	}
	var auditPool *pgxpool.Pool
	if *auditURL != "" {
		auditPool = open(*auditURL)
		defer auditPool.Close()
		var citizens int
		check(auditPool.QueryRow(ctx, `SELECT count(DISTINCT account_id) FROM (SELECT account_id FROM audit_events TABLESAMPLE SYSTEM (0.1)) s`).Scan(&citizens))
		var events int64
		check(auditPool.QueryRow(ctx, `SELECT sum(reltuples)::bigint FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
			WHERE i.inhparent = 'audit_events'::regclass`).Scan(&events))
		var parts int
		check(auditPool.QueryRow(ctx, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`).Scan(&parts))
		var maxAcc string
		check(auditPool.QueryRow(ctx, `SELECT max(account_id) FROM audit_events_y`+time.Now().UTC().Format("2006m01")).Scan(&maxAcc))
		var top int
		_, _ = fmt.Sscanf(maxAcc, "acc-%d", &top)
		fmt.Printf("history: about %d events in %d partitions, account ids acc-0000000..%s\n\n", events, parts, maxAcc)
		hist := auditpg.NewStore(auditPool, nil)
		who := func() string { return fmt.Sprintf("acc-%07d", rng.IntN(top+1)) }
		rowsToRun = append(rowsToRun,
			row{"history, first page", func() error { _, err := hist.History(ctx, who(), audit.Filter{}); return err }},
			row{"history, next page", func() error {
				p, err := hist.History(ctx, who(), audit.Filter{Limit: 5})
				if err != nil || p.Next.IsZero() {
					return err
				}
				_, err = hist.History(ctx, who(), audit.Filter{Before: p.Next})
				return err
			}},
		)
	}

	fmt.Printf("%-34s %8s %9s %9s\n", "read (store call)", "calls", "p50 ms", "p99 ms")
	var plans []string
	for _, r := range rowsToRun {
		// One traced call for the plan, then the timed calls.
		tr.mu.Lock()
		tr.on, tr.all = true, nil
		tr.mu.Unlock()
		check(r.run())
		tr.mu.Lock()
		tr.on = false
		traced := tr.all
		tr.mu.Unlock()
		lat := make([]time.Duration, 0, *n)
		for range *n {
			t0 := time.Now()
			check(r.run())
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		fmt.Printf("%-34s %8d %9.3f %9.3f\n", r.name, len(lat), ms(lat[len(lat)/2]), ms(lat[min(len(lat)-1, len(lat)*99/100)]))
		for _, s := range traced {
			q := strings.TrimSpace(s.sql)
			if up := strings.ToUpper(q); !strings.HasPrefix(up, "SELECT") && !strings.HasPrefix(up, "WITH") {
				continue
			}
			p := pool
			if strings.HasPrefix(r.name, "history") {
				p = auditPool
			}
			rs, err := p.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) "+q, s.args...)
			check(err)
			lines, err := pgx.CollectRows(rs, pgx.RowTo[string])
			check(err)
			plans = append(plans, "-- "+r.name+"\n"+compact(lines))
		}
	}
	fmt.Println()
	fmt.Println(strings.Join(plans, "\n"))
}

// compact keeps a plan's first lines, counts its scan nodes by kind (a
// history plan has one per partition) and keeps its execution time.
func compact(lines []string) string {
	var out []string
	scans := map[string]int{}
	var order []string
	for i, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "->"))
		if strings.Contains(t, " Scan") {
			kind, _, _ := strings.Cut(t, " on ")
			kind = strings.TrimSpace(kind)
			if f := strings.Fields(kind); len(f) > 0 && strings.HasPrefix(f[len(f)-1], "audit_events_y") {
				f[len(f)-1] = "audit_events_y*"
				kind = strings.Join(f, " ")
			}
			if strings.Contains(kind, "using audit_events_y") {
				kind = kind[:strings.Index(kind, "using audit_events_y")] + "using audit_events_y*_account_id_logged_at_seq_idx"
			}
			if scans[kind] == 0 {
				order = append(order, kind)
			}
			scans[kind]++
		}
		switch {
		case strings.HasPrefix(t, "Planning"):
		case strings.HasPrefix(t, "Execution Time"):
			out = append(out, "    "+t)
		case i < 12:
			out = append(out, "    "+l)
		case i == 12:
			out = append(out, "    …")
		}
	}
	for _, k := range order {
		out = append(out, fmt.Sprintf("    scans: %d × %s", scans[k], k))
	}
	return strings.Join(out, "\n")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func check(err error) {
	if err != nil {
		log.Fatal("planbench: ", err)
	}
}
