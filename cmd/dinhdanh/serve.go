package main

import (
	"context"
	"flag"
	"io"

	"github.com/dinhdanh/dinhdanh/config"

	"github.com/dinhdanh/dinhdanh/internal/gateway"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/internal/schema"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, _, err := loadConfig(fs, args, config.Needs{DB: true, Secrets: true, SMS: true})
	if err != nil {
		return err
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
	// Audit partitions ahead and retention need the owner role.
	if cfg.DB.MigrateURL != "" {
		stopAudit, err := startAuditMaintenance(ctx, cfg, cfg.DB.MigrateURL, logger)
		if err != nil {
			return err
		}
		defer stopAudit()
	} else {
		logger.Info("audit retention not scheduled: DATABASE_MIGRATE_URL is not set; run `dinhdanh audit retain` daily")
	}
	rec, closeAudit, err := openAudit(ctx, cfg, pool, logger)
	if err != nil {
		return err
	}
	defer closeAudit()
	a, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, Logger: logger, Audit: rec})
	if err != nil {
		return err
	}
	defer a.Close()
	return serveHTTP(ctx, cfg, a.Handler, logger)
}
