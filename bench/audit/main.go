// Command audit loads a usage history and measures it: bulk load rate,
// Record throughput with and without group commit, history-page latency and
// verification speed. It prints figures and never asserts them.
//
//	go run ./bench/audit -events 1000000 -citizens 10000
//	go run ./bench/audit -events 10000000 -citizens 100000
//
// With DATABASE_URL unset it starts a throwaway PostgreSQL cluster from the
// installed binaries (fsync on, unless -fast); set it to a role allowed to
// create roles and databases to measure another server.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

type config struct {
	events, citizens, sample, concurrency, queries, chunk int
	writers                                               string
	appURL                                                string // set by run
	fast, keep, retain, verify                            bool
	dir, cpuprofile                                       string
}

func main() {
	var c config
	flag.IntVar(&c.events, "events", 200_000, "events to load (spread over the last 5 years)")
	flag.IntVar(&c.citizens, "citizens", 2_000, "citizens the events belong to")
	flag.IntVar(&c.sample, "sample", 20_000, "events recorded through the Log per throughput run")
	flag.IntVar(&c.concurrency, "concurrency", 64, "goroutines recording at once")
	flag.StringVar(&c.writers, "writers", "", "also record through this many Logs at once on the one chain, as that many gateway replicas do (comma-separated list, e.g. 1,2,4,8,16; the goroutines are shared out among them)")
	flag.IntVar(&c.queries, "queries", 2_000, "history pages fetched for the latency figures")
	flag.IntVar(&c.chunk, "chunk", 5_000, "events per statement while loading")
	flag.BoolVar(&c.fast, "fast", false, "throwaway cluster with fsync off (commit cost understated)")
	flag.BoolVar(&c.keep, "keep", false, "keep the database (and cluster directory) afterwards")
	flag.StringVar(&c.dir, "dir", "", "cluster directory (default: a temporary one)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of verification to this file")
	flag.BoolVar(&c.retain, "retain", false, "after the history pages, run retention with the clock a month ahead, so the oldest monthly partition is past 5 years, and time it")
	flag.BoolVar(&c.verify, "verify", true, "verify the whole chain at the end")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	superURL := os.Getenv("DATABASE_URL")
	fsync := "on"
	if superURL == "" {
		dir := c.dir
		if dir == "" {
			d, err := os.MkdirTemp("", "dinhdanh-bench-")
			if err != nil {
				return err
			}
			dir = d
			if !c.keep {
				defer os.RemoveAll(d)
			}
		}
		cluster, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data", Fast: c.fast})
		if err != nil {
			return err
		}
		defer cluster.Stop()
		superURL = cluster.URL(cluster.Superuser, "postgres")
		if c.fast {
			fsync = "off"
		}
	}
	db := fmt.Sprintf("dinhdanh_bench_%d", os.Getpid())
	if !c.keep {
		defer dropDatabase(superURL, db)
	}
	ownerURL, appURL, err := pg.Provision(ctx, superURL, db, "dinhdanh-bench", schema.Sources()...)
	if err != nil {
		return err
	}
	owner, err := pg.Open(ctx, ownerURL, 4)
	if err != nil {
		return err
	}
	defer owner.Close()
	c.appURL = appURL
	app, err := pg.Open(ctx, appURL, int32(min(c.concurrency, 32)))
	if err != nil {
		return err
	}
	defer app.Close()

	var version string
	if err := owner.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return err
	}
	fmt.Printf("machine: %s, %d CPUs (%s/%s), %s RAM, Go %s, PostgreSQL %s (fsync %s, Unix socket)\n",
		cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, memTotal(), runtime.Version(), version, fsync)
	fmt.Printf("load: %d events for %d citizens over 5 years\n", c.events, c.citizens)

	key, err := audit.GenerateKey()
	if err != nil {
		return err
	}
	keys := audit.NewKeySet(key.Public())
	store := postgres.NewStore(app, nil)

	// 1. Bulk load, chained and sealed like the writer does.
	start := time.Now()
	if err := load(ctx, c, store, key); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("bulk load: %s (%.0f events/s, %d per statement)\n", took.Round(time.Millisecond), float64(c.events)/took.Seconds(), c.chunk)
	if _, err := owner.Exec(ctx, "ANALYZE audit_events"); err != nil {
		return err
	}
	var size string
	if err := owner.QueryRow(ctx, `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits
		WHERE inhparent = 'audit_events'::regclass`).Scan(&size); err != nil {
		return err
	}
	fmt.Printf("table size: %s including indexes\n", size)

	// 2. Record throughput through the Log, with and without group commit.
	for _, mode := range []struct {
		name     string
		maxBatch int
	}{{"without batching (1 event per commit)", 1}, {"with batching (group commit)", 512}} {
		if err := throughput(ctx, c, store, key, mode.name, mode.maxBatch); err != nil {
			return err
		}
	}

	// 2b. One chain fed by several writers (replicas).
	if c.writers != "" {
		for _, f := range strings.Split(c.writers, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("-writers: want positive numbers, got %q", f)
			}
			if err := replicas(ctx, c, store, key, n); err != nil {
				return err
			}
		}
	}

	// 3. History pages.
	if err := history(ctx, c, store, owner); err != nil {
		return err
	}

	// 3b. Retention of the oldest month, as `dinhdanh audit retain` runs it.
	if c.retain {
		if err := retain(ctx, owner, key, keys); err != nil {
			return err
		}
	}

	// 4. Verification of the whole chain.
	if !c.verify {
		return nil
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start = time.Now()
	rep, err := audit.Verify(ctx, store, audit.VerifyOptions{Keys: keys})
	if err != nil {
		return err
	}
	took = time.Since(start)
	fmt.Printf("verify: %d events, %d checkpoints in %s (%.0f events/s): %s\n",
		rep.Events, rep.Checkpoints, took.Round(time.Millisecond), float64(rep.Events)/took.Seconds(), okString(rep))
	return nil
}

