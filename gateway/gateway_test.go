package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/reconcile"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newGateway(t *testing.T) *httptest.Server {
	srv, _, _ := newGatewayWithParts(t)
	return srv
}

func newGatewayWithParts(t *testing.T, adjust ...func(*config.Config)) (*httptest.Server, *gateway.Gateway, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	srv, g := serveGateway(t, db, nil, adjust...)
	return srv, g, db
}

// serveGateway serves a dev-mode gateway with random keys on db; options,
// when set, adjusts the gateway's options (a read pool, say).
func serveGateway(t *testing.T, db *pgtest.DB, options func(*gateway.Options), adjust ...func(*config.Config)) (*httptest.Server, *gateway.Gateway) {
	t.Helper()
	cfg := config.Default()
	cfg.DevMode = true
	for _, f := range adjust {
		f(&cfg)
	}
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	// The audit log seals with the configured audit key, as in production:
	// the registry feeds' in-transaction audit rows join the same chain.
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(cfg.Secrets.AuditKey))
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	opts := gateway.Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: log}
	if options != nil {
		options(&opts)
	}
	g, err := gateway.New(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(g.Close)
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(srv.Close)
	return srv, g
}

func TestShellEndpointsAndHeaders(t *testing.T) {
	srv := newGateway(t)
	cases := []struct {
		path, accept string
		status       int
		body         string
	}{
		{"/healthz", "", 200, "ok"},
		{"/readyz", "", 200, "ready"},
		{"/metrics", "", 200, "go_goroutines"},
		{"/metrics", "", 200, "dinhdanh_db_pool_acquired_conns"},
		{"/metrics", "", 200, "dinhdanh_audit_events_total"},
		{"/metrics", "", 200, "dinhdanh_notifications_sent_total"},
		{"/static/css/site.css", "", 200, "--accent"},
		{"/register", "", 200, "Đăng ký tài khoản định danh điện tử"},
		{"/activate?ui_locales=en", "", 200, "Activate your account"},
		{"/no-such-page", "", 404, "Không tìm thấy trang."},
		{"/no-such-page?ui_locales=en", "", 404, "Page not found."},
		{"/no-such-page", "en-US,en;q=0.8", 404, "Page not found."},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			require.Equal(t, tc.status, res.StatusCode)
			require.Contains(t, string(b), tc.body)
			require.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			require.NotEmpty(t, res.Header.Get("X-Request-ID"))
		})
	}
}

// TestFavicon: the icon files are served like the other static files
// (type, caching) and every page links them.
func TestFavicon(t *testing.T) {
	srv := newGateway(t)
	for _, tc := range []struct{ path, contentType, start string }{
		{"/favicon.ico", "image/x-icon", "\x00\x00\x01\x00"},
		{"/static/img/favicon.svg", "image/svg+xml", "<svg"},
		{"/static/img/favicon-32.png", "image/png", "\x89PNG"},
		{"/static/img/apple-touch-icon.png", "image/png", "\x89PNG"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(srv.URL + tc.path)
			require.NoError(t, err)
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), tc.contentType), res.Header.Get("Content-Type"))
			require.Equal(t, "public, max-age=3600", res.Header.Get("Cache-Control"))
			require.True(t, strings.HasPrefix(string(b), tc.start), "%q", b[:min(len(b), 16)])
		})
	}
	res, err := http.Get(srv.URL + "/login")
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	require.Contains(t, string(b), `<link rel="icon" href="/favicon.ico" sizes="32x32">`)
	require.Contains(t, string(b), `<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">`)
}

