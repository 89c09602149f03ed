package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/reconcile"
	"github.com/dinhdanh/dinhdanh/templates"
)

// The operators' pages of the vehicle-registry reconciliation (issue 14
// item 4): the page, run now, undo one vehicle, and the two CSVs of a run.
const (
	PathReconcile         = "/staff/reconcile"
	PathReconcileRun      = PathReconcile + "/run"
	PathReconcileUndo     = PathReconcile + "/undo"
	PathReconcileReport   = PathReconcile + "/report.csv"
	PathReconcileFindings = PathReconcile + "/findings.csv"
)

// reconcileRunsShown is how many recent runs the page lists.
const reconcileRunsShown = 20

// Reconciliation is the vehicle-registry reconciliation as the operators'
// page uses it: the same domain path as `dinhdanh reconcile` and the
// schedule (reconcile.Service), which audits runs and undos.
type Reconciliation interface {
	// StartBackground starts a run by actor; reconcile.ErrRunning while
	// another runs.
	StartBackground(ctx context.Context, actor string) (reconcile.Run, error)
	Runs(ctx context.Context, limit int) ([]reconcile.Run, error)
	GetRun(ctx context.Context, id int64) (reconcile.Run, error)
	Figures(ctx context.Context, runID int64) ([]reconcile.Figure, error)
	// WriteReportCSV writes the figures per province and kind (no
	// personal data).
	WriteReportCSV(ctx context.Context, w io.Writer, runID int64) error
	// WriteFindingsCSV writes every finding (vehicle numbers and owners'
	// ID numbers) for actor, audited before the first byte reaches w: an
	// error with nothing written when the audit log refuses the event.
	WriteFindingsCSV(ctx context.Context, w io.Writer, runID int64, actor string) error
	// Undo restores one vehicle's completed owner ID number (vehicle is
	// never "" here: that would undo the whole run).
	Undo(ctx context.Context, runID int64, vehicle, actor string) (int64, error)
}

// reconcileView is what a request adds to the page: the run asked for
// (0: the latest), a notice or a refusal, and the undo form's number.
type reconcileView struct {
	runID   int64
	notice  string
	alert   string
	vehicle string
}

// reconcileDone are the notices a redirect after an action may ask for.
var reconcileDone = map[string]string{
	"started":   "staff.reconcile.started",
	"undone":    "staff.reconcile.undone",
	"unchanged": "staff.reconcile.unchanged",
}

func reconcileURL(lang templates.Lang, runID int64, done string) string {
	q := url.Values{}
	if runID > 0 {
		q.Set("run", strconv.FormatInt(runID, 10))
	}
	if done != "" {
		q.Set("done", done)
	}
	q.Set("ui_locales", string(lang))
	return PathReconcile + "?" + q.Encode()
}

func (h *Handler) reconcileRun(lang templates.Lang, run reconcile.Run, selected bool) templates.StaffReconcileRun {
	out := templates.StaffReconcileRun{ID: run.ID, Actor: run.Actor, Scheduled: run.Actor == reconcile.ScheduleActor,
		Started: webpage.Second(run.StartedAt), StartedISO: run.StartedAt.UTC().Format(time.RFC3339),
		Records: run.Records, Undone: !run.UndoneAt.IsZero(), Selected: selected, URL: reconcileURL(lang, run.ID, "")}
	switch {
	case !run.FinishedAt.IsZero():
		out.State = "done"
		out.Finished, out.FinishedISO = webpage.Second(run.FinishedAt), run.FinishedAt.UTC().Format(time.RFC3339)
		out.Took = took(run.Took())
	case run.Running(h.now()):
		out.State = "running"
	default:
		out.State = "failed"
	}
	return out
}

