package audit

import (
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on event fields. Identifiers longer than their limit make the event
// invalid (a caller bug); free text that a client controls (user agent,
// reason, detail values) is cut, so that no request can make an audit write,
// and with it a whole batch, fail.
const (
	maxIDLen      = 256
	maxShortLen   = 128
	maxUserAgent  = 512
	maxListItems  = 64
	maxDetailKeys = 32
	maxDetailVal  = 256
)

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Normalize returns the event as it will be chained and stored, or an error
// wrapping ErrInvalidEvent. It sets a zero Time to now, converts times to
// UTC at microsecond precision (what PostgreSQL keeps, so the hash survives
// a round trip), replaces invalid UTF-8 and NUL bytes (which PostgreSQL
// refuses), cuts over-long free text, and copies slices and maps so the
// caller may reuse them.
func Normalize(e Event, now time.Time) (Event, error) {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.Time.Before(minTime) || e.Time.After(maxTime) {
		return e, fmt.Errorf("%w: time %s out of range", ErrInvalidEvent, e.Time.Format(time.RFC3339))
	}
	if !isName(string(e.Type)) {
		return e, fmt.Errorf("%w: type %q must be a non-empty lower-case dotted name", ErrInvalidEvent, e.Type)
	}
	if e.ActorKind != "" && !isName(string(e.ActorKind)) {
		return e, fmt.Errorf("%w: actor kind %q", ErrInvalidEvent, e.ActorKind)
	}
	if e.Outcome != "" && !isName(string(e.Outcome)) {
		return e, fmt.Errorf("%w: outcome %q", ErrInvalidEvent, e.Outcome)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"actor id", &e.ActorID}, {"account id", &e.AccountID}, {"client id", &e.ClientID}, {"request id", &e.RequestID}} {
		*f.v = clean(*f.v)
		if len(*f.v) > maxIDLen {
			return e, fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidEvent, f.name, maxIDLen)
		}
	}
	e.ACR = cut(clean(e.ACR), maxShortLen)
	e.Reason = cut(clean(e.Reason), maxShortLen)
	e.IP = cut(clean(e.IP), maxShortLen)
	e.UserAgent = cut(clean(e.UserAgent), maxUserAgent)
	e.Scopes = cleanList(e.Scopes)
	e.Claims = cleanList(e.Claims)
	if len(e.Detail) > 0 {
		if len(e.Detail) > maxDetailKeys {
			return e, fmt.Errorf("%w: more than %d detail entries", ErrInvalidEvent, maxDetailKeys)
		}
		d := make(map[string]string, len(e.Detail))
		for k, v := range maps.All(e.Detail) {
			k = cut(clean(k), maxShortLen)
			if k == "" {
				return e, fmt.Errorf("%w: empty detail key", ErrInvalidEvent)
			}
			d[k] = cut(clean(v), maxDetailVal)
		}
		e.Detail = d
	} else {
		e.Detail = nil
	}
	return e, nil
}

// isName accepts lower-case dotted names such as "signin.succeeded".
func isName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func cleanList(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	if len(l) > maxListItems {
		l = l[:maxListItems]
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = cut(clean(s), maxShortLen)
	}
	return out
}
