package population

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadAndCheck feeds arbitrary files through both readers and the record
// checks: nothing panics, every reported line number lies within the file,
// and no line is both accepted and rejected.
func FuzzReadAndCheck(f *testing.F) {
	f.Add([]byte(`{"personal_id":"001085000001","full_name":"Nguyễn Văn An","birth_date":"1985-03-12","gender":"male"}`), false)
	f.Add([]byte("personal_id,full_name,birth_date,gender\n001085000001,Nguyễn Văn An,1985-03-12,male\n"), true)
	f.Add([]byte("personal_id,full_name,birth_date,gender\n001085000001,\"unterminated,1985-03-12,male\n"), true)
	f.Add([]byte("{\"personal_id\":1}\n{}\n\n{\"x\":2}"), false)
	f.Add([]byte("\ufeffpersonal_id,full_name\n"), true)
	today := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		var lines []line
		var bad []LineError
		if csv {
			lines, bad = readCSV(bytes.NewReader(data))
		} else {
			lines, bad = readJSONLines(bytes.NewReader(data))
		}
		maxLine := bytes.Count(data, []byte("\n")) + 2
		seen := map[int]bool{}
		for _, l := range lines {
			if l.n < 1 || l.n > maxLine {
				t.Fatalf("accepted line number %d outside 1..%d", l.n, maxLine)
			}
			seen[l.n] = true
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > maxLine {
				t.Fatalf("rejected line number %d outside 1..%d", b.Line, maxLine)
			}
			if seen[b.Line] && b.Line != 1 {
				t.Fatalf("line %d both accepted and rejected", b.Line)
			}
		}
		items, _, checked := checkAll(lines, today)
		if len(items)+len(checked) < len(lines) && len(checked) == 0 {
			t.Fatalf("%d lines read, %d checked good, none bad", len(lines), len(items))
		}
	})
}
