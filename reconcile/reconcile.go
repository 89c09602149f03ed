package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dinhdanh/dinhdanh/personalid"
)

// Kind is a kind of finding.
type Kind string

// The kinds of finding. A record may have more than one (an ID number that
// names someone else is often also held by that person's own record: the
// record is then both WrongID and SharedID).
const (
	// Completed: the owner ID number was missing and the owner's name,
	// birth date and address identify exactly one person; the record now
	// holds that person's number (the finding keeps the empty before value).
	Completed Kind = "completed"
	// Unmatched: the owner ID number is missing and no person, or more than
	// one, matches the name, birth date and address. Nothing is changed.
	Unmatched Kind = "unmatched"
	// WrongID: the number breaks the rules of personal ID numbers, is not in
	// the population registry, or names someone else (name or birth date
	// differ). Flagged, never changed.
	WrongID Kind = "wrong_id"
	// SharedID: records naming two or more different people hold this
	// number.
	SharedID Kind = "shared_id"
	// Retired: the vehicle is retired; kept apart, never checked or flagged
	// as wrong.
	Retired Kind = "retired"
)

// Kinds lists every kind in report order.
var Kinds = []Kind{Completed, Unmatched, WrongID, SharedID, Retired}

// Reasons of a finding, as stored and shown.
const (
	ReasonCompleted     = "exactly one person matches name, birth date and address"
	ReasonNoMatch       = "no person matches name, birth date and address"
	ReasonSeveralMatch  = "several people match name, birth date and address"
	ReasonLength        = "not 12 digits"
	ReasonProvince      = "unknown province code"
	ReasonYear          = "does not match the year of birth"
	ReasonNotInRegistry = "not in the population registry"
	ReasonNameDiffers   = "names someone else: the name differs"
	ReasonBirthDiffers  = "names someone else: the birth date differs"
	ReasonBothDiffer    = "names someone else: the name and birth date differ"
	ReasonShared        = "held by records naming different people"
	ReasonRetired       = "retired vehicle: kept apart"
)

// Errors.
var (
	ErrNotFound    = errors.New("reconcile: no such run or finding")
	ErrUndone      = errors.New("reconcile: already undone")
	ErrNotUndoable = errors.New("reconcile: only completed owner ID numbers change a record and can be undone")
	// ErrRunning: another run has not finished (and made progress in the
	// last RunStaleAfter); one runs at a time across replicas.
	ErrRunning = errors.New("reconcile: a run is in progress")
	// ErrPeriodClaimed: a run of this scheduled period was already started
	// (by this replica or another).
	ErrPeriodClaimed = errors.New("reconcile: this period's run was already claimed")
)

// RunStaleAfter is how long a run may go without progress (a batch done)
// and still count as running: a run whose process ended without saying so
// stops blocking new runs after it.
const RunStaleAfter = 15 * time.Minute

// Rules are the personal ID number rules the set-based comparison applies,
// taken from personalid so that the SQL and the Go check cannot drift:
// 12 ASCII digits, a known province code, and the century digit and year
// agreeing with the year of birth (personalid.Parse's decoding: year =
// 1900 + (G/2)*100 + YY). The vehicle registry holds no gender, so the
// gender half of the century digit is not checked.
type Rules struct {
	ProvinceCodes []string
}

// DefaultRules returns the rules of personalid.
func DefaultRules() Rules {
	ps := personalid.Provinces()
	codes := make([]string, len(ps))
	for i, p := range ps {
		codes[i] = p.Code
	}
	return Rules{ProvinceCodes: codes}
}

// CheckID is the Go form of the rule the SQL applies: "" when id passes,
// else the reason. Tests keep the two in agreement.
func CheckID(id string, birth time.Time) string {
	p, err := personalid.Parse(id)
	switch {
	case errors.Is(err, personalid.ErrLength), errors.Is(err, personalid.ErrDigits):
		return ReasonLength
	case errors.Is(err, personalid.ErrProvince):
		return ReasonProvince
	case err != nil:
		return err.Error()
	}
	if !birth.IsZero() && p.BirthYear != birth.Year() {
		return ReasonYear
	}
	return ""
}

