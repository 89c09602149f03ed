package cardreader

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Card is what the chip of an ID card says about its holder, after DG1,
// DG13 and the personal identification number's rules were checked
// against each other. It has no biometric field, by construction: this
// package never reads DG2 (portrait) or DG3 (fingerprints).
type Card struct {
	PersonalID     string // 12 digits
	DocumentNumber string // MRZ document number (last 9 digits of the ID)
	// FullName is DG13's name, with Vietnamese diacritics; the MRZ's
	// transliteration when the card has no DG13.
	FullName    string
	MRZName     string // "NGUYEN VAN AN" as in the MRZ
	BirthDate   time.Time
	Gender      attributes.Gender
	Nationality string // ISO 3166-1 alpha-2 ("VN"); the MRZ's alpha-3 code if unknown
	ExpiryDate  time.Time

	// From DG13; empty when the card has none.
	Ethnicity        string
	Religion         string
	PlaceOfOrigin    string
	Residence        string // one line, as on the card; not split into an Address
	IdentifyingMarks string
	IssueDate        time.Time
	FatherName       string
	MotherName       string
	SpouseName       string
	OldID            string // field 15 when it is a 9-digit number

	LDSVersion string
	DataGroups []int // as listed in EF.COM
	MRZ        MRZ
	HasDG13    bool
}

// Person returns the card's identity as a registry-style record. The
// residence stays unsplit in Street, since the chip stores one line.
func (c *Card) Person() attributes.Person {
	p := attributes.Person{
		PersonalID:  c.PersonalID,
		OldID:       c.OldID,
		FullName:    c.FullName,
		BirthDate:   c.BirthDate,
		Gender:      c.Gender,
		Nationality: c.Nationality,
		IssueDate:   c.IssueDate,
	}
	if c.Residence != "" {
		p.Residence = attributes.Address{Street: c.Residence, Country: "VN"}
	}
	return p
}

// alpha3 maps the MRZ nationality codes this gateway meets to ISO 3166-1
// alpha-2.
var alpha3 = map[string]string{"VNM": "VN"}

// NewCard builds a Card from what was read and checks it: the MRZ must
// carry a valid 12-digit ID whose last 9 digits are the document number
// and which agrees with the date of birth and sex
// (personalid.Validate); DG13, when present, must agree with DG1
// on ID, date of birth, sex, expiry and (transliterated) name. Every
// disagreement is reported in one error wrapping ErrMismatch; it names
// fields, never their values.
func NewCard(com COM, mrz MRZ, dg13 *DG13) (*Card, error) {
	c := &Card{
		PersonalID:     mrz.PersonalID,
		DocumentNumber: mrz.DocumentNumber,
		FullName:       mrz.Name(),
		MRZName:        mrz.Name(),
		BirthDate:      mrz.Birth(),
		Gender:         mrz.Gender(),
		Nationality:    mrz.Nationality,
		ExpiryDate:     mrz.Expiry(),
		LDSVersion:     com.LDSVersion,
		DataGroups:     com.DataGroups,
		MRZ:            mrz,
	}
	if a2, ok := alpha3[mrz.Nationality]; ok {
		c.Nationality = a2
	}
	var bad []string
	if c.PersonalID == "" {
		return nil, fmt.Errorf("%w: the MRZ optional data carries no 12-digit ID number", ErrMismatch)
	}
	if c.PersonalID[3:] != c.DocumentNumber {
		bad = append(bad, "document number vs ID number")
	}
	if err := personalid.Validate(c.PersonalID, c.BirthDate, c.Gender); err != nil {
		return nil, fmt.Errorf("%w: MRZ: %w", ErrMismatch, err)
	}
	if dg13 != nil {
		c.HasDG13 = true
		var err error
		if bad, err = c.mergeDG13(dg13, bad); err != nil {
			return nil, err
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMismatch, strings.Join(bad, ", "))
	}
	return c, nil
}

