package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// HashSize is the size of a chain hash (SHA-256).
const HashSize = sha256.Size

// Hash is a link of the chain: SHA-256(previous hash ‖ canonical encoding of
// the entry). It marshals as lower-case hex.
type Hash [HashSize]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	parsed, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}

// ParseHash decodes a hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		return h, fmt.Errorf("audit: parse hash %q: want %d hex bytes", s, HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// HashFromBytes copies a stored hash; it fails unless b has HashSize bytes.
func HashFromBytes(b []byte) (Hash, error) {
	var h Hash
	if len(b) != HashSize {
		return h, fmt.Errorf("audit: stored hash has %d bytes, want %d", len(b), HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// Head is the end of a chain: the newest entry's sequence number, hash and
// log time. The zero Head (Genesis) is the head of an empty chain.
type Head struct {
	Seq      int64
	Hash     Hash
	LoggedAt time.Time
}

// Genesis is the head of an empty chain: sequence 0 and an all-zero hash.
var Genesis = Head{}

// Entry is an event as chained and stored: the event plus its sequence
// number, the time the writer logged it and its chain hash.
type Entry struct {
	Seq int64
	// LoggedAt is when the writer chained the entry. It never decreases
	// along the chain, so partitions by LoggedAt hold contiguous ranges of
	// sequence numbers and retention drops a prefix of the chain. Event.Time
	// is when the action happened, as the caller saw it.
	LoggedAt time.Time
	Event
	Hash Hash
}

// Head returns the chain head this entry forms.
func (e Entry) Head() Head { return Head{Seq: e.Seq, Hash: e.Hash, LoggedAt: e.LoggedAt} }

// Chain links events after prev: sequence numbers prev.Seq+1 onwards, each
// hash computed from the previous one. The log time is loggedAt, or
// prev.LoggedAt if that is later, so that LoggedAt never decreases. Events
// must be normalised (see Normalize).
func Chain(prev Head, loggedAt time.Time, events ...Event) []Entry {
	loggedAt = loggedAt.UTC().Truncate(time.Microsecond)
	if loggedAt.Before(prev.LoggedAt) {
		loggedAt = prev.LoggedAt.UTC()
	}
	out := make([]Entry, len(events))
	var buf []byte
	h := prev.Hash
	for i, e := range events {
		seq := prev.Seq + int64(i) + 1
		buf = AppendCanonical(buf[:0], seq, loggedAt, e)
		h = hashLink(h, buf)
		out[i] = Entry{Seq: seq, LoggedAt: loggedAt, Event: e, Hash: h}
	}
	return out
}

// ComputeHash recomputes an entry's hash from the previous hash, as a
// verifier does: SHA-256(prev ‖ AppendCanonical(nil, e.Seq, e.LoggedAt, e.Event)).
func ComputeHash(prev Hash, e Entry) Hash {
	return hashLink(prev, AppendCanonical(nil, e.Seq, e.LoggedAt, e.Event))
}

func hashLink(prev Hash, enc []byte) Hash {
	d := sha256.New()
	d.Write(prev[:])
	d.Write(enc)
	var h Hash
	d.Sum(h[:0])
	return h
}

// canonicalVersion prefixes every encoding so that a future layout cannot
// collide with this one.
const canonicalVersion = 1

// AppendCanonical appends the canonical encoding of an entry to b. The
// layout is fixed so that a third party can recompute the chain:
//
//	byte     version (1)
//	int64    seq, big endian
//	int64    logged_at, microseconds since the Unix epoch, big endian
//	int64    time, microseconds since the Unix epoch, big endian
//	string   type, actor_kind, actor_id, account_id, client_id
//	list     scopes, claims
//	string   acr, outcome, reason, ip, user_agent, request_id
//	map      detail, entries sorted by key, each a key string then a value string
//
// where a string is its length as an unsigned varint followed by its UTF-8
// bytes, a list is its element count as an unsigned varint followed by that
// many strings, and a map is its entry count followed by the entries. A nil
// and an empty list (or map) encode the same.
func AppendCanonical(b []byte, seq int64, loggedAt time.Time, e Event) []byte {
	b = append(b, canonicalVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = binary.BigEndian.AppendUint64(b, uint64(loggedAt.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	for _, s := range []string{string(e.Type), string(e.ActorKind), e.ActorID, e.AccountID, e.ClientID} {
		b = appendString(b, s)
	}
	b = appendList(b, e.Scopes)
	b = appendList(b, e.Claims)
	for _, s := range []string{e.ACR, string(e.Outcome), e.Reason, e.IP, e.UserAgent, e.RequestID} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Detail)))
	if len(e.Detail) == 0 {
		return b
	}
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, e.Detail[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}
