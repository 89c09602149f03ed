package guardianship

import (
	"errors"
	"fmt"
)

// Store errors.
var (
	// ErrNotFound: no such dependent or guardianship record.
	ErrNotFound = errors.New("guardianship: not found")
	// ErrAlreadyExists: the row exists already.
	ErrAlreadyExists = errors.New("guardianship: already exists")
	// ErrInvalid: the input breaks a rule of the domain.
	ErrInvalid = errors.New("guardianship: invalid")
)

// Refusals of Register. Each is audited in the guardian's history.
var (
	// ErrNoAuthority: the guardian may not act for this dependent (its
	// authority ended, the dependent is someone else's, or unknown).
	ErrNoAuthority = errors.New("guardianship: no authority over this dependent")
	// ErrGuardianLevel: only an active level 2 account may register a
	// dependent.
	ErrGuardianLevel = errors.New("guardianship: the guardian's account is not an active level 2 account")
	// ErrTooOld: a child of 14 or more holds an account of its own.
	ErrTooOld = fmt.Errorf("%w: aged 14 or more, registers an account of their own", ErrInvalid)
	// ErrNoRelation: the population registry does not name the guardian as
	// the person's parent or guardian, and no guardianship record in force
	// does either.
	ErrNoRelation = errors.New("guardianship: no registry relation or guardianship record in force")
	// ErrAlreadyRegistered: the person is registered as a dependent
	// already (under this guardian or another).
	ErrAlreadyRegistered = fmt.Errorf("%w: already registered as a dependent", ErrAlreadyExists)
	// ErrHasAccount: the person holds an account of their own.
	ErrHasAccount = fmt.Errorf("%w: holds an account of their own", ErrAlreadyExists)
	// ErrUnknownPerson: the population registry has no such personal id
	// number.
	ErrUnknownPerson = errors.New("guardianship: unknown personal id number")
)
