// Command loadbench measures the OpenID Connect provider under load.
//
// By default it starts the gateway's OIDC router in-process on a throwaway
// PostgreSQL cluster (as testsupport/pgtest does), seeds one citizen and two
// clients, and reports, at each concurrency, requests per second and p50/p99
// latency for: code-for-token exchange, refresh, client credentials,
// userinfo, introspection, discovery and JWKS; and the exchange, refresh
// and userinfo again with DPoP-bound tokens (RFC 9449), next to bearer.
//
// With -issuer it measures another provider instead (for peer comparison),
// limited to the rows that need no citizen: discovery, JWKS and, given
// -client-id/-client-secret, client credentials.
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
		issuer       = flag.String("issuer", "", "measure this provider instead of an in-process one (no-citizen rows only)")
		clientID     = flag.String("client-id", "", "with -issuer: a client_credentials client")
		clientSecret = flag.String("client-secret", "", "with -issuer: its secret")
		scope        = flag.String("scope", "", "with -issuer: scope for client credentials")
		levels       = flag.String("c", "16,64", "concurrency levels")
		duration     = flag.Duration("d", 3*time.Second, "duration of each timed row")
		codes        = flag.Int("codes", 600, "authorization codes (and so refresh tokens) per concurrency level")
		poolSize     = flag.Int("pool", 16, "PostgreSQL pool size: requests queue for a connection instead of thrashing the server")
		withAudit    = flag.Bool("audit", true, "record every issuance in the real audit trail (batched hash chain); false: a counting no-op")
		durable      = flag.Bool("durable", true, "PostgreSQL with fsync on, as in production (false: fsync off, as in tests)")
	)
	flag.Parse()
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
		peer(ctx, strings.TrimSuffix(*issuer, "/"), *clientID, *clientSecret, *scope, cs, *duration)
		return
	}
	g, stop := startGateway(ctx, int32(*poolSize), *withAudit, *durable)
	defer stop()
	fmt.Printf("in-process gateway on throwaway PostgreSQL (fsync %v), pool %d connections, audit trail %v\n\n", *durable, *poolSize, *withAudit)
	var rows []row
	for _, c := range cs {
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
	cpu         time.Duration // this process's CPU time (gateway and load client, not PostgreSQL)
}

func print(rows []row) {
	fmt.Printf("%-26s %5s %8s %9s %9s %9s %11s %7s\n", "operation", "conc", "requests", "req/s", "p50 ms", "p99 ms", "cpu ms/req", "errors")
	for _, r := range rows {
		sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
		q := func(p float64) float64 {
			if len(r.lat) == 0 {
				return 0
			}
			return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))].Microseconds()) / 1000
		}
		cpu := 0.0
		if r.n > 0 {
			cpu = float64(r.cpu.Microseconds()) / 1000 / float64(r.n)
		}
		fmt.Printf("%-26s %5d %8d %9.0f %9.2f %9.2f %11.3f %7d\n", r.name, r.concurrency, r.n,
			float64(r.n)/r.elapsed.Seconds(), q(0.50), q(0.99), cpu, r.errors)
	}
}

// measure runs op from c workers, either n times in all (n > 0) or for d.
func measure(name string, c, n int, d time.Duration, op func(i int) error) row {
	var (
		mu     sync.Mutex
		lat    = make([]time.Duration, 0, 4096)
		next   atomic.Int64
		errs   atomic.Int64
		wg     sync.WaitGroup
		start  = time.Now()
		stopAt = start.Add(d)
		cpu0   = processCPU()
	)
	for range c {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n || n == 0 && time.Now().After(stopAt) {
					break
				}
				t0 := time.Now()
				if err := op(i); err != nil {
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
	return row{name: name, concurrency: c, n: len(lat), errors: errs.Load(), elapsed: time.Since(start), lat: lat, cpu: processCPU() - cpu0}
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

func peer(ctx context.Context, issuer, id, secret, scope string, cs []int, d time.Duration) {
	fmt.Printf("peer %s\n\n", issuer)
	hc := client(slicesMax(cs))
	var doc struct {
		JWKS  string `json:"jwks_uri"`
		Token string `json:"token_endpoint"`
	}
	resp, err := hc.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		log.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	var rows []row
	for _, c := range cs {
		rows = append(rows, measure("discovery", c, 0, d, func(int) error { return get(hc, issuer+"/.well-known/openid-configuration") }))
		rows = append(rows, measure("jwks", c, 0, d, func(int) error { return get(hc, doc.JWKS) }))
		if id != "" {
			form := url.Values{"grant_type": {"client_credentials"}}
			if scope != "" {
				form.Set("scope", scope)
			}
			rows = append(rows, measure("client_credentials", c, 0, d, func(int) error {
				_, err := postForm(hc, doc.Token, id, secret, form)
				return err
			}))
		}
	}
	print(rows)
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
	accountID     string
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

func startGateway(ctx context.Context, poolSize int32, withAudit, durable bool) (*gateway, func()) {
	dir := must(os.MkdirTemp("", "dinhdanh-bench-"))
	cluster := must(pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data", Fast: !durable}))
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
	srv := httptest.NewServer(sm.LoadAndSave(r))
	p := must(oidc.NewProvider(oidc.Config{Issuer: srv.URL, Store: store, Keys: keys, Hasher: hasher,
		TokenSecret: []byte("bench-token-secret-bench-0123456"), PairwiseKey: []byte("bench-pairwise-key-bench-0123456"),
		Accounts: accountsAdapter{acc}, Registry: people, Documents: people, Audit: rec, Consent: oidc.AutoConsent{},
		AuthorizeCodeLifespan: 30 * time.Minute, AccessTokenLifespan: time.Hour}))
	clients := &oidc.Clients{Store: store, Hasher: hasher}
	h := &web.Handler{Provider: p, Clients: clients, Sessions: sm, Templates: must(templates.New())}
	h.Routes(r)
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
	return g, func() {
		srv.Close()
		closeAudit()
		pool.Close()
		cluster.Stop()
		_ = os.RemoveAll(dir)
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
	rows = append(rows, measure("code-for-token exchange", c, codes, 0, func(i int) error {
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
	rows = append(rows, measure("code exchange, DPoP", c, codes, 0, func(i int) error {
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
