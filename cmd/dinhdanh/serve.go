package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

// cmdServe runs the gateway on a migrated database (see dinhdanh migrate).
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, _, err := loadConfig(fs, args, config.Needs{DB: true, Secrets: true, SMS: true, Mail: true})
	if err != nil {
		return err
	}
	// One credential per job: a serving replica that holds the schema
	// owner's credentials could disable the audit triggers or drop a month
	// of history. Migrations and audit retention (dropping whole
	// partitions) are jobs of their own (deploy/k8s/migrate-job.yaml).
	if cfg.DB.MigrateURL != "" && !cfg.DevMode {
		return errors.New("serve must not hold the schema owner's credentials: unset DATABASE_MIGRATE_URL " +
			"(give it to `dinhdanh migrate up` and a daily `dinhdanh audit retain` job only)")
	}
	logger := newLogger(cfg, stderr)
	pool, err := pg.Open(ctx, cfg.DB.URL, cfg.DB.MaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Migrations are an explicit deploy step; never serve on an old schema.
	if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
		return err
	}
	// Reads that tolerate lag (history pages, the signing keys' reload)
	// from a streaming replica, when one is configured.
	var reads *pgxpool.Pool
	if cfg.DB.ReadURL != "" {
		if reads, err = pg.Open(ctx, cfg.DB.ReadURL, max(2, cfg.DB.MaxConns/4)); err != nil {
			return fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		defer reads.Close()
	}
	a, done, err := startGateway(ctx, cfg, pool, reads, logger)
	if err != nil {
		return err
	}
	defer done()
	return serveHTTP(ctx, cfg, a.Handler, logger)
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
