package hatest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// replica is one gateway replica: its own pool and audit writer, in this
// process, served over loopback.
type replica struct {
	pool  *pgxpool.Pool
	reads *pgxpool.Pool // nil: none
	log   *audit.Log
	g     *gateway.Gateway
	srv   *httptest.Server
}

func (r *replica) close() {
	r.srv.Close()
	r.g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = r.log.Close(ctx)
	r.pool.Close()
	if r.reads != nil {
		r.reads.Close()
	}
}

func testConfig(auditSeed []byte) config.Config {
	cfg := config.Default()
	cfg.DevMode = true
	// Cheap hashing and no throttling: the load measures the database's
	// failure, not argon2id or lockouts (all requests come from 127.0.0.1).
	cfg.Argon2.MemoryKiB, cfg.Argon2.Iterations, cfg.Argon2.Parallelism = 1024, 1, 1
	cfg.Lockout.MaxPerAddress, cfg.Lockout.MaxPerAccount = 1<<30, 1<<30
	cfg.Lockout.AccountDelayAfter, cfg.Lockout.HardLockAfter, cfg.Lockout.GlobalPerMinute = 1<<30, 1<<30, 1<<30
	seed := func(b byte) []byte {
		k := make([]byte, 32)
		for i := range k {
			k[i] = b + byte(i)
		}
		return k
	}
	cfg.Secrets.EncryptionKey, cfg.Secrets.PairwiseKey, cfg.Secrets.SecretPepper, cfg.Secrets.SessionKey = seed(1), seed(2), seed(3), seed(4)
	cfg.Secrets.AuditKey = auditSeed
	return cfg
}

// newReplica starts a gateway replica on dsn; readDSN, when set, is its
// read pool (database.read_url).
func newReplica(t *testing.T, dsn, readDSN string, cfg config.Config, key *audit.Key) *replica {
	t.Helper()
	ctx := t.Context()
	pool, err := pg.Open(ctx, dsn, 16)
	require.NoError(t, err)
	r := &replica{pool: pool}
	if readDSN != "" {
		r.reads, err = pg.Open(ctx, readDSN, 2)
		require.NoError(t, err)
	}
	r.log, err = audit.NewLog(auditpg.NewStore(pool, nil), key, audit.Options{})
	require.NoError(t, err)
	r.g, err = gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, ReadPool: r.reads, Logger: slog.New(slog.DiscardHandler), Audit: r.log})
	require.NoError(t, err)
	r.srv = httptest.NewServer(r.g.Handler)
	return r
}

// outcome is one answered request of the load.
type outcome struct {
	kind      string // "token", "login page", "sign-in"
	replica   int
	requestID string
	status    int // 0: transport error
	err       string
	sent, at  time.Time // when the request was sent, when answered
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// load runs client-credentials token requests and password sign-ins
// against both replicas until stop is closed.
type load struct {
	bases          []string
	client, secret string
	ids            []string
	seq            atomic.Int64
	mu             sync.Mutex
	out            []outcome
}

func (l *load) record(o outcome) {
	l.mu.Lock()
	l.out = append(l.out, o)
	l.mu.Unlock()
}

func (l *load) requestID(kind string) string {
	return fmt.Sprintf("ha-%s-%d", kind, l.seq.Add(1))
}

// send sends req as the kind of request kind to replica rep, with a fresh
// request id, and returns what it answered with the outcome filled in;
// resp is nil (and o.err set) when nothing came back. The caller records o.
func (l *load) send(hc *http.Client, req *http.Request, kind, idKind string, rep int) (o outcome, resp *http.Response, body []byte) {
	id := l.requestID(idKind)
	req.Header.Set("X-Request-ID", id)
	o = outcome{kind: kind, replica: rep, requestID: id, sent: time.Now()}
	resp, err := hc.Do(req)
	o.at = time.Now()
	if err != nil {
		o.err = err.Error()
		return o, nil, nil
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	o.status = resp.StatusCode
	return o, resp, body
}

func (l *load) token(hc *http.Client, rep int) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"tax.read"}}
	req, _ := http.NewRequest(http.MethodPost, l.bases[rep]+oidc.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(l.client, l.secret)
	o, resp, body := l.send(hc, req, "token", "token", rep)
	if resp != nil && resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "access_token") {
		o.err = "200 without a token"
	}
	if resp != nil && resp.StatusCode == http.StatusServiceUnavailable && (resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "temporarily_unavailable")) {
		o.err = "503 without Retry-After or temporarily_unavailable: " + string(body)
	}
	l.record(o)
}

