package reconcile

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// WriteFiguresCSV writes the report per province and kind of finding: the
// CSV of `dinhdanh reconcile report` and of the operators' page.
func WriteFiguresCSV(w io.Writer, figs []Figure) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"province", "kind", "count"})
	for _, f := range figs {
		_ = cw.Write([]string{f.Province, string(f.Kind), strconv.FormatInt(f.Count, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// writeFindingsCSV streams every finding of run from store as CSV (the
// CSV of `dinhdanh reconcile findings` and of the operators' page), calling
// start with the number of findings before writing anything.
func writeFindingsCSV(ctx context.Context, w io.Writer, store Store, runID int64, start func(rows int64) error) error {
	var cw *csv.Writer
	err := store.Findings(ctx, runID, func(n int64) error {
		if err := start(n); err != nil {
			return err
		}
		cw = csv.NewWriter(w)
		return cw.Write([]string{"run", "vehicle", "kind", "reason", "province", "owner_id_before", "owner_id_after", "undone_at"})
	}, func(f Finding) error {
		undone := ""
		if !f.UndoneAt.IsZero() {
			undone = f.UndoneAt.Format(time.RFC3339)
		}
		return cw.Write([]string{strconv.FormatInt(f.RunID, 10), f.Number, string(f.Kind), f.Reason, f.Province, f.Before, f.After, undone})
	})
	if cw == nil {
		return err
	}
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}
