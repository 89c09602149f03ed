package orgs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/orgs"
)

func TestParseStaffList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		badLines []int
		err      error
	}{
		{name: "one per line", in: "001090012345\n079085000123\n", want: []string{"001090012345", "079085000123"}},
		{name: "CRLF, blank lines, spaces", in: "\r\n 001090012345 \r\n\r\n079085000123\r\n", want: []string{"001090012345", "079085000123"}},
		{name: "BOM and header", in: "\ufeffSố định danh;Họ tên\n001090012345;Nguyễn Văn A\n", want: []string{"001090012345"}},
		{name: "CSV with quotes and a name column", in: "personal_id,name\n\"079085000123\",\"Trần, Thị B\"\n", want: []string{"079085000123"}},
		{name: "tab separated", in: "001090012345\tA\n", want: []string{"001090012345"}},
		{name: "leading zero dropped by a spreadsheet", in: "79085000123\n1090012345;x\n001090012345\n", want: []string{"079085000123", "001090012345"}},
		{name: "nine digits (an old identity card) are not", in: "090012345\n", badLines: []int{1}},
		{name: "spaces inside a number", in: "001 090 012345\n", want: []string{"001090012345"}},
		{name: "duplicates count once, first order kept", in: "079085000123\n001090012345\n079085000123\n", want: []string{"079085000123", "001090012345"}},
		{name: "a bad line refuses the whole list", in: "001090012345\n12345\n079085000123\nabc123\n", badLines: []int{2, 4}},
		{name: "unknown province code", in: "999090012345\n", badLines: []int{1}},
		{name: "header only", in: "personal_id\n", err: orgs.ErrEmptyList},
		{name: "empty", in: "", err: orgs.ErrEmptyList},
		{name: "not UTF-8", in: "001090012345\n\xff\xfe\n", err: orgs.ErrNotText},
		{name: "too large", in: strings.Repeat("001090012345\n", orgs.MaxListBytes/13+1), err: orgs.ErrListTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := orgs.ParseStaffList(strings.NewReader(tc.in))
			switch {
			case tc.badLines != nil:
				var le *orgs.ListError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tc.badLines, le.Lines)
				assert.Equal(t, len(tc.badLines), le.Count)
				assert.Nil(t, got)
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
				assert.Nil(t, got)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestParseStaffListLimits(t *testing.T) {
	var b strings.Builder
	for i := range orgs.MaxStaff + 1 {
		b.WriteString("001090")
		b.WriteString(strings.Repeat("0", 6-len(itoa(i))) + itoa(i))
		b.WriteByte('\n')
	}
	_, err := orgs.ParseStaffList(strings.NewReader(b.String()))
	require.ErrorIs(t, err, orgs.ErrTooMany)

	// Many bad lines: the first ten are named, all are counted.
	_, err = orgs.ParseStaffList(strings.NewReader(strings.Repeat("x1\n", 25)))
	var le *orgs.ListError
	require.True(t, errors.As(err, &le))
	assert.Len(t, le.Lines, 10)
	assert.Equal(t, 25, le.Count)
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		if i /= 10; i == 0 {
			return s
		}
	}
}

func FuzzParseStaffList(f *testing.F) {
	for _, s := range []string{"001090012345\n", "\ufeffid;name\n\"079085000123\";x\n", "79085000123\r\n", "", "abc\n\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ids, err := orgs.ParseStaffList(strings.NewReader(in))
		if err != nil {
			if ids != nil {
				t.Fatalf("error with ids: %v", err)
			}
			return
		}
		if len(ids) == 0 || len(ids) > orgs.MaxStaff {
			t.Fatalf("%d ids without an error", len(ids))
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if len(id) != 12 || seen[id] {
				t.Fatalf("bad or repeated id %q", id)
			}
			seen[id] = true
		}
	})
}
