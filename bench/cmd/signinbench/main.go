// Command signinbench measures the citizen sign-in's password step through
// the whole gateway (package gateway: sessions, CSRF, lockout checks,
// argon2id, audit trail) on its own PostgreSQL. Sign-in throughput is
// bounded by argon2id by design; this prints how much, never asserts it.
//
//	go run ./bench/cmd/signinbench [-c 4,16] [-d 5s]
//
// With -flood N it instead floods the sign-in with N concurrent wrong
// passwords while probers ask for discovery, JWKS and a client_credentials
// token one request at a time, and
// prints p50/p99 of both sides and the process's resident memory (the
// gateway runs in this process). -admission=false lifts the bound on
// concurrent hashing, to compare:
//
//	go run ./bench/cmd/signinbench -flood 145 -d 10s
//	go run ./bench/cmd/signinbench -flood 145 -d 10s -admission=false
//
// With -issuer URL -citizens FILE it signs in at a running gateway instead
// (such as `dinhdanh dev` after `dinhdanh import population -generate N`):
// the citizens of FILE, one personal id number a line (the first field;
// blank lines and # comments skipped), each with password Demo@12345.
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
	"github.com/dinhdanh/dinhdanh/bench/internal/benchenv"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

var csrf = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func main() {
	levels := flag.String("c", "4,16", "concurrency levels")
	d := flag.Duration("d", 5*time.Second, "duration per level")
	flood := flag.Int("flood", 0, "flood the sign-in with this many concurrent wrong passwords while probing discovery (0: throughput mode)")
	admission := flag.Bool("admission", true, "bound concurrent argon2id (the default configuration); false: unbounded")
	issuer := flag.String("issuer", "", "sign in at this running gateway instead of an in-process one (with -citizens)")
	citizens := flag.String("citizens", "", "with -issuer: file of personal id numbers, one a line, password Demo@12345")
	flag.Parse()
	ctx := context.Background()
	if *issuer != "" {
		ids, err := readIDs(*citizens)
		benchenv.Check(err)
		fmt.Printf("signinbench: %s/%s, %d CPUs, %s; gateway %s; %d citizens\n\n",
			runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *issuer, len(ids))
		fmt.Printf("%-28s %4s %8s %9s %9s %9s %7s\n", "operation", "conc", "requests", "req/s", "p50 ms", "p99 ms", "errors")
		for _, s := range strings.Split(*levels, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(s))
			benchenv.Check(err)
			run(strings.TrimSuffix(*issuer, "/"), ids, c, *d)
		}
		return
	}

	dir, err := os.MkdirTemp("", "dinhdanh-signinbench-")
	benchenv.Check(err)
	defer os.RemoveAll(dir)
	cluster, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data"})
	benchenv.Check(err)
	defer cluster.Stop()
	_, appURL, err := pg.Provision(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh", "", schema.Sources()...)
	benchenv.Check(err)
	pool, err := pg.Open(ctx, appURL, 16)
	benchenv.Check(err)
	defer pool.Close()

	cfg := config.Default()
	cfg.DevMode = true
	cfg.Lockout.MaxPerAddress = 1 << 30 // every request comes from 127.0.0.1
	if *flood > 0 {
		// The flood measures hashing, not throttling: no lockouts, delays
		// or slower path (the hard lock is capped at 100 by Validate, which
		// the bench does not run).
		cfg.Lockout.MaxPerAccount = 1 << 30
		cfg.Lockout.AccountDelayAfter, cfg.Lockout.HardLockAfter, cfg.Lockout.GlobalPerMinute = 1<<30, 1<<30, 1<<30
	}
	if !*admission {
		cfg.Argon2.MaxConcurrent = 1 << 20
	}
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.GenerateKey()
	benchenv.Check(err)
	rec, err := audit.NewLog(auditpg.NewStore(pool, nil), key, audit.Options{})
	benchenv.Check(err)
	defer rec.Close(ctx)
	g, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, Logger: slog.New(slog.DiscardHandler), Audit: rec})
	benchenv.Check(err)
	defer g.Close()
	generated := 500
	if *flood > 0 {
		generated = 50
	}
	benchenv.Check(population.LoadDemo(ctx, population.Target{Pool: pool, Accounts: g.Accounts, Audit: rec}, population.DemoOptions{Generated: generated}))
	var ids []string
	rows, err := pool.Query(ctx, "SELECT personal_id FROM accounts WHERE status = 'active' AND password_hash <> '' ORDER BY personal_id LIMIT 400")
	benchenv.Check(err)
	for rows.Next() {
		var id string
		benchenv.Check(rows.Scan(&id))
		ids = append(ids, id)
	}
	benchenv.Check(rows.Err())
	srv := httptest.NewServer(g.Handler)
	defer srv.Close()

	fmt.Printf("signinbench: %s/%s, %d CPUs, %s; argon2id m=%d KiB t=%d p=%d; %d citizens\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), cfg.Argon2.MemoryKiB, cfg.Argon2.Iterations, cfg.Argon2.Parallelism, len(ids))
	if *flood > 0 {
		fmt.Printf("admission control: %v (hashing slots %d, queue %d, wait %s)\n\n", *admission, g.Hashing.Slots(), cfg.Argon2.Queue, cfg.Argon2.QueueWait.D())
		machine, secret, err := g.Clients.Create(ctx, "bench", oidc.Client{Name: oidc.Text{VI: "Bench machine"},
			GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"}})
		benchenv.Check(err)
		runFlood(srv.URL, ids, *flood, *d, machine.ID, secret)
		return
	}
	fmt.Printf("%-28s %4s %8s %9s %9s %9s %7s\n", "operation", "conc", "requests", "req/s", "p50 ms", "p99 ms", "errors")
	for _, s := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		benchenv.Check(err)
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

// lats collects latencies from several goroutines.
type lats struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *lats) add(d time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

func (l *lats) pct(p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return 0
	}
	slices.Sort(l.all)
	return float64(l.all[min(len(l.all)-1, int(p*float64(len(l.all))))].Microseconds()) / 1000
}

// runFlood sends wrong passwords from c browsers for d while three probers
// ask for discovery, JWKS and a client_credentials token (client id,
// secret) one request at a time, and samples the resident memory of the
// process every 100 ms.
func runFlood(base string, ids []string, c int, d time.Duration, id, secret string) {
	var (
		signIn, disco, jwks, token lats
		byStatus                   sync.Map
		wg                         sync.WaitGroup
		next                       atomic.Int64
		peakRSS                    atomic.Int64
	)
	stop := time.Now().Add(d)
	count := func(code int) {
		v, _ := byStatus.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	rssBefore := benchenv.StatusKiB("VmRSS")
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := hc.Get(base + "/login")
			if err != nil {
				count(-1)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			m := csrf.FindSubmatch(b)
			if m == nil {
				count(-1)
				return
			}
			for time.Now().Before(stop) {
				id := ids[int(next.Add(1))%len(ids)]
				t0 := time.Now()
				res, err := hc.PostForm(base+"/login", url.Values{"csrf_token": {string(m[1])}, "personal_id": {id}, "password": {"wrong password 123"}})
				if err != nil {
					count(-1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				signIn.add(time.Since(t0))
				count(res.StatusCode)
			}
		}()
	}
	probe := func(newReq func() *http.Request, l *lats) {
		defer wg.Done()
		for time.Now().Before(stop) {
			t0 := time.Now()
			res, err := http.DefaultClient.Do(newReq())
			if err != nil || res.StatusCode != http.StatusOK {
				log.Fatalf("probe: %v %v", err, res.Status)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			l.add(time.Since(t0))
		}
	}
	get := func(path string) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			return req
		}
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}}.Encode()
	wg.Add(3)
	go probe(get("/.well-known/openid-configuration"), &disco)
	go probe(get("/jwks.json"), &jwks)
	go probe(func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return req
	}, &token)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				if r := benchenv.StatusKiB("VmRSS"); r > peakRSS.Load() {
					peakRSS.Store(r)
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	fmt.Printf("%-34s %8s %9s %9s\n", "operation", "requests", "p50 ms", "p99 ms")
	for _, r := range []struct {
		name string
		l    *lats
	}{{fmt.Sprintf("wrong sign-in flood (%d)", c), &signIn}, {"discovery probe (1)", &disco}, {"jwks probe (1)", &jwks}, {"token probe (client_credentials, 1)", &token}} {
		fmt.Printf("%-34s %8d %9.2f %9.2f\n", r.name, len(r.l.all), r.l.pct(.5), r.l.pct(.99))
	}
	fmt.Printf("\nsign-in answers:")
	byStatus.Range(func(k, v any) bool {
		fmt.Printf(" %v: %d", k, v.(*atomic.Int64).Load())
		return true
	})
	fmt.Printf("\nresident memory: %d MiB before, %d MiB peak sampled, %d MiB high-water mark\n",
		rssBefore/1024, peakRSS.Load()/1024, benchenv.StatusKiB("VmHWM")/1024)
}

// readIDs reads the first field of each line of name, skipping blank lines
// and # comments.
func readIDs(name string) ([]string, error) {
	if name == "" {
		return nil, fmt.Errorf("-issuer needs -citizens FILE")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		ids = append(ids, f[0])
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no citizens", name)
	}
	return ids, nil
}