// took is a run's duration to the millisecond under a second, else to the
// second.
func took(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// reconcilePage renders the page with status: the recent runs and the
// selected run's figures per province and kind.
func (h *Handler) reconcilePage(w http.ResponseWriter, r *http.Request, status int, v reconcileView) {
	ctx := r.Context()
	base := h.Base(r)
	runs, err := h.Reconcile.Runs(ctx, reconcileRunsShown)
	if err != nil {
		h.serverError(w, r, "list reconciliation runs", err)
		return
	}
	page := templates.StaffReconcilePage{StaffBase: base, Notice: v.notice, Error: v.alert, Vehicle: v.vehicle}
	var sel *reconcile.Run
	switch {
	case v.runID > 0:
		run, err := h.Reconcile.GetRun(ctx, v.runID)
		switch {
		case errors.Is(err, reconcile.ErrNotFound):
			if page.Error == "" {
				page.Error = "staff.reconcile.no_run"
			}
			if status == http.StatusOK {
				status = http.StatusNotFound
			}
		case err != nil:
			h.serverError(w, r, "read reconciliation run", err)
			return
		default:
			sel = &run
		}
	case len(runs) > 0:
		sel = &runs[0]
	}
	for _, run := range runs {
		page.Runs = append(page.Runs, h.reconcileRun(base.Lang, run, sel != nil && run.ID == sel.ID))
	}
	if sel != nil {
		row := h.reconcileRun(base.Lang, *sel, true)
		page.Run = &row
		id := strconv.FormatInt(sel.ID, 10)
		page.ReportCSV, page.FindingsCSV = PathReconcileReport+"?run="+id, PathReconcileFindings+"?run="+id
		figs, err := h.Reconcile.Figures(ctx, sel.ID)
		if err != nil {
			h.serverError(w, r, "read reconciliation figures", err)
			return
		}
		figureTable(&page, figs)
	}
	h.render(r, h.Templates.StaffReconcile(w, status, page))
}

// figureTable lays figs (sorted by province, as the store returns them)
// out as one row per province and one column per kind, with totals.
func figureTable(page *templates.StaffReconcilePage, figs []reconcile.Figure) {
	col := map[reconcile.Kind]int{}
	for i, k := range reconcile.Kinds {
		col[k] = i
		page.Kinds = append(page.Kinds, string(k))
	}
	page.Totals = make([]int64, len(reconcile.Kinds))
	reconcile.SortFigures(figs)
	for _, f := range figs {
		i, ok := col[f.Kind]
		if !ok {
			continue
		}
		if n := len(page.Rows); n == 0 || page.Rows[n-1].Province != f.Province {
			page.Rows = append(page.Rows, templates.StaffReconcileRow{Province: f.Province, Counts: make([]int64, len(reconcile.Kinds))})
		}
		row := &page.Rows[len(page.Rows)-1]
		row.Counts[i] += f.Count
		row.Total += f.Count
		page.Totals[i] += f.Count
		page.Total += f.Count
	}
}

// runParam parses a run id (a positive integer).
func runParam(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handler) showReconcile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := reconcileView{notice: reconcileDone[q.Get("done")]}
	status := http.StatusOK
	if raw := q.Get("run"); raw != "" {
		if id, ok := runParam(raw); ok {
			v.runID = id
		} else {
			v.alert, status = "staff.reconcile.bad_run", http.StatusBadRequest
		}
	}
	h.reconcilePage(w, r, status, v)
}

// startReconcile starts a run in the background by the operator and
// sends them back to the page, which shows its progress.
func (h *Handler) startReconcile(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	run, err := h.Reconcile.StartBackground(r.Context(), p.Username)
	switch {
	case errors.Is(err, reconcile.ErrRunning):
		h.reconcilePage(w, r, http.StatusConflict, reconcileView{alert: "staff.reconcile.busy"})
	case err != nil:
		h.serverError(w, r, "start reconciliation", err)
	default:
		http.Redirect(w, r, reconcileURL(h.Base(r).Lang, run.ID, "started"), http.StatusSeeOther)
	}
}

