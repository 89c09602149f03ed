package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/guardianship"
)

const guardianshipUsage = `usage: dinhdanh guardianship add|end|list|sweep [flags]

  guardianship add -ward PID -guardian PID -number N -starts YYYY-MM-DD [-ends YYYY-MM-DD] -unit UNIT [-officer ID]
                                 enter a guardianship record (a decision recognising a
                                 guardianship): the guardian, with a level 2 account,
                                 can then register the ward under it
  guardianship end RECORD_ID -on YYYY-MM-DD -unit UNIT [-officer ID]
                                 set the record's end: the guardian's authority ends then
  guardianship list [-ward PID] [-json]
                                 the latest records, or every record of one ward
  guardianship sweep             record the ends due now (14th birthdays, records' ends)
                                 in both histories; serving replicas do it every 10 minutes

Dates are days in Vietnam time. -officer is the staff member who entered the record
(default -actor); changes are audited as theirs.`

// cmdGuardianship manages guardianship records from the command line.
func cmdGuardianship(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(guardianshipUsage)
	}
	sub := args[0]
	if sub != "add" && sub != "end" && sub != "list" && sub != "sweep" {
		return fmt.Errorf("unknown guardianship command %q\n%s", sub, guardianshipUsage)
	}
	id, rest := leadingArg(args[1:])
	fs := flag.NewFlagSet("guardianship "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	ward := fs.String("ward", "", "the ward's personal id number (add; list)")
	guardian := fs.String("guardian", "", "the guardian's personal id number (add)")
	number := fs.String("number", "", "the decision's number (add)")
	starts := fs.String("starts", "", "first day in force, YYYY-MM-DD (add)")
	ends := fs.String("ends", "", "last day is the day before, YYYY-MM-DD (add; optional)")
	on := fs.String("on", "", "the day the record ends, YYYY-MM-DD (end)")
	unit := fs.String("unit", "", "the officer's unit, code and name (add, end)")
	officer := fs.String("officer", "", "the staff member who entered it (default -actor)")
	cfg, pos, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	if sub == "end" {
		if id, err = oneID(id, pos, true, "RECORD_ID", "guardianship end"); err != nil {
			return err
		}
	} else if _, err := oneID(id, pos, false, "", "guardianship "+sub); err != nil {
		return err
	}
	actor, err := tf.needActor(sub == "add" || sub == "end")
	if err != nil {
		return err
	}
	by := guardianship.Officer{ID: strings.TrimSpace(*officer), Unit: strings.TrimSpace(*unit), Session: "cli:" + actor}
	if by.ID == "" {
		by.ID = actor
	}
	if (sub == "add" || sub == "end") && by.Unit == "" {
		return fmt.Errorf("guardianship %s: -unit is required", sub)
	}
	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()
	svc, err := ops.Guardianship(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		in := guardianship.RecordInput{WardID: *ward, GuardianID: *guardian, Number: *number}
		if in.Starts, err = parseDay(*starts, "-starts"); err != nil {
			return err
		}
		if *ends != "" {
			e, err := parseDay(*ends, "-ends")
			if err != nil {
				return err
			}
			in.Ends = &e
		}
		r, err := svc.EnterRecord(ctx, in, by)
		if err != nil {
			return fmt.Errorf("guardianship add: %w", err)
		}
		if *tf.json {
			return writeJSON(stdout, recordJSON(r))
		}
		fmt.Fprintf(stdout, "guardianship record %s: %s is the guardian of %s from %s\n", r.ID, r.GuardianID, r.WardID, day(r.Starts))
		return nil
	case "end":
		at, err := parseDay(*on, "-on")
		if err != nil {
			return err
		}
		r, err := svc.EndRecord(ctx, id, at, by)
		if errors.Is(err, guardianship.ErrNotFound) {
			return fmt.Errorf("guardianship end: no record %q", id)
		}
		if err != nil {
			return fmt.Errorf("guardianship end: %w", err)
		}
		fmt.Fprintf(stdout, "guardianship record %s ends on %s\n", r.ID, day(*r.Ends))
		return nil
	case "sweep":
		n, err := svc.Sweep(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d end(s) recorded\n", n)
		return nil
	}
	var recs []guardianship.Record
	if *ward != "" {
		recs, err = svc.RecordsFor(ctx, *ward)
	} else {
		recs, err = svc.Records(ctx, 100)
	}
	if err != nil {
		return err
	}
	if *tf.json {
		out := make([]recordView, len(recs))
		for i, r := range recs {
			out[i] = recordJSON(r)
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWARD\tGUARDIAN\tNUMBER\tSTARTS\tENDS\tOFFICER")
	for _, r := range recs {
		end := "-"
		if r.Ends != nil {
			end = day(*r.Ends)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s (%s)\n", r.ID, r.WardID, r.GuardianID, r.Number, day(r.Starts), end, r.OfficerID, r.Unit)
	}
	return tw.Flush()
}

// vietnam is UTC+7, where the days of the command line are.
var vietnam = time.FixedZone("ICT", 7*3600)

func parseDay(s, flag string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), vietnam)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: a day as YYYY-MM-DD is required", flag)
	}
	return t, nil
}

func day(t time.Time) string { return t.In(vietnam).Format(time.DateOnly) }

type recordView struct {
	ID         string     `json:"id"`
	WardID     string     `json:"ward_id"`
	GuardianID string     `json:"guardian_id"`
	Number     string     `json:"number"`
	Starts     time.Time  `json:"starts"`
	Ends       *time.Time `json:"ends,omitempty"`
	OfficerID  string     `json:"officer_id"`
	Unit       string     `json:"unit"`
	CreatedAt  time.Time  `json:"created_at"`
}

func recordJSON(r guardianship.Record) recordView {
	return recordView{ID: r.ID, WardID: r.WardID, GuardianID: r.GuardianID, Number: r.Number, Starts: r.Starts, Ends: r.Ends,
		OfficerID: r.OfficerID, Unit: r.Unit, CreatedAt: r.CreatedAt}
}
