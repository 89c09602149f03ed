// Package assurance is the one home of the assurance vocabulary: the level
// of an account or a sign-in, the acr values relying parties see (MISSION
// "Fixed names"), their order, and the rule that combines them. Every
// package that speaks of levels imports it; nothing here knows of HTTP,
// storage or any other domain.
package assurance

import "strconv"

// Level is an assurance level: of an account (what its enrolment proved),
// of a sign-in (what its factors proved), or of a request (what a relying
// party needs). Higher is stronger; level 2 satisfies a need for level 1.
type Level int

// Levels (Decree 59/2022 art. 12, Decree 69/2024 art. 11).
const (
	// None: registered in the app only, not yet identified; also a sign-in
	// that proved nothing.
	None Level = 0
	// Level1: identity data and portrait, self-registered; a sign-in with a
	// password.
	Level1 Level = 1
	// Level2: plus fingerprints, verified in person at a police counter; a
	// sign-in with a password and a second factor.
	Level2 Level = 2
)

// The acr values of the levels (MISSION "Fixed names").
const (
	ACR1 = "urn:vn:eid:loa:1"
	ACR2 = "urn:vn:eid:loa:2"
)

// Valid reports whether l is one of the three levels.
func (l Level) Valid() bool { return l >= None && l <= Level2 }

// ACR is the acr value of l; "" for None and anything unknown (no acr is
// ever claimed for an unidentified account).
func (l Level) ACR() string {
	switch l {
	case Level1:
		return ACR1
	case Level2:
		return ACR2
	}
	return ""
}

// String is the level's number, for logs and tables.
func (l Level) String() string { return strconv.Itoa(int(l)) }

// Satisfies reports whether l meets a need for level need: a higher level
// satisfies a lower one.
func (l Level) Satisfies(need Level) bool { return l >= need }

// ParseACR returns the level of an acr value; false when it names none.
func ParseACR(v string) (Level, bool) {
	switch v {
	case ACR1:
		return Level1, true
	case ACR2:
		return Level2, true
	}
	return None, false
}

// Supported lists the acr values in ascending order (discovery's
// acr_values_supported).
func Supported() []string { return []string{ACR1, ACR2} }

// Of is the level a sign-in reaches: the lower of the account's level and
// the strength of the sign-in (MISSION "Fixed names"), never below None.
func Of(account, strength Level) Level { return max(None, min(account, strength)) }

// Max is the stronger of two levels (a need raised by another need).
func Max(a, b Level) Level { return max(a, b) }
