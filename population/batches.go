package population

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultBatchLines is how many lines one batch of ImportBatches holds.
const DefaultBatchLines = 10_000

// BatchOptions tune ImportBatches and ImportGenerated.
type BatchOptions struct {
	// Lines per batch (one transaction each); DefaultBatchLines when zero.
	Lines int
	// ResumeAt skips the lines before it (a file's line numbers; for
	// generated citizens, the citizen's number from 1): the line a
	// *BatchError said to resume at.
	ResumeAt int
	// Progress, when set, is called after every committed batch.
	Progress func(BatchProgress)
}

// BatchProgress is where a batched import stands.
type BatchProgress struct {
	// Line is the last line committed.
	Line int
	// Rows is people, documents and accounts written so far.
	Rows int
	Report
}

// BatchError is a batched import that stopped at a batch: nothing of that
// batch and the lines after it was written; the batches before it were.
type BatchError struct {
	// FirstLine and LastLine bound the refused batch; ResumeAt is where
	// to start again once the file is fixed (the batch's first line).
	FirstLine, LastLine, ResumeAt int
	// Done is what earlier batches wrote (kept: each was committed whole).
	Done Report
	// DoneLine is the last line of the last committed batch (0: none).
	DoneLine int
	// Err is a *ValidationError naming every bad line of the batch, or the
	// database's refusal of the batch as a whole.
	Err error
}

func (e *BatchError) Error() string {
	var b strings.Builder
	what, fix := "refused", "fix the file and resume"
	if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		what, fix = "interrupted", "resume"
	}
	fmt.Fprintf(&b, "population: lines %d-%d %s, nothing of them or after them written", e.FirstLine, e.LastLine, what)
	if e.DoneLine > 0 {
		fmt.Fprintf(&b, "; lines up to %d imported (%d people, %d documents, %d accounts)", e.DoneLine, e.Done.People, e.Done.Documents, e.Done.Accounts)
	}
	fmt.Fprintf(&b, "; %s with -resume-at %d", fix, e.ResumeAt)
	var ve *ValidationError
	if errors.As(e.Err, &ve) {
		for _, l := range ve.Lines {
			b.WriteString("\n  ")
			b.WriteString(l.Error())
		}
		return b.String()
	}
	return b.String() + ": " + e.Err.Error()
}

// Unwrap returns the batch's error.
func (e *BatchError) Unwrap() error { return e.Err }

// ImportBatches reads a file as it goes and writes it batch after batch,
// each batch (opts.Lines lines) validated whole and written in its own
// transaction with its own audit event, or not at all. It holds one batch
// in memory, whatever the file's size. It stops at the first refused
// batch with a *BatchError: what the earlier batches wrote stays, and the
// error says which line to resume at. Re-running a file is safe: a person
// or document already present is replaced, an account already present is
// kept. A guardian must come before the children in the file (or already
// be in the registry) unless both are in one batch.
func ImportBatches(ctx context.Context, dst Target, r io.Reader, format Format, opts BatchOptions) (Report, error) {
	var next stream[Record]
	switch format {
	case CSV:
		next = csvStream(r)
	case JSONLines:
		next = jsonLinesStream[Record](r)
	default:
		return Report{}, fmt.Errorf("population: unknown format %q", format)
	}
	return importBatches(ctx, dst, next, opts)
}

// ImportGenerated writes the first n citizens of Generator(seed, gen) as
// ImportBatches would write a file of them (line i is citizen i).
func ImportGenerated(ctx context.Context, dst Target, n int, seed uint64, gen GenerateOptions, opts BatchOptions) (Report, error) {
	if n < 0 || n > MaxGenerated {
		return Report{}, fmt.Errorf("population: generate %d citizens: between 0 and %d", n, MaxGenerated)
	}
	g := NewGenerator(seed, gen)
	i := 0
	return importBatches(ctx, dst, func() (line, *LineError, bool) {
		if i >= n {
			return line{}, nil, false
		}
		i++
		return line{i, g.Next()}, nil, true
	}, opts)
}

func importBatches(ctx context.Context, dst Target, next stream[Record], opts BatchOptions) (Report, error) {
	size := opts.Lines
	if size <= 0 {
		size = DefaultBatchLines
	}
	type batch struct {
		lines       []line
		bad         []LineError
		first, last int
	}
	// The next batch is read and parsed while the current one is written.
	batches := make(chan batch, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		var b batch
		send := func() bool {
			select {
			case batches <- b:
				b = batch{}
				return true
			case <-stop:
				return false
			}
		}
		for {
			rec, bad, ok := next()
			if !ok {
				break
			}
			n := rec.n
			if bad != nil {
				n = bad.Line
			}
			// Bad lines are reported even before ResumeAt (a CSV header).
			if bad == nil && n < opts.ResumeAt {
				continue
			}
			if b.first == 0 || (n > 0 && n < b.first) {
				b.first = n
			}
			b.last = max(b.last, n)
			if bad != nil {
				b.bad = append(b.bad, *bad)
			} else {
				b.lines = append(b.lines, rec)
			}
			if len(b.lines)+len(b.bad) >= size && !send() {
				return
			}
		}
		if len(b.lines)+len(b.bad) > 0 {
			send()
		}
	}()

	var done Report
	doneLine, nBatch := 0, 0
	st := &batchState{hashes: map[string]string{}}
	for b := range batches {
		nBatch++
		st.detail = map[string]string{"batch": strconv.Itoa(nBatch), "first_line": strconv.Itoa(b.first), "last_line": strconv.Itoa(b.last)}
		rep, err := importLines(ctx, dst, b.lines, b.bad, st)
		if err != nil {
			if ctx.Err() != nil {
				err = errors.Join(ctx.Err(), err)
			}
			return done, &BatchError{FirstLine: b.first, LastLine: b.last, ResumeAt: b.first, Done: done, DoneLine: doneLine, Err: err}
		}
		done.People += rep.People
		done.Documents += rep.Documents
		done.Accounts += rep.Accounts
		done.AccountsSkipped += rep.AccountsSkipped
		doneLine = b.last
		if opts.Progress != nil {
			opts.Progress(BatchProgress{Line: doneLine, Rows: done.People + done.Documents + done.Accounts + done.AccountsSkipped, Report: done})
		}
	}
	if dst.Logger != nil {
		dst.Logger.InfoContext(ctx, "population imported in batches", "batches", nBatch, "people", done.People,
			"documents", done.Documents, "accounts_created", done.Accounts, "accounts_skipped", done.AccountsSkipped)
	}
	return done, nil
}
