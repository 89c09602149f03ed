package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	gw "github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// citizen is who a browser signs in as: personal id number, password and
// the base32 secret of their authenticator (TOTP).
type citizen struct{ id, password, totpSecret string }

// readCitizens reads a credentials file: one citizen a line, "personal_id
// password totp_secret" separated by spaces or tabs; blank lines and lines
// starting with # are skipped.
func readCitizens(path string) ([]citizen, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []citizen
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"personal_id password totp_secret\", got %d fields", path, n, len(f))
		}
		out = append(out, citizen{f[0], f[1], f[2]})
	}
	return out, sc.Err()
}

// discovery is the part of the discovery document the rows use.
type discovery struct {
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	Userinfo      string `json:"userinfo_endpoint"`
	Introspection string `json:"introspection_endpoint"`
	JWKS          string `json:"jwks_uri"`
}

func discover(hc *http.Client, issuer string) (discovery, error) {
	var d discovery
	resp, err := hc.Get(issuer + oidc.PathDiscovery)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("discovery: %s", resp.Status)
	}
	return d, json.NewDecoder(resp.Body).Decode(&d)
}

// flowTarget is a dinhdanh gateway whose citizens sign in through its own
// pages, and the relying party the flow runs for.
type flowTarget struct {
	doc                discovery
	clientID, secret   string
	redirectURI, scope string
	citizens           []citizen
	transport          *http.Transport
	browsers           []*browser
	access             []string // access tokens of the last flow row, for userinfo
	accessMu           sync.Mutex
	signInWorkers      int
}

// browser is one signed-in citizen's cookie jar: follow walks the sign-in
// pages up to the relying party's redirect; once stops at the first
// answer (the flow's /authorize must redirect straight to the relying
// party).
type browser struct{ follow, once *http.Client }

