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

// FuzzReadAndCheckForeigners does the same for the foreigners' registry
// extract.
func FuzzReadAndCheckForeigners(f *testing.F) {
	f.Add(demoForeignersFile, false)
	f.Add([]byte("id,passport_no,issuing_country,nationality,primary_name,birth_date,sex,passport_expiry,permit_kind,permit_number,permit_expiry\n"+
		"001088000002,M12345678,KOR,KOR,KIM,1988-11-05,M,2031-03-14,visa,V1234567,2028-06-30\n"), true)
	f.Add([]byte("id,passport_no\n001088000002,\"unterminated\n"), true)
	f.Add([]byte("{\"id\":1}\n{}\n\n{\"primary_name\":\"Ærø<<Đào\"}"), false)
	today := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		var lines []foreignerLine
		var bad []LineError
		if csv {
			lines, bad = readForeignerCSV(bytes.NewReader(data))
		} else {
			lines, bad = readForeignerJSONLines(bytes.NewReader(data))
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
		residents, nums, checked := checkForeigners(lines, today)
		if len(residents) != len(lines) || len(nums) != len(lines) {
			t.Fatalf("%d lines read, %d checked", len(lines), len(residents))
		}
		badLine := map[int]bool{}
		for _, b := range checked {
			badLine[b.Line] = true
		}
		// Every resident that passed the checks fits the table's CHECKs.
		for i, r := range residents {
			if badLine[nums[i]] {
				continue
			}
			if len(r.ID) != 12 || len(r.IssuingCountry) != 3 || len(r.Nationality) != 3 || r.PrimaryName == "" ||
				r.PermitNumber == "" || r.PassportNo == "" || (r.Sex != "M" && r.Sex != "F" && r.Sex != "X") {
				t.Fatalf("line %d accepted with %+v", nums[i], r)
			}
		}
	})
}
