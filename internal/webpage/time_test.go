package webpage

import (
	"testing"
	"time"
)

// Times are shown in Vietnam time, day first, whatever zone they come in.
func TestShownTimes(t *testing.T) {
	for _, tc := range []struct {
		in             time.Time
		minute, second string
	}{
		{time.Date(2026, 12, 6, 17, 5, 9, 0, time.UTC), "07/12/2026 00:05", "07/12/2026 00:05:09"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)), "02/01/2026 09:04", "02/01/2026 09:04:05"},
	} {
		if got := Minute(tc.in); got != tc.minute {
			t.Errorf("Minute(%v) = %q, want %q", tc.in, got, tc.minute)
		}
		if got := Second(tc.in); got != tc.second {
			t.Errorf("Second(%v) = %q, want %q", tc.in, got, tc.second)
		}
	}
}
