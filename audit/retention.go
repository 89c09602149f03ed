package audit

import "time"

// RetentionYears is how long the history of each use of an account is kept:
// five years from that use (Decree 59/2022/ND-CP, kept by Decree 69/2024).
const RetentionYears = 5

// RetentionCutoff is the instant before which events may be dropped at now
// when they are kept for years: exactly that many years earlier, in UTC.
// Fewer than RetentionYears counts as RetentionYears: the law's five years
// are a floor that no setting lowers.
func RetentionCutoff(now time.Time, years int) time.Time {
	return now.UTC().AddDate(-max(years, RetentionYears), 0, 0)
}

// RetentionReport says what a retention run did.
type RetentionReport struct {
	// Cutoff is RetentionCutoff(now, years); only partitions ending at or before
	// it were dropped.
	Cutoff time.Time
	// Dropped names the partitions dropped, oldest first.
	Dropped []string
	// Anchor is the signed retention anchor: the last dropped event's
	// sequence number and hash, from which the chain verifies on. Nil when
	// the dropped partitions held no events.
	Anchor *Checkpoint
	// Event is the RetentionApplied event recorded in the chain. Nil when
	// nothing was dropped.
	Event *Entry
}
