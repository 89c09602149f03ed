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
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

const auditUsage = `usage: dinhdanh audit verify|export-checkpoints|retain|public-key [flags]

  audit verify [-from SEQ] [-to SEQ] [-checkpoints FILE] [-public-keys FILE]
        recompute the hash chain, check the signed checkpoints (stored and, with
        -checkpoints, those exported or published to a witness) and the sealed
        head; exits 1 naming the first bad event and listing every problem
  audit export-checkpoints [-from SEQ] [-to SEQ] [-o FILE]
        signed checkpoints as JSON lines, for a third party to keep
  audit retain [-months-ahead N] [-public-keys FILE]
        create the coming monthly partitions and drop those past the retention
        (audit.retention_years, at least 5; owner role: DATABASE_MIGRATE_URL);
        run it daily (deploy/k8s/migrate-job.yaml has the CronJob)
  audit public-key
        the audit key's public half (PEM), for third parties who verify`

// auditMaintenanceMonths is how many monthly partitions ahead are kept.
const auditMaintenanceMonths = 3

// cmdAudit runs the usage-history commands.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(auditUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", ".data", "without DATABASE_URL: the folder of 'dinhdanh dev' whose database to use")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	var from, to int64
	var pubKeys listFlag
	var cpFile, outFile string
	months := auditMaintenanceMonths
	switch sub {
	case "verify", "export-checkpoints":
		fs.Int64Var(&from, "from", 0, "first sequence number (0: from the start of the retained history)")
		fs.Int64Var(&to, "to", 0, "last sequence number (0: to the end)")
	}
	switch sub {
	case "verify":
		fs.StringVar(&cpFile, "checkpoints", "", "checkpoints exported earlier (JSON lines) to check the chain against too")
		fs.Var(&pubKeys, "public-keys", "PEM file of retired audit public keys to accept too (repeatable)")
	case "export-checkpoints":
		fs.StringVar(&outFile, "o", "", "write to FILE instead of standard output")
	case "retain":
		fs.IntVar(&months, "months-ahead", auditMaintenanceMonths, "monthly partitions to create ahead of the current one")
		fs.Var(&pubKeys, "public-keys", "PEM file of retired audit public keys to accept too (repeatable)")
	case "public-key":
	default:
		return fmt.Errorf("unknown audit command %q\n%s", sub, auditUsage)
	}
	cfg, rest, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("audit %s: unexpected arguments %q", sub, rest)
	}
	if from < 0 || to < 0 || (to > 0 && to < from) {
		return fmt.Errorf("audit %s: -from %d -to %d is not a range", sub, from, to)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	switch sub {
	case "public-key":
		if len(cfg.Secrets.AuditKey) == 0 && cfg.DB.URL == "" {
			if err := devSecrets(filepath.Join(*dataDir, "dev-secrets.json"), &cfg.Secrets); err != nil {
				return err
			}
		}
		key, err := auditKey(cfg)
		if err != nil {
			return err
		}
		b, err := key.Public().MarshalPEM()
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, map[string]string{"key_id": key.ID(), "pem": string(b)})
		}
		fmt.Fprintf(stderr, "audit key id %s\n", key.ID())
		_, err = stdout.Write(b)
		return err

	case "retain":
		owner, done, err := openOwnerForTool(ctx, &cfg, *dataDir, logger)
		if err != nil {
			return err
		}
		defer done()
		m, err := newMaintainer(cfg, owner, pubKeys)
		if err != nil {
			return err
		}
		rep, err := maintainAudit(ctx, owner, m, time.Now(), months)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, rep)
		}
		printRetention(stdout, rep)
		return nil
	}

	pool, done, err := openForTool(ctx, &cfg, *dataDir, logger)
	if err != nil {
		return err
	}
	defer done()
	store := auditpg.NewStore(pool, nil)

	if sub == "export-checkpoints" {
		cps, err := store.ExportCheckpoints(ctx, from, to)
		if err != nil {
			return err
		}
		if outFile == "" {
			return audit.WriteCheckpoints(stdout, cps)
		}
		f, err := os.Create(outFile)
		if err != nil {
			return err
		}
		if err := audit.WriteCheckpoints(f, cps); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if len(cps) == 0 {
			fmt.Fprintf(stdout, "no checkpoints in that range; wrote an empty %s\n", outFile)
		} else {
			fmt.Fprintf(stdout, "wrote %d checkpoints (events up to %d) to %s\n", len(cps), cps[len(cps)-1].Seq, outFile)
		}
		return nil
	}

	// verify
	keys, err := auditKeySet(cfg, pubKeys)
	if err != nil {
		return err
	}
	opts := audit.VerifyOptions{Keys: keys, From: from, To: to}
	if cpFile != "" {
		f, err := os.Open(cpFile)
		if err != nil {
			return err
		}
		opts.External, err = audit.ReadCheckpoints(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("-checkpoints %s: %w", cpFile, err)
		}
	}
	rep, err := audit.Verify(ctx, store, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(stdout, verifyJSON(rep, len(opts.External))); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, rep.String())
		if cpFile != "" {
			fmt.Fprintf(stdout, "checked against %d checkpoints from %s\n", len(opts.External), cpFile)
		}
		if sl := rep.Sealed; sl != nil {
			fmt.Fprintf(stdout, "sealed head: event %d, sealed at %s\n", sl.Seq, sl.SealedAt.Format(time.RFC3339))
		}
		if p := rep.Problem; p != nil && p.Entry != nil {
			fmt.Fprintf(stdout, "first bad event as stored:\n  %s\n", describeEntry(*p.Entry))
		}
		for _, p := range rep.Problems[min(1, len(rep.Problems)):] {
			if p.Entry != nil {
				fmt.Fprintf(stdout, "bad event %d (%s) as stored:\n  %s\n", p.Seq, p.Kind, describeEntry(*p.Entry))
			}
		}
	}
	if p := rep.Problem; p != nil {
		return fmt.Errorf("audit chain broken: first bad event %d (%s); %d problem(s) in all", p.Seq, p.Kind, len(rep.Problems))
	}
	return nil
}

