package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Audit reasons of operator actions (audit.OperatorAction), the same from
// the command line, the staff console and the schedule.
const (
	ReasonAuditRun  = "reconcile.vehicles"
	ReasonAuditUndo = "reconcile.undo"
	// ReasonAuditFindings: a run's findings exported (they hold vehicle
	// numbers and owners' ID numbers; the event's detail never does).
	ReasonAuditFindings = "reconcile.findings_exported"
)

// ScheduleActor is the actor of scheduled runs.
const ScheduleActor = "schedule"

// Config builds a Service.
type Config struct {
	Store Store
	// Audit records every run and undo; required.
	Audit audit.Recorder
	// Rules are the ID number rules; DefaultRules when empty.
	Rules Rules
	// Batch is the vehicle records per transaction; 20 000 when 0.
	Batch int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Go runs fn in the background with a context that ends when its owner
	// stops (the gateway's background work); nil: StartBackground is
	// refused.
	Go func(fn func(ctx context.Context))
	// Logger reports background runs that fail; none when nil.
	Logger *slog.Logger
}

// Service runs reconciliations and undoes them, each recorded in the audit
// log as an operator action, whoever asks: the command line, an operator
// in the staff console, or the schedule.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil {
		return nil, errors.New("reconcile: a store and an audit recorder are required")
	}
	if len(cfg.Rules.ProvinceCodes) == 0 {
		cfg.Rules = DefaultRules()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}, nil
}

// Reconcile runs a reconciliation by actor now, reporting progress after
// each batch; ErrRunning while another runs.
func (s *Service) Reconcile(ctx context.Context, actor string, progress func(Progress)) (Run, error) {
	run, err := s.cfg.Store.Start(ctx, actor, "")
	if err != nil {
		return run, err
	}
	return s.carry(ctx, run, progress)
}

// StartBackground starts a run by actor and returns at once with it; the
// batches go on in the background (Config.Go). ErrRunning while another
// runs.
func (s *Service) StartBackground(ctx context.Context, actor string) (Run, error) {
	if s.cfg.Go == nil {
		return Run{}, errors.New("reconcile: this service runs nothing in the background")
	}
	run, err := s.cfg.Store.Start(ctx, actor, "")
	if err != nil {
		return run, err
	}
	s.cfg.Go(func(ctx context.Context) {
		if _, err := s.carry(ctx, run, nil); err != nil {
			s.cfg.Logger.Error("vehicle reconciliation failed", "run", run.ID, "error", err)
		}
	})
	return run, nil
}

// Period names the scheduled period of length every that t falls in (its
// start, UTC, RFC 3339).
func Period(t time.Time, every time.Duration) string {
	return t.UTC().Truncate(every).Format(time.RFC3339)
}

// Scheduled runs the reconciliation of period unless that period was
// claimed already (ErrPeriodClaimed: another replica, or this one, ran
// it) or a run is in progress (ErrRunning). Of several replicas calling
// it for one period, exactly one runs it.
func (s *Service) Scheduled(ctx context.Context, period string) (Run, error) {
	run, err := s.cfg.Store.Start(ctx, ScheduleActor, period)
	if err != nil {
		return run, err
	}
	return s.carry(ctx, run, nil)
}

// carry reconciles run and records it in the audit log, failed or not.
func (s *Service) carry(ctx context.Context, run Run, progress func(Progress)) (Run, error) {
	start := s.cfg.Now()
	run, err := s.cfg.Store.Continue(ctx, run, s.cfg.Rules, s.cfg.Batch, progress)
	took := s.cfg.Now().Sub(start)
	outcome := audit.Success
	if err != nil {
		outcome = audit.Failure
	}
	detail := map[string]string{"run": strconv.FormatInt(run.ID, 10), "records": strconv.FormatInt(run.Records, 10), "took": took.Round(time.Millisecond).String()}
	if run.Period != "" {
		detail["period"] = run.Period
	}
	if aerr := s.cfg.Audit.Record(context.WithoutCancel(ctx), audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: run.Actor,
		Outcome: outcome, Reason: ReasonAuditRun, Detail: detail}); aerr != nil {
		return run, errors.Join(err, aerr)
	}
	return run, err
}

// Undo restores the owner ID numbers run completed (every one, or only
// vehicle's when it is not ""), audited whether it succeeds or not. It
// returns how many records were restored.
func (s *Service) Undo(ctx context.Context, runID int64, vehicle, actor string) (int64, error) {
	n, err := s.cfg.Store.Undo(ctx, runID, vehicle, actor)
	outcome := audit.Success
	if err != nil {
		outcome = audit.Failure
	}
	detail := map[string]string{"run": strconv.FormatInt(runID, 10), "restored": strconv.FormatInt(n, 10)}
	if vehicle != "" {
		detail["vehicle"] = vehicle
	}
	if aerr := s.cfg.Audit.Record(context.WithoutCancel(ctx), audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
		Outcome: outcome, Reason: ReasonAuditUndo, Detail: detail}); aerr != nil {
		return n, errors.Join(err, aerr)
	}
	return n, err
}

// LatestRun returns the newest run, or ErrNotFound.
func (s *Service) LatestRun(ctx context.Context) (Run, error) { return s.cfg.Store.LatestRun(ctx) }

// GetRun returns run id, or ErrNotFound.
func (s *Service) GetRun(ctx context.Context, id int64) (Run, error) {
	return s.cfg.Store.GetRun(ctx, id)
}

// Runs returns the newest runs, newest first, at most limit.
func (s *Service) Runs(ctx context.Context, limit int) ([]Run, error) {
	return s.cfg.Store.Runs(ctx, limit)
}

// Figures counts run's findings per province and kind.
func (s *Service) Figures(ctx context.Context, runID int64) ([]Figure, error) {
	return s.cfg.Store.Figures(ctx, runID)
}

// WriteReportCSV writes run's figures as CSV (WriteFiguresCSV).
func (s *Service) WriteReportCSV(ctx context.Context, w io.Writer, runID int64) error {
	figs, err := s.cfg.Store.Figures(ctx, runID)
	if err != nil {
		return err
	}
	return WriteFiguresCSV(w, figs)
}

// WriteFindingsCSV writes every finding of run as CSV for actor (an
// operator's username, or the command line's actor). The findings hold
// vehicle numbers and owners' ID numbers, so the export is audited
// (audit.OperatorAction, reason ReasonAuditFindings, with the run and the
// number of rows)
// before the first byte reaches w: when the audit log refuses the event,
// WriteFindingsCSV fails having written nothing. ErrNotFound for an
// unknown run (nothing written, nothing audited).
func (s *Service) WriteFindingsCSV(ctx context.Context, w io.Writer, runID int64, actor string) error {
	if strings.TrimSpace(actor) == "" {
		return errors.New("reconcile: a findings export needs the operator's name, for the audit log")
	}
	return writeFindingsCSV(ctx, w, s.cfg.Store, runID, func(rows int64) error {
		err := s.cfg.Audit.Record(ctx, audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: actor,
			Outcome: audit.Success, Reason: ReasonAuditFindings, Detail: map[string]string{"run": strconv.FormatInt(runID, 10), "rows": strconv.FormatInt(rows, 10)}})
		if err != nil {
			return fmt.Errorf("reconcile: audit the findings export: %w", err)
		}
		return nil
	})
}
