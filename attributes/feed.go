package attributes

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Document statuses. A document is released with its status; only a valid
// one whose expiry date has not passed is released as "valid".
const (
	StatusValid     = "valid"
	StatusExpired   = "expired"
	StatusRetired   = "retired"
	StatusSuspended = "suspended"
	StatusWithdrawn = "withdrawn"
)

// EffectiveStatus is d's status on the day today: a document recorded as
// valid whose expires_on is before today is expired.
func EffectiveStatus(d Document, today time.Time) string {
	s := d.Status
	if s == "" {
		s = StatusValid
	}
	if s == StatusValid && d.ExpiresOn != nil && d.ExpiresOn.Before(dayOf(today)) {
		return StatusExpired
	}
	return s
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DocumentKinds lists the document registries.
func DocumentKinds() []DocumentKind {
	return []DocumentKind{DrivingLicence, VehicleRegistration, HealthInsurance, SocialInsurance}
}

// KnownDocumentKind reports whether k is one of DocumentKinds.
func KnownDocumentKind(k DocumentKind) bool {
	switch k {
	case DrivingLicence, VehicleRegistration, HealthInsurance, SocialInsurance:
		return true
	}
	return false
}

// FeedOp is what one feed entry does to a document.
type FeedOp string

// Feed operations.
const (
	// OpUpsert creates or replaces a document; it becomes valid.
	OpUpsert FeedOp = "upsert"
	// OpSuspend, OpWithdraw and OpExpire change the status of a document
	// the registry pushed before.
	OpSuspend  FeedOp = "suspend"
	OpWithdraw FeedOp = "withdraw"
	OpExpire   FeedOp = "expire"
)

// Status is the document status an operation leaves.
func (o FeedOp) Status() string {
	switch o {
	case OpUpsert:
		return StatusValid
	case OpSuspend:
		return StatusSuspended
	case OpWithdraw:
		return StatusWithdrawn
	case OpExpire:
		return StatusExpired
	}
	return ""
}

// FeedEntry is one line of a registry's batch.
type FeedEntry struct {
	Line      int               `json:"-"` // 1-based place in the batch (or file line)
	Op        FeedOp            `json:"op"`
	Number    string            `json:"number"`
	HolderID  string            `json:"holder_id,omitempty"`
	IssuedOn  *time.Time        `json:"issued_on,omitempty"`
	ExpiresOn *time.Time        `json:"expires_on,omitempty"`
	Issuer    string            `json:"issuer,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// FeedBatch is one numbered batch of a registry's update feed. Batches of a
// kind are applied in sequence, from 1, each whole or not at all.
type FeedBatch struct {
	Kind    DocumentKind
	Seq     int64
	Entries []FeedEntry
}

// Digest identifies a batch's content, so that a replay can be told from a
// different batch that reuses a sequence number.
func (b FeedBatch) Digest() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n", b.Kind, b.Seq)
	enc := json.NewEncoder(h)
	for _, e := range b.Entries {
		_ = enc.Encode(e) // map keys are sorted by encoding/json
	}
	return h.Sum(nil)
}

// FeedResult says what applying a batch did.
type FeedResult struct {
	Kind DocumentKind `json:"kind"`
	Seq  int64        `json:"seq"`
	// Applied is false for a replay of a batch already applied: nothing
	// changed.
	Applied bool `json:"applied"`
	Entries int  `json:"entries"`
}

// LineError is one bad entry of a batch.
type LineError struct {
	Line int    `json:"line"`
	Err  string `json:"error"`
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Err) }

// FeedInvalidError lists every bad entry of a refused batch: nothing of it
// was applied.
type FeedInvalidError struct{ Lines []LineError }

func (e *FeedInvalidError) Error() string {
	parts := make([]string, 0, len(e.Lines))
	for _, l := range e.Lines {
		parts = append(parts, l.Error())
	}
	return "attributes: batch refused, nothing applied: " + strings.Join(parts, "; ")
}

// NewFeedInvalid sorts lines and returns the error (nil when none).
func NewFeedInvalid(lines []LineError) error {
	if len(lines) == 0 {
		return nil
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Line < lines[j].Line })
	return &FeedInvalidError{Lines: lines}
}

// FeedGapError refuses a batch whose sequence number is not the next one.
type FeedGapError struct {
	Kind     DocumentKind
	Got      int64
	Expected int64
}

func (e *FeedGapError) Error() string {
	return fmt.Sprintf("attributes: %s feed: batch %d refused, expected %d", e.Kind, e.Got, e.Expected)
}

// ErrBadBatch refuses a batch that is not readable as a whole (its JSON,
// kind or sequence number); bad entries are a *FeedInvalidError.
var ErrBadBatch = errors.New("attributes: bad batch")

// ErrFeedReplayMismatch refuses a batch that reuses the sequence number of
// an applied batch with different content.
var ErrFeedReplayMismatch = errors.New("attributes: feed: a different batch was already applied with this sequence number")

// MaxFeedEntries bounds one batch (a file is cut into batches of at most
// this many entries by its sender).
const MaxFeedEntries = 10000

// Validate checks a batch before any write: known kind, a positive sequence
// number, and each entry (operation, number, holder ID for an upsert, dates,
// one entry per document number).
func (b FeedBatch) Validate() error {
	if !KnownDocumentKind(b.Kind) {
		return fmt.Errorf("%w: unknown document kind %q", ErrBadBatch, b.Kind)
	}
	if b.Seq <= 0 {
		return fmt.Errorf("%w: sequence number must be positive, got %d", ErrBadBatch, b.Seq)
	}
	if len(b.Entries) == 0 {
		return NewFeedInvalid([]LineError{{Line: 0, Err: "empty batch"}})
	}
	if len(b.Entries) > MaxFeedEntries {
		return NewFeedInvalid([]LineError{{Line: 0, Err: fmt.Sprintf("more than %d entries", MaxFeedEntries)}})
	}
	var bad []LineError
	seen := map[string]int{}
	for i, e := range b.Entries {
		line := e.Line
		if line == 0 {
			line = i + 1
		}
		add := func(format string, a ...any) { bad = append(bad, LineError{line, fmt.Sprintf(format, a...)}) }
		if e.Op.Status() == "" {
			add("unknown op %q (upsert, suspend, withdraw, expire)", e.Op)
		}
		if e.Number == "" || len(e.Number) > 64 || strings.TrimSpace(e.Number) != e.Number {
			add("number missing, too long or padded")
		} else if prev, dup := seen[e.Number]; dup {
			add("number %s already in this batch at line %d", e.Number, prev)
		} else {
			seen[e.Number] = line
		}
		if e.Op == OpUpsert && e.HolderID == "" {
			add("holder_id missing")
		}
		if e.HolderID != "" && !twelveDigits(e.HolderID) {
			add("holder_id must be 12 digits")
		}
		if e.IssuedOn != nil && e.ExpiresOn != nil && e.ExpiresOn.Before(*e.IssuedOn) {
			add("expires_on before issued_on")
		}
		for k := range e.Fields {
			if biometricField(k) {
				add("field %q is biometric and never stored", k)
			}
		}
	}
	return NewFeedInvalid(bad)
}

func twelveDigits(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FeedStore applies batches atomically.
type FeedStore interface {
	// ApplyFeed applies b in one transaction, recording actor as the one
	// who pushed it: a *FeedGapError when b.Seq is not the next number, a
	// FeedResult with Applied false for a replay, a *FeedInvalidError when
	// an entry cannot apply (unknown holder or document).
	ApplyFeed(ctx context.Context, b FeedBatch, actor string) (FeedResult, error)
}

// ApplyFeed validates b then applies it through st.
func ApplyFeed(ctx context.Context, st FeedStore, b FeedBatch, actor string) (FeedResult, error) {
	for i := range b.Entries {
		if b.Entries[i].Line == 0 {
			b.Entries[i].Line = i + 1
		}
	}
	if err := b.Validate(); err != nil {
		return FeedResult{}, err
	}
	return st.ApplyFeed(ctx, b, actor)
}

// NewRegistryToken returns a fresh push secret for a registry: 32 random
// bytes, base64url, prefixed so that a leaked one is recognisable.
func NewRegistryToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "ddreg_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// RegistryTokenHash is the keyed hash under which a push secret is stored.
func RegistryTokenHash(key []byte, token string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// RegistryCredential is a registry's push credential as operators see it:
// never its secret nor the secret's hash. A registry has at most one in
// force; creating a new one revokes the one before.
type RegistryCredential struct {
	ID         int64        `json:"id"`
	Kind       DocumentKind `json:"kind"`
	CreatedAt  time.Time    `json:"created_at"`
	CreatedBy  string       `json:"created_by"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time   `json:"revoked_at,omitempty"`
	RevokedBy  string       `json:"revoked_by,omitempty"`
}

// ErrRevoked refuses to revoke a credential revoked already.
var ErrRevoked = errors.New("attributes: registry credential already revoked")