func (l *load) signIn(rep int, n int) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, l.bases[rep]+"/login", nil)
	req.Header.Set("Accept", "text/html")
	o, resp, body := l.send(hc, req, "login page", "login", rep)
	l.record(o)
	if resp == nil {
		return
	}
	m := csrfField.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return
	}
	form := url.Values{"csrf_token": {string(m[1])}, "personal_id": {l.ids[n%len(l.ids)]}, "password": {population.DemoPassword}}
	req, _ = http.NewRequest(http.MethodPost, l.bases[rep]+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	o, _, _ = l.send(hc, req, "sign-in", "signin", rep)
	l.record(o)
}

// run starts tokenWorkers and signInWorkers, spread over the replicas,
// until stop is closed; the returned function waits for them.
func (l *load) run(tokenWorkers, signInWorkers int, stop <-chan struct{}) func() {
	var wg sync.WaitGroup
	for w := 0; w < tokenWorkers+signInWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rep := (w + i) % len(l.bases)
				if w < tokenWorkers {
					l.token(hc, rep)
				} else {
					l.signIn(rep, w*1000+i)
				}
			}
		}()
	}
	return wg.Wait
}

func (l *load) take() []outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.out
	l.out = nil
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// tally counts outcomes by kind and status.
func tally(out []outcome) map[string]int {
	m := map[string]int{}
	for _, o := range out {
		m[fmt.Sprintf("%s %d", o.kind, o.status)]++
	}
	return m
}

func summary(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d; ", k, m[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// checkAnswers asserts what every request of the load may be answered:
// tokens 200 (or 503 while the database is unavailable), pages 200, a
// sign-in 303 to the second factor; never 500, never a transport error.
func checkAnswers(t *testing.T, out []outcome, allow503 bool) {
	t.Helper()
	for _, o := range out {
		ok := map[string]int{"token": 200, "login page": 200, "sign-in": 303}[o.kind]
		if o.err != "" || (o.status != ok && !(allow503 && o.status == http.StatusServiceUnavailable)) {
			t.Errorf("%s on replica %d (request %s): status %d %s", o.kind, o.replica, o.requestID, o.status, o.err)
		}
	}
}

// checkAudited asserts that every acknowledged token has its audit event
// (matched by the request id the load sent), reading the primary.
func checkAudited(t *testing.T, owner *pgxpool.Pool, out []outcome) int {
	t.Helper()
	var ids []string
	for _, o := range out {
		if o.kind == "token" && o.status == http.StatusOK {
			ids = append(ids, o.requestID)
		}
	}
	rows, err := owner.Query(t.Context(), `SELECT request_id FROM audit_events WHERE type = 'token.issued' AND request_id = ANY($1)`, ids)
	require.NoError(t, err)
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		seen[id] = true
	}
	require.NoError(t, rows.Err())
	var missing []string
	for _, id := range ids {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	assert.Empty(t, missing, "acknowledged tokens without their audit event")
	return len(ids)
}

// checkChain verifies the audit chain as `dinhdanh audit verify` does, and
// that it is one chain: every sequence number from the first to the last
// once.
func checkChain(t *testing.T, owner *pgxpool.Pool, key *audit.Key) {
	t.Helper()
	ctx := t.Context()
	rep, err := audit.Verify(ctx, auditpg.NewStore(owner, nil), audit.VerifyOptions{Keys: audit.NewKeySet(key.Public())})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "audit verify: %s", rep.String())
	var n, distinct, lo, hi int64
	require.NoError(t, owner.QueryRow(ctx, `SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM audit_events`).Scan(&n, &distinct, &lo, &hi))
	assert.Equal(t, n, distinct, "no sequence number twice (no fork)")
	assert.Equal(t, hi-lo+1, n, "no sequence number missing (no gap)")
	t.Logf("audit chain: %d events, %d..%d, verified: %s", n, lo, hi, rep.String())
}

