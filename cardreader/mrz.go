package cardreader

import (
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// CheckDigit computes the ICAO 9303-3 §4.9 check digit of s: weights
// 7, 3, 1 repeating; digits count as their value, A–Z as 10–35, '<' as 0.
func CheckDigit(s string) (byte, error) {
	w := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c == '<':
		default:
			return 0, fmt.Errorf("%w: character %q not allowed", ErrMRZ, c)
		}
		sum += v * w[i%3]
	}
	return byte('0' + sum%10), nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MRZ is a parsed machine readable zone: TD1 (ICAO 9303-5 §4.2: three
// lines of 30 characters), as DG1 of a chip ID card holds it, or TD3
// (ICAO 9303-4: two lines of 44, a passport's; see ParseTD3). Every check
// digit has been verified.
type MRZ struct {
	DocumentCode   string // "ID" (also "I<", "IC"…); "P" or "PO"… for a passport
	IssuingState   string // "VNM"
	DocumentNumber string // 9 characters; for a CCCD the last 9 digits of the ID
	OptionalData1  string // '<' fillers trimmed; a CCCD's begins with the 12-digit ID
	BirthDate      string // YYMMDD as printed
	Sex            string // "M", "F" or "<"
	ExpiryDate     string // YYMMDD as printed
	Nationality    string // "VNM"
	OptionalData2  string
	PrimaryID      string // surname(s), fillers turned into spaces
	SecondaryID    string // given names, fillers turned into spaces
	// PersonalID is the 12-digit ID number taken from the start of the
	// optional data (Vietnamese CCCD); "" when the optional data does not
	// start with 12 digits.
	PersonalID string
}

// Lines of a TD1 MRZ.
const (
	TD1LineLen = 30
	TD1Len     = 3 * TD1LineLen
)

// ParseTD1 parses a 90-character TD1 MRZ (line breaks tolerated) and
// verifies its four check digits: document number, date of birth, date of
// expiry and the composite (ICAO 9303-5 §4.2.2).
func ParseTD1(s string) (MRZ, error) {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	if len(s) != TD1Len {
		return MRZ{}, fmt.Errorf("%w: a TD1 MRZ has %d characters, got %d", ErrMRZ, TD1Len, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return MRZ{}, fmt.Errorf("%w: character at %d not allowed", ErrMRZ, i)
		}
	}
	l1, l2, l3 := s[:30], s[30:60], s[60:]
	m := MRZ{
		DocumentCode:  strings.TrimRight(l1[0:2], "<"),
		IssuingState:  strings.TrimRight(l1[2:5], "<"),
		BirthDate:     l2[0:6],
		Sex:           l2[7:8],
		ExpiryDate:    l2[8:14],
		Nationality:   strings.TrimRight(l2[15:18], "<"),
		OptionalData2: strings.TrimRight(l2[18:29], "<"),
	}
	if m.DocumentCode == "" || (m.DocumentCode[0] != 'I' && m.DocumentCode[0] != 'A' && m.DocumentCode[0] != 'C') {
		return MRZ{}, fmt.Errorf("%w: not a TD1 document code", ErrMRZ)
	}
	doc, docCD, opt1 := l1[5:14], l1[14], l1[15:30]
	if docCD == '<' {
		// ICAO 9303-5 §4.2.4 note j: a number longer than 9 characters
		// continues in the optional data, followed by its check digit and a
		// filler. Vietnamese cards don't do this; supported for completeness.
		end := strings.IndexByte(opt1, '<')
		if end < 1 {
			return MRZ{}, fmt.Errorf("%w: long document number without check digit", ErrMRZ)
		}
		doc += opt1[:end-1]
		docCD = opt1[end-1]
		opt1 = opt1[end:]
	}
	if err := verifyCD("document number", doc, docCD); err != nil {
		return MRZ{}, err
	}
	m.DocumentNumber = strings.TrimRight(doc, "<")
	if m.DocumentNumber == "" {
		return MRZ{}, fmt.Errorf("%w: empty document number", ErrMRZ)
	}
	m.OptionalData1 = strings.TrimRight(opt1, "<")
	if err := verifyCD("date of birth", l2[0:6], l2[6]); err != nil {
		return MRZ{}, err
	}
	if err := verifyCD("date of expiry", l2[8:14], l2[14]); err != nil {
		return MRZ{}, err
	}
	if err := verifyCD("composite", l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29]); err != nil {
		return MRZ{}, err
	}
	if !isDigits(m.BirthDate, 6) || !isDigits(m.ExpiryDate, 6) {
		return MRZ{}, fmt.Errorf("%w: dates must be digits", ErrMRZ)
	}
	if _, err := time.Parse("060102", m.BirthDate); err != nil {
		return MRZ{}, fmt.Errorf("%w: invalid date of birth", ErrMRZ)
	}
	if _, err := time.Parse("060102", m.ExpiryDate); err != nil {
		return MRZ{}, fmt.Errorf("%w: invalid date of expiry", ErrMRZ)
	}
	switch m.Sex {
	case "M", "F", "<", "X":
	default:
		return MRZ{}, fmt.Errorf("%w: invalid sex", ErrMRZ)
	}
	primary, secondary, _ := strings.Cut(strings.TrimRight(l3, "<"), "<<")
	m.PrimaryID = strings.TrimSpace(strings.ReplaceAll(primary, "<", " "))
	m.SecondaryID = strings.TrimSpace(strings.ReplaceAll(secondary, "<", " "))
	if m.PrimaryID == "" {
		return MRZ{}, fmt.Errorf("%w: empty name", ErrMRZ)
	}
	if len(m.OptionalData1) >= 12 && isDigits(m.OptionalData1[:12], 12) {
		m.PersonalID = m.OptionalData1[:12]
	}
	return m, nil
}

