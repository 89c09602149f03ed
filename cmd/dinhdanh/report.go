package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/config"
)

const reportUsage = `usage: dinhdanh report activation [-json]

  report activation   accounts registered vs activated (and level 2, locked) per
                      province of residence, with the activation rate`

// cmdReport prints operators' figures. Reports are aggregates: they name no
// citizen and are not audited as uses of anyone's account.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "activation" {
		return errors.New(reportUsage)
	}
	fs := flag.NewFlagSet("report activation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	cfg, _, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, cleanup, err := openForTool(ctx, &cfg, *tf.data, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	figs, err := accountspg.NewStore(pool).ActivationByProvince(ctx)
	if err != nil {
		return err
	}
	var total accounts.LocalityFigures
	for _, f := range figs {
		total.Registered += f.Registered
		total.Activated += f.Activated
		total.Level2 += f.Level2
		total.Locked += f.Locked
	}
	total.Province = "TOTAL"
	if *tf.json {
		type row struct {
			accounts.LocalityFigures
			Rate float64 `json:"activation_rate_percent"`
		}
		out := make([]row, 0, len(figs)+1)
		for _, f := range append(figs, total) {
			out = append(out, row{f, f.ActivationRate()})
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "province\tregistered\tactivated\trate\tlevel 2\tlocked\t")
	for _, f := range append(figs, total) {
		name := f.Province
		if name == "" {
			name = "(no residence)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%d\t\n", name, f.Registered, f.Activated, f.ActivationRate(), f.Level2, f.Locked)
	}
	return tw.Flush()
}