// auditKeySet is the current audit key's public half and the retired ones
// in files.
func auditKeySet(cfg config.Config, files []string) (audit.KeySet, error) {
	key, err := auditKey(cfg)
	if err != nil {
		return nil, err
	}
	ks := audit.NewKeySet(key.Public())
	if len(files) > 0 {
		more, err := audit.LoadPublicKeys(files...)
		if err != nil {
			return nil, err
		}
		for id, k := range more {
			ks[id] = k
		}
	}
	return ks, nil
}

func newMaintainer(cfg config.Config, owner *pgxpool.Pool, pubKeyFiles []string) (*auditpg.Maintainer, error) {
	key, err := auditKey(cfg)
	if err != nil {
		return nil, err
	}
	ks, err := auditKeySet(cfg, pubKeyFiles)
	if err != nil {
		return nil, err
	}
	m := auditpg.NewMaintainer(owner, key, ks)
	m.Years = cfg.Audit.RetentionYears
	return m, nil
}

// retentionRun is what one maintenance run did.
type retentionRun struct {
	Partitions []string  `json:"partitions"`
	Cutoff     time.Time `json:"cutoff"`
	Dropped    []string  `json:"dropped"`
	AnchorSeq  *int64    `json:"anchor_seq,omitempty"`
	EventSeq   *int64    `json:"event_seq,omitempty"`
}

// maintainAudit creates the partitions of the coming months and applies
// retention, under an advisory lock so that replicas starting together do
// not race to drop the same partitions.
func maintainAudit(ctx context.Context, owner *pgxpool.Pool, m *auditpg.Maintainer, now time.Time, monthsAhead int) (retentionRun, error) {
	var run retentionRun
	conn, err := owner.Acquire(ctx)
	if err != nil {
		return run, fmt.Errorf("audit maintenance: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext('dinhdanh_audit_retention'))").Scan(&locked); err != nil {
		return run, fmt.Errorf("audit maintenance: %w", err)
	}
	if !locked {
		return run, errors.New("audit maintenance: another retention run holds the lock; try again later")
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('dinhdanh_audit_retention'))")
	}()
	if run.Partitions, err = m.EnsurePartitions(ctx, now, monthsAhead); err != nil {
		return run, err
	}
	rep, err := m.Retain(ctx, now)
	run.Cutoff, run.Dropped = rep.Cutoff, rep.Dropped
	if run.Dropped == nil {
		run.Dropped = []string{}
	}
	if rep.Anchor != nil {
		run.AnchorSeq = &rep.Anchor.Seq
	}
	if rep.Event != nil {
		run.EventSeq = &rep.Event.Seq
	}
	return run, err
}

func printRetention(w io.Writer, r retentionRun) {
	fmt.Fprintf(w, "partitions present: %s\n", strings.Join(r.Partitions, ", "))
	fmt.Fprintf(w, "retention cutoff: %s (events older than 5 years)\n", r.Cutoff.Format(time.RFC3339))
	if len(r.Dropped) == 0 {
		fmt.Fprintln(w, "nothing to drop")
		return
	}
	fmt.Fprintf(w, "dropped %d partitions: %s\n", len(r.Dropped), strings.Join(r.Dropped, ", "))
	if r.AnchorSeq != nil {
		fmt.Fprintf(w, "signed retention anchor at event %d: the chain verifies on from there\n", *r.AnchorSeq)
	} else {
		fmt.Fprintln(w, "the dropped partitions held no events")
	}
	if r.EventSeq != nil {
		fmt.Fprintf(w, "recorded as event %d (%s)\n", *r.EventSeq, audit.RetentionApplied)
	}
}

