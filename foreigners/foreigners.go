package foreigners

import (
	"context"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// Errors of the registry.
var (
	// ErrNotFound: the registry has no resident with that passport or
	// number.
	ErrNotFound = errors.New("foreigners: not found")
)

// PermitKind is the kind of document that lets a foreigner stay in Vietnam
// (Law on Entry, Exit, Transit and Residence of Foreigners in Viet Nam
// 47/2014/QH13, amended by 51/2019/QH14 and 23/2023/QH15: a visa, a
// temporary residence card or a permanent residence card).
type PermitKind string

// Permit kinds.
const (
	Visa                   PermitKind = "visa"
	TemporaryResidenceCard PermitKind = "temporary_residence_card"
	PermanentResidenceCard PermitKind = "permanent_residence_card"
)

// ValidPermitKind reports whether k is one of the permit kinds.
func ValidPermitKind(k string) bool {
	switch PermitKind(k) {
	case Visa, TemporaryResidenceCard, PermanentResidenceCard:
		return true
	}
	return false
}

// Sexes as written in the MRZ (ICAO 9303 part 4 §4.2.2): M, F, or X for
// unspecified.
const (
	SexMale        = "M"
	SexFemale      = "F"
	SexUnspecified = "X"
)

// Resident is one foreigner as the foreigners' registry holds them.
//
// Country codes (IssuingCountry, Nationality) are the three-letter codes of
// ICAO 9303 as printed in the MRZ, i.e. ISO 3166-1 alpha-3 ("KOR", "DEU");
// CountryCode turns what a person or a chip gives ("KR", "kor", "D<<")
// into that form. Names are in MRZ form (MRZName): upper-case A to Z, name
// parts separated by one space, no diacritics, no filler.
type Resident struct {
	// ID is the identification number assigned to the foreigner: 12 digits
	// of the personal identification number's shape (see ValidID), which is
	// their account's personal_id and login.
	ID             string
	PassportNo     string    // upper-case letters and digits, as in the MRZ
	IssuingCountry string    // ICAO 9303 alpha-3
	Nationality    string    // ICAO 9303 alpha-3
	PrimaryName    string    // primary identifier (surname), MRZ form
	SecondaryName  string    // secondary identifier (given names), MRZ form; may be empty
	BirthDate      time.Time // date only, UTC midnight
	Sex            string    // M, F or X
	PassportExpiry time.Time // date only, UTC midnight
	PermitKind     PermitKind
	PermitNumber   string
	PermitExpiry   time.Time // date only, UTC midnight; the last day of the stay
	Address        attributes.Address
	Phone          string // E.164
	Email          string
	UpdatedAt      time.Time
}

// Registry is the foreigners' registry as the gateway sees it.
type Registry interface {
	// ByPassport finds the resident holding the passport numbered
	// passportNo issued by issuingCountry (ICAO alpha-3), or ErrNotFound.
	ByPassport(ctx context.Context, issuingCountry, passportNo string) (Resident, error)
	// ByID finds the resident with the assigned identification number id,
	// or ErrNotFound.
	ByID(ctx context.Context, id string) (Resident, error)
}

// Name is the resident's name for people: secondary then primary
// identifier ("MIN JUN KIM"), as the MRZ spells them.
func (r Resident) Name() string {
	if r.SecondaryName == "" {
		return r.PrimaryName
	}
	return r.SecondaryName + " " + r.PrimaryName
}

// Gender is the attributes gender of the MRZ sex; empty for X.
func (r Resident) Gender() attributes.Gender {
	switch r.Sex {
	case SexMale:
		return attributes.Male
	case SexFemale:
		return attributes.Female
	}
	return ""
}

// PermitExpired reports whether the permit has expired on the day of now
// (the expiry date is the last day of the stay).
func (r Resident) PermitExpired(now time.Time) bool {
	return !r.PermitExpiry.IsZero() && day(now).After(r.PermitExpiry)
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
