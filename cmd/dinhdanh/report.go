package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/config"
)

const reportUsage = `usage: dinhdanh report activation [-by province|district|month] [-json]

  report activation   accounts registered, activated, issued (activated and
                      signed in at least once), level 1, level 2 and locked
                      per province of residence (-by district: with each
                      province's named districts), in Vietnamese order, with
                      the activation rate; -by month: registered, activated
                      and issued in each month (Vietnam's time). The staff
                      console's figures page counts them the same way.`

// cmdReport prints operators' figures. Reports are aggregates: they name no
// citizen and are not audited as uses of anyone's account.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "activation" {
		return errors.New(reportUsage)
	}
	fs := flag.NewFlagSet("report activation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	by := fs.String("by", "province", "province, district or month")
	cfg, _, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	if *by != "province" && *by != "district" && *by != "month" {
		return errors.New(reportUsage)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, cleanup, err := openForTool(ctx, &cfg, *tf.data, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	var reports accounts.Reports = accountspg.NewStore(pool)
	if *by == "month" {
		months, err := reports.ActivationByMonth(ctx, time.Now())
		if err != nil {
			return err
		}
		return printMonths(stdout, months, *tf.json)
	}
	var figs []accounts.LocalityFigures
	if *by == "district" {
		figs, err = reports.ActivationByDistrict(ctx)
	} else {
		figs, err = reports.ActivationByProvince(ctx)
	}
	if err != nil {
		return err
	}
	accounts.SortLocalities(figs)
	var total accounts.LocalityFigures
	for _, f := range figs {
		if f.District == "" {
			total.Add(f)
		}
	}
	total.Province = "TOTAL"
	if *tf.json {
		type row struct {
			accounts.LocalityFigures
			Rate      float64 `json:"activation_rate_percent"`
			IssueRate float64 `json:"issue_rate_percent"`
		}
		out := make([]row, 0, len(figs)+1)
		for _, f := range append(figs, total) {
			out = append(out, row{f, f.ActivationRate(), f.IssueRate()})
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "province\tregistered\tactivated\trate\tissued\tlevel 1\tlevel 2\tlocked\t")
	for _, f := range append(figs, total) {
		name := f.Province
		switch {
		case f.District != "":
			name = "  " + f.District
		case name == "":
			name = "(no residence)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%d\t%d\t%d\t\n", name, f.Registered, f.Activated, f.ActivationRate(),
			f.Issued, f.Level1, f.Level2, f.Locked)
	}
	return tw.Flush()
}

// printMonths prints the figures per month (YYYY-MM), with a total.
func printMonths(w io.Writer, months []accounts.MonthFigures, asJSON bool) error {
	type row struct {
		Month      string `json:"month"`
		Registered int64  `json:"registered"`
		Activated  int64  `json:"activated"`
		Issued     int64  `json:"issued"`
	}
	out := make([]row, 0, len(months)+1)
	total := row{Month: "TOTAL"}
	for _, m := range months {
		out = append(out, row{m.Month.Format("2006-01"), m.Registered, m.Activated, m.Issued})
		total.Registered += m.Registered
		total.Activated += m.Activated
		total.Issued += m.Issued
	}
	out = append(out, total)
	if asJSON {
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "month\tregistered\tactivated\tissued\t")
	for _, r := range out {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", r.Month, r.Registered, r.Activated, r.Issued)
	}
	return tw.Flush()
}
