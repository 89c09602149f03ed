package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/audit"
)

// FuzzParseCursor: a history cursor comes from a URL. Any accepted string
// re-encodes to a cursor that parses to the same position.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "1.0", "zz.-1", "a.b.c", "-1.5", "0.0", "1c.k2b3x", strings.Repeat("9", 40) + ".1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := audit.ParseCursor(s)
		if err != nil {
			return
		}
		again, err := audit.ParseCursor(c.String())
		if err != nil {
			t.Fatalf("re-encoded cursor %q of %q does not parse: %v", c.String(), s, err)
		}
		if again.Seq != c.Seq || !again.LoggedAt.Equal(c.LoggedAt) {
			t.Fatalf("cursor %q changed in a round trip: %+v → %+v", s, c, again)
		}
	})
}

// FuzzReadCheckpoints: exported checkpoint files come from third parties.
// Reading never panics, and what is read writes back to something that
// reads the same.
func FuzzReadCheckpoints(f *testing.F) {
	f.Add([]byte(`{"kind":"interval","seq":1}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"seq":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := audit.ReadCheckpoints(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := audit.WriteCheckpoints(&buf, cps); err != nil {
			return
		}
		again, err := audit.ReadCheckpoints(&buf)
		if err != nil || len(again) != len(cps) {
			t.Fatalf("checkpoints do not survive a write and read: %v (%d vs %d)", err, len(again), len(cps))
		}
	})
}
