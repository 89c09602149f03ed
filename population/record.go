package population

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Format of an import file.
type Format string

// Formats.
const (
	// CSV has a header row naming the columns (see CSVColumns); one person
	// per row, with an optional account, without documents.
	CSV Format = "csv"
	// JSONLines has one JSON object (a Record) per line; blank lines are
	// skipped.
	JSONLines Format = "jsonl"
)

// FormatOf guesses the format from a file name: .csv, or .jsonl/.ndjson.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONLines, nil
	}
	return "", fmt.Errorf("population: %s: unknown format (use .csv or .jsonl)", name)
}

// Record is one person of an import file, as written there: dates are
// YYYY-MM-DD strings, gender is male/female (or Nam/Nữ as on the chip ID
// card).
type Record struct {
	PersonalID  string    `json:"personal_id"`
	OldID       string    `json:"old_id,omitempty"`
	FullName    string    `json:"full_name"`
	BirthDate   string    `json:"birth_date"`
	Gender      string    `json:"gender"`
	Nationality string    `json:"nationality,omitempty"` // ISO 3166-1 alpha-2; VN when empty
	Residence   Residence `json:"residence,omitzero"`
	Phone       string    `json:"phone,omitempty"`
	Email       string    `json:"email,omitempty"`
	PassportNo  string    `json:"passport_no,omitempty"` // required for foreigners
	// GuardianID registers a child under 14 or a ward under a parent's or
	// guardian's personal id number (in the same file or already loaded).
	GuardianID       string `json:"guardian_id,omitempty"`
	GuardianRelation string `json:"guardian_relation,omitempty"` // child (default) or ward
	IssueDate        string `json:"issue_date,omitempty"`        // chip ID card issue date

	Documents []DocumentRecord `json:"documents,omitempty"`
	// Account, for demo and test data, creates an account for the person.
	Account *AccountRecord `json:"account,omitempty"`
}

// Residence is the permanent residence.
type Residence struct {
	Street   string `json:"street_address,omitempty"`
	Ward     string `json:"ward,omitempty"`
	District string `json:"district,omitempty"`
	Province string `json:"province,omitempty"`
	Country  string `json:"country,omitempty"`
}

// DocumentRecord is a document integrated for the person.
type DocumentRecord struct {
	Kind      string            `json:"kind"`
	Number    string            `json:"number"`
	IssuedOn  string            `json:"issued_on,omitempty"`
	ExpiresOn string            `json:"expires_on,omitempty"`
	Issuer    string            `json:"issuer,omitempty"`
	Status    string            `json:"status,omitempty"` // valid (default), expired, retired, suspended
	Fields    map[string]string `json:"fields,omitempty"`
}

// AccountRecord creates an account with known credentials. Accounts whose
// personal id number already has one are left alone.
type AccountRecord struct {
	Level  int    `json:"level"`
	Status string `json:"status,omitempty"` // active (default), pending, locked
	// LockReason for locked accounts, e.g. lost_phone.
	LockReason string `json:"lock_reason,omitempty"`
	Password   string `json:"password,omitempty"`
	// Phone for SMS codes; the person's phone when empty.
	Phone string `json:"phone,omitempty"`
	// TOTPSecret (base32) enrols a confirmed authenticator.
	TOTPSecret string `json:"totp_secret,omitempty"`
}

// line is a record with the line it started on.
// numbered is a record read from an import file with the line it began on.
type numbered[T any] struct {
	n   int
	rec T
}

type line = numbered[Record]

// LineError is what is wrong with one line.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, strings.ReplaceAll(e.Err.Error(), "\n", "; "))
}

// Unwrap returns the line's error.
func (e LineError) Unwrap() error { return e.Err }

// ValidationError lists every bad line of a file that was not imported.
type ValidationError struct {
	Lines []LineError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "population: %d bad line(s), nothing imported", len(e.Lines))
	for _, l := range e.Lines {
		b.WriteString("\n  ")
		b.WriteString(l.Error())
	}
	return b.String()
}

// maxLine bounds one JSON line (a person with many documents stays far
// below it).
const maxLine = 1 << 20

func readJSONLines(r io.Reader) ([]line, []LineError) { return readJSONLinesOf[Record](r) }

// readJSONLinesOf reads one JSON object of type T per line (unknown fields
// refused), reporting every bad line with its number.
func readJSONLinesOf[T any](r io.Reader) ([]numbered[T], []LineError) {
	return collect(jsonLinesStream[T](r))
}

// stream yields the records of a file one at a time: a record, or a bad
// line, until ok is false.
type stream[T any] func() (rec numbered[T], bad *LineError, ok bool)

// collect reads a whole stream.
func collect[T any](next stream[T]) ([]numbered[T], []LineError) {
	var out []numbered[T]
	var bad []LineError
	for {
		rec, b, ok := next()
		if !ok {
			return out, bad
		}
		if b != nil {
			bad = append(bad, *b)
			continue
		}
		out = append(out, rec)
	}
}

