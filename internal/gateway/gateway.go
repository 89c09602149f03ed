// Package gateway assembles the whole product from its configuration and a
// database pool: the one construction used by cmd, the browser tests and the
// load benchmark, so that all three run the same gateway.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/internal/schema"
	"github.com/dinhdanh/dinhdanh/internal/server"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Gateway is the assembled product.
type Gateway struct {
	Handler http.Handler
	closers []func()
}

// Close stops background work, newest first.
func (g *Gateway) Close() {
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}

// Options are what the gateway is built from.
type Options struct {
	Config config.Config
	// Pool connects as the application role.
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// New wires every component. It holds no logic beyond construction.
func New(ctx context.Context, o Options) (*Gateway, error) {
	cfg, pool, logger := o.Config, o.Pool, o.Logger
	if o.Now == nil {
		o.Now = time.Now
	}
	g := &Gateway{}
	tmpl, err := templates.New()
	if err != nil {
		return nil, err
	}
	issuer, _ := url.Parse(cfg.Issuer)
	sessions := scs.New()
	// pgxstore's own cleanup goroutine races on StopCleanup; expired sessions
	// are deleted by the gateway's janitor instead.
	sessions.Store = pgxstore.NewWithCleanupInterval(pool, 0)
	jctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		janitor(jctx, pool, logger, 10*time.Minute)
	}()
	g.closers = append(g.closers, func() { stop(); <-done })
	sessions.Lifetime = cfg.Session.Lifetime.D()
	sessions.IdleTimeout = cfg.Session.IdleTimeout.D()
	sessions.Cookie.Name = "dinhdanh_session"
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	// Secure cookies always, except a developer's plain-http localhost.
	sessions.Cookie.Secure = !(cfg.DevMode && issuer.Scheme == "http")
	csrf := &httpx.CSRF{Sessions: sessions, Failed: server.CSRFFailed(tmpl)}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	g.Handler = server.New(server.Options{
		Logger:    logger,
		Templates: tmpl,
		Sessions:  sessions,
		CSRF:      csrf,
		Metrics:   reg,
		TLS:       cfg.TLS.Enabled(),
		Ready: func(ctx context.Context) error {
			return pg.CheckCurrent(ctx, pool, schema.Sources()...)
		},
	})
	return g, nil
}

// janitor deletes expired browser sessions every interval.
func janitor(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()"); err != nil && ctx.Err() == nil {
				logger.Warn("session cleanup failed", "error", err)
			}
		}
	}
}
