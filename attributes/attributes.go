package attributes

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a registry has no record for the person.
var ErrNotFound = errors.New("attributes: not found")

// Gender as recorded in the population registry.
type Gender string

// Genders.
const (
	Male   Gender = "male"
	Female Gender = "female"
)

// Address is a residence as the population registry records it.
type Address struct {
	Street   string `json:"street_address,omitempty"` // house number, street, hamlet
	Ward     string `json:"ward,omitempty"`           // commune / ward
	District string `json:"district,omitempty"`
	Province string `json:"province,omitempty"`
	Country  string `json:"country,omitempty"` // ISO 3166-1 alpha-2, "VN"
}

// Person is a citizen's (or foreign resident's) identity record from the
// population registry. It holds no biometric data, by construction: the
// portrait and fingerprints live in package biometrics, which this package
// cannot import.
type Person struct {
	PersonalID  string    `json:"personal_id"` // 12 digits; for foreigners the identification number issued to them
	OldID       string    `json:"old_id,omitempty"`
	FullName    string    `json:"full_name"`
	BirthDate   time.Time `json:"birth_date"` // date only, UTC midnight
	Gender      Gender    `json:"gender"`
	Nationality string    `json:"nationality"` // ISO 3166-1 alpha-2 ("VN")
	Residence   Address   `json:"residence"`
	Phone       string    `json:"phone,omitempty"` // E.164
	Email       string    `json:"email,omitempty"`
	PassportNo  string    `json:"passport_no,omitempty"` // foreigners
	// GuardianID is the personal id of the parent or guardian under whose
	// account a child under 14 or a ward is registered.
	GuardianID string `json:"guardian_id,omitempty"`
	// GuardianRelation is "child" or "ward" when GuardianID is set.
	GuardianRelation string    `json:"guardian_relation,omitempty"`
	IssueDate        time.Time `json:"issue_date,omitempty"` // chip ID card issue date
	// Passport and ResidencePermit are a foreigner's, from the foreigners'
	// registry; nil for citizens.
	Passport        *Passport        `json:"passport,omitempty"`
	ResidencePermit *ResidencePermit `json:"residence_permit,omitempty"`
}

// Passport is a foreigner's passport as the foreigners' registry holds it.
type Passport struct {
	Number         string    `json:"number"`
	IssuingCountry string    `json:"issuing_country"` // ICAO 9303 three-letter code, as in the MRZ ("KOR")
	Expiry         time.Time `json:"expiry"`          // date only, UTC midnight
}

// ResidencePermit is the visa or residence card that lets a foreigner stay.
type ResidencePermit struct {
	Kind   string    `json:"kind"` // visa, temporary_residence_card, permanent_residence_card
	Number string    `json:"number"`
	Expiry time.Time `json:"expiry"` // date only, UTC midnight: the last day of the stay
}

// DocumentKind names an integrated document.
type DocumentKind string

// Document kinds, matching the documents.* scopes.
const (
	DrivingLicence      DocumentKind = "driving_licence"
	VehicleRegistration DocumentKind = "vehicle_registration"
	HealthInsurance     DocumentKind = "health_insurance"
	SocialInsurance     DocumentKind = "social_insurance"
)

// Document is one document integrated into an account (level 2 only).
type Document struct {
	Kind      DocumentKind      `json:"kind"`
	Number    string            `json:"number"`
	HolderID  string            `json:"holder_id"`
	IssuedOn  time.Time         `json:"issued_on,omitempty"`
	ExpiresOn *time.Time        `json:"expires_on,omitempty"`
	Issuer    string            `json:"issuer,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"` // e.g. licence classes, plate number, vehicle make
	Status    string            `json:"status,omitempty"` // valid, expired, retired, suspended, withdrawn
}

// Dependent is a child under 14 or a ward registered under an account.
type Dependent struct {
	PersonalID string    `json:"personal_id"`
	FullName   string    `json:"full_name"`
	BirthDate  time.Time `json:"birth_date"`
	Gender     Gender    `json:"gender"`
	Relation   string    `json:"relation"` // child, ward
}

// Registry is the national population database as the gateway sees it.
type Registry interface {
	Person(ctx context.Context, personalID string) (Person, error)
	// Dependents lists the people whose GuardianID is personalID.
	Dependents(ctx context.Context, personalID string) ([]Dependent, error)
}

// DocumentSource is the document registries (driving licences, vehicle
// registrations, health and social insurance).
type DocumentSource interface {
	Documents(ctx context.Context, holderID string, kinds ...DocumentKind) ([]Document, error)
}
