// Command loadbench measures the OpenID Connect provider under load.
//
// By default it starts, on a throwaway PostgreSQL cluster (as
// testsupport/pgtest does), two gateways in-process:
//
//   - the whole gateway (package gateway, as `dinhdanh dev` serves it) with
//     one level 2 citizen per virtual user, each signed in for real once
//     through the sign-in pages (CSRF, password with argon2id,
//     authenticator code, consent approved on the consent screen); the
//     flow row then times GET /authorize with the session cookie (PKCE
//     S256, state, nonce; consent given, so it redirects with a code) plus
//     POST /token exchanging the code;
//   - the OIDC router alone, with auto-consent and a stubbed sign-in, for
//     the rows that time one endpoint: the code exchange on codes minted
//     beforehand (only /token timed), refresh, client credentials,
//     userinfo, introspection, discovery and JWKS; client credentials and
//     introspection with RFC 9068 JWT access tokens (no token row); and the
//     exchange, refresh and userinfo again with DPoP-bound tokens (RFC
//     9449).
//
// Every row prints requests per second, p50/p99 latency, errors, and the
// CPU milliseconds per request of the gateway and of PostgreSQL, read from
// /proc before and after the row (see cpuMeter).
//
// With -issuer it measures another provider instead (for peer comparison):
// discovery and JWKS; client credentials and introspection of its tokens
// given a client; and, against a dinhdanh gateway, the flow and userinfo
// given a confidential client and a file of citizens with an authenticator.
//
// It prints figures; it never judges them.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/oidc/dpop"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

func main() {
	var (
		issuer       = flag.String("issuer", "", "measure this provider instead of an in-process one (see the peer flags below)")
		clientID     = flag.String("client-id", "", "with -issuer: a client_credentials client")
		clientSecret = flag.String("client-secret", "", "with -issuer: its secret")
		scope        = flag.String("scope", "", "with -issuer: scope for client credentials")
		introID      = flag.String("introspect-client-id", "", "with -issuer: the client that introspects the client-credentials tokens (default -client-id)")
		introSecret  = flag.String("introspect-client-secret", "", "with -issuer: its secret (default -client-secret)")
		introURL     = flag.String("introspection-url", "", "with -issuer: the introspection endpoint, when the discovery document does not name one (Ory Hydra's is on its admin port: http://127.0.0.1:4445/admin/oauth2/introspect)")
		flowID       = flag.String("flow-client-id", "", "with -issuer (a dinhdanh gateway): a confidential client (client_secret_basic) for the flow and userinfo rows")
		flowSecret   = flag.String("flow-client-secret", "", "with -issuer: its secret")
		flowRedirect = flag.String("flow-redirect-uri", "", "with -issuer: one of its registered redirect URIs (never fetched)")
		flowScope    = flag.String("flow-scope", "openid profile", "with -issuer: the scopes the flow asks for")
		citizensFile = flag.String("citizens", "", `with -issuer: file of citizens to sign in, one "personal_id password totp_secret" a line`)
		gatewayPID   = flag.Int("gateway-pid", 0, "with -issuer: the server's pid, for its CPU per request (read from /proc)")
		pgPID        = flag.Int("pg-pid", 0, "with -issuer: the postmaster's pid, for PostgreSQL's CPU per request (its children are found by ppid)")
		pgData       = flag.String("pg-data", "", "with -issuer: the PostgreSQL data directory, whose postmaster.pid names the postmaster (instead of -pg-pid)")
		levels       = flag.String("c", "16,64,256", "concurrency levels")
		duration     = flag.Duration("d", 3*time.Second, "duration of each timed row")
		codes        = flag.Int("codes", 600, "authorization codes (and so refresh tokens) per concurrency level")
		poolSize     = flag.Int("pool", 16, "PostgreSQL pool size: requests queue for a connection instead of thrashing the server")
		withAudit    = flag.Bool("audit", true, "record every issuance in the real audit trail (batched hash chain); false: a counting no-op")
		durable      = flag.Bool("durable", true, "PostgreSQL with fsync on, as in production (false: fsync off, as in tests)")
		withFlow     = flag.Bool("flow", true, "run the flow row (whole gateway, citizens signed in for real, one per virtual user)")
		cpuProfile   = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (gateways and load client share the process; go tool pprof)")
		memProfile   = flag.String("memprofile", "", "write an allocation profile (every allocation since start) to this file at the end")
	)
	flag.Parse()
	if *cpuProfile != "" {
		f := must(os.Create(*cpuProfile))
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("cpuprofile: %v", err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 4096 // finer than the default 512 KiB: the hot paths allocate small
		defer func() {
			f := must(os.Create(*memProfile))
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				log.Printf("memprofile: %v", err)
			}
		}()
	}
	var cs []int
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("bad -c %q", *levels)
		}
		cs = append(cs, n)
	}
	ctx := context.Background()
	fmt.Printf("loadbench: %s/%s, %d CPUs, GOMAXPROCS %d, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	if *issuer != "" {
		meter = cpuMeter{gateway: *gatewayPID, postmaster: *pgPID}
		if *pgData != "" {
			meter.postmaster = must(postmasterPID(*pgData))
		}
		p := peerConfig{issuer: strings.TrimSuffix(*issuer, "/"), clientID: *clientID, clientSecret: *clientSecret, scope: *scope,
			introID: *introID, introSecret: *introSecret, introURL: *introURL, flowID: *flowID, flowSecret: *flowSecret, flowRedirect: *flowRedirect, flowScope: *flowScope}
		if p.introID == "" {
			p.introID, p.introSecret = p.clientID, p.clientSecret
		}
		if *citizensFile != "" {
			p.citizens = must(readCitizens(*citizensFile))
		}
		peer(p, cs, *duration)
		return
	}
	dir := must(os.MkdirTemp("", "dinhdanh-bench-"))
	defer os.RemoveAll(dir)
	cluster := must(pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data", Fast: !*durable}))
	defer cluster.Stop()
	meter = cpuMeter{gateway: os.Getpid(), postmaster: must(postmasterPID(cluster.Dir))}
	g, stop := startGateway(ctx, cluster, int32(*poolSize), *withAudit)
	defer stop()
	var flow *flowTarget
	if *withFlow {
		var stopFlow func()
		flow, stopFlow = startFlowGateway(ctx, cluster, int32(*poolSize), *withAudit, slicesMax(cs))
		defer stopFlow()
		t0 := time.Now()
		if err := flow.signInAll(); err != nil {
			log.Fatalf("flow: sign-in: %v", err)
		}
		fmt.Printf("flow: %d citizens signed in through the sign-in pages (password, authenticator code, consent) in %s\n",
			len(flow.citizens), time.Since(t0).Round(time.Millisecond))
	}
	fmt.Printf("in-process gateways on throwaway PostgreSQL (fsync %v), pool %d connections each, audit trail %v\n", *durable, *poolSize, *withAudit)
	fmt.Printf("gw ms/req: CPU of this process per request (the gateways and the load client, nothing subtracted); pg ms/req: the cluster's postmaster and its children\n\n")
	var rows []row
	for _, c := range cs {
		if flow != nil {
			rows = append(rows, flow.flow(client(c), c, *duration))
		}
		rows = append(rows, g.run(ctx, c, *duration, *codes)...)
	}
	print(rows)
}

