package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// newProgress reports a long command's progress on w: n units done, the
// share of the work (at of total: bytes of the file read, or rows of a
// known count), the rate and the time left, as one line rewritten in place
// on a terminal and as a plain log line at most every 5 seconds otherwise.
// label starts each log line; share names what the percentage is of.
func newProgress(w io.Writer, label, unit, share string, total int64) func(n, at int64, elapsed time.Duration, end bool) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var last time.Time
	lastN, lastAt := int64(-1), int64(-1)
	return func(n, at int64, elapsed time.Duration, end bool) {
		if end && !tty && n == lastN && at == lastAt {
			return // the last line said it already
		}
		rate := 0.0
		if elapsed > 0 {
			rate = float64(n) / elapsed.Seconds()
		}
		var left time.Duration
		if at > 0 && total > at {
			left = time.Duration(float64(elapsed) * float64(total-at) / float64(at))
		}
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(at) / float64(total)
		}
		line := fmt.Sprintf("%d %s (%.1f%% %s), %.0f %s/s, %s elapsed, about %s left",
			n, unit, pct, share, rate, unit, elapsed.Round(time.Second), left.Round(time.Second))
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			if end {
				fmt.Fprintln(w)
			}
			return
		}
		if end || time.Since(last) >= 5*time.Second {
			last, lastN, lastAt = time.Now(), n, at
			fmt.Fprintf(w, "%s %s: %s\n", time.Now().UTC().Format(time.RFC3339), label, line)
		}
	}
}

// peakRSS is the most resident memory this process has held, in bytes
// (getrusage; 0 where unknown).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}