// undoReconcile restores one vehicle's completed owner ID number.
func (h *Handler) undoReconcile(w http.ResponseWriter, r *http.Request) {
	p, _ := Principal(r)
	runID, ok := runParam(r.PostFormValue("run"))
	vehicle := strings.TrimSpace(r.PostFormValue("vehicle"))
	if !ok {
		h.reconcilePage(w, r, http.StatusBadRequest, reconcileView{alert: "staff.reconcile.bad_run", vehicle: vehicle})
		return
	}
	v := reconcileView{runID: runID, vehicle: vehicle}
	if vehicle == "" {
		// An empty number would undo the whole run: never from this form.
		v.alert = "staff.reconcile.vehicle_missing"
		h.reconcilePage(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	n, err := h.Reconcile.Undo(r.Context(), runID, vehicle, p.Username)
	switch {
	case errors.Is(err, reconcile.ErrNotFound):
		v.alert = "staff.reconcile.undo_not_found"
		h.reconcilePage(w, r, http.StatusNotFound, v)
	case errors.Is(err, reconcile.ErrNotUndoable):
		v.alert = "staff.reconcile.undo_not_completed"
		h.reconcilePage(w, r, http.StatusUnprocessableEntity, v)
	case errors.Is(err, reconcile.ErrUndone):
		v.alert = "staff.reconcile.undo_already"
		h.reconcilePage(w, r, http.StatusConflict, v)
	case err != nil:
		h.serverError(w, r, "undo reconciliation", err)
	case n == 0:
		http.Redirect(w, r, reconcileURL(h.Base(r).Lang, runID, "unchanged"), http.StatusSeeOther)
	default:
		http.Redirect(w, r, reconcileURL(h.Base(r).Lang, runID, "undone"), http.StatusSeeOther)
	}
}

// reconcileCSV downloads one CSV of the run named by ?run for the
// operator: name is the file name's last part, write the Reconciliation's
// writer.
func (h *Handler) reconcileCSV(name string, write func(rc Reconciliation, ctx context.Context, w io.Writer, runID int64, actor string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := Principal(r)
		id, ok := runParam(r.URL.Query().Get("run"))
		if !ok {
			h.render(r, h.Templates.StaffError(w, http.StatusBadRequest, h.Base(r), "staff.reconcile.bad_run"))
			return
		}
		// Look the run up before committing to a 200, so that an unknown
		// run or a database failure still gets its status.
		if _, err := h.Reconcile.GetRun(ctx, id); errors.Is(err, reconcile.ErrNotFound) {
			h.render(r, h.Templates.StaffError(w, http.StatusNotFound, h.Base(r), "staff.reconcile.no_run"))
			return
		} else if err != nil {
			h.serverError(w, r, "read reconciliation run", err)
			return
		}
		d := &csvDownload{w: w, file: fmt.Sprintf("vehicle-reconciliation-%d-%s.csv", id, name)}
		err := write(h.Reconcile, ctx, d, id, p.Username)
		switch {
		case err == nil:
		case !d.started && errors.Is(err, reconcile.ErrNotFound):
			h.render(r, h.Templates.StaffError(w, http.StatusNotFound, h.Base(r), "staff.reconcile.no_run"))
		case !d.started:
			// Nothing sent yet (the findings export could not be
			// audited, say): an error page, not a CSV.
			h.serverError(w, r, "reconciliation CSV "+name, err)
		default:
			// Headers are gone; the truncated download is the signal.
			h.logger().ErrorContext(ctx, "reconciliation CSV", "csv", name, "run", id, "error", err, "request_id", httpx.RequestIDFrom(ctx))
		}
	}
}

// csvDownload sets a CSV download's headers at its first byte, so that a
// writer that fails before writing anything still leaves the response free
// for an error page with its status.
type csvDownload struct {
	w       http.ResponseWriter
	file    string
	started bool
}

func (d *csvDownload) Write(b []byte) (int, error) {
	if !d.started {
		d.started = true
		d.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		d.w.Header().Set("Content-Disposition", `attachment; filename="`+d.file+`"`)
	}
	return d.w.Write(b)
}

func writeReportCSV(rc Reconciliation, ctx context.Context, w io.Writer, runID int64, _ string) error {
	return rc.WriteReportCSV(ctx, w, runID)
}