type row struct {
	name        string
	concurrency int
	n           int
	errors      int64
	elapsed     time.Duration
	lat         []time.Duration
	// cpu is the gateway's and PostgreSQL's CPU time over the row (see
	// cpuMeter); negative when not measured.
	cpu cpuSample
}

// meter samples the gateway's and PostgreSQL's CPU time around each row.
var meter cpuMeter

func print(rows []row) {
	fmt.Printf("%-30s %5s %8s %9s %9s %9s %10s %10s %7s\n", "operation", "conc", "requests", "req/s", "p50 ms", "p99 ms", "gw ms/req", "pg ms/req", "errors")
	for _, r := range rows {
		sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
		q := func(p float64) float64 {
			if len(r.lat) == 0 {
				return 0
			}
			return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))].Microseconds()) / 1000
		}
		perReq := func(d time.Duration) string {
			if d < 0 || r.n == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3f", float64(d.Microseconds())/1000/float64(r.n))
		}
		fmt.Printf("%-30s %5d %8d %9.0f %9.2f %9.2f %10s %10s %7d\n", r.name, r.concurrency, r.n,
			float64(r.n)/r.elapsed.Seconds(), q(0.50), q(0.99), perReq(r.cpu.gateway), perReq(r.cpu.postgres), r.errors)
	}
}

// measure runs op from c workers, either n times in all (n > 0) or for d.
func measure(name string, c, n int, d time.Duration, op func(i int) error) row {
	return measureWorkers(name, c, n, d, func(_, i int) error { return op(i) })
}

