// Command signinbench measures the citizen sign-in's password step through
// the whole gateway (package gateway: sessions, CSRF, lockout checks,
// argon2id, audit trail) on its own PostgreSQL. Sign-in throughput is
// bounded by argon2id by design; this prints how much, never asserts it.
//
//	go run ./bench/cmd/signinbench [-c 4,16] [-d 5s]
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/population"
)

var csrf = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func main() {
	levels := flag.String("c", "4,16", "concurrency levels")
	d := flag.Duration("d", 5*time.Second, "duration per level")
	flag.Parse()
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "dinhdanh-signinbench-")
	check(err)
	defer os.RemoveAll(dir)
	cluster, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data"})
	check(err)
	defer cluster.Stop()
	_, appURL, err := pg.Provision(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh", "", schema.Sources()...)
	check(err)
	pool, err := pg.Open(ctx, appURL, 16)
	check(err)
	defer pool.Close()

	cfg := config.Default()
	cfg.DevMode = true
	cfg.Lockout.MaxPerAddress = 1 << 30 // every request comes from 127.0.0.1
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.GenerateKey()
	check(err)
	rec, err := audit.NewLog(auditpg.NewStore(pool, nil), key, audit.Options{})
	check(err)
	defer rec.Close(ctx)
	g, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, Logger: slog.New(slog.DiscardHandler), Audit: rec})
	check(err)
	defer g.Close()
	check(population.LoadDemo(ctx, population.Target{Pool: pool, Accounts: g.Accounts, Audit: rec}, population.DemoOptions{Generated: 500}))
	var ids []string
	rows, err := pool.Query(ctx, "SELECT personal_id FROM accounts WHERE status = 'active' AND password_hash <> '' ORDER BY personal_id LIMIT 400")
	check(err)
	for rows.Next() {
		var id string
		check(rows.Scan(&id))
		ids = append(ids, id)
	}
	check(rows.Err())
	srv := httptest.NewServer(g.Handler)
	defer srv.Close()

	fmt.Printf("signinbench: %s/%s, %d CPUs, %s; argon2id m=%d KiB t=%d p=%d; %d citizens\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), cfg.Argon2.MemoryKiB, cfg.Argon2.Iterations, cfg.Argon2.Parallelism, len(ids))
	fmt.Printf("%-28s %4s %8s %9s %9s %9s %7s\n", "operation", "conc", "requests", "req/s", "p50 ms", "p99 ms", "errors")
	for _, s := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		run(srv.URL, ids, c, *d)
	}
}

// run signs in (password step, which answers with the second-factor page)
// from c browsers for d.
func run(base string, ids []string, c int, d time.Duration) {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs atomic.Int64
		next atomic.Int64
		wg   sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				id := ids[int(next.Add(1))%len(ids)]
				jar, _ := cookiejar.New(nil)
				hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				res, err := hc.Get(base + "/login")
				if err != nil {
					errs.Add(1)
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				m := csrf.FindSubmatch(b)
				if m == nil {
					errs.Add(1)
					continue
				}
				t0 := time.Now()
				res, err = hc.PostForm(base+"/login", url.Values{"csrf_token": {string(m[1])}, "personal_id": {id}, "password": {population.DemoPassword}})
				el := time.Since(t0)
				if err != nil || res.StatusCode != http.StatusSeeOther {
					errs.Add(1)
					if res != nil {
						res.Body.Close()
					}
					continue
				}
				res.Body.Close()
				mu.Lock()
				lat = append(lat, el)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("%-28s %4d %8d %9.0f %9.2f %9.2f %7d\n", "sign-in, password step", c, len(lat), float64(len(lat))/d.Seconds(), pct(.5), pct(.99), errs.Load())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