// Lines of a TD3 MRZ (passports).
const (
	TD3LineLen = 44
	TD3Len     = 2 * TD3LineLen
)

// ParseMRZ parses a TD1 (ID card, 3×30) or TD3 (passport, 2×44) MRZ by
// its length (line breaks tolerated).
func ParseMRZ(s string) (MRZ, error) {
	if len(strings.NewReplacer("\r", "", "\n", "").Replace(s)) == TD3Len {
		return ParseTD3(s)
	}
	return ParseTD1(s)
}

// ParseTD3 parses an 88-character TD3 MRZ (ICAO 9303-4 §4.2.2: two lines
// of 44 characters, a passport's data page; line breaks tolerated) into
// the MRZ a TD1 fills, and verifies its five check digits: passport
// number, date of birth, date of expiry, personal number (optional data)
// and the composite. The personal number goes to OptionalData1; a TD3 has
// no OptionalData2 and no PersonalID. The BAC key (Key) is derived the
// same way as a TD1's.
func ParseTD3(s string) (MRZ, error) {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	if len(s) != TD3Len {
		return MRZ{}, fmt.Errorf("%w: a TD3 MRZ has %d characters, got %d", ErrMRZ, TD3Len, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return MRZ{}, fmt.Errorf("%w: character at %d not allowed", ErrMRZ, i)
		}
	}
	l1, l2 := s[:TD3LineLen], s[TD3LineLen:]
	if l1[0] != 'P' {
		return MRZ{}, fmt.Errorf("%w: not a passport document code", ErrMRZ)
	}
	m := MRZ{
		DocumentCode:   strings.TrimRight(l1[0:2], "<"),
		IssuingState:   strings.TrimRight(l1[2:5], "<"),
		DocumentNumber: strings.TrimRight(l2[0:9], "<"),
		Nationality:    strings.TrimRight(l2[10:13], "<"),
		BirthDate:      l2[13:19],
		Sex:            l2[20:21],
		ExpiryDate:     l2[21:27],
		OptionalData1:  strings.TrimRight(l2[28:42], "<"),
	}
	if m.IssuingState == "" {
		return MRZ{}, fmt.Errorf("%w: empty issuing state", ErrMRZ)
	}
	if err := verifyCD("document number", l2[0:9], l2[9]); err != nil {
		return MRZ{}, err
	}
	if m.DocumentNumber == "" {
		return MRZ{}, fmt.Errorf("%w: empty document number", ErrMRZ)
	}
	if err := verifyCD("date of birth", l2[13:19], l2[19]); err != nil {
		return MRZ{}, err
	}
	if err := verifyCD("date of expiry", l2[21:27], l2[27]); err != nil {
		return MRZ{}, err
	}
	if err := verifyCD("personal number", l2[28:42], l2[42]); err != nil {
		return MRZ{}, err
	}
	if err := verifyCD("composite", l2[0:10]+l2[13:20]+l2[21:43], l2[43]); err != nil {
		return MRZ{}, err
	}
	if !isDigits(m.BirthDate, 6) || !isDigits(m.ExpiryDate, 6) {
		return MRZ{}, fmt.Errorf("%w: dates must be digits", ErrMRZ)
	}
	if _, err := time.Parse("060102", m.BirthDate); err != nil {
		return MRZ{}, fmt.Errorf("%w: invalid date of birth", ErrMRZ)
	}
	if _, err := time.Parse("060102", m.ExpiryDate); err != nil {
		return MRZ{}, fmt.Errorf("%w: invalid date of expiry", ErrMRZ)
	}
	switch m.Sex {
	case "M", "F", "<", "X":
	default:
		return MRZ{}, fmt.Errorf("%w: invalid sex", ErrMRZ)
	}
	primary, secondary, _ := strings.Cut(strings.TrimRight(l1[5:], "<"), "<<")
	m.PrimaryID = strings.TrimSpace(strings.ReplaceAll(primary, "<", " "))
	m.SecondaryID = strings.TrimSpace(strings.ReplaceAll(secondary, "<", " "))
	if m.PrimaryID == "" {
		return MRZ{}, fmt.Errorf("%w: empty name", ErrMRZ)
	}
	return m, nil
}

