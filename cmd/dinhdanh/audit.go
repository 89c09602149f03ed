package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
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
// the gateway, then flushes and closes the audit writer. With
// bench_audit_off (dev mode only, see config.Validate) the writer is a
// counting no-op instead, announced at error level on start and stop.
func startGateway(ctx context.Context, cfg config.Config, pool, readPool *pgxpool.Pool, logger *slog.Logger) (*gateway.Gateway, func(), error) {
	rec, closeAudit, err := benchAuditOff(cfg, logger)
	if !cfg.BenchAuditOff {
		rec, closeAudit, err = openAudit(ctx, cfg, pool, logger)
	}
	if err != nil {
		return nil, nil, err
	}
	g, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: pool, ReadPool: readPool, Logger: logger, Audit: rec, Version: version})
	if err != nil {
		closeAudit()
		return nil, nil, err
	}
	return g, func() { g.Close(); closeAudit() }, nil
}

// countingAudit is the audit recorder of bench_audit_off: it counts the
// events and drops them.
type countingAudit struct{ n atomic.Int64 }

func (a *countingAudit) Record(context.Context, audit.Event) error { a.n.Add(1); return nil }

// benchAuditOff returns, when bench_audit_off is set, the counting no-op
// and its close, which reports how many events were dropped. Refused
// outside dev mode by config.Validate; refused again here so that no path
// around Validate serves without the trail.
func benchAuditOff(cfg config.Config, logger *slog.Logger) (audit.Recorder, func(), error) {
	if !cfg.BenchAuditOff {
		return nil, nil, nil
	}
	if !cfg.DevMode {
		return nil, nil, errors.New("bench_audit_off is refused outside dev mode")
	}
	rec := &countingAudit{}
	logger.Error("AUDIT TRAIL OFF: bench_audit_off is set, audit events are counted and dropped; for measurement only, never in production")
	return rec, func() {
		logger.Error("AUDIT TRAIL WAS OFF: bench_audit_off dropped audit events", "events", rec.n.Load())
	}, nil
}

// openTool connects like openForTool, refuses an outdated schema and
// starts the audit writer: what every command that changes data needs.
// done flushes the audit log and closes the pool.
func openTool(ctx context.Context, cfg *config.Config, dataDir string, logger *slog.Logger) (*pgxpool.Pool, audit.Recorder, func(), error) {
	pool, cleanup, err := openForTool(ctx, cfg, dataDir, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	rec, closeAudit, err := openAudit(ctx, *cfg, pool, logger)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return pool, rec, func() { closeAudit(); cleanup() }, nil
}