// TestFailoverUnderLoad is the proof of high availability (see
// the package comment): the primary dies under load twice, first with the
// gateways going through a PgBouncer beside each node in transaction
// pooling mode, then, once the old primary has rejoined as the synchronous
// standby, with the gateways connected straight to the nodes.
func TestFailoverUnderLoad(t *testing.T) {
	tl := requireTools(t)
	ctx := t.Context()
	c := startCluster(t, tl)
	n0, n1 := c.nodes[0], c.nodes[1]

	// The schema, through the primary as the migration job does (never
	// through PgBouncer: the migration runner holds a session advisory
	// lock).
	superDSN := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", n0.pgPort)
	_, _, err := pg.Provision(ctx, superDSN, "dinhdanh", password, schema.Sources()...)
	require.NoError(t, err)
	owner, err := pg.Open(ctx, c.dsn(pg.OwnerRole, "dinhdanh", false, ""), 4)
	require.NoError(t, err)
	t.Cleanup(owner.Close)

	auditSeed := make([]byte, 32)
	_, _ = rand.Read(auditSeed)
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(auditSeed))
	require.NoError(t, err)
	cfg := testConfig(auditSeed)

	// Through a PgBouncer beside each node, in transaction pooling mode.
	// PgBouncer 1.18 keeps no prepared statement there, so pgx must not
	// rely on named ones: cache_describe learns a statement's types once
	// (its own round trip, the unnamed statement) and then runs it unnamed
	// in one round trip. (exec guesses types from Go values and sends
	// []byte to a jsonb column as bytea: refused, SQLSTATE 22P02.)
	bouncerDSN := c.dsn(pg.AppRole, "dinhdanh", true, "default_query_exec_mode=cache_describe")
	a := newReplica(t, bouncerDSN, "", cfg, key)
	reg, secret, err := a.g.Clients.Create(ctx, "hatest", oidc.Client{ID: "tax-sync", Name: oidc.Text{VI: "Đồng bộ thuế"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"tax.read"}})
	require.NoError(t, err)
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: a.pool, Accounts: a.g.Accounts, Audit: a.log}, population.DemoOptions{Generated: 20}))
	var ids []string
	rows, err := a.pool.Query(ctx, "SELECT personal_id FROM accounts WHERE status = 'active' AND password_hash <> '' ORDER BY personal_id LIMIT 20")
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, ids)
	a.close()

	run := func(label, dsn, readDSN string, victim, survivor *node) {
		a, b := newReplica(t, dsn, readDSN, cfg, key), newReplica(t, dsn, readDSN, cfg, key)
		defer func() { a.close(); b.close() }()
		l := &load{bases: []string{a.srv.URL, b.srv.URL}, client: reg.ID, secret: secret, ids: ids}
		stop := make(chan struct{})
		wait := l.run(6, 2, stop)
		time.Sleep(4 * time.Second)
		steady := l.take()
		checkAnswers(t, steady, false)
		if a.reads != nil {
			// The read pool reads the standby: the keys' reload works there.
			var standby bool
			require.NoError(t, a.reads.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&standby))
			assert.True(t, standby, "the read pool (prefer-standby) is on the standby")
			_, err := a.g.Keys.Refresh(ctx)
			require.NoError(t, err)
		}

		killed := time.Now()
		victim.killHard()
		promoted := waitFor(t, survivor.name+" promoted", 60*time.Second, func() bool { return survivor.is("primary") }, survivor.patroni)
		// Keep the load on until both replicas have answered tokens for a
		// while after the promotion.
		recoveredBy := time.Now().Add(60 * time.Second)
		for {
			l.mu.Lock()
			var ok [2]int
			for _, o := range l.out {
				if o.kind == "token" && o.status == http.StatusOK && o.sent.After(killed.Add(promoted)) {
					ok[o.replica]++
				}
			}
			l.mu.Unlock()
			if ok[0] >= 20 && ok[1] >= 20 {
				break
			}
			if time.Now().After(recoveredBy) {
				close(stop)
				wait()
				out := l.take()
				var errs []string
				for _, o := range out {
					if o.status != http.StatusOK && o.status != http.StatusSeeOther && len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s %d %s (replica %d, %.1f s)", o.kind, o.status, o.err, o.replica, o.at.Sub(killed).Seconds()))
					}
				}
				t.Fatalf("%s: the gateway replicas did not recover within 60 s of the promotion (%v tokens each): %s; first failures: %s; audit writers: %+v, %+v\n%s",
					label, ok, summary(tally(out)), strings.Join(errs, "; "), a.log.Stats(), b.log.Stats(), survivor.patroni.tail())
			}
			time.Sleep(100 * time.Millisecond)
		}
		recovered := time.Since(killed.Add(promoted))
		time.Sleep(2 * time.Second)
		close(stop)
		wait()
		out := l.take()

		// What clients saw: when the first and the last 503 were answered,
		// the first token to a request sent after the first 503 (the
		// outage as a client sees it), how long requests caught by the
		// kill waited, and everything answered 503 or between the kill and
		// that first token.
		var firstErr, lastErr, firstOK, lastBefore time.Time
		for _, o := range out {
			if o.status == http.StatusServiceUnavailable {
				if firstErr.IsZero() || o.at.Before(firstErr) {
					firstErr = o.at
				}
				if o.at.After(lastErr) {
					lastErr = o.at
				}
			}
			if o.sent.Before(killed) && o.at.After(lastBefore) {
				lastBefore = o.at
			}
		}
		for _, o := range out {
			if o.kind == "token" && o.status == http.StatusOK && o.sent.After(firstErr) && (firstOK.IsZero() || o.at.Before(firstOK)) {
				firstOK = o.at
			}
		}
		var during []outcome
		for _, o := range out {
			if !o.sent.Before(killed) && o.at.Before(firstOK) || o.status == http.StatusServiceUnavailable {
				during = append(during, o)
			}
		}
		since := func(at time.Time) float64 {
			if at.IsZero() {
				return -1
			}
			return at.Sub(killed).Seconds()
		}
		checkAnswers(t, out, true)
		if a.reads != nil {
			// The standby it read was promoted: it reads on there.
			_, err := a.g.Keys.Refresh(ctx)
			require.NoError(t, err, "the keys' reload after the failover")
		}
		tokens := checkAudited(t, owner, append(steady, out...))
		assert.Empty(t, a.log.Stats().Alarm)
		assert.Empty(t, b.log.Stats().Alarm)
		p, err := c.primary()
		require.NoError(t, err)
		assert.Equal(t, survivor.name, p.name, "the replica was promoted")
		t.Logf("%s: before the kill %d requests: %s", label, len(steady), summary(tally(steady)))
		t.Logf("%s: %s killed at 0 s; %s promoted (Patroni) at %.1f s; first 503 at %.1f s, last at %.1f s; first token to a request sent after the first 503 at %.1f s; requests sent before the kill answered until %.1f s; both gateway replicas at 20 tokens each after the promotion at %.1f s",
			label, victim.name, survivor.name, promoted.Seconds(), since(firstErr), since(lastErr), since(firstOK), since(lastBefore), (promoted + recovered).Seconds())
		t.Logf("%s: from the kill on %d requests, %d tokens acknowledged in all (each with its audit event): %s", label, len(out), tokens, summary(tally(out)))
		t.Logf("%s: answers between the kill and the first token after it, and every 503: %s", label, summary(tally(during)))
	}

	// 1. Through PgBouncer; n0 dies (its PgBouncer stays, with no server
	// behind it).
	run("through PgBouncer", bouncerDSN, "", n0, n1)
	checkChain(t, owner, key)
	if t.Failed() {
		t.FailNow()
	}

	// n0 comes back (Patroni rewinds it if needed) and follows n1 as the
	// synchronous standby.
	n0.patroni = start(t, n0.dir, "patroni-again", serverCred(t), tl.patroni, filepath.Join(n0.dir, "patroni.yml"))
	rejoined := waitFor(t, "n0 rejoins as the synchronous standby", 120*time.Second, func() bool { return n0.is("sync") }, n0.patroni, n1.patroni)
	t.Logf("n0 rejoined as the synchronous standby %.1f s after its Patroni started", rejoined.Seconds())

	// 2. Straight to the nodes, with a read pool on the standby
	// (database.read_url, target_session_attrs=prefer-standby); n1 dies.
	readDSN := strings.Replace(c.dsn(pg.AppRole, "dinhdanh", false, ""), "target_session_attrs=read-write", "target_session_attrs=prefer-standby", 1)
	run("direct", c.dsn(pg.AppRole, "dinhdanh", false, ""), readDSN, n1, n0)
	checkChain(t, owner, key)
}