// retain runs the maintainer's retention (what `dinhdanh audit retain` and
// the serving replicas' maintenance call) with the clock a month ahead:
// the oldest monthly partition is then wholly older than 5 years. It
// verifies the chain up to the last event it drops, stores the signed
// anchor and drops the partition; the time includes all of it.
func retain(ctx context.Context, owner *pgxpool.Pool, key *audit.Key, keys audit.KeySet) error {
	m := postgres.NewMaintainer(owner, key, keys)
	at := time.Now().AddDate(0, 1, 0)
	var before int64
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM audit_events`).Scan(&before); err != nil {
		return err
	}
	start := time.Now()
	rep, err := m.Retain(ctx, at)
	if err != nil {
		return fmt.Errorf("retain: %w", err)
	}
	took := time.Since(start)
	var after int64
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM audit_events`).Scan(&after); err != nil {
		return err
	}
	anchor := int64(0)
	if rep.Anchor != nil {
		anchor = rep.Anchor.Head().Seq
	}
	fmt.Printf("retention (clock at %s, cutoff %s): dropped %v (%d events), anchor at seq %d, in %s (verification of the dropped prefix included)\n",
		at.UTC().Format(time.DateOnly), rep.Cutoff.Format(time.DateOnly), rep.Dropped, before-after+1, anchor, took.Round(time.Millisecond))
	return nil
}

func okString(r audit.Report) string {
	if r.OK() {
		return "intact"
	}
	return r.String()
}

