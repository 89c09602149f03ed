package guardianship

import (
	"context"
	"time"
)

// Relations of a dependent to its guardian.
const (
	RelationChild = "child"
	RelationWard  = "ward"
)

// Bases of a registration: what proved the relation.
const (
	// BasisRegistry: the population registry names the guardian as the
	// person's parent or guardian (population.guardian_id).
	BasisRegistry = "registry"
	// BasisRecord: a guardianship record an officer entered (RecordID).
	BasisRecord = "record"
)

// End reasons (Dependent.EndReason).
const (
	// EndAge14: a child turned 14 and holds an account of their own from
	// then (accounts.MinAge).
	EndAge14 = "age_14"
	// EndRecordEnded: the ward's guardianship record ended.
	EndRecordEnded = "record_ended"
)

// AuthorityAge is the age at which a child's registration under a parent
// ends: from it the child holds an account of their own (the same age as
// accounts.MinAge; Decree 69/2024 art. 11).
const AuthorityAge = 14

// Dependent is a child under 14 or a ward registered under a guardian's
// account. It has an identity but no sign-in.
type Dependent struct {
	// ID is the dependent's opaque subject key (a UUID), used where an
	// account id would be: consents, histories, pairwise subjects. Never the
	// personal id number. A child who opens an account at 14 keeps it as
	// the account's id.
	ID                string
	PersonalID        string
	FullName          string
	BirthDate         time.Time // date only, UTC midnight
	Relation          string    // RelationChild or RelationWard
	GuardianAccountID string
	Basis             string // BasisRegistry or BasisRecord
	RecordID          string // the guardianship record when Basis is BasisRecord
	RegisteredAt      time.Time
	// AuthorityEnds is when the guardian's authority ends: the 14th
	// birthday (UTC midnight) for a registration on the registry's
	// relation, the record's end for one on a guardianship record (nil
	// while the record has no end).
	AuthorityEnds *time.Time
	// EndedAt and EndReason are set once the end has been recorded (by
	// Sweep, or by a new registration of the same person).
	EndedAt   *time.Time
	EndReason string
}

// ActiveAt reports whether the guardian's authority holds at now: its end
// was not recorded and has not come.
func (d Dependent) ActiveAt(now time.Time) bool {
	return d.EndedAt == nil && (d.AuthorityEnds == nil || now.Before(*d.AuthorityEnds))
}

// Record is a guardianship record: an officer's entry of a decision that
// GuardianID (a personal id number) is the guardian of WardID.
type Record struct {
	ID         string // UUID
	WardID     string // the ward's personal id number
	GuardianID string // the guardian's personal id number
	// Number is the decision's or record's number, as written on it.
	Number    string
	Starts    time.Time
	Ends      *time.Time // nil: no end set
	OfficerID string     // the staff member who entered it
	Unit      string     // their unit (code and name)
	CreatedAt time.Time
}

// LiveAt reports whether the record is in force at now.
func (r Record) LiveAt(now time.Time) bool {
	return !now.Before(r.Starts) && (r.Ends == nil || now.Before(*r.Ends))
}

// Store keeps dependents and guardianship records. Implementations return
// ErrNotFound for a missing row and times in UTC.
type Store interface {
	// Register locks the dependent row of personalID (found false when
	// there is none), calls fn and writes what it returns (a new row, or
	// the row replaced in place: the id stays the person's), in one
	// transaction. fn's error rolls back and is returned. Two concurrent
	// first registrations of one person: one gets ErrAlreadyExists.
	Register(ctx context.Context, personalID string, fn func(cur Dependent, found bool) (Dependent, error)) (Dependent, error)
	// Update locks the dependent id, calls fn and writes back EndedAt,
	// EndReason and AuthorityEnds, in one transaction.
	Update(ctx context.Context, id string, fn func(*Dependent) error) (Dependent, error)
	Get(ctx context.Context, id string) (Dependent, error)
	ByPersonalID(ctx context.Context, personalID string) (Dependent, error)
	// ForGuardian lists the dependents ever registered under an account
	// (ended ones too), oldest registration first.
	ForGuardian(ctx context.Context, guardianAccountID string) ([]Dependent, error)
	// Due lists at most limit dependents whose authority has ended by now
	// and whose end is not recorded yet, earliest end first.
	Due(ctx context.Context, now time.Time, limit int) ([]Dependent, error)

	// CreateRecord inserts r; audit runs inside the transaction, and its
	// error rolls back.
	CreateRecord(ctx context.Context, r Record, audit func() error) error
	GetRecord(ctx context.Context, id string) (Record, error)
	// RecordsFor lists the records naming wardID, newest start first.
	RecordsFor(ctx context.Context, wardID string) ([]Record, error)
	// ListRecords lists the newest records entered, at most limit.
	ListRecords(ctx context.Context, limit int) ([]Record, error)
	// UpdateRecord locks the record, calls fn and writes back Ends; in the
	// same transaction the new end becomes the AuthorityEnds of the
	// dependents registered on the record whose end is not recorded yet.
	UpdateRecord(ctx context.Context, id string, fn func(*Record) error) (Record, error)
}