// Run is one reconciliation.
type Run struct {
	ID         int64
	Actor      string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Records    int64     // vehicle records read
	UndoneAt   time.Time // zero unless the whole run was undone
	// Period is the scheduled period the run claimed; "" for a run
	// started by hand.
	Period string
	// StoppedAt is when the run ended with an error before finishing;
	// zero otherwise.
	StoppedAt time.Time
	// ProgressAt is when the run started or last finished a batch.
	ProgressAt time.Time
}

// Running reports whether the run is still going at now: not finished,
// not stopped, and with progress within RunStaleAfter.
func (r Run) Running(now time.Time) bool {
	return r.FinishedAt.IsZero() && r.StoppedAt.IsZero() && now.Sub(r.ProgressAt) < RunStaleAfter
}

// Took is how long a finished run took; zero otherwise.
func (r Run) Took() time.Duration {
	if r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// Finding is one finding of a run.
type Finding struct {
	RunID    int64
	Number   string // the vehicle registration number
	Kind     Kind
	Reason   string
	Province string // the owner's province as the vehicle registry holds it
	Before   string // the owner ID number before the run
	After    string // after the run (differs only for Completed)
	UndoneAt time.Time
}

// Figure is a count of findings of one kind in one province.
type Figure struct {
	Province string
	Kind     Kind
	Count    int64
}

// Totals sums figures per kind.
func Totals(figs []Figure) map[Kind]int64 {
	out := make(map[Kind]int64, len(Kinds))
	for _, f := range figs {
		out[f.Kind] += f.Count
	}
	return out
}

// SortFigures orders figures by province then kind order.
func SortFigures(figs []Figure) {
	rank := map[Kind]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	sort.Slice(figs, func(i, j int) bool {
		if figs[i].Province != figs[j].Province {
			return figs[i].Province < figs[j].Province
		}
		return rank[figs[i].Kind] < rank[figs[j].Kind]
	})
}

// Progress is reported after each batch.
type Progress struct {
	Done, Total int64
	Elapsed     time.Duration
}

// Rate is records per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// Left estimates the time left at the rate so far.
func (p Progress) Left() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Done >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

// String is a one-line progress report.
func (p Progress) String() string {
	pct := 100.0
	if p.Total > 0 {
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	return fmt.Sprintf("%d/%d records (%.1f%%), %.0f records/s, %s elapsed, about %s left",
		p.Done, p.Total, pct, p.Rate(), p.Elapsed.Round(time.Second), p.Left().Round(time.Second))
}

// Store runs reconciliations and keeps their findings.
type Store interface {
	// Start records a new run by actor, refused with ErrRunning while
	// another runs and, for a scheduled period (period != ""), with
	// ErrPeriodClaimed when that period has a run already: the check and
	// the claim are one transaction, so of two replicas exactly one wins.
	Start(ctx context.Context, actor, period string) (Run, error)
	// Continue reconciles every vehicle record for run (from Start) in
	// batches of batch records, calling progress after each. A run that
	// fails is marked stopped.
	Continue(ctx context.Context, run Run, rules Rules, batch int, progress func(Progress)) (Run, error)
	// Figures counts a run's findings per province and kind (undone ones
	// excluded).
	Figures(ctx context.Context, runID int64) ([]Figure, error)
	// Findings streams a run's findings in vehicle number order, from one
	// snapshot: first count (unless nil) with how many findings follow
	// (an error from it ends Findings before the first), then each.
	// ErrNotFound for an unknown run.
	Findings(ctx context.Context, runID int64, count func(int64) error, each func(Finding) error) error
	// Undo restores the owner ID numbers a run completed (number "" for the
	// whole run, else only that vehicle's), where the record still holds the
	// completed value. It returns how many records were restored.
	Undo(ctx context.Context, runID int64, number, actor string) (int64, error)
	// LatestRun returns the newest run.
	LatestRun(ctx context.Context) (Run, error)
	// Runs returns the newest runs, newest first, at most limit.
	Runs(ctx context.Context, limit int) ([]Run, error)
	// GetRun returns one run, or ErrNotFound.
	GetRun(ctx context.Context, id int64) (Run, error)
}