func TestUnsafeRequestWithoutCSRFTokenIsRejected(t *testing.T) {
	srv := newGateway(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const csrfPage = "The form has expired or is invalid."
	postLogin := func(token string) (int, string) {
		t.Helper()
		form := url.Values{"personal_id": {"001090000001"}, "password": {"wrong password"}, "ui_locales": {"en"}}
		if token != "" {
			form.Set("csrf_token", token)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login?ui_locales=en", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// A forged post from another site: no session, so no token at all.
	status, body := postLogin("")
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, csrfPage)

	// With the sign-in form's session but a missing or wrong token.
	res, err := c.Get(srv.URL + "/login?ui_locales=en")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindStringSubmatch(string(page))
	require.NotNil(t, m, "the sign-in form carries a CSRF token")
	token := html.UnescapeString(m[1])
	for _, bad := range []string{"", token + "x"} {
		status, body = postLogin(bad)
		require.Equal(t, http.StatusForbidden, status, "token %q", bad)
		require.Contains(t, body, csrfPage)
	}

	// The form's own token passes the check and reaches the sign-in handler.
	status, body = postLogin(token)
	require.NotEqual(t, http.StatusForbidden, status)
	require.NotContains(t, body, csrfPage)
}

func TestChosenLanguageIsKeptForTheVisit(t *testing.T) {
	srv := newGateway(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept-Language", "vi-VN,vi;q=0.9")
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	require.Contains(t, get("/no-such-page"), "Không tìm thấy trang.")
	require.Contains(t, get("/no-such-page?ui_locales=en"), "Page not found.")
	require.Contains(t, get("/no-such-page"), "Page not found.", "English stays chosen without ui_locales")
	require.Contains(t, get("/no-such-page?ui_locales=vi"), "Không tìm thấy trang.")
	require.Contains(t, get("/no-such-page"), "Không tìm thấy trang.")
}

func TestProductionModeGuardsMetricsAndSendsHSTS(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	const admin = "admin-admin-admin-admin-admin-admin"
	srv, _, _ := newGatewayWithParts(t, func(c *config.Config) {
		c.DevMode = false
		c.Issuer = "https://id.example.gov.vn"
		c.Secrets.MetricsToken = token
		c.Secrets.AdminToken = admin
		c.SMS.WebhookURL = "https://sms.example.gov.vn/send"
	})
	res, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Contains(t, res.Header.Get("Strict-Transport-Security"), "max-age=")

	// One credential per job: the admin token does not scrape metrics, and
	// the scrape token opens no admin API.
	for path, tok := range map[string]string{"/metrics": admin, "/admin/api/clients": token} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, path)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, string(b), "dinhdanh_audit_events_total")
	require.Contains(t, string(b), "dinhdanh_audit_head_alarm 0")
}

func TestProductionModeWithoutMetricsTokenDoesNotServeMetrics(t *testing.T) {
	srv, _, _ := newGatewayWithParts(t, func(c *config.Config) {
		c.DevMode = false
		c.Issuer = "https://id.example.gov.vn"
		c.Secrets.AdminToken = "admin-admin-admin-admin-admin-admin"
		c.SMS.WebhookURL = "https://sms.example.gov.vn/send"
	})
	res, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.NotContains(t, string(b), "dinhdanh_audit_events_total")
}

func TestReconcileMetrics(t *testing.T) {
	srv, _, db := newGatewayWithParts(t)
	ctx := t.Context()
	_, err := db.App.Exec(ctx, `INSERT INTO vehicle_records (number, owner_id, owner_name, owner_province, status) VALUES
		('29A-00005', '12345', 'An', 'Hà Nội', 'active'), ('29A-00013', 'bad', 'An', 'Hà Nội', 'retired')`)
	require.NoError(t, err)
	scrape := func() string {
		res, err := http.Get(srv.URL + "/metrics")
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	require.NotContains(t, scrape(), "dinhdanh_vehicle_reconcile_findings", "no run yet: no figures")
	_, err = reconcilepg.NewStore(db.App, nil).Reconcile(ctx, "op", reconcile.DefaultRules(), 0, nil)
	require.NoError(t, err)
	out := scrape()
	require.Contains(t, out, `dinhdanh_vehicle_reconcile_findings{kind="wrong_id",province="Hà Nội"} 1`)
	require.Contains(t, out, `dinhdanh_vehicle_reconcile_findings{kind="retired",province="Hà Nội"} 1`)
	require.Contains(t, out, "dinhdanh_vehicle_reconcile_records 2")
}

// TestReconcileSchedule: with reconcile.vehicles_every set, the gateway
// runs the vehicle reconciliation of the current period by itself, once
// (the claim across replicas is reconcile/postgres's TestScheduleClaim).
func TestReconcileSchedule(t *testing.T) {
	_, g, db := newGatewayWithParts(t, func(c *config.Config) { c.Reconcile.VehiclesEvery = config.Duration(24 * time.Hour) })
	ctx := t.Context()
	var period string
	var runs int
	require.Eventually(t, func() bool {
		err := db.App.QueryRow(ctx, `SELECT coalesce(max(period), ''), count(*) FROM reconcile_runs WHERE finished_at IS NOT NULL`).Scan(&period, &runs)
		return err == nil && runs > 0
	}, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, 1, runs)
	require.Equal(t, reconcile.Period(time.Now(), 24*time.Hour), period)
	latest, err := g.Reconcile.LatestRun(ctx)
	require.NoError(t, err)
	require.Equal(t, reconcile.ScheduleActor, latest.Actor)
}
