package audit

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"
)

// entryJSON is the stable external form of an entry (exports, APIs).
type entryJSON struct {
	Seq       int64             `json:"seq"`
	Time      time.Time         `json:"time"`
	LoggedAt  time.Time         `json:"logged_at"`
	Type      EventType         `json:"type"`
	Outcome   Outcome           `json:"outcome,omitempty"`
	ActorKind ActorKind         `json:"actor_kind,omitempty"`
	ActorID   string            `json:"actor_id,omitempty"`
	AccountID string            `json:"account_id,omitempty"`
	ClientID  string            `json:"client_id,omitempty"`
	Scopes    []string          `json:"scopes,omitempty"`
	Claims    []string          `json:"claims,omitempty"`
	ACR       string            `json:"acr,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
	Hash      Hash              `json:"hash"`
}

// MarshalJSON encodes the entry with snake_case names and UTC times.
func (e Entry) MarshalJSON() ([]byte, error) {
	return json.Marshal(entryJSON{
		Seq: e.Seq, Time: e.Time.UTC(), LoggedAt: e.LoggedAt.UTC(), Type: e.Type, Outcome: e.Outcome,
		ActorKind: e.ActorKind, ActorID: e.ActorID, AccountID: e.AccountID, ClientID: e.ClientID,
		Scopes: e.Scopes, Claims: e.Claims, ACR: e.ACR, Reason: e.Reason, IP: e.IP,
		UserAgent: e.UserAgent, RequestID: e.RequestID, Detail: e.Detail, Hash: e.Hash,
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Entry{Seq: j.Seq, LoggedAt: j.LoggedAt.UTC(), Hash: j.Hash, Event: Event{
		Time: j.Time.UTC(), Type: j.Type, Outcome: j.Outcome, ActorKind: j.ActorKind, ActorID: j.ActorID,
		AccountID: j.AccountID, ClientID: j.ClientID, Scopes: j.Scopes, Claims: j.Claims, ACR: j.ACR,
		Reason: j.Reason, IP: j.IP, UserAgent: j.UserAgent, RequestID: j.RequestID, Detail: j.Detail,
	}}
	return nil
}

// WriteJSON writes entries as one JSON array, streaming.
func WriteJSON(w io.Writer, entries iter.Seq2[Entry, error]) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	first := true
	for e, err := range entries {
		if err != nil {
			return fmt.Errorf("audit: export json: %w", err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("audit: export json: %w", err)
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n")
		bw.Write(b)
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit: export json: %w", err)
	}
	return nil
}

// CSVHeader is the header row WriteCSV writes.
var CSVHeader = []string{"seq", "time", "type", "outcome", "client_id", "scopes", "claims", "acr",
	"actor_kind", "actor_id", "reason", "ip", "user_agent", "request_id"}

// WriteCSV writes entries as CSV (RFC 4180) with CSVHeader first. Lists are
// space-separated. Cells that a spreadsheet would run as a formula are
// prefixed with an apostrophe: the user agent comes from the client.
func WriteCSV(w io.Writer, entries iter.Seq2[Entry, error]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("audit: export csv: %w", err)
	}
	for e, err := range entries {
		if err != nil {
			return fmt.Errorf("audit: export csv: %w", err)
		}
		row := []string{
			strconv.FormatInt(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), string(e.Type), string(e.Outcome),
			e.ClientID, strings.Join(e.Scopes, " "), strings.Join(e.Claims, " "), e.ACR,
			string(e.ActorKind), e.ActorID, e.Reason, e.IP, e.UserAgent, e.RequestID,
		}
		for i, c := range row {
			row[i] = defuseFormula(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("audit: export csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("audit: export csv: %w", err)
	}
	return nil
}

// defuseFormula guards against CSV injection (OWASP): a cell starting with
// = + - @ or a control character is shown as text.
func defuseFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Slice adapts a slice to the iterator WriteCSV and WriteJSON take.
func Slice(entries []Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}
