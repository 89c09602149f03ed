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
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/population"
)

const importUsage = `usage: dinhdanh import [-config FILE] population [-batch N] [-resume-at LINE] FILE.csv|FILE.jsonl
       dinhdanh import [-config FILE] population -generate N [-seed S] [-documents=false] [-batch N] [-resume-at N]
       dinhdanh import [-config FILE] foreigners FILE.csv|FILE.jsonl
       dinhdanh import [-config FILE] documents KIND FILE.csv|FILE.jsonl`

// cmdImport loads population records (and any documents and account parts)
// batch by batch, or the foreigners' registry's residents from a CSV or
// JSON-lines file (every bad line reported with its number, then nothing
// written), or a registry's feed file.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", ".data", "without DATABASE_URL: the `dinhdanh dev` folder whose database to use")
	var po popOptions
	fs.IntVar(&po.batch, "batch", population.DefaultBatchLines, "population: lines per batch (each batch one transaction)")
	fs.IntVar(&po.resumeAt, "resume-at", 0, "population: skip the lines before LINE (where a stopped import said to resume)")
	fs.IntVar(&po.generate, "generate", 0, "population: import N generated citizens (the demo's generator) instead of a file")
	fs.Uint64Var(&po.seed, "seed", 1, "population -generate: the generator's seed")
	fs.BoolVar(&po.documents, "documents", true, "population -generate: give a share of the adults a driving licence and a vehicle registration")
	cfg, rest, err := loadConfig(fs, args, config.Needs{})
	if err != nil {
		return err
	}
	// The population flags may also follow the word population.
	if len(rest) > 0 && rest[0] == "population" {
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append([]string{"population"}, fs.Args()...)
	}
	if po.generate > 0 && len(rest) <= 1 {
		return importPopulation(ctx, cfg, *dataDir, "", po, stdout, stderr)
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
	if len(rest) != 2 || (rest[0] != "population" && rest[0] != "foreigners") || (po.generate > 0 && rest[0] == "population") {
		return errors.New(importUsage)
	}
	if rest[0] == "population" {
		return importPopulation(ctx, cfg, *dataDir, rest[1], po, stdout, stderr)
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

	pool, rec, done, err := openTool(ctx, &cfg, *dataDir, logger)
	if err != nil {
		return err
	}
	defer done()
	rep, err := population.ImportForeigners(ctx, population.Target{Pool: pool, Audit: rec, Logger: logger}, f, format)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d foreign residents\n", rep.Residents)
	return nil
}

// popOptions are the flags of `dinhdanh import population`.
type popOptions struct {
	batch, resumeAt, generate int
	seed                      uint64
	documents                 bool
}

// importPopulation loads a population file (name), or po.generate
// generated citizens, batch by batch: progress on stderr, a summary with
// the rate and the peak memory on stdout, and on a refused batch the lines
// to fix and the line to resume at.
func importPopulation(ctx context.Context, cfg config.Config, dataDir, name string, po popOptions, stdout, stderr io.Writer) error {
	var in *countingReader
	var format population.Format
	var total int64
	if name != "" {
		var err error
		if format, err = population.FormatOf(name); err != nil {
			return err
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		in = &countingReader{r: f}
	} else if po.generate > population.MaxGenerated {
		return fmt.Errorf("import population -generate %d: at most %d", po.generate, population.MaxGenerated)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, rec, done, err := openTool(ctx, &cfg, dataDir, logger)
	if err != nil {
		return err
	}
	defer done()
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
	dst := population.Target{Pool: pool, Accounts: acc, Audit: rec, Logger: logger}

	var prog func(n, at int64, elapsed time.Duration, end bool)
	if name != "" {
		prog = newProgress(stderr, "import population", "rows", "of the file", total)
	} else {
		// A resumed run's share and time left count from where it resumed.
		skipped := int64(max(po.resumeAt-1, 0))
		total = int64(po.generate) - skipped
		prog = newProgress(stderr, "import population", "rows", fmt.Sprintf("of %d citizens", total), total)
	}
	start := time.Now()
	var rows, at int64
	opts := population.BatchOptions{Lines: po.batch, ResumeAt: po.resumeAt, Progress: func(p population.BatchProgress) {
		rows = int64(p.Rows)
		if in != nil {
			at = in.n.Load()
		} else {
			at = int64(p.Line - max(po.resumeAt-1, 0))
		}
		prog(rows, at, time.Since(start), false)
	}}
	var rep population.Report
	if name != "" {
		rep, err = population.ImportBatches(ctx, dst, in, format, opts)
	} else {
		rep, err = population.ImportGenerated(ctx, dst, po.generate, po.seed, population.GenerateOptions{Documents: po.documents}, opts)
	}
	took := time.Since(start)
	if rows > 0 {
		prog(rows, at, took, true)
	}
	all := rep.People + rep.Documents + rep.Accounts + rep.AccountsSkipped
	rate := 0.0
	if took > 0 {
		rate = float64(all) / took.Seconds()
	}
	fmt.Fprintf(stdout, "imported %d people, %d documents, %d accounts (%d already there) in %s: %.0f rows/s, %.0f people/s; peak memory %d MB\n",
		rep.People, rep.Documents, rep.Accounts, rep.AccountsSkipped, took.Round(time.Millisecond), rate,
		float64(rep.People)/max(took.Seconds(), 1e-9), peakRSS()>>20)
	return err
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
