package accounts

import (
	"errors"
	"time"
)

// Level is an account's assurance level.
type Level int

// Levels (Decree 59/2022 and 69/2024).
const (
	Level0 Level = 0 // registered in the app only, not yet identified
	Level1 Level = 1 // identity data + portrait, self-registered
	Level2 Level = 2 // plus fingerprints, verified in person at a police counter
)

// Status of an account.
type Status string

// Statuses.
const (
	Pending Status = "pending" // registered, not activated
	Active  Status = "active"
	Locked  Status = "locked"
)

// Account is an electronic identity account. Its login name is the 12-digit
// personal identification number.
type Account struct {
	ID          string // opaque internal id (UUID); never shown to relying parties
	PersonalID  string
	Level       Level
	Status      Status
	Phone       string // E.164; one phone number per account
	Email       string
	LockReason  string
	CreatedAt   time.Time
	ActivatedAt *time.Time
	UpdatedAt   time.Time
}

// Sentinel errors.
var (
	ErrNotFound       = errors.New("accounts: not found")
	ErrAlreadyExists  = errors.New("accounts: already exists")
	ErrLocked         = errors.New("accounts: account locked")
	ErrBadCredentials = errors.New("accounts: wrong personal id number or password")
)