// load writes c.events events with log times spread evenly over the last
// five years (so every monthly partition is filled), c.chunk per statement,
// sealing a checkpoint every 10,000 events. One goroutine builds and chains
// the next chunks while this one appends the current chunk, so hashing in Go
// overlaps PostgreSQL's insert (the box has two CPUs).
func load(ctx context.Context, c config, store *postgres.Store, key *audit.Key) error {
	type chunk struct {
		prev, head audit.Head
		entries    []audit.Entry
		seal       audit.Seal
		cps        []audit.Checkpoint
		upTo       int
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 2)
	built := make(chan error, 1)
	go func() {
		defer close(chunks)
		built <- build(ctx, c, key, func(prev, head audit.Head, entries []audit.Entry, upTo int) error {
			ch := chunk{prev: prev, head: head, entries: entries, seal: key.Seal(prev.Seq, head, time.Now()), upTo: upTo}
			// Seal the checkpoints this chunk crosses.
			for _, e := range entries {
				if e.Seq%loadSealEvery == 0 {
					cp, err := key.Sign(audit.PeriodicCheckpoint, e.Head(), e.LoggedAt)
					if err != nil {
						return err
					}
					ch.cps = append(ch.cps, cp)
				}
			}
			select {
			case chunks <- ch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	progress := time.Now()
	for ch := range chunks {
		if err := store.Append(ctx, ch.prev, ch.entries, ch.seal); err != nil {
			return err
		}
		for _, cp := range ch.cps {
			if err := store.AddCheckpoint(ctx, cp); err != nil {
				return err
			}
		}
		if time.Since(progress) > 10*time.Second {
			fmt.Fprintf(os.Stderr, "  loaded %d/%d\n", ch.upTo, c.events)
			progress = time.Now()
		}
	}
	return <-built
}

const loadSealEvery = 10_000

// build makes the events load writes, chained, c.chunk at a time, and hands
// each chunk (a fresh slice) to emit.
func build(ctx context.Context, c config, key *audit.Key, emit func(prev, head audit.Head, entries []audit.Entry, upTo int) error) error {
	rng := rand.New(rand.NewPCG(1, 2))
	end := time.Now().UTC().Add(-time.Hour)
	begin := end.AddDate(-audit.RetentionYears, 0, 1)
	step := end.Sub(begin) / time.Duration(max(c.events, 1))
	head := audit.Genesis
	types := []audit.EventType{audit.SignInSucceeded, audit.TokenIssued, audit.UserinfoRead, audit.ConsentGranted, audit.SignInFailed, audit.TokenRefreshed}
	clients := []string{"dichvucong", "bank-a", "bank-b", "insurance", "telco"}
	for i := 0; i < c.events; {
		prev := head
		batch := make([]audit.Entry, 0, c.chunk)
		for ; i < c.events && len(batch) < c.chunk; i++ {
			at := begin.Add(time.Duration(i) * step)
			citizen := fmt.Sprintf("acc-%07d", rng.IntN(c.citizens))
			ev, err := audit.Normalize(audit.Event{
				Time: at, Type: types[rng.IntN(len(types))], ActorKind: audit.Citizen, ActorID: citizen,
				AccountID: citizen, ClientID: clients[rng.IntN(len(clients))], Scopes: []string{"openid", "profile"},
				ACR: assurance.ACR2, Outcome: audit.Success, IP: "203.0.113.7",
				UserAgent: "Mozilla/5.0 (Linux; Android 14) VNeID/2.1", RequestID: fmt.Sprintf("req-%d", i),
			}, at)
			if err != nil {
				return err
			}
			e := audit.Chain(head, at, ev)[0]
			batch = append(batch, e)
			head = e.Head()
		}
		if err := emit(prev, head, batch, i); err != nil {
			return err
		}
	}
	return nil
}

// throughput records c.sample events from c.concurrency goroutines.
func throughput(ctx context.Context, c config, store *postgres.Store, key *audit.Key, name string, maxBatch int) error {
	log, err := audit.NewLog(store, key, audit.Options{MaxBatch: maxBatch, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	latencies, took, err := record(ctx, c, []*audit.Log{log}, c.concurrency, "live")
	if err != nil {
		return err
	}
	st := log.Stats()
	fmt.Printf("record %s, %d goroutines: %.0f events/s, %.1f events per commit, latency p50 %s p99 %s\n",
		name, c.concurrency, float64(st.Events)/took.Seconds(), float64(st.Events)/float64(max(st.Batches, 1)),
		percentile(latencies, 50), percentile(latencies, 99))
	return nil
}

// record sends c.sample sign-in events from goroutines goroutines, shared
// out among logs, then closes the logs; it returns every Record's latency
// and the time until the last one returned.
func record(ctx context.Context, c config, logs []*audit.Log, goroutines int, tag string) ([]time.Duration, time.Duration, error) {
	var (
		next      atomic.Int64
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
	)
	start := time.Now()
	for w := range goroutines {
		log := logs[w%len(logs)]
		wg.Go(func() {
			var mine []time.Duration
			for {
				i := next.Add(1)
				if i > int64(c.sample) {
					break
				}
				citizen := fmt.Sprintf("acc-%07d", (int(i)*7919+w)%c.citizens)
				t0 := time.Now()
				err := log.Record(ctx, audit.Event{
					Type: audit.SignInSucceeded, ActorKind: audit.Citizen, ActorID: citizen, AccountID: citizen,
					ClientID: "dichvucong", Outcome: audit.Success, IP: "203.0.113.7", RequestID: fmt.Sprintf("%s-%d", tag, i),
				})
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, l := range logs {
		if err := l.Close(ctx); err != nil {
			return nil, 0, err
		}
	}
	return latencies, took, firstErr
}

// replicas records c.sample events through n Logs on the one chain, each
// with its own connection pool as a gateway replica has, c.concurrency
// goroutines shared out among them: what the single chain costs when several
// replicas extend it (a writer whose head moved appends again under the head
// lock).
func replicas(ctx context.Context, c config, store *postgres.Store, key *audit.Key, n int) error {
	logs := make([]*audit.Log, n)
	for i := range logs {
		pool, err := pg.Open(ctx, c.appURL, int32(max(2, min(c.concurrency/n, 32))))
		if err != nil {
			return err
		}
		defer pool.Close()
		if logs[i], err = audit.NewLog(postgres.NewStore(pool, nil), key, audit.Options{}); err != nil {
			return err
		}
	}
	latencies, took, err := record(ctx, c, logs, max(c.concurrency, n), "replica")
	if err != nil {
		return err
	}
	var events, batches, retries int64
	for _, l := range logs {
		st := l.Stats()
		events, batches, retries = events+st.Events, batches+st.Batches, retries+st.Retries
	}
	fmt.Printf("one chain, %2d writers, %d goroutines: %.0f events/s, %.1f events per commit, %.0f%% of batches appended again under the head lock, latency p50 %s p99 %s\n",
		n, max(c.concurrency, n), float64(events)/took.Seconds(), float64(events)/float64(max(batches, 1)),
		100*float64(retries)/float64(max(batches, 1)), percentile(latencies, 50), percentile(latencies, 99))
	return nil
}

// history fetches random citizens' first pages and, where there is one,
// their second page through the cursor.
func history(ctx context.Context, c config, store *postgres.Store, owner *pgxpool.Pool) error {
	rng := rand.New(rand.NewPCG(3, 4))
	var first, second, filtered []time.Duration
	rows := 0
	for range c.queries {
		citizen := fmt.Sprintf("acc-%07d", rng.IntN(c.citizens))
		t0 := time.Now()
		p, err := store.History(ctx, citizen, audit.Filter{})
		first = append(first, time.Since(t0))
		if err != nil {
			return err
		}
		rows += len(p.Entries)
		if !p.Next.IsZero() {
			t0 = time.Now()
			if _, err := store.History(ctx, citizen, audit.Filter{Before: p.Next}); err != nil {
				return err
			}
			second = append(second, time.Since(t0))
		}
		t0 = time.Now()
		if _, err := store.History(ctx, citizen, audit.Filter{ClientID: "bank-a", Types: []audit.EventType{audit.TokenIssued}}); err != nil {
			return err
		}
		filtered = append(filtered, time.Since(t0))
	}
	fmt.Printf("history first page (20 rows): p50 %s p99 %s over %d citizens (%.1f rows/page)\n",
		percentile(first, 50), percentile(first, 99), len(first), float64(rows)/float64(len(first)))
	fmt.Printf("history next page (cursor):   p50 %s p99 %s over %d pages\n", percentile(second, 50), percentile(second, 99), len(second))
	fmt.Printf("history filtered (client+type): p50 %s p99 %s\n", percentile(filtered, 50), percentile(filtered, 99))

	// Show the plan once, so the figures can be read against it.
	var plan []string
	r, err := owner.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) SELECT seq FROM audit_events
		WHERE account_id = 'acc-0000001' ORDER BY logged_at DESC, seq DESC LIMIT 21`)
	if err != nil {
		return err
	}
	plan, err = pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		return err
	}
	fmt.Println("history plan (first page):")
	for i, l := range plan {
		if i < 8 || strings.Contains(l, "Execution Time") {
			fmt.Println("   ", l)
		}
	}
	return nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return s[i].Round(10 * time.Microsecond)
}

func dropDatabase(superURL, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	var kb int64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err != nil {
		return "?"
	}
	return fmt.Sprintf("%.0f GB", float64(kb)/1024/1024)
}