// measureWorkers is measure with the worker's number (0 to c-1) passed to
// op, for rows where each worker is one browser. The CPU times are read
// before the first request and after the last, outside the timed requests.
func measureWorkers(name string, c, n int, d time.Duration, op func(w, i int) error) row {
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, 4096)
		next atomic.Int64
		errs atomic.Int64
		wg   sync.WaitGroup
	)
	cpu0 := meter.sample()
	start := time.Now()
	stopAt := start.Add(d)
	for w := range c {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n || n == 0 && time.Now().After(stopAt) {
					break
				}
				t0 := time.Now()
				if err := op(w, i); err != nil {
					if errs.Add(1) == 1 {
						log.Printf("%s: %v", name, err)
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	return row{name: name, concurrency: c, n: len(lat), errors: errs.Load(), elapsed: elapsed, lat: lat, cpu: meter.sample().since(cpu0)}
}

func client(c int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = c*2, c*2, c*2
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

func get(hc *http.Client, u string, header ...string) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

func postForm(hc *http.Client, u, user, pass string, form url.Values, header ...string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("POST %s: %s %v", u, resp.Status, m["error"])
	}
	return m, nil
}

type nopAudit struct{ n atomic.Int64 }

func (a *nopAudit) Record(context.Context, audit.Event) error { a.n.Add(1); return nil }

type accountsAdapter struct{ s *accountspg.Store }

func (a accountsAdapter) Get(ctx context.Context, id string) (accounts.Account, error) {
	r, err := a.s.Get(ctx, id)
	return r.Account, err
}

type gateway struct {
	url           string
	rp, machine   oidc.Client
	rpSecret      string
	machineSecret string
	// machineJWT is a client-credentials client with JWT access tokens
	// (RFC 9068): no token row.
	machineJWT       oidc.Client
	machineJWTSecret string
	accountID        string
	// dpopNonce is the gateway's current DPoP-Nonce (read in-process, as
	// a client would from its last answer).
	dpopNonce func() string
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func startGateway(ctx context.Context, cluster *pg.Cluster, poolSize int32, withAudit bool) (*gateway, func()) {
	_, app := must2(pg.Provision(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh_bench", "bench", schema.Sources()...))
	pool := must(pg.Open(ctx, app, poolSize))

	var rec audit.Recorder = &nopAudit{}
	closeAudit := func() {}
	if withAudit {
		key := must(audit.GenerateKey())
		l := must(audit.NewLog(auditpg.NewStore(pool, nil), key, audit.Options{}))
		rec = l
		closeAudit = func() { _ = l.Close(context.Background()) }
	}

	store := oidcpg.NewStore(pool, oidc.NewFositeSession)
	if withAudit {
		store = store.LazyCommits() // as the gateway wires it: the audit event's flush makes tokens durable
	}
	keys := must(oidc.NewKeys(ctx, oidc.KeysConfig{Store: store, EncryptionKey: []byte("0123456789abcdef0123456789abcdef"),
		SignDelay: time.Hour, Retention: 2 * time.Hour}))
	hasher := must(oidc.NewSecretHasher([]byte("bench-pepper-bench-pepper-012345")))
	acc := accountspg.NewStore(pool)
	people := attributespg.NewStore(pool)

	pid := "001090" + fmt.Sprintf("%06d", time.Now().UnixNano()%1000000)
	now := time.Now().UTC()
	if err := people.Write(ctx, []attributes.Person{{PersonalID: pid, FullName: "Nguyễn Văn An",
		BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "1 Tràng Tiền", Province: "Hà Nội", Country: "VN"}}}, nil); err != nil {
		log.Fatal(err)
	}
	accountID := uuid.NewString()
	// A level 2 account needs its enrolment evidence (accounts_level_has_evidence).
	if err := acc.Create(ctx, accountstest.WithEvidence(accounts.Record{Account: accounts.Account{ID: accountID, PersonalID: pid, Level: 2,
		Status: accounts.Active, CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}), nil); err != nil {
		log.Fatal(err)
	}

	sm := scs.New()
	sm.Cookie.Secure = false
	r := mux.NewRouter()
	// No session middleware on the API routes, as in gateway/server, which
	// mounts it on browser routes only.
	withSession := sm.LoadAndSave(r)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case oidc.PathDiscovery, oidc.PathJWKS, oidc.PathToken, oidc.PathUserinfo, oidc.PathIntrospect, oidc.PathRevoke, oidc.PathPAR:
			r.ServeHTTP(w, req)
		default:
			withSession.ServeHTTP(w, req)
		}
	}))
	p := must(oidc.NewProvider(oidc.Config{Issuer: srv.URL, Store: store, Keys: keys, Hasher: hasher,
		TokenSecret: []byte("bench-token-secret-bench-0123456"), PairwiseKey: []byte("bench-pairwise-key-bench-0123456"),
		Accounts: accountsAdapter{acc}, Registry: people, Documents: people, Audit: rec, Consent: oidc.AutoConsent{},
		AuthorizeCodeLifespan: 30 * time.Minute, AccessTokenLifespan: time.Hour}))
	clients := &oidc.Clients{Store: store, Hasher: hasher}
	h := &web.Handler{Provider: p, Clients: clients, Sessions: sm, Templates: must(templates.New())}
	h.MountAll(r)
	r.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		_ = sm.RenewToken(r.Context())
		websession.PutLogin(r.Context(), sm, websession.Login{AccountID: accountID, Level: 2, Strength: 2,
			AMR: []string{"pwd", "otp"}, AuthTime: time.Now(), SID: uuid.NewString()})
		http.Redirect(w, r, r.URL.Query().Get("return_to"), http.StatusFound)
	})
	g := &gateway{url: srv.URL, accountID: accountID, dpopNonce: p.DPoPNonce}
	var err error
	g.rp, g.rpSecret, err = clients.Create(ctx, "bench", oidc.Client{Name: oidc.Text{VI: "Bench RP"}, Kind: oidc.KindPublicService,
		RedirectURIs: []string{"https://rp.example/cb"}, Scopes: []string{"openid", "profile", "offline_access"}})
	if err != nil {
		log.Fatal(err)
	}
	g.machine, g.machineSecret, err = clients.Create(ctx, "bench", oidc.Client{Name: oidc.Text{VI: "Bench machine"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"}})
	if err != nil {
		log.Fatal(err)
	}
	g.machineJWT, g.machineJWTSecret, err = clients.Create(ctx, "bench", oidc.Client{Name: oidc.Text{VI: "Bench machine, JWT"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"registry.read"},
		AccessTokenFormat: oidc.AccessTokenJWT, AccessTokenLifetime: int(oidc.MaxJWTAccessTokenLifespan / time.Second)})
	if err != nil {
		log.Fatal(err)
	}
	return g, func() {
		srv.Close()
		closeAudit()
		pool.Close()
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		log.Fatal(err)
	}
	return a, b
}

type grant struct{ code, verifier string }

// mint runs n authorization requests (signed in, single sign-on) from a few
// browsers and returns the codes.
func (g *gateway) mint(n int) []grant {
	out := make([]grant, n)
	conf := oauth2.Config{ClientID: g.rp.ID, RedirectURL: g.rp.RedirectURIs[0], Scopes: []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: g.url + "/authorize"}}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			b := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if req.URL.Host == "rp.example" {
					return http.ErrUseLastResponse
				}
				return nil
			}}
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				v := oauth2.GenerateVerifier()
				resp, err := b.Get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("nonce", "nonce-0123456789")))
				if err != nil {
					log.Fatal(err)
				}
				resp.Body.Close()
				loc, _ := url.Parse(resp.Header.Get("Location"))
				if loc == nil || loc.Query().Get("code") == "" {
					log.Fatalf("authorize: %s %s", resp.Status, resp.Header.Get("Location"))
				}
				out[i] = grant{code: loc.Query().Get("code"), verifier: v}
			}
		})
	}
	wg.Wait()
	return out
}

