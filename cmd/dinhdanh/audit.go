package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
)

// auditKey is the checkpoint signing key, derived from DINHDANH_AUDIT_KEY.
func auditKey(cfg config.Config) (*audit.Key, error) {
	if len(cfg.Secrets.AuditKey) != ed25519.SeedSize {
		return nil, errors.New("DINHDANH_AUDIT_KEY must be 32 bytes")
	}
	return audit.NewKey(ed25519.NewKeyFromSeed(cfg.Secrets.AuditKey))
}

// openAudit starts the batched, chained audit writer on pool (application
// role: it may only INSERT and SELECT the audit table).
func openAudit(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger) (audit.Recorder, func(), error) {
	key, err := auditKey(cfg)
	if err != nil {
		return nil, nil, err
	}
	log, err := audit.NewLog(auditpg.NewStore(pool, nil), key, audit.Options{
		Logger: logger, CheckpointInterval: cfg.Audit.CheckpointInterval.D(),
		Witness: gateway.AuditWitness(cfg.Audit.Witness),
	})
	if err != nil {
		return nil, nil, err
	}
	return log, func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := log.Close(ctx); err != nil {
			logger.Warn("audit writer close", "error", err)
		}
	}, nil
}

// startGateway builds the gateway on pool with its audit writer. done stops
// the gateway, then flushes and closes the audit writer.
func startGateway(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger) (*gateway.Gateway, func(), error) {
	rec, closeAudit, err := openAudit(ctx, cfg, pool, logger)
	if err != nil {
		return nil, nil, err
	}
	g, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, Logger: logger, Audit: rec})
	if err != nil {
		closeAudit()
		return nil, nil, err
	}
	return g, func() { g.Close(); closeAudit() }, nil
}
