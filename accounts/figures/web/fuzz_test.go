package web

import (
	"slices"
	"testing"
)

func TestParseSort(t *testing.T) {
	cases := []struct {
		by, dir string
		key     string
		desc    bool
		ok      bool
	}{
		{"", "", "name", false, true},
		{"name", "desc", "name", true, true},
		{"registered", "", "registered", true, true},
		{"rate", "asc", "rate", false, true},
		{"level2", "desc", "level2", true, true},
		{"personal_id", "", "name", false, false},
		{"registered", "sideways", "name", false, false},
		{"Registered", "", "name", false, false},
	}
	for _, tc := range cases {
		key, desc, ok := parseSort(tc.by, tc.dir)
		if key != tc.key || desc != tc.desc || ok != tc.ok {
			t.Errorf("parseSort(%q, %q) = %q, %v, %v; want %q, %v, %v", tc.by, tc.dir, key, desc, ok, tc.key, tc.desc, tc.ok)
		}
	}
}

// FuzzParseSort: whatever the query says, the sort is a known column, and
// a refused one is the default.
func FuzzParseSort(f *testing.F) {
	f.Add("registered", "desc")
	f.Add("name", "")
	f.Add("\x00", "asc\n")
	f.Fuzz(func(t *testing.T, by, dir string) {
		key, desc, ok := parseSort(by, dir)
		known := key == "name" || slices.ContainsFunc(columns, func(c column) bool { return c.key == key })
		if !known {
			t.Fatalf("parseSort(%q, %q) gave unknown key %q", by, dir, key)
		}
		if !ok && (key != "name" || desc) {
			t.Fatalf("parseSort(%q, %q) refused but sorts by %q desc=%v", by, dir, key, desc)
		}
		if ok && by != "" && key != by {
			t.Fatalf("parseSort(%q, %q) accepted as %q", by, dir, key)
		}
	})
}
