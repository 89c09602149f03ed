package lockrequest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/staff"
)

// Reason is why an authority asks for a lock (Decree 69/2024 art. 15: on
// breach of the terms, when the ID card is revoked, on death, at a
// competent authority's request).
type Reason string

// The reasons a lock request may give.
const (
	ReasonMisuse      Reason = "misuse"
	ReasonCardRevoked Reason = "card_revoked"
	ReasonDeath       Reason = "death"
	ReasonCourtOrder  Reason = "court_order"
	ReasonOther       Reason = "other"
)

// Reasons lists every reason, in the order forms offer them.
var Reasons = []Reason{ReasonMisuse, ReasonCardRevoked, ReasonDeath, ReasonCourtOrder, ReasonOther}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool { return slices.Contains(Reasons, r) }

// LockReason is the short code the account's lock carries
// (accounts.Service.Lock): "authority_" and the request's reason.
func (r Reason) LockReason() string { return "authority_" + string(r) }

// State is where a request stands. Only Pending changes.
type State string

// The states of a request.
const (
	Pending   State = "pending"
	Approved  State = "approved"
	Refused   State = "refused"
	Withdrawn State = "withdrawn"
)

// MaxText bounds the free-text reason and the decision note (characters).
const MaxText = 2000

// Staff is a staff member as a request records them: enough to say later who
// acted, at which unit, even after they moved or left.
type Staff struct {
	MemberID string
	Username string
	Name     string
	Unit     staff.Unit
}

// staffOf is what a request keeps of a principal.
func staffOf(p staff.Principal) Staff {
	return Staff{MemberID: p.MemberID, Username: p.Username, Name: p.Name, Unit: p.Unit}
}

// Request is a lock request.
type Request struct {
	ID         string
	AccountID  string
	PersonalID string
	Reason     Reason
	// Text is the officer's free-text account of the reason. It is kept
	// with the request, never written to the audit log.
	Text    string
	State   State
	FiledBy Staff
	FiledAt time.Time
	// DecidedBy and DecidedAt are set once the request left Pending
	// (approved, refused or withdrawn); Note is the supervisor's note.
	DecidedBy *Staff
	DecidedAt *time.Time
	Note      string
}

// Unlock records an officer unlocking an account at the counter, and the
// chip read it rests on.
type Unlock struct {
	ID         string
	AccountID  string
	PersonalID string
	ReadID     string
	By         Staff
	At         time.Time
}

// Query selects requests for List. Empty fields select everything.
type Query struct {
	State State
	// Unit keeps requests filed at this unit or a unit under it (by dotted
	// code, see Within).
	Unit      string
	FiledBy   string
	AccountID string
	// Limit is the most requests returned (DefaultLimit when 0).
	Limit int
}

// DefaultLimit is the page size of List.
const DefaultLimit = 100

// Store keeps lock requests and unlocks.
type Store interface {
	// Create stores r, running fn in the same transaction before it
	// commits (the audit record); fn's error undoes the write. It fails
	// with ErrAlreadyPending when a request for r.AccountID is pending.
	Create(ctx context.Context, r Request, fn func() error) error
	// Get returns the request, or ErrNotFound.
	Get(ctx context.Context, id string) (Request, error)
	// Update locks the request, calls fn with it and stores what fn left,
	// in one transaction; fn's error undoes everything. ErrNotFound when
	// there is no such request.
	Update(ctx context.Context, id string, fn func(*Request) error) (Request, error)
	// List returns the requests q selects, newest first.
	List(ctx context.Context, q Query) ([]Request, error)
	// CreateUnlock stores u, running fn in the same transaction before it
	// commits; fn's error undoes the write.
	CreateUnlock(ctx context.Context, u Unlock, fn func() error) error
}

// Within reports whether the unit with dotted code unit is ancestor or lies
// under it ("79.760.26734" is within "79.760" and "79", not within "7" or
// "79.76").
func Within(unit, ancestor string) bool {
	if unit == "" || ancestor == "" {
		return false
	}
	return unit == ancestor || strings.HasPrefix(unit, ancestor+".")
}
