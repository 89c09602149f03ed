package accounts

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// EvidenceMethod says how an enrolment was made.
type EvidenceMethod string

// Enrolment methods.
const (
	// EvidenceCounter: an officer at a police counter read the chip card,
	// took the portrait (and, for level 2, fingerprints) and recorded the
	// citizen's consent.
	EvidenceCounter EvidenceMethod = "counter"
	// EvidenceApp: the citizen's phone read the chip by NFC (or the card's
	// QR code) and took a portrait; approved by rule or by an officer.
	EvidenceApp EvidenceMethod = "app"
	// EvidenceImport: the level came with the account from the population
	// registry's own enrolment records (an import, or data older than
	// evidence records); Source names the file or system.
	EvidenceImport EvidenceMethod = "import"
)

// Valid reports whether m is a known method.
func (m EvidenceMethod) Valid() bool {
	return m == EvidenceCounter || m == EvidenceApp || m == EvidenceImport
}

// Documents an enrolment read (Evidence.Document).
const (
	DocumentIDCard   = "id_card"  // the chip ID card (CCCD)
	DocumentPassport = "passport" // a foreigner's passport (TD3 MRZ)
)

// Check is one verification an enrolment rests on, by name: for example
// "passive_authentication", "active_authentication", "registry_match",
// "document_valid", "portrait_captured", "fingerprint_match", "consent".
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Evidence is the record an account's level rests on (DESIGN-NOTES
// "Proofing evidence"): which document, which checks passed, who checked,
// when. It is written once and never changed, except to be revoked (a
// revoked card or signer certificate), which lowers the level to that of
// the newest evidence still valid.
type Evidence struct {
	ID        string
	AccountID string
	Level     assurance.Level
	Method    EvidenceMethod
	// The document read: number (the MRZ document number), issuing state
	// (ISO 3166-1 alpha-3, "VNM"), expiry, and the document signer
	// certificate that signed its data (subject and serial), when a chip
	// was read.
	DocumentNumber string
	IssuingState   string
	DocumentExpiry *time.Time
	Signer         string
	// Document is DocumentIDCard or DocumentPassport when a document was
	// read ("" for an import); CSCA names the country signing certificate
	// the signer chains to.
	Document string
	CSCA     string
	Checks   []Check
	// OfficerID and Unit name the staff member who checked, and their
	// police unit; empty when a rule approved (the app) or for an import,
	// where Source says what.
	OfficerID string
	Unit      string
	Source    string
	CreatedAt time.Time
	RevokedAt *time.Time
	// RevokedReason says why, when RevokedAt is set.
	RevokedReason string
}

// Valid reports whether the evidence may still hold a level up.
func (e Evidence) Valid() bool { return e.RevokedAt == nil }

// Failed returns the names of the checks that did not pass.
func (e Evidence) Failed() []string {
	var out []string
	for _, c := range e.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// validate checks evidence before it raises a level: every check passed,
// the method's own requirements are met.
func (e Evidence) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: enrolment evidence: "+format, append([]any{ErrInvalid}, a...)...)
	}
	switch {
	case e.Level != assurance.Level1 && e.Level != assurance.Level2:
		return bad("level %d: evidence raises to level 1 or 2", e.Level)
	case !e.Method.Valid():
		return bad("method %q", e.Method)
	case len(e.Checks) == 0:
		return bad("no checks")
	case len(e.Failed()) > 0:
		return bad("checks failed: %v", e.Failed())
	case e.Method == EvidenceCounter && (e.OfficerID == "" || e.Unit == ""):
		return bad("a counter enrolment names the officer and the unit")
	case e.Method == EvidenceImport && e.Source == "":
		return bad("an imported level names its source")
	case e.Method != EvidenceImport && e.DocumentNumber == "":
		return bad("the document read is required")
	case e.Level == assurance.Level2 && e.Method != EvidenceCounter && e.Method != EvidenceImport:
		return bad("level 2 is granted only at a police counter")
	}
	for _, s := range []string{e.DocumentNumber, e.IssuingState, e.Signer, e.OfficerID, e.Unit, e.Source} {
		if len(s) > 500 || !utf8.ValidString(s) {
			return bad("a field is too long or not UTF-8")
		}
	}
	for _, c := range e.Checks {
		if c.Name == "" || len(c.Name) > 64 || len(c.Detail) > 500 || !utf8.ValidString(c.Detail) {
			return bad("check %q is malformed", c.Name)
		}
	}
	return nil
}

// ImportedEvidence is the evidence of a level that arrives with an account
// from the population registry's own enrolment records, named by source
// (the import file or system).
func ImportedEvidence(level assurance.Level, source string) Evidence {
	return Evidence{Level: level, Method: EvidenceImport, Source: source,
		Checks: []Check{{Name: "registry_enrolment", OK: true, Detail: "level recorded by the registry's enrolment"}}}
}
