package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/reconcile"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
)

const reconcileUsage = `usage:
  dinhdanh reconcile vehicles [-batch N] [-csv FILE]
        compare every vehicle record's owner with the population registry;
        prints the run id, progress on stderr and the report per province
        and kind of finding (also written as CSV to FILE)
  dinhdanh reconcile report [-run ID]     the report of a run (default the latest) as CSV
  dinhdanh reconcile findings [-run ID]   every finding of a run as CSV (audited with -actor)
  dinhdanh reconcile undo RUN [-vehicle NUMBER]
        restore the owner ID numbers the run completed (all, or one vehicle's)`

// cmdReconcile runs the vehicle-registry reconciliation and its reports.
func cmdReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(reconcileUsage)
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("reconcile "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	batch := fs.Int("batch", 20000, "vehicle records per batch (one transaction each)")
	csvFile := fs.String("csv", "", "also write the report per province and kind to this CSV file")
	runFlag := fs.Int64("run", 0, "run id (default the latest run)")
	vehicle := fs.String("vehicle", "", "undo only this vehicle's completion")
	var runArg string
	if verb == "undo" {
		runArg, args = leadingArg(args)
	}
	cfg, rest, err := loadConfig(fs, args, config.Needs{})
	if err != nil {
		return err
	}
	switch verb {
	case "vehicles", "report", "findings":
		if len(rest) > 0 {
			return fmt.Errorf("reconcile %s: unexpected arguments %q", verb, rest)
		}
	case "undo":
		if runArg, err = oneID(runArg, rest, true, "RUN", "reconcile undo"); err != nil {
			return err
		}
	default:
		return errors.New(reconcileUsage)
	}
	// findings: every export of owners' ID numbers is audited with its actor.
	actor, err := tf.needActor(verb != "report")
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, cleanup, err := openForTool(ctx, &cfg, *tf.data, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := pg.CheckCurrent(ctx, pool, schema.Sources()...); err != nil {
		return err
	}
	store := reconcilepg.NewStore(pool, nil)
	runID := *runFlag
	if runID == 0 && (verb == "report" || verb == "findings") {
		latest, err := store.LatestRun(ctx)
		if err != nil {
			return err
		}
		runID = latest.ID
	}
	switch verb {
	case "report":
		figs, err := store.Figures(ctx, runID)
		if err != nil {
			return err
		}
		return reconcile.WriteFiguresCSV(stdout, figs)
	}

	rec, closeAudit, err := openAudit(ctx, cfg, pool, logger)
	if err != nil {
		return err
	}
	defer closeAudit()
	svc, err := reconcile.New(reconcile.Config{Store: store, Audit: rec, Batch: *batch})
	if err != nil {
		return err
	}
	if verb == "findings" {
		return svc.WriteFindingsCSV(ctx, stdout, runID, actor)
	}
	if verb == "undo" {
		id, err := strconv.ParseInt(runArg, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("reconcile undo: RUN must be a run id, not %q", runArg)
		}
		n, err := svc.Undo(ctx, id, *vehicle, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "run %d: %d owner ID number(s) restored\n", id, n)
		return nil
	}

	// vehicles
	progress := newProgressPrinter(stderr)
	start := time.Now()
	run, err := svc.Reconcile(ctx, actor, progress)
	took := time.Since(start)
	if err != nil {
		return err
	}
	figs, err := store.Figures(ctx, run.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run %d: %d vehicle records in %s (%.0f records/s)\n", run.ID, run.Records, took.Round(time.Millisecond),
		float64(run.Records)/took.Seconds())
	totals := reconcile.Totals(figs)
	for _, k := range reconcile.Kinds {
		fmt.Fprintf(stdout, "  %-10s %d\n", k, totals[k])
	}
	if *csvFile != "" {
		f, err := os.Create(*csvFile)
		if err != nil {
			return err
		}
		if err := reconcile.WriteFiguresCSV(f, figs); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}

// newProgressPrinter reports progress on w: one line rewritten in place on
// a terminal, plain log lines at most every 5 seconds otherwise.
func newProgressPrinter(w io.Writer) func(reconcile.Progress) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var last time.Time
	return func(p reconcile.Progress) {
		end := p.Done >= p.Total
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", p)
			if end {
				fmt.Fprintln(w)
			}
			return
		}
		if end || time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(w, "%s reconcile: %s\n", time.Now().UTC().Format(time.RFC3339), p)
		}
	}
}
