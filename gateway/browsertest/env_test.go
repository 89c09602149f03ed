package browsertest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	// testTimeout bounds the browser's part of one test.
	testTimeout = 90 * time.Second
	// demoClientID is the demo relying party's registration, as in
	// `dinhdanh dev`.
	demoClientID = gateway.DemoClientID
	// Viewport of the browser window (and of the screenshots).
	viewportWidth, viewportHeight = 1000, 900
)

// env is the whole product, started in-process: PostgreSQL, the gateway on
// its own listener (its issuer is its real URL) and the demo relying party on
// another.
type env struct {
	db *pgtest.DB
	g  *gateway.Gateway
	// gatewayURL is the issuer, http://127.0.0.1:port (newEnv).
	gatewayURL string
	// rpURL is the relying party, http://localhost:port (newEnv): another site than
	// the gateway, as in production, so the gateway's SameSite=Lax session
	// cookie and the relying party's cookie are each on their own site.
	rpURL string
	inbox *accountspg.Inbox
}

// newEnv starts the product; opts adjust the gateway's options (a test's
// staff principal, say).
func newEnv(t *testing.T, opts ...func(*gateway.Options)) *env {
	t.Helper()
	return newEnvAt(t, "127.0.0.1", "localhost", opts...)
}

// newEnvAt is newEnv with the host names the gateway's issuer and the
// relying party are reached at (both listen on 127.0.0.1): passkeys need
// a gateway on a host name (localhost), the relying party then takes
// 127.0.0.1, still another site.
func newEnvAt(t *testing.T, gatewayHost, rpHost string, opts ...func(*gateway.Options)) *env {
	t.Helper()
	chromiumPath(t) // without a browser, fail before starting anything
	ctx := t.Context()
	db := pgtest.New(t)

	gwLn := listen(t)
	rpLn := listen(t)
	_, gwPort, _ := net.SplitHostPort(gwLn.Addr().String())
	_, rpPort, _ := net.SplitHostPort(rpLn.Addr().String())
	e := &env{
		db:         db,
		gatewayURL: "http://" + net.JoinHostPort(gatewayHost, gwPort),
		rpURL:      "http://" + net.JoinHostPort(rpHost, rpPort),
		inbox:      accountspg.NewInbox(db.App),
	}

	cfg := config.Default()
	cfg.DevMode = true
	cfg.Issuer = e.gatewayURL
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })

	// The gateway's log is shown only when the test fails.
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	o := gateway.Options{Config: cfg, Pool: db.App, Logger: logger, Audit: log}
	for _, f := range opts {
		f(&o)
	}
	e.g, err = gateway.New(ctx, o)
	require.NoError(t, err)
	t.Cleanup(e.g.Close)

	err = population.LoadDemo(ctx, population.Target{
		Pool: db.App, Accounts: e.g.Accounts, Audit: log, Logger: logger,
		Biometrics: biometricspg.NewStore(db.App, nil),
	}, population.DemoOptions{Generated: -1})
	require.NoError(t, err)
	rp, err := e.g.DemoRelyingParty(ctx, e.rpURL)
	require.NoError(t, err)

	serve(t, gwLn, e.g.Handler)
	serve(t, rpLn, rp.Handler())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs.String())
		}
	})
	return e
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// serve serves h on ln until the test ends.
func serve(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

var smsCode = regexp.MustCompile(`\b(\d{6})\b`)

// lastSMSCode reads the newest one-time code sent to phone from the
// development inbox.
func (e *env) lastSMSCode(t *testing.T, phone string) string {
	t.Helper()
	msgs, err := e.inbox.Messages(t.Context(), phone)
	require.NoError(t, err)
	require.NotEmpty(t, msgs, "no SMS sent to %s", phone)
	m := smsCode.FindStringSubmatch(msgs[0].Body) // newest first
	require.NotNil(t, m, "no code in the SMS %q", msgs[0].Body)
	return m[1]
}

// syncBuffer is a bytes.Buffer that the server goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ---- the browser ----

// chromiumPath finds the browser: $CHROMIUM, else the usual names on the
// PATH. The tests fail, never skip, without one: CI installs Debian's
// chromium package (.ci/run).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("browser tests need Chromium and none was found: install it (Debian: apt-get install chromium; .ci/run does) " +
		"or set CHROMIUM to the path of a Chromium or Chrome binary")
	return ""
}

// browser is one headless Chromium with one tab, closed when the test ends.
type browser struct {
	t *testing.T
	// ctx runs the test's actions, under the test's deadline; tab is the
	// tab's own context, without it, for reports after that deadline.
	ctx, tab context.Context
	// shots is where screenshots go; empty unless DINHDANH_SCREENSHOTS is
	// set, so that test runs do not touch the working tree.
	shots string
}

// newBrowser starts Chromium with Accept-Language lang ("vi" or "en"). Its
// actions share one deadline, testTimeout from now; the browser is closed
// when the test ends.
func newBrowser(t *testing.T, lang string) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(viewportWidth, viewportHeight),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	// The browser's temporary files (shared memory, with
	// disable-dev-shm-usage, and the singleton socket folder Chromium leaves
	// behind) go to the test's own temporary folder, removed after the
	// browser has stopped.
	opts = append(opts, chromedp.Env("TMPDIR="+t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser() // closes the tab and the browser
		cancelAlloc()   // waits for the process to end and removes its profile
	})
	// Start it now, so that a browser that cannot start fails here, clearly.
	// The first action starts the browser and its tab, which then live as
	// long as the context it ran with: the tab's, not the deadline's.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	ctx, cancel := context.WithTimeout(bctx, testTimeout)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx, tab: bctx, shots: os.Getenv("DINHDANH_SCREENSHOTS")}
}

// fatalf ends the test, saying where the browser was and what it showed.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		msg += fmt.Sprintf(" (the browser steps ran out of their %s)", testTimeout)
	}
	// A short deadline of its own: the test's may be what ran out.
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), chromedp.NodeReady))
	b.t.Fatalf("%s\nbrowser at: %s\npage text:\n%s", msg, loc, body)
}

// do runs steps, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// open loads url and waits until sel is visible.
func (b *browser) open(url, sel string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// follow clicks sel, waits for the page it leads to (through any redirects)
// to load, then for next to be visible on it.
func (b *browser) follow(sel, next string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fatalf("click %s: %v", sel, err)
	}
	b.do("wait for "+next, chromedp.WaitVisible(chromedp.CSS(next)))
}

// text is the rendered text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.fatalf("read %s: %v", sel, err)
	}
	return s
}

// html is the whole document's markup.
func (b *browser) html() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.fatalf("read the document: %v", err)
	}
	return s
}

func (b *browser) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fatalf("read the location: %v", err)
	}
	return s
}

// checked reports whether the checkbox sel is ticked.
func (b *browser) checked(sel string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
	if err != nil {
		b.fatalf("read %s.checked: %v", sel, err)
	}
	return v
}

// requireAt checks the browser's location starts with prefix.
func (b *browser) requireAt(prefix string) {
	b.t.Helper()
	if loc := b.location(); !strings.HasPrefix(loc, prefix) {
		b.fatalf("expected a page under %s, at %s", prefix, loc)
	}
}

// screenshot saves the whole page as <DINHDANH_SCREENSHOTS>/<name>.png, when
// that variable is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	require.NoError(b.t, os.MkdirAll(b.shots, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644))
}