// jsonLinesStream reads one JSON object of type T per line (unknown fields
// refused); blank lines are skipped.
func jsonLinesStream[T any](r io.Reader) stream[T] {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	n := 0
	done := false
	return func() (numbered[T], *LineError, bool) {
		for !done && sc.Scan() {
			n++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			var rec T
			if err := dec.Decode(&rec); err != nil {
				return numbered[T]{}, &LineError{n, fmt.Errorf("not a valid record: %w", err)}, true
			}
			if dec.More() {
				return numbered[T]{}, &LineError{n, errors.New("more than one JSON value on the line")}, true
			}
			return numbered[T]{n, rec}, nil, true
		}
		if !done {
			done = true
			if err := sc.Err(); err != nil {
				return numbered[T]{}, &LineError{n + 1, fmt.Errorf("read: %w", err)}, true
			}
		}
		return numbered[T]{}, nil, false
	}
}

// CSVColumns are the columns a CSV file may have, in any order. The first
// four are required.
var CSVColumns = []string{
	"personal_id", "full_name", "birth_date", "gender",
	"old_id", "nationality", "street_address", "ward", "district", "province", "country",
	"phone", "email", "passport_no", "guardian_id", "guardian_relation", "issue_date",
	"account_level", "account_status", "account_lock_reason", "account_password", "account_phone", "account_totp_secret",
}

func readCSV(r io.Reader) ([]line, []LineError) { return collect(csvStream(r)) }

func csvStream(r io.Reader) stream[Record] {
	return csvStreamOf(r, CSVColumns, 4, func(get func(string) string) (Record, error) {
		rec := Record{
			PersonalID: get("personal_id"), FullName: get("full_name"), BirthDate: get("birth_date"), Gender: get("gender"),
			OldID: get("old_id"), Nationality: get("nationality"),
			Residence: Residence{Street: get("street_address"), Ward: get("ward"), District: get("district"), Province: get("province"), Country: get("country")},
			Phone:     get("phone"), Email: get("email"), PassportNo: get("passport_no"),
			GuardianID: get("guardian_id"), GuardianRelation: get("guardian_relation"), IssueDate: get("issue_date"),
		}
		if lv := get("account_level"); lv != "" {
			level, err := strconv.Atoi(lv)
			if err != nil {
				return Record{}, fmt.Errorf("account_level %q is not a number", lv)
			}
			rec.Account = &AccountRecord{Level: level, Status: get("account_status"), LockReason: get("account_lock_reason"),
				Password: get("account_password"), Phone: get("account_phone"), TOTPSecret: get("account_totp_secret")}
		}
		return rec, nil
	})
}

// readCSVOf reads a CSV file whose header names columns (any order, the
// first required of them mandatory) and builds a T from each row; every bad
// header, row or value is reported with its line number.
func readCSVOf[T any](r io.Reader, columns []string, required int, build func(get func(string) string) (T, error)) ([]numbered[T], []LineError) {
	return collect(csvStreamOf(r, columns, required, build))
}

// csvStreamOf is readCSVOf one row at a time. A bad header is every
// problem of line 1 and ends the stream.
func csvStreamOf[T any](r io.Reader, columns []string, required int, build func(get func(string) string) (T, error)) stream[T] {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // every row as long as the header
	cr.ReuseRecord = true
	var pending []LineError // header problems, handed out one by one
	done := false
	col := map[string]int{}
	header, err := cr.Read()
	if err != nil {
		pending = []LineError{{1, fmt.Errorf("header row: %w", err)}}
	} else {
		header = slices.Clone(header)
		known := map[string]bool{}
		for _, c := range columns {
			known[c] = true
		}
		for i, h := range header {
			h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
			if !known[h] {
				pending = append(pending, LineError{1, fmt.Errorf("unknown column %q", h)})
				continue
			}
			if _, dup := col[h]; dup {
				pending = append(pending, LineError{1, fmt.Errorf("column %q twice", h)})
			}
			col[h] = i
		}
		for _, req := range columns[:required] {
			if _, ok := col[req]; !ok {
				pending = append(pending, LineError{1, fmt.Errorf("missing column %q", req)})
			}
		}
	}
	if len(pending) > 0 {
		done = true
	}
	return func() (numbered[T], *LineError, bool) {
		if len(pending) > 0 {
			b := pending[0]
			pending = pending[1:]
			return numbered[T]{}, &b, true
		}
		if done {
			return numbered[T]{}, nil, false
		}
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			done = true
			return numbered[T]{}, nil, false
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				done = true
				return numbered[T]{}, &LineError{0, fmt.Errorf("read: %w", err)}, true
			}
			// The reader carries on with the next row after a parse error.
			return numbered[T]{}, &LineError{pe.StartLine, pe.Err}, true
		}
		n, _ := cr.FieldPos(0)
		rec, err := build(func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(row[i])
			}
			return ""
		})
		if err != nil {
			return numbered[T]{}, &LineError{n, err}, true
		}
		return numbered[T]{n, rec}, nil, true
	}
}