func (t *flowTarget) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{
		follow: &http.Client{Transport: t.transport, Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), t.redirectURI) {
				return http.ErrUseLastResponse
			}
			return nil
		}},
		once: &http.Client{Transport: t.transport, Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// request is one authorization request: PKCE S256 (RFC 7636), state and
// nonce, all fresh.
type request struct{ url, state, verifier string }

func (t *flowTarget) authorizeRequest() request {
	v := oauth2.GenerateVerifier()
	conf := oauth2.Config{ClientID: t.clientID, RedirectURL: t.redirectURI, Scopes: strings.Fields(t.scope),
		Endpoint: oauth2.Endpoint{AuthURL: t.doc.Authorization}}
	state := randomHex()
	return request{url: conf.AuthCodeURL(state, oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("nonce", randomHex())), state: state, verifier: v}
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// code reads the authorization code from a redirect to the relying party,
// checking the state.
func (t *flowTarget) code(resp *http.Response, state string) (string, error) {
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, t.redirectURI) {
		return "", fmt.Errorf("authorize: %s, not a redirect to the relying party (Location %q)", resp.Status, loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorize: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		return "", errors.New("authorize: state does not match")
	}
	if q.Get("code") == "" {
		return "", errors.New("authorize: no code")
	}
	return q.Get("code"), nil
}

var (
	reInput = regexp.MustCompile(`<input[^>]*>`)
	reAttr  = regexp.MustCompile(`([a-z_-]+)(?:="([^"]*)")?`)
)

// formFields returns the fields a browser would submit from the first form
// of page posting to action: its hidden inputs and its ticked checkboxes
// (disabled ones are not submitted). ok is false without such a form.
func formFields(page []byte, action string) (url.Values, bool) {
	re := regexp.MustCompile(`(?s)<form[^>]*action="` + regexp.QuoteMeta(action) + `"[^>]*>(.*?)</form>`)
	m := re.FindSubmatch(page)
	if m == nil {
		return nil, false
	}
	v := url.Values{}
	for _, in := range reInput.FindAll(m[1], -1) {
		a := map[string]string{}
		for _, kv := range reAttr.FindAllSubmatch(in[len("<input"):], -1) {
			a[string(kv[1])] = html.UnescapeString(string(kv[2]))
		}
		_, checked := a["checked"]
		_, disabled := a["disabled"]
		if a["name"] != "" && !disabled && (a["type"] == "hidden" || a["type"] == "checkbox" && checked) {
			v.Add(a["name"], a["value"])
		}
	}
	return v, true
}

// page reads a final answer's body; resp.Request.URL is where it came from.
func page(resp *http.Response, err error) ([]byte, *url.URL, *http.Response, error) {
	if err != nil {
		return nil, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Request.URL, resp, err
}

// signIn signs c in through the gateway's own pages, as a browser does:
// the authorization request leads to the sign-in page (CSRF token,
// personal id number and password, checked with argon2id), then the
// authenticator code, then, unless consent was given before, the consent
// screen, approved as shown; it ends at the relying party's redirect with a
// code, which is dropped. The browser keeps the session cookie.
func (t *flowTarget) signIn(c citizen) (*browser, error) {
	b := t.newBrowser()
	req := t.authorizeRequest()
	body, at, resp, err := page(b.follow.Get(req.url))
	if err != nil {
		return nil, err
	}
	post := func(action string, form url.Values) error {
		u := at.ResolveReference(&url.URL{Path: action})
		body, at, resp, err = page(b.follow.PostForm(u.String(), form))
		return err
	}
	form, ok := formFields(body, "/login")
	if !ok {
		return nil, fmt.Errorf("%s: %s, no sign-in form", at, resp.Status)
	}
	form.Set("personal_id", c.id)
	form.Set("password", c.password)
	if err := post("/login", form); err != nil {
		return nil, err
	}
	if form, ok = formFields(body, "/login/verify"); !ok || form.Get("method") != "otp" {
		return nil, fmt.Errorf("citizen %s: %s %s, no authenticator-code form after the password (wrong password, or no TOTP enrolled)", c.id, at, resp.Status)
	}
	code, err := totp.GenerateCode(c.totpSecret, time.Now())
	if err != nil {
		return nil, fmt.Errorf("citizen %s: %w", c.id, err)
	}
	form.Set("code", code)
	if err := post("/login/verify", form); err != nil {
		return nil, err
	}
	if form, ok = formFields(body, "/consent"); ok {
		form.Set("action", "approve")
		if err := post("/consent", form); err != nil {
			return nil, err
		}
	} else if resp.StatusCode/100 != 3 {
		return nil, fmt.Errorf("citizen %s: %s %s after the authenticator code (a code used twice within 30 s is refused: wait and retry)", c.id, at, resp.Status)
	}
	if _, err := t.code(resp, req.state); err != nil {
		return nil, fmt.Errorf("citizen %s: %w", c.id, err)
	}
	return b, nil
}

// signInAll signs every citizen in, a few at a time (argon2id is bounded
// by the gateway's admission control; more at once would only meet 503s).
func (t *flowTarget) signInAll() error {
	t.browsers = make([]*browser, len(t.citizens))
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range max(t.signInWorkers, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(t.citizens) {
					return
				}
				mu.Lock()
				failed := first != nil
				mu.Unlock()
				if failed {
					return
				}
				b, err := t.signIn(t.citizens[i])
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				t.browsers[i] = b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// flow is the row: worker w is browser w (modulo the citizens signed in),
// and one iteration is GET /authorize with its session cookie (consent
// given, so it answers with the redirect carrying the code) and POST
// /token exchanging the code with the PKCE verifier (client_secret_basic),
// which must return an ID token.
func (t *flowTarget) flow(hc *http.Client, c int, d time.Duration) row {
	t.access = t.access[:0]
	return measureWorkers("flow (authorize + token)", c, 0, d, func(w, _ int) error {
		b := t.browsers[w%len(t.browsers)]
		req := t.authorizeRequest()
		resp, err := b.once.Get(req.url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code, err := t.code(resp, req.state)
		if err != nil {
			return err
		}
		m, err := postForm(hc, t.doc.Token, t.clientID, t.secret, url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "code_verifier": {req.verifier}, "redirect_uri": {t.redirectURI}})
		if err != nil {
			return err
		}
		if s, _ := m["id_token"].(string); s == "" {
			return errors.New("token: no id_token")
		}
		if a, _ := m["access_token"].(string); a != "" {
			t.accessMu.Lock()
			if len(t.access) < 4096 {
				t.access = append(t.access, a)
			}
			t.accessMu.Unlock()
		}
		return nil
	})
}

// startFlowGateway starts the whole gateway (package gateway, as `dinhdanh
// dev` serves it: sessions in PostgreSQL, CSRF, lockout checks, argon2id,
// consent, the audit trail unless off) in its own database of cluster, with
// n level 2 citizens who have an authenticator, and one confidential
// relying party (client_secret_basic) allowed openid and profile.
func startFlowGateway(ctx context.Context, cluster *pg.Cluster, poolSize int32, withAudit bool, n int) (*flowTarget, func()) {
	_, app := must2(pg.Provision(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh_flow", "bench", schema.Sources()...))
	pool := must(pg.Open(ctx, app, poolSize))
	var rec audit.Recorder = &nopAudit{}
	closeAudit := func() {}
	if withAudit {
		l := must(audit.NewLog(auditpg.NewStore(pool, nil), must(audit.GenerateKey()), audit.Options{}))
		rec = l
		closeAudit = func() { _ = l.Close(context.Background()) }
	}
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	cfg := config.Default()
	cfg.DevMode = true // Secure cookies need https; the bench speaks http to 127.0.0.1
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.Lockout.MaxPerAddress = 1 << 30 // every browser comes from 127.0.0.1
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	g := must(gw.New(ctx, gw.Options{Config: cfg, Pool: pool, Logger: slog.New(slog.DiscardHandler), Audit: rec}))

	// Generated citizens (valid personal id numbers, names, addresses),
	// the first n adult Vietnamese account holders made level 2, active,
	// with one authenticator secret (each account refuses a code twice, so
	// sharing the secret is harmless).
	recs := population.Generate(3*n+50, 15)
	var citizens []citizen
	for i := range recs {
		r := &recs[i]
		if len(citizens) == n || r.Account == nil || r.GuardianID != "" || r.Nationality != "" && r.Nationality != "VN" {
			continue
		}
		r.Account.Level, r.Account.Status, r.Account.TOTPSecret = 2, "active", population.DemoTOTPSecret
		r.Account.Password = population.GeneratedPassword
		citizens = append(citizens, citizen{r.PersonalID, population.GeneratedPassword, population.DemoTOTPSecret})
	}
	if len(citizens) < n {
		log.Fatalf("flow: only %d of %d citizens generated", len(citizens), n)
	}
	must(population.ImportRecords(ctx, population.Target{Pool: pool, Accounts: g.Accounts, Audit: rec}, recs))

	redirect := "https://rp.example/cb"
	rp, secret, err := g.Clients.Create(ctx, "bench", oidc.Client{Name: oidc.Text{VI: "Bench RP"}, Kind: oidc.KindPublicService,
		RedirectURIs: []string{redirect}, Scopes: []string{"openid", "profile"}})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(g.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t := &flowTarget{clientID: rp.ID, secret: secret, redirectURI: redirect, scope: "openid profile", citizens: citizens,
		transport: client(max(n, 16)).Transport.(*http.Transport), signInWorkers: 4}
	t.doc = must(discover(&http.Client{Transport: t.transport}, cfg.Issuer))
	return t, func() {
		srv.Close()
		g.Close()
		closeAudit()
		pool.Close()
	}
}
