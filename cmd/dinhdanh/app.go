package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
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

// app is the assembled gateway.
type app struct {
	handler http.Handler
	closers []func()
}

func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// buildApp wires every component from the configuration. It holds no logic
// beyond construction.
func buildApp(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger) (*app, error) {
	a := &app{}
	tmpl, err := templates.New()
	if err != nil {
		return nil, err
	}
	issuer, _ := url.Parse(cfg.Issuer)
	sessions := scs.New()
	store := pgxstore.NewWithCleanupInterval(pool, 10*time.Minute)
	a.closers = append(a.closers, store.StopCleanup)
	sessions.Store = store
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

	a.handler = server.New(server.Options{
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
	return a, nil
}

// serveHTTP serves until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, cfg config.Config, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Addr:              cfg.Listen,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS.Enabled() {
			errc <- srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	logger.Info("serving", "listen", cfg.Listen, "issuer", cfg.Issuer)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
