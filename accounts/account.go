package accounts

import (
	"time"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// Status of an account.
type Status string

// Statuses.
const (
	Pending Status = "pending" // registered, not activated
	Active  Status = "active"
	Locked  Status = "locked"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Pending || s == Active || s == Locked }

// Account is an electronic identity account. Its login name is the 12-digit
// personal identification number.
type Account struct {
	ID          string // opaque internal id (UUID); never shown to relying parties
	PersonalID  string
	Level       assurance.Level
	Status      Status
	Phone       string // E.164; one phone number per account
	Email       string
	LockReason  string
	CreatedAt   time.Time
	ActivatedAt *time.Time
	UpdatedAt   time.Time
	// SignInsEndedAt: browser sign-ins that started before it have ended
	// (set by Lock); nil when none was ever ended.
	SignInsEndedAt *time.Time
	// FirstSignInAt is the account's first completed sign-in (web or app):
	// activated and signed in once is what the figures call "issued". Nil
	// when it never signed in since it was recorded (2026-12-13).
	FirstSignInAt *time.Time
	// EvidenceID names the enrolment evidence the level rests on; empty at
	// level 0.
	EvidenceID string
	// Lang is the language of the citizen's notifications, LangVI or
	// LangEN (set from the page's language at registration and activation,
	// changed on the account page).
	Lang string
}

// SignInEnded reports whether a browser sign-in made at authTime has been
// ended since (by a lock), even if the account was unlocked afterwards.
func (a Account) SignInEnded(authTime time.Time) bool {
	return a.SignInsEndedAt != nil && !authTime.After(*a.SignInsEndedAt)
}

// Factor is a second sign-in factor.
type Factor string

// Second factors, named as their amr values (RFC 8176 §2: "otp" for a
// one-time password from an authenticator app, "sms" for a code sent by SMS).
const (
	FactorTOTP Factor = "otp"
	FactorSMS  Factor = "sms"
)

// TOTPState is an account's authenticator enrolment as stored. Secret is
// sealed with AES-256-GCM under the service's TOTP key with the account id as
// additional data, so a row copied to another account does not decrypt.
type TOTPState struct {
	Secret    []byte // sealed; nil when not enrolled
	Confirmed bool   // set once the holder proved the authenticator works
	// LastStep is the last accepted time step (Unix time / period). A code
	// for this step or an earlier one is refused: RFC 6238 §5.2 asks that a
	// verifier not accept the same OTP twice.
	LastStep int64
}

// Record is an account with its credentials, as the Store keeps it. It never
// leaves the accounts packages.
type Record struct {
	Account
	PasswordHash string // PHC string, see HashPassword; empty when none set
	TOTP         TOTPState
	// PasscodeHash is the argon2id PHC string of the 6-digit passcode for
	// in-app features, set at activation; empty when none.
	PasscodeHash string
	// SecurityAnswers are the two security questions chosen at activation,
	// with argon2id hashes of their normalised answers; nil when none.
	SecurityAnswers []SecurityAnswer
	// Enrolment, when set on Create or Update, is new evidence written in
	// the same transaction: the one EvidenceID then names.
	Enrolment *Evidence
}

// SecurityAnswer is a security question (an id of SecurityQuestions) and the
// argon2id PHC string of its answer, normalised by NormalizeAnswer.
type SecurityAnswer struct {
	Question string `json:"q"`
	Hash     string `json:"h"`
	// Version 2 hashes NormalizeAnswer's form (diacritics kept); 0, from
	// activations before it, FoldText's (diacritics dropped), replaced at
	// the first correct answer.
	Version int `json:"v,omitempty"`
}

// Factors lists the second factors the record can use, TOTP first.
func (r Record) Factors() []Factor {
	var out []Factor
	if r.TOTP.Confirmed && len(r.TOTP.Secret) > 0 {
		out = append(out, FactorTOTP)
	}
	if r.Phone != "" {
		out = append(out, FactorSMS)
	}
	return out
}
