package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/population"
)

// cmdImport loads population records (and any documents and account parts),
// or the foreigners' registry's residents, from a CSV or JSON-lines file.
// Every bad line is reported with its number and then nothing is written.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	dataDir := fs.String("data", ".data", "without DATABASE_URL: the `dinhdanh dev` folder whose database to use")
	cfg, rest, err := loadConfig(fs, args, config.Needs{})
	if err != nil {
		return err
	}
	if len(rest) == 3 && rest[0] == "documents" {
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		pool, cleanup, err := openForTool(ctx, &cfg, *dataDir, logger)
		if err != nil {
			return err
		}
		defer cleanup()
		if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
			return err
		}
		return importDocuments(ctx, cfg, pool, rest[1], rest[2], stdout, stderr)
	}
	if len(rest) != 2 || (rest[0] != "population" && rest[0] != "foreigners") {
		return errors.New("usage: dinhdanh import [-config FILE] population|foreigners FILE.csv|FILE.jsonl\n" +
			"       dinhdanh import [-config FILE] documents KIND FILE.csv|FILE.jsonl")
	}
	format, err := population.FormatOf(rest[1])
	if err != nil {
		return err
	}
	f, err := os.Open(rest[1])
	if err != nil {
		return err
	}
	defer f.Close()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	pool, cleanup, err := openForTool(ctx, &cfg, *dataDir, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
		return err
	}
	rec, closeAudit, err := openAudit(ctx, cfg, pool, logger)
	if err != nil {
		return err
	}
	defer closeAudit()
	if rest[0] == "foreigners" {
		rep, err := population.ImportForeigners(ctx, population.Target{Pool: pool, Audit: rec, Logger: logger}, f, format)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d foreign residents\n", rep.Residents)
		return nil
	}
	// Only the account service: the import hashes passwords and seals TOTP
	// secrets as the gateway would, without starting key rotation or the
	// other background work of a running gateway.
	ops, err := gateway.NewOps(gateway.Options{Config: cfg, Pool: pool, Logger: logger, Audit: rec})
	if err != nil {
		return err
	}
	acc, err := ops.Accounts()
	if err != nil {
		return err
	}
	rep, err := population.Import(ctx, population.Target{Pool: pool, Accounts: acc, Audit: rec, Logger: logger}, f, format)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d people, %d documents, %d accounts\n", rep.People, rep.Documents, rep.Accounts)
	return nil
}

// openForTool connects an operator command: DATABASE_URL when set,
// otherwise the `dinhdanh dev` cluster under dataDir (started for the
// command if it is not running) with the dev secrets.
func openForTool(ctx context.Context, cfg *config.Config, dataDir string, logger *slog.Logger) (*pgxpool.Pool, func(), error) {
	if cfg.DB.URL != "" {
		if err := cfg.Validate(config.Needs{DB: true, Secrets: true}); err != nil {
			return nil, nil, err
		}
		pool, err := pg.Open(ctx, cfg.DB.URL, 8)
		return pool, func() { pool.Close() }, err
	}
	return openDevPool(ctx, cfg, dataDir, logger, pg.AppRole, "DATABASE_URL")
}

// openDevPool connects as role to the `dinhdanh dev` database under dataDir
// with the dev secrets, starting its cluster for the command when it is not
// running. missing names the variable that would have pointed elsewhere.
func openDevPool(ctx context.Context, cfg *config.Config, dataDir string, logger *slog.Logger, role, missing string) (*pgxpool.Pool, func(), error) {
	cfg.DevMode = true
	if err := devSecrets(filepath.Join(dataDir, "dev-secrets.json"), &cfg.Secrets); err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(dataDir, "postgres")
	c, running := pg.Running(dir)
	stop := func() {}
	if !running {
		var err error
		if c, err = pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir, Logger: logger}); err != nil {
			return nil, nil, fmt.Errorf("no %s and no dev database: %w", missing, err)
		}
		stop = c.Stop
	}
	pool, err := pg.Open(ctx, c.URL(role, "dinhdanh"), 8)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("dev database (run `make run` once first): %w", err)
	}
	return pool, func() { pool.Close(); stop() }, nil
}
