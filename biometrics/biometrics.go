package biometrics

import (
	"context"
	"errors"
	"time"
)

// Kind of biometric information.
type Kind string

// Kinds.
const (
	Portrait    Kind = "portrait"
	Fingerprint Kind = "fingerprint"
)

// Record is one biometric template of an account holder.
type Record struct {
	AccountID string
	Kind      Kind
	// Position is the finger (1 right thumb … 10 left little, as ISO/IEC
	// 19794-2 numbers them); 0 for a portrait.
	Position   int
	Template   []byte
	Format     string // media type or template format, e.g. "image/jpeg", "iso-19794-2"
	CapturedAt time.Time
	CapturedBy string // officer id, or "app" for self-registration
}

// Errors.
var (
	ErrNotFound = errors.New("biometrics: not found")
	ErrInvalid  = errors.New("biometrics: invalid record")
)

// Store keeps biometric records.
type Store interface {
	// Put inserts or replaces the record for (AccountID, Kind, Position).
	Put(ctx context.Context, r Record) error
	// Records returns an account's records of the given kinds (all when
	// none given), by kind then position.
	Records(ctx context.Context, accountID string, kinds ...Kind) ([]Record, error)
	// Delete removes every record of the account and says how many.
	Delete(ctx context.Context, accountID string) (int64, error)
}

// Validate checks a record before it is stored.
func (r Record) Validate() error {
	switch {
	case r.Kind == Portrait && r.Position != 0:
		return errors.Join(ErrInvalid, errors.New("a portrait has no finger position"))
	case r.Kind == Fingerprint && (r.Position < 1 || r.Position > 10):
		return errors.Join(ErrInvalid, errors.New("finger position must be 1 to 10"))
	case r.Kind != Portrait && r.Kind != Fingerprint:
		return errors.Join(ErrInvalid, errors.New("unknown kind"))
	case len(r.Template) == 0:
		return errors.Join(ErrInvalid, errors.New("empty template"))
	}
	return nil
}

// Sentinels mark the biometric records of demo and test citizens, so that a
// byte search of every response, log line and token catches any leak.
const (
	SentinelPrefix            = "BIOMETRIC-SENTINEL-"
	PortraitSentinelPrefix    = SentinelPrefix + "PORTRAIT-"
	FingerprintSentinelPrefix = SentinelPrefix + "FINGERPRINT-"
)

// PortraitSentinel is the marker inside a demo citizen's portrait.
func PortraitSentinel(personalID string) string { return PortraitSentinelPrefix + personalID }

// FingerprintSentinel is the marker inside a demo citizen's fingerprints.
func FingerprintSentinel(personalID string) string { return FingerprintSentinelPrefix + personalID }
