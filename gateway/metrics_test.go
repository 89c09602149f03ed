package gateway_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// smsLog is the operator's SMS gateway in a production-mode test: it
// keeps what it was asked to send.
type smsLog struct {
	mu   sync.Mutex
	sent []string
}

func (s *smsLog) Send(_ context.Context, phone, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, phone)
	return nil
}

// scrape reads /metrics with the scrape token into series → value (the
// series as the text format prints it: name{labels}).
func scrape(t *testing.T, c *http.Client, base, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	require.NoError(t, sc.Err())
	return out
}

// family is the metric name of a series.
func family(series string) string {
	name, _, _ := strings.Cut(series, "{")
	return name
}

// TestMetricsCountWhatHappened: a production-mode gateway (TLS, the scrape
// token) on PostgreSQL; /metrics is read before and after a scripted
// visit: a wrong password, a sign-in with password and authenticator code
// (level 2), a consent, the relying party's code exchange, and the
// citizen's own lock (lost phone) that tells the relying party by
// back-channel logout and the citizen by SMS. Every counter of what
// happens to citizens moved by exactly what happened, and no other.
func TestMetricsCountWhatHappened(t *testing.T) {
	const token = "scrape-scrape-scrape-scrape-scrape"
	db := pgtest.New(t)
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	srv.StartTLS()
	t.Cleanup(srv.Close)

	cfg := config.Default()
	cfg.Issuer = srv.URL
	cfg.Secrets.MetricsToken = token
	cfg.Secrets.AdminToken = "admin-admin-admin-admin-admin-admin"
	cfg.SMS.WebhookURL = "https://sms.example.gov.vn/send"
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(cfg.Secrets.AuditKey))
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	sms := &smsLog{}
	g, err := gateway.New(t.Context(), gateway.Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: log, SMS: sms, Version: "v-test"})
	require.NoError(t, err)
	t.Cleanup(g.Close)
	handler = g.Handler

	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	citizen, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	const redirect = "https://rp.example/cb"
	client, secret, err := g.Clients.Create(ctx, "test", oidc.Client{
		ID: "rp-metrics", Name: oidc.Text{VI: "Dịch vụ thử", EN: "Test service"}, Purpose: oidc.Text{VI: "Thử", EN: "Test"},
		PurposeVersion: 1, Kind: oidc.KindPublicService, RedirectURIs: []string{redirect},
		Scopes: []string{"openid", "profile"}, TokenEndpointAuthMethod: oidc.AuthClientSecretBasic,
		SubjectType: oidc.SubjectPairwise,
		// Nothing listens there: the delivery fails and is retried later.
		BackchannelLogoutURI: "https://127.0.0.1:1/logout",
	})
	require.NoError(t, err)
	// Wait for the demo's notices to leave the outbox before the first
	// scrape, so that only the visit's are counted.
	pending := func() int {
		var n int
		require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE state = 'pending'`).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return pending() == 0 }, 30*time.Second, 50*time.Millisecond, "the demo's notices are delivered")

	jar, _ := cookiejar.New(nil)
	browser := srv.Client()
	browser.Jar = jar
	browser.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), srv.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	get := func(u string) string {
		res, err := browser.Get(u)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	post := func(path string, v url.Values) (*http.Response, string) {
		res, err := browser.PostForm(srv.URL+path, v)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	before := scrape(t, srv.Client(), srv.URL, token)
	notices := len(sms.sent)
	var sent int
	start := time.Now()

	// The visit.
	conf := &oauth2.Config{ClientID: client.ID, ClientSecret: secret, RedirectURL: redirect, Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + oidc.PathAuthorize, TokenURL: srv.URL + oidc.PathToken, AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	page := get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("acr_values", "urn:vn:eid:loa:2")))
	res, page := post("/login", url.Values{"csrf_token": {field(t, csrfField, page)}, "personal_id": {population.DemoLevel2ID}, "password": {"not the password"}})
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	_, page = post("/login", url.Values{"csrf_token": {field(t, csrfField, page)}, "personal_id": {population.DemoLevel2ID}, "password": {population.DemoPassword}})
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	_, page = post("/login/verify", url.Values{"csrf_token": {field(t, csrfField, page)}, "method": {"otp"}, "code": {code}})
	res, page = post("/consent", url.Values{"csrf_token": {field(t, csrfField, page)}, "challenge": {field(t, challengeField, page)},
		"action": {"approve"}, "claim": {"name", "birthdate", "gender", "nationality"}})
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err, page)
	require.Equal(t, redirect, loc.Scheme+"://"+loc.Host+loc.Path, "back at the relying party: %d %s", res.StatusCode, page)
	_, err = conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, srv.Client()), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	page = get(srv.URL + "/lock")
	res, page = post("/lock", url.Values{"csrf_token": {field(t, csrfField, page)}, "personal_id": {population.DemoLevel2ID},
		"password": {population.DemoPassword}, "reason": {"lost_phone"}})
	require.Equal(t, http.StatusOK, res.StatusCode, page)

	// The lock's notices leave the outbox, and the back-channel logout is
	// attempted once (the next attempt is 30 s later).
	attempted := func() bool {
		var n int
		require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM backchannel_deliveries WHERE client_id = $1 AND last_error <> ''`, client.ID).Scan(&n))
		return n == 1
	}
	require.Eventually(t, func() bool { return pending() == 0 && attempted() }, 30*time.Second, 50*time.Millisecond)
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = $1 AND sent_at >= $2`, citizen.ID, start).Scan(&sent))
	require.Positive(t, sent, "the citizen is told of the lock")
	require.Len(t, sms.sent, notices+sent)
	after := scrape(t, srv.Client(), srv.URL, token)

	want := map[string]float64{
		`dinhdanh_signins_total{actor="citizen",level="none",outcome="failure"}`:         1,
		`dinhdanh_signins_total{actor="citizen",level="2",outcome="success"}`:            1,
		`dinhdanh_second_factor_total{factor="totp",outcome="success",purpose="signin"}`: 1,
		`dinhdanh_consents_total{action="granted"}`:                                      1,
		`dinhdanh_tokens_issued_total{grant="authorization_code"}`:                       1,
		`dinhdanh_account_locks_total{reason="holder_request"}`:                          1,
		`dinhdanh_backchannel_logout_total{outcome="retry"}`:                             1,
		`dinhdanh_messages_sent_total{channel="sms",purpose="notice"}`:                   float64(sent),
	}
	domain := map[string]bool{}
	for _, f := range []string{"dinhdanh_signins_total", "dinhdanh_second_factor_total", "dinhdanh_consents_total", "dinhdanh_tokens_issued_total",
		"dinhdanh_account_locks_total", "dinhdanh_account_unlocks_total", "dinhdanh_backchannel_logout_total",
		"dinhdanh_messages_sent_total", "dinhdanh_messages_failed_total"} {
		domain[f] = true
	}
	moved := map[string]float64{}
	for s, v := range after {
		if domain[family(s)] && v != before[s] {
			moved[s] = v - before[s]
		}
	}
	for s := range want {
		require.Contains(t, after, s)
	}
	require.Equal(t, want, moved)

	// The audit writer's figures: one latency observation per batch, none
	// failed.
	require.Zero(t, after["dinhdanh_audit_failed_events_total"])
	require.Equal(t, after["dinhdanh_audit_batches_total"], after["dinhdanh_audit_batch_duration_seconds_count"])
	require.Greater(t, after["dinhdanh_audit_batch_duration_seconds_count"], before["dinhdanh_audit_batch_duration_seconds_count"])
	require.Contains(t, after, "dinhdanh_audit_seal_age_seconds")
	require.Contains(t, after, "dinhdanh_audit_unsealed_events")
	var build string
	for s, v := range after {
		if family(s) == "dinhdanh_build_info" {
			build = s
			require.Equal(t, 1.0, v)
		}
	}
	require.Contains(t, build, `version="v-test"`)
	require.Contains(t, build, `goversion="go`)

	// The routes the alert rules on sign-ins select (deploy/k8s/monitoring.yaml).
	for _, route := range []string{"/authorize", "/login", "/login/verify", "/token"} {
		var seen bool
		for s := range after {
			seen = seen || family(s) == "dinhdanh_http_requests_total" && strings.Contains(s, `route="`+route+`"`)
		}
		require.True(t, seen, "no requests counted on route %s", route)
	}

	// Every family served is one MetricNames lists (what deploy's tests
	// hold the alert rules and the dashboard to).
	names := map[string]bool{}
	for _, n := range gateway.MetricNames() {
		names[n] = true
	}
	for s := range after {
		f := family(s)
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(f, suffix); ok && names[base] {
				f = base
			}
		}
		require.True(t, names[f], "%s is served but not in gateway.MetricNames", f)
	}
}
