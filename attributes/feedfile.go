package attributes

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// wireEntry is a feed entry as registries send it: dates as YYYY-MM-DD.
type wireEntry struct {
	Seq       int64             `json:"seq,omitempty"` // file lines only
	Op        FeedOp            `json:"op"`
	Number    string            `json:"number"`
	HolderID  string            `json:"holder_id,omitempty"`
	IssuedOn  string            `json:"issued_on,omitempty"`
	ExpiresOn string            `json:"expires_on,omitempty"`
	Issuer    string            `json:"issuer,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

func (w wireEntry) entry(line int) (FeedEntry, error) {
	e := FeedEntry{Line: line, Op: w.Op, Number: w.Number, HolderID: w.HolderID, Issuer: w.Issuer, Fields: w.Fields}
	var err error
	if e.IssuedOn, err = parseDay("issued_on", w.IssuedOn); err != nil {
		return e, err
	}
	e.ExpiresOn, err = parseDay("expires_on", w.ExpiresOn)
	return e, err
}

func parseDay(name, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("%s: want YYYY-MM-DD", name)
	}
	return &t, nil
}

// MaxFeedBody bounds a pushed batch's JSON body.
const MaxFeedBody = 16 << 20

// DecodeFeedBatch reads a pushed batch, {"seq": N, "entries": [...]}, for
// kind. Entries are numbered from 1 in their order; an entry that does not
// decode is reported with its number, and every such entry is listed.
func DecodeFeedBatch(r io.Reader, kind DocumentKind) (FeedBatch, error) {
	var body struct {
		Seq     int64             `json:"seq"`
		Entries []json.RawMessage `json:"entries"`
	}
	dec := json.NewDecoder(io.LimitReader(r, MaxFeedBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return FeedBatch{}, fmt.Errorf("%w: %w", ErrBadBatch, err)
	}
	if dec.More() {
		return FeedBatch{}, fmt.Errorf("%w: trailing data after the JSON object", ErrBadBatch)
	}
	if len(body.Entries) > MaxFeedEntries {
		return FeedBatch{}, NewFeedInvalid([]LineError{{Line: 0, Err: fmt.Sprintf("more than %d entries", MaxFeedEntries)}})
	}
	b := FeedBatch{Kind: kind, Seq: body.Seq, Entries: make([]FeedEntry, 0, len(body.Entries))}
	var bad []LineError
	for i, raw := range body.Entries {
		e, err := decodeEntry(raw, i+1, false)
		if err != nil {
			bad = append(bad, LineError{i + 1, err.Error()})
			continue
		}
		b.Entries = append(b.Entries, e.FeedEntry)
	}
	if err := NewFeedInvalid(bad); err != nil {
		return FeedBatch{}, err
	}
	return b, nil
}

type seqEntry struct {
	FeedEntry
	seq int64
}

func decodeEntry(raw []byte, line int, withSeq bool) (seqEntry, error) {
	var w wireEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		// Still place the line in its batch when its seq can be read.
		var loose struct {
			Seq int64 `json:"seq"`
		}
		_ = json.Unmarshal(raw, &loose)
		return seqEntry{seq: loose.Seq}, fmt.Errorf("bad JSON: %v", err)
	}
	if !withSeq && w.Seq != 0 {
		return seqEntry{}, errors.New("seq belongs to the batch, not to an entry")
	}
	e, err := w.entry(line)
	return seqEntry{e, w.Seq}, err
}

// FeedFormat is a feed file's format.
type FeedFormat string

// Feed file formats.
const (
	FeedJSONLines FeedFormat = "jsonl"
	FeedCSV       FeedFormat = "csv"
)

// FeedCSVColumns are a feed CSV's leading columns, in its header; further
// columns are document fields (an empty cell leaves the field out).
var FeedCSVColumns = []string{"seq", "op", "number", "holder_id", "issued_on", "expires_on", "issuer"}

// ReadFeedFile streams a feed file of kind: one entry a line, each with the
// sequence number of its batch ("seq"); consecutive lines with the same
// number form one batch, handed to apply before the next is read, so memory
// holds one batch. Numbers in the entries are the file's line numbers. A
// batch with a bad line is refused whole (*FeedInvalidError) and reading
// stops; batches applied before it stay applied.
func ReadFeedFile(r io.Reader, format FeedFormat, kind DocumentKind, apply func(FeedBatch) error) error {
	var next func() (seqEntry, error) // io.EOF at the end; *LineError for a bad line
	switch format {
	case FeedJSONLines:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		line := 0
		next = func() (seqEntry, error) {
			for sc.Scan() {
				line++
				raw := bytes.TrimSpace(sc.Bytes())
				if len(raw) == 0 {
					continue
				}
				e, err := decodeEntry(raw, line, true)
				if err != nil {
					return e, &LineError{line, err.Error()}
				}
				return e, nil
			}
			if err := sc.Err(); err != nil {
				return seqEntry{}, fmt.Errorf("line %d: %w", line+1, err)
			}
			return seqEntry{}, io.EOF
		}
	case FeedCSV:
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			return fmt.Errorf("attributes: feed CSV header: %w", err)
		}
		if len(header) < len(FeedCSVColumns) {
			return fmt.Errorf("attributes: feed CSV header must start with %s", strings.Join(FeedCSVColumns, ","))
		}
		for i, c := range FeedCSVColumns {
			if strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")) != c {
				return fmt.Errorf("attributes: feed CSV header must start with %s", strings.Join(FeedCSVColumns, ","))
			}
		}
		extra := append([]string(nil), header[len(FeedCSVColumns):]...)
		next = func() (seqEntry, error) {
			rec, err := cr.Read()
			if err == io.EOF {
				return seqEntry{}, io.EOF
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return seqEntry{}, &LineError{pe.Line, pe.Err.Error()}
				}
				return seqEntry{}, err
			}
			line, _ := cr.FieldPos(0) // only after a record was read (found by FuzzReadFeedFile)
			seq, err := strconv.ParseInt(rec[0], 10, 64)
			if err != nil {
				return seqEntry{}, &LineError{line, "seq must be a number"}
			}
			if len(rec) != len(header) {
				return seqEntry{seq: seq}, &LineError{line, fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))}
			}
			w := wireEntry{Seq: seq, Op: FeedOp(rec[1]), Number: rec[2], HolderID: rec[3], IssuedOn: rec[4], ExpiresOn: rec[5], Issuer: rec[6]}
			for i, name := range extra {
				if v := rec[len(FeedCSVColumns)+i]; v != "" {
					if w.Fields == nil {
						w.Fields = map[string]string{}
					}
					w.Fields[name] = v
				}
			}
			e, err := w.entry(line)
			if err != nil {
				return seqEntry{e, seq}, &LineError{line, err.Error()}
			}
			return seqEntry{e, seq}, nil
		}
	default:
		return fmt.Errorf("attributes: unknown feed format %q", format)
	}

	var cur FeedBatch
	var bad []LineError
	flush := func() error {
		if len(cur.Entries) == 0 && len(bad) == 0 {
			return nil
		}
		if err := NewFeedInvalid(bad); err != nil {
			return fmt.Errorf("batch %d: %w", cur.Seq, err)
		}
		if err := apply(cur); err != nil {
			return err
		}
		cur.Entries, bad = cur.Entries[:0], nil
		return nil
	}
	started := false
	for {
		e, err := next()
		if err == io.EOF {
			return flush()
		}
		var le *LineError
		if errors.As(err, &le) {
			if e.seq == 0 || (started && e.seq == cur.Seq) {
				bad = append(bad, *le)
				continue
			}
		} else if err != nil {
			return err
		}
		if !started || e.seq != cur.Seq {
			if err := flush(); err != nil {
				return err
			}
			cur = FeedBatch{Kind: kind, Seq: e.seq, Entries: cur.Entries[:0]}
			started = true
		}
		if le != nil {
			bad = append(bad, *le)
			continue
		}
		if len(cur.Entries) == MaxFeedEntries {
			return fmt.Errorf("batch %d: %w", cur.Seq, NewFeedInvalid([]LineError{{e.Line, fmt.Sprintf("more than %d entries in one batch", MaxFeedEntries)}}))
		}
		cur.Entries = append(cur.Entries, e.FeedEntry)
	}
}

// FeedFormatOf guesses a feed file's format from its name.
func FeedFormatOf(name string) (FeedFormat, error) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".csv"):
		return FeedCSV, nil
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".ndjson"):
		return FeedJSONLines, nil
	}
	return "", fmt.Errorf("attributes: %s: unknown format (use .csv or .jsonl)", name)
}