func (g *gateway) run(ctx context.Context, c int, d time.Duration, codes int) []row {
	hc := client(c)
	grants := g.mint(codes)
	refresh := make([]string, codes)
	access := make([]string, codes)
	var rows []row
	rows = append(rows, measure("token only: pre-minted code", c, codes, 0, func(i int) error {
		m, err := postForm(hc, g.url+"/token", g.rp.ID, g.rpSecret, url.Values{"grant_type": {"authorization_code"},
			"code": {grants[i].code}, "code_verifier": {grants[i].verifier}, "redirect_uri": {g.rp.RedirectURIs[0]}})
		if err == nil {
			refresh[i], _ = m["refresh_token"].(string)
		}
		return err
	}))
	rows = append(rows, measure("refresh", c, codes, 0, func(i int) error {
		m, err := postForm(hc, g.url+"/token", g.rp.ID, g.rpSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh[i]}})
		if err == nil {
			access[i], _ = m["access_token"].(string)
		}
		return err
	}))
	rows = append(rows, measure("client_credentials", c, 0, d, func(int) error {
		_, err := postForm(hc, g.url+"/token", g.machine.ID, g.machineSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}})
		return err
	}))
	ccForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}}
	rows = append(rows, measure("client_credentials, JWT", c, 0, d, func(int) error {
		_, err := postForm(hc, g.url+"/token", g.machineJWT.ID, g.machineJWTSecret, ccForm)
		return err
	}))
	m, err := postForm(hc, g.url+"/token", g.machineJWT.ID, g.machineJWTSecret, ccForm)
	if err != nil {
		log.Fatalf("client credentials, JWT: %v", err)
	}
	jwtAT, _ := m["access_token"].(string)
	rows = append(rows, measure("introspection, JWT (cc)", c, 0, d, func(int) error {
		m, err := postForm(hc, g.url+"/introspect", g.machineJWT.ID, g.machineJWTSecret, url.Values{"token": {jwtAT}})
		if err == nil && m["active"] != true {
			return fmt.Errorf("introspection: inactive")
		}
		return err
	}))
	rows = append(rows, measure("userinfo", c, 0, d, func(i int) error {
		return get(hc, g.url+"/userinfo", "Authorization", "Bearer "+access[i%codes])
	}))
	rows = append(rows, measure("introspection", c, 0, d, func(i int) error {
		_, err := postForm(hc, g.url+"/introspect", g.rp.ID, g.rpSecret, url.Values{"token": {access[i%codes]}})
		return err
	}))
	rows = append(rows, measure("discovery", c, 0, d, func(int) error { return get(hc, g.url+"/.well-known/openid-configuration") }))
	rows = append(rows, measure("jwks", c, 0, d, func(int) error { return get(hc, g.url+"/jwks.json") }))
	return append(rows, g.runDPoP(c, codes, hc)...)
}

