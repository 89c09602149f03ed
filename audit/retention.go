package audit

import "time"

// RetentionYears is how long the history of each use of an account is kept:
// five years from that use (Decree 59/2022/ND-CP, kept by Decree 69/2024).
const RetentionYears = 5

// RetentionCutoff is the instant before which events may be dropped at now:
// exactly RetentionYears earlier, in UTC.
func RetentionCutoff(now time.Time) time.Time {
	return now.UTC().AddDate(-RetentionYears, 0, 0)
}

// RetentionReport says what a retention run did.
type RetentionReport struct {
	// Cutoff is RetentionCutoff(now); only partitions ending at or before
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
