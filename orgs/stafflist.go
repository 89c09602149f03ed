package orgs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/personalid"
)

// Limits of a staff list.
const (
	// MaxStaff is the most distinct numbers one upload may hold (the
	// console's messages say 20,000 in words: orgs.upload.limit).
	MaxStaff = 20_000
	// MaxListBytes is the largest upload: 20,000 numbers with a name
	// column beside each still fit.
	MaxListBytes = 2 << 20
	// maxBadLines is how many bad lines an error names.
	maxBadLines = 10
)

// Errors of staff lists.
var (
	ErrEmptyList    = errors.New("orgs: the staff list holds no personal identification number")
	ErrTooMany      = fmt.Errorf("orgs: a staff list holds at most %d numbers", MaxStaff)
	ErrListTooLarge = fmt.Errorf("orgs: a staff list is at most %d bytes", MaxListBytes)
	ErrNotText      = errors.New("orgs: the staff list is not UTF-8 text (save it as CSV or plain text)")
)

// ListError names the lines of a staff list that are not personal
// identification numbers: nothing is checked until every line is right.
type ListError struct {
	// Lines are the first bad lines' numbers (1-based), at most 10.
	Lines []int
	// Count is how many lines were bad in all.
	Count int
}

func (e *ListError) Error() string {
	return fmt.Sprintf("orgs: %d lines of the staff list are not 12-digit personal identification numbers (lines %s)", e.Count, joinInts(e.Lines))
}

func joinInts(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// ParseStaffList reads a staff list: plain text with one personal
// identification number per line, or a CSV (comma, semicolon or tab
// separated, as spreadsheets save it) whose first column holds them. Blank
// lines are skipped, as is a first line without any digit (a header); a
// UTF-8 byte order mark is allowed; quotes and spaces around a number are
// dropped, as are spaces inside a number, and a number a spreadsheet
// stored without its leading zeros (10 or 11 digits) gets them back.
// Every other line must be a valid number, or nothing is returned
// (a *ListError names the bad lines). Numbers listed twice count once; the
// order of their first appearance is kept.
func ParseStaffList(r io.Reader) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("orgs: read staff list: %w", err)
	}
	if len(b) > MaxListBytes {
		return nil, ErrListTooLarge
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		return nil, ErrNotText
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), MaxListBytes)
	var (
		ids  []string
		seen = map[string]bool{}
		bad  ListError
	)
	for line := 1; sc.Scan(); line++ {
		field := firstField(sc.Text())
		if field == "" {
			continue
		}
		if line == 1 && !strings.ContainsFunc(field, unicode.IsDigit) {
			continue // a header
		}
		field = normalise(field)
		if _, err := personalid.Parse(field); err != nil {
			bad.Count++
			if len(bad.Lines) < maxBadLines {
				bad.Lines = append(bad.Lines, line)
			}
			continue
		}
		if !seen[field] {
			seen[field] = true
			ids = append(ids, field)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("orgs: read staff list: %w", err)
	}
	if bad.Count > 0 {
		return nil, &bad
	}
	if len(ids) == 0 {
		return nil, ErrEmptyList
	}
	if len(ids) > MaxStaff {
		return nil, fmt.Errorf("%w: %d numbers", ErrTooMany, len(ids))
	}
	return ids, nil
}

// normalise drops the spaces inside a number ("001 090 012345") and puts
// back the leading zeros a spreadsheet drops when it stores the number as a
// number: every province code is 001 to 096, so 10 or 11 digits can only
// be that (an old identity card number has 9).
func normalise(field string) string {
	field = strings.ReplaceAll(field, " ", "")
	if (len(field) == 10 || len(field) == 11) && !strings.ContainsFunc(field, func(r rune) bool { return r < '0' || r > '9' }) {
		return strings.Repeat("0", 12-len(field)) + field
	}
	return field
}

// firstField is a line's first column, unquoted and trimmed.
func firstField(line string) string {
	if i := strings.IndexAny(line, ",;\t"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if len(line) >= 2 && line[0] == '"' && line[len(line)-1] == '"' {
		line = strings.TrimSpace(line[1 : len(line)-1])
	}
	return line
}
