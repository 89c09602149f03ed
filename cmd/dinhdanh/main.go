// Command dinhdanh is the gateway: one binary with subcommands.
//
//	dinhdanh dev                       own PostgreSQL under ./.data, demo data, serve on :8080
//	dinhdanh serve   -config FILE      serve (refuses an outdated schema)
//	dinhdanh migrate -config FILE up|status
//	dinhdanh import  population FILE   load the population registry (CSV or JSON lines)
//	dinhdanh import  foreigners FILE   load the foreigners' registry (CSV or JSON lines)
//	dinhdanh import  documents KIND FILE  apply a document registry's update feed
//	dinhdanh registry credential KIND  create a registry's push credential
//	dinhdanh registry credentials|revoke ID  list or revoke registries' push credentials
//	dinhdanh client  create|list|show|update|enable|disable|rotate-secret
//	dinhdanh policy  show|allow|refuse KIND SCOPE
//	dinhdanh keys    rotate|list
//	dinhdanh audit   verify|export-checkpoints|retain|public-key
//	dinhdanh account lock|unlock|show PERSONAL_ID
//	dinhdanh officer issue|revoke|list
//	dinhdanh staff   bootstrap|list
//	dinhdanh version
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
  dinhdanh import  -config FILE population FILE load population records (CSV or JSON lines), batch by batch
                   [-batch N] [-resume-at LINE]
  dinhdanh import  population -generate N       load N generated citizens (load tests; -seed S, -documents=false)
  dinhdanh import  -config FILE foreigners FILE load the foreigners' registry (CSV or JSON lines)
  dinhdanh import  documents KIND FILE          apply a document registry's update feed (CSV or JSON lines)
  dinhdanh registry credential KIND             create a registry's push credential (prints its secret once)
  dinhdanh registry credentials [-json]         list the push credentials (never a secret)
  dinhdanh registry revoke ID                   revoke a push credential (refused from the next push)

Operator commands (DATABASE_URL, or the dev database under ./.data):
  dinhdanh client create -name-vi NAME -redirect-uri URI [flags]
                                                register a relying party; prints its secret once
  dinhdanh client list|show ID|update ID [flags]|enable ID|disable ID|rotate-secret ID
  dinhdanh policy show|allow KIND SCOPE|refuse KIND SCOPE
                                                which relying-party kinds may have which documents
  dinhdanh keys rotate|list                     ID token signing keys
  dinhdanh audit verify [-from SEQ] [-to SEQ] [-checkpoints FILE]
                                                check the usage history's hash chain
  dinhdanh audit export-checkpoints [-o FILE]   signed checkpoints for third parties
  dinhdanh audit retain                         partitions ahead, drop events past audit.retention_years (≥ 5)
                                                (DATABASE_MIGRATE_URL; a daily job, never serve)
  dinhdanh audit public-key                     the audit key's public half (PEM)
  dinhdanh account lock PERSONAL_ID -reason TEXT | unlock PERSONAL_ID | show PERSONAL_ID
  dinhdanh officer issue OFFICER_ID -unit UNIT | revoke ID | list
                                                officers' own API credentials (history lookups)
  dinhdanh staff bootstrap -username U -name NAME -unit CODE[:NAME[:LEVEL]]
                                                the first operator (only while no staff member exists)
  dinhdanh staff list                           staff members (more are created in the console at /staff)
  dinhdanh guardianship add|end|list|sweep     guardianship records officers enter (wards
                                                registered under a guardian's account)
  dinhdanh report activation [-by district|month] registered, activated, issued accounts per province
  dinhdanh reconcile vehicles|report|findings|undo RUN
                                                vehicle registry owners vs the population registry
  dinhdanh share verify -jwks FILE|URL TEXT     check a QR credential offline, as a verifier would
  dinhdanh version                              the build's version
Every command takes -h for its flags.
Changes are audited with -actor NAME (default $USER); most commands take -json.

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
	if len(rest) > 0 && isHelp(rest[0]) && cmd != "dev" && cmd != "serve" && cmd != "migrate" {
		// "dinhdanh client -h": the verbs of a command are in the usage.
		fmt.Fprint(stdout, usage)
		return nil
	}
	err := dispatch(ctx, cmd, rest, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the flag set printed its flags; asking for help is no failure
	}
	return err
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func dispatch(ctx context.Context, cmd string, rest []string, stdout, stderr io.Writer) error {
	switch cmd {
	case "dev":
		return cmdDev(ctx, rest, stdout, stderr)
	case "serve":
		return cmdServe(ctx, rest, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr)
	case "client":
		return cmdClient(ctx, rest, stdout, stderr)
	case "policy":
		return cmdPolicy(ctx, rest, stdout, stderr)
	case "keys":
		return cmdKeys(ctx, rest, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, rest, stdout, stderr)
	case "account":
		return cmdAccount(ctx, rest, stdout, stderr)
	case "report":
		return cmdReport(ctx, rest, stdout, stderr)
	case "registry":
		return cmdRegistry(ctx, rest, stdout, stderr)
	case "reconcile":
		return cmdReconcile(ctx, rest, stdout, stderr)
	case "share":
		return cmdShare(ctx, rest, stdout, stderr)
	case "officer":
		return cmdOfficer(ctx, rest, stdout, stderr)
	case "staff":
		return cmdStaff(ctx, rest, stdout, stderr)
	case "guardianship":
		return cmdGuardianship(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
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