func (c *Card) mergeDG13(d *DG13, bad []string) ([]string, error) {
	if d.PersonalID != c.PersonalID {
		bad = append(bad, "DG13 ID number")
	}
	if d.FullName == "" {
		return nil, fmt.Errorf("%w: DG13 has no name", ErrDataGroup)
	}
	if !strings.HasPrefix(mrzFold(d.FullName), c.MRZName) { // the MRZ truncates at 30
		bad = append(bad, "DG13 name")
	}
	birth, err := dg13Date(d.BirthDate)
	if err != nil || !birth.Equal(c.BirthDate) {
		bad = append(bad, "DG13 date of birth")
	}
	var g attributes.Gender
	switch d.Sex {
	case "Nam":
		g = attributes.Male
	case "Nữ":
		g = attributes.Female
	}
	if g != c.Gender {
		bad = append(bad, "DG13 sex")
	}
	// An expiry that is not a date ("Không thời hạn") is not compared; the
	// MRZ's, which the BAC key used, stays authoritative.
	if exp, err := dg13Date(d.ExpiryDate); err == nil && !exp.Equal(c.ExpiryDate) {
		bad = append(bad, "DG13 date of expiry")
	}
	if d.IssueDate != "" {
		if c.IssueDate, err = dg13Date(d.IssueDate); err != nil || c.IssueDate.Before(c.BirthDate) {
			bad = append(bad, "DG13 issue date")
		}
	}
	c.FullName = d.FullName
	c.Ethnicity, c.Religion = d.Ethnicity, d.Religion
	c.PlaceOfOrigin, c.Residence, c.IdentifyingMarks = d.PlaceOfOrigin, d.Residence, d.IdentifyingMarks
	c.FatherName, c.MotherName, c.SpouseName = d.FatherName, d.MotherName, d.SpouseName
	if isDigits(d.OtherDocument, 9) {
		c.OldID = d.OtherDocument
	}
	return bad, nil
}

// dg13Date parses DG13's DD/MM/YYYY.
func dg13Date(s string) (time.Time, error) {
	t, err := time.Parse("02/01/2006", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: DG13 date", ErrDataGroup)
	}
	return t.UTC(), nil
}

// mrzFold transliterates a name the way the MRZ prints it (ICAO 9303-3
// §6): diacritics dropped, đ → D, upper case, runs of spaces collapsed.
func mrzFold(s string) string {
	s = strings.NewReplacer("đ", "d", "Đ", "D").Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.Join(strings.Fields(strings.ToUpper(out)), " ")
}

// MatchQR checks the chip against the card's QR code (ParseQR): ID number,
// name, date of birth, gender, and, when both have them, issue date and
// old ID number. The address is not compared: the QR and DG13 format it
// differently on some cards. The error wraps ErrMismatch and names fields
// only.
func (c *Card) MatchQR(q QR) error {
	var bad []string
	if q.PersonalID != c.PersonalID {
		bad = append(bad, "ID number")
	}
	if c.HasDG13 {
		if norm.NFC.String(strings.Join(strings.Fields(q.FullName), " ")) != norm.NFC.String(strings.Join(strings.Fields(c.FullName), " ")) {
			bad = append(bad, "name")
		}
	} else if !strings.HasPrefix(mrzFold(q.FullName), c.MRZName) {
		bad = append(bad, "name")
	}
	if !q.BirthDate.Equal(c.BirthDate) {
		bad = append(bad, "date of birth")
	}
	if q.Gender != c.Gender {
		bad = append(bad, "gender")
	}
	if !c.IssueDate.IsZero() && !q.IssueDate.Equal(c.IssueDate) {
		bad = append(bad, "issue date")
	}
	if c.OldID != "" && q.OldID != "" && c.OldID != q.OldID {
		bad = append(bad, "old ID number")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: QR code vs chip: %s", ErrMismatch, strings.Join(bad, ", "))
	}
	return nil
}

// Passport is what a passport's chip says about its holder: DG1's TD3 MRZ,
// its check digits verified. Like Card it has no biometric field.
type Passport struct {
	DocumentNumber string // the passport number
	IssuingState   string // ICAO code as in the MRZ ("KOR", "D<<" trimmed to "D")
	Nationality    string // ICAO code as in the MRZ
	PrimaryID      string // surname(s), fillers turned into spaces
	SecondaryID    string // given names
	BirthDate      time.Time
	Sex            string // "M", "F", "<" or "X", as printed
	Gender         attributes.Gender
	ExpiryDate     time.Time
	PersonalNumber string // the MRZ's optional data, fillers trimmed

	LDSVersion string
	DataGroups []int // as listed in EF.COM
	MRZ        MRZ
}

// Name returns the name as the MRZ prints it ("KIM MIN JUN").
func (p *Passport) Name() string { return p.MRZ.Name() }

// NewPassport builds a Passport from a passport's DG1 (ErrMRZ when the MRZ
// is not a passport's).
func NewPassport(com COM, mrz MRZ) (*Passport, error) {
	if !mrz.Passport() {
		return nil, fmt.Errorf("%w: not a passport's MRZ", ErrMRZ)
	}
	return &Passport{
		DocumentNumber: mrz.DocumentNumber, IssuingState: mrz.IssuingState, Nationality: mrz.Nationality,
		PrimaryID: mrz.PrimaryID, SecondaryID: mrz.SecondaryID, BirthDate: mrz.Birth(), Sex: mrz.Sex,
		Gender: mrz.Gender(), ExpiryDate: mrz.Expiry(), PersonalNumber: mrz.OptionalData1,
		LDSVersion: com.LDSVersion, DataGroups: com.DataGroups, MRZ: mrz,
	}, nil
}