// runDPoP measures the exchange, the refresh and userinfo with DPoP-bound
// tokens: each request carries a fresh ES256 proof with the server's nonce,
// which the gateway verifies and whose jti it records in PostgreSQL. The
// proofs are signed before each row starts (a client's cost, not the
// gateway's); userinfo runs 4 requests per grant.
func (g *gateway) runDPoP(c, codes int, hc *http.Client) []row {
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	prover := dpop.Prover{Key: key, Alg: jose.ES256}
	proofs := func(n int, method, path string, token func(i int) string) []string {
		out := make([]string, n)
		nonce := g.dpopNonce()
		for i := range out {
			tok := ""
			if token != nil {
				tok = token(i)
			}
			out[i] = must(prover.Proof(dpop.ProofOptions{Method: method, URL: g.url + path, AccessToken: tok, Nonce: nonce}))
		}
		return out
	}
	grants := g.mint(codes)
	refresh := make([]string, codes)
	access := make([]string, codes)
	var rows []row
	p := proofs(codes, http.MethodPost, "/token", nil)
	rows = append(rows, measure("token only: pre-minted, DPoP", c, codes, 0, func(i int) error {
		m, err := postForm(hc, g.url+"/token", g.rp.ID, g.rpSecret, url.Values{"grant_type": {"authorization_code"},
			"code": {grants[i].code}, "code_verifier": {grants[i].verifier}, "redirect_uri": {g.rp.RedirectURIs[0]}}, "DPoP", p[i])
		if err == nil {
			refresh[i], _ = m["refresh_token"].(string)
			if m["token_type"] != "DPoP" {
				return fmt.Errorf("token_type %v", m["token_type"])
			}
		}
		return err
	}))
	p = proofs(codes, http.MethodPost, "/token", nil)
	rows = append(rows, measure("refresh, DPoP", c, codes, 0, func(i int) error {
		m, err := postForm(hc, g.url+"/token", g.rp.ID, g.rpSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh[i]}}, "DPoP", p[i])
		if err == nil {
			access[i], _ = m["access_token"].(string)
		}
		return err
	}))
	n := 4 * codes
	p = proofs(n, http.MethodGet, "/userinfo", func(i int) string { return access[i%codes] })
	rows = append(rows, measure("userinfo, DPoP", c, n, 0, func(i int) error {
		return get(hc, g.url+"/userinfo", "Authorization", "DPoP "+access[i%codes], "DPoP", p[i])
	}))
	return rows
}

func slicesMax(s []int) int {
	m := 0
	for _, v := range s {
		m = max(m, v)
	}
	return m
}
