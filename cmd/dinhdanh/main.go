// Command dinhdanh is the gateway: one binary with subcommands.
//
//	dinhdanh dev                       own PostgreSQL under ./.data, demo data, serve on :8080
//	dinhdanh serve   -config FILE      serve (refuses an outdated schema)
//	dinhdanh migrate -config FILE up|status
//	dinhdanh import  population FILE   load the population registry (CSV or JSON lines)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dinhdanh/dinhdanh/config"
)

const usage = `dinhdanh: national electronic identity gateway (OpenID Connect)

Usage:
  dinhdanh dev     [-config FILE] [-data DIR]   run with its own PostgreSQL and demo data
  dinhdanh serve   -config FILE                 run the gateway
  dinhdanh migrate -config FILE up|status       apply or list database migrations
  dinhdanh import  -config FILE population FILE load population records (CSV or JSON lines)

Secrets and database URLs come from the environment; see config/example.yaml.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dinhdanh:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return cmdDev(ctx, rest, stdout, stderr)
	case "serve":
		return cmdServe(ctx, rest, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout)
	case "import":
		return cmdImport(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// loadConfig parses -config and the environment and validates.
func loadConfig(fs *flag.FlagSet, args []string, needs config.Needs) (config.Config, []string, error) {
	path := fs.String("config", "", "YAML configuration file (see config/example.yaml)")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	if err := cfg.Validate(needs); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