// startAuditMaintenance runs audit maintenance (partitions ahead, retention)
// now and then daily, as the owner role, until ctx ends or stop is called.
// serve and dev run it; `dinhdanh audit retain` does one run by hand.
func startAuditMaintenance(ctx context.Context, cfg config.Config, ownerURL string, logger *slog.Logger) (stop func(), err error) {
	owner, err := pg.Open(ctx, ownerURL, 3)
	if err != nil {
		return nil, fmt.Errorf("audit maintenance: owner role (DATABASE_MIGRATE_URL): %w", err)
	}
	m, err := newMaintainer(cfg, owner, nil)
	if err != nil {
		owner.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(24 * time.Hour)
		defer t.Stop()
		for {
			r, err := maintainAudit(ctx, owner, m, time.Now(), auditMaintenanceMonths)
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, audit.ErrChainBroken):
				logger.ErrorContext(ctx, "audit retention refused: the chain does not verify; run `dinhdanh audit verify`", "error", err)
			case err != nil:
				logger.WarnContext(ctx, "audit maintenance failed", "error", err)
			case len(r.Dropped) > 0:
				logger.InfoContext(ctx, "audit retention applied", "dropped", r.Dropped, "cutoff", r.Cutoff)
			default:
				logger.DebugContext(ctx, "audit partitions present", "partitions", r.Partitions)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done; owner.Close() }, nil
}

// openOwnerForTool connects as the schema owner: DATABASE_MIGRATE_URL when
// set, otherwise the `dinhdanh dev` cluster under dataDir with the dev
// secrets.
func openOwnerForTool(ctx context.Context, cfg *config.Config, dataDir string, logger *slog.Logger) (*pgxpool.Pool, func(), error) {
	if cfg.DB.MigrateURL != "" {
		pool, err := pg.Open(ctx, cfg.DB.MigrateURL, 3)
		if err != nil {
			return nil, nil, err
		}
		return pool, pool.Close, nil
	}
	if cfg.DB.URL != "" {
		return nil, nil, errors.New("DATABASE_MIGRATE_URL is required: audit maintenance creates and drops partitions as the schema owner role (dinhdanh_owner)")
	}
	return openDevPool(ctx, cfg, dataDir, logger, pg.OwnerRole, "DATABASE_MIGRATE_URL")
}

// verifyJSON is the machine-readable verification report.
func verifyJSON(r audit.Report, external int) any {
	type problem struct {
		Kind    audit.ProblemKind `json:"kind"`
		Seq     int64             `json:"seq"`
		Message string            `json:"message"`
		Event   *audit.Entry      `json:"event,omitempty"`
	}
	out := struct {
		OK                  bool      `json:"ok"`
		Summary             string    `json:"summary"`
		StartedFrom         string    `json:"started_from"`
		StartSeq            int64     `json:"start_seq"`
		From                int64     `json:"from"`
		To                  int64     `json:"to"`
		Events              int64     `json:"events"`
		Checkpoints         int       `json:"checkpoints_matched"`
		ExternalCheckpoints int       `json:"external_checkpoints"`
		HeadSeq             int64     `json:"head_seq"`
		SealedSeq           *int64    `json:"sealed_seq,omitempty"`
		Problem             *problem  `json:"problem,omitempty"`
		Problems            []problem `json:"problems,omitempty"`
	}{
		OK: r.OK(), Summary: r.String(), StartedFrom: r.StartedFrom, StartSeq: r.Start.Seq,
		From: r.From, To: r.To, Events: r.Events, Checkpoints: r.Checkpoints,
		ExternalCheckpoints: external, HeadSeq: r.Head.Seq,
	}
	if p := r.Problem; p != nil {
		out.Problem = &problem{Kind: p.Kind, Seq: p.Seq, Message: p.Message, Event: p.Entry}
	}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, problem{Kind: p.Kind, Seq: p.Seq, Message: p.Message, Event: p.Entry})
	}
	if r.Sealed != nil {
		out.SealedSeq = &r.Sealed.Seq
	}
	return out
}

// describeEntry is one stored event for an operator: who did what to whom.
func describeEntry(e audit.Entry) string {
	parts := []string{fmt.Sprintf("#%d %s at %s", e.Seq, e.Type, e.Time.UTC().Format(time.RFC3339))}
	if e.ActorKind != "" || e.ActorID != "" {
		parts = append(parts, fmt.Sprintf("by %s %s", e.ActorKind, e.ActorID))
	}
	if e.AccountID != "" {
		parts = append(parts, "account "+e.AccountID)
	}
	if e.ClientID != "" {
		parts = append(parts, "client "+e.ClientID)
	}
	if e.RequestID != "" {
		parts = append(parts, "request "+e.RequestID)
	}
	parts = append(parts, "logged "+e.LoggedAt.UTC().Format(time.RFC3339Nano))
	return strings.Join(parts, ", ")
}