func verifyCD(field, s string, cd byte) error {
	want, err := CheckDigit(s)
	if err != nil {
		return err
	}
	// '<' stands for 0 in a check digit position (ICAO 9303-3 §4.9).
	if cd != want && !(cd == '<' && want == '0') {
		return fmt.Errorf("%w: %s check digit", ErrMRZ, field)
	}
	return nil
}

// Name returns the name as printed: primary and secondary identifiers
// separated by a space ("NGUYEN VAN AN").
func (m MRZ) Name() string {
	return strings.TrimSpace(m.PrimaryID + " " + m.SecondaryID)
}

// Gender maps the sex field; "" for '<' or 'X'.
func (m MRZ) Gender() attributes.Gender {
	switch m.Sex {
	case "M":
		return attributes.Male
	case "F":
		return attributes.Female
	}
	return ""
}

// Passport reports whether the MRZ is a passport's (TD3, document code
// "P…").
func (m MRZ) Passport() bool { return strings.HasPrefix(m.DocumentCode, "P") }

// Key returns the BAC key printed in this MRZ.
func (m MRZ) Key() Key {
	return Key{DocumentNumber: m.DocumentNumber, BirthDate: m.BirthDate, ExpiryDate: m.ExpiryDate}
}

// Birth resolves the two-digit year of birth: from the century digit of
// the ID number when the MRZ carries one (CCCD) and it agrees, otherwise
// the latest century that puts the birth before the expiry.
func (m MRZ) Birth() time.Time {
	t, _ := time.Parse("060102", m.BirthDate)
	yy := t.Year() % 100
	year := 0
	if p, err := personalid.Parse(m.PersonalID); err == nil && p.BirthYear%100 == yy {
		year = p.BirthYear
	} else {
		exp := m.Expiry().Year()
		year = exp - (exp-yy)%100 // the latest year ≡ yy (mod 100) not after the expiry
		if year == exp {
			year -= 100
		}
	}
	return time.Date(year, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Expiry returns the date of expiry, read as 20YY: chip ID cards were
// first issued in 2016, chip passports in 1998 and valid 10 years at most.
func (m MRZ) Expiry() time.Time {
	t, _ := time.Parse("060102", m.ExpiryDate)
	return time.Date(2000+t.Year()%100, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
