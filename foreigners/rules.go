package foreigners

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// CountryCode turns a country as a person types it or a chip's MRZ holds
// it into the ICAO 9303 three-letter code the registry keeps: ISO 3166-1
// alpha-2 or alpha-3 in any case, with or without MRZ filler ('<'); "D" is
// ICAO's code for Germany and becomes "DEU". Codes that name no country
// (ICAO's UNO, XXA and the like, or user-assigned codes) are refused: the
// registry holds passports of states.
func CountryCode(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<")))
	if c == "D" {
		return "DEU", nil
	}
	if len(c) != 2 && len(c) != 3 {
		return "", fmt.Errorf("foreigners: country %q must be a two- or three-letter ISO 3166-1 code", s)
	}
	r, err := language.ParseRegion(c)
	if err != nil || !r.IsCountry() {
		return "", fmt.Errorf("foreigners: country %q is not an ISO 3166-1 country code", s)
	}
	return r.ISO3(), nil
}

// Alpha2 is the ISO 3166-1 alpha-2 code of an ICAO alpha-3 code ("KOR" ->
// "KR"), the form of the nationality claim; "" when it has none.
func Alpha2(alpha3 string) string {
	c, err := CountryCode(alpha3)
	if err != nil {
		return ""
	}
	r, err := language.ParseRegion(c)
	if err != nil {
		return ""
	}
	return r.String()
}

// translit spells letters that do not decompose into a base letter and a
// mark as ICAO 9303 part 3 §6 recommends.
var translit = map[rune]string{
	'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Ø': "OE", 'ø': "OE", 'Œ': "OE", 'œ': "OE",
	'Þ': "TH", 'þ': "TH", 'Đ': "D", 'đ': "D", 'Ð': "D", 'ð': "D", 'Ł': "L", 'ł': "L", 'ı': "I",
}

// MRZName normalises a name to the form the MRZ prints: diacritics
// removed (Nguyễn -> NGUYEN), upper case, the filler '<', hyphens, commas
// and spaces all separating name parts by one space, apostrophes and other
// punctuation dropped. Two spellings of a name agree when their MRZName is
// equal. The primary/secondary split ("KIM<<MIN<JUN") is not kept: use
// SplitMRZName for a whole MRZ name field.
func MRZName(s string) string {
	var b strings.Builder
	space := false
	put := func(r rune) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case translit[r] != "":
			for _, t := range translit[r] {
				put(t)
			}
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			put(unicode.ToUpper(r))
		case r == '<' || r == '-' || r == ',' || unicode.IsSpace(r):
			space = true
		case unicode.IsLetter(r):
			// A letter of another script has no MRZ form: keep it so that
			// it never silently matches a different Latin name.
			put(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// SplitMRZName splits the name field of a TD3 MRZ ("KIM<<MIN<JUN<<<<")
// into the primary and secondary identifiers in MRZName form.
func SplitMRZName(field string) (primary, secondary string) {
	p, s, _ := strings.Cut(field, "<<")
	return MRZName(p), MRZName(s)
}

var passportNo = regexp.MustCompile(`^[A-Z0-9]{3,20}$`)

// PassportNumber normalises a passport number (upper case, without spaces
// or MRZ filler) and checks its shape: 3 to 20 letters and digits.
func PassportNumber(s string) (string, error) {
	n := strings.ToUpper(strings.NewReplacer(" ", "", "<", "", "-", "").Replace(strings.TrimSpace(s)))
	if !passportNo.MatchString(n) {
		return "", errors.New("foreigners: passport number must have 3 to 20 letters and digits")
	}
	return n, nil
}

// ValidID checks an assigned identification number against the resident's
// date of birth and sex.
//
// The gateway's documented rule (personalid.ID): the number a foreigner is
// assigned has the personal identification number's shape, 12 digits
// PPP G YY RRRRRR, where PPP is the code of the province where they were
// first registered as residents, G the century-and-gender digit and YY the
// year of birth. So a foreigner's login is 12 digits like a citizen's, and
// accounts.personal_id's CHECK holds for both. For sex X only the shape and
// province are checked.
func ValidID(id string, r Resident) error {
	switch r.Sex {
	case SexMale, SexFemale:
		return personalid.Validate(id, r.BirthDate, r.Gender())
	}
	_, err := personalid.Parse(id)
	return err
}

// Person is the attributes record of a resident: the name in MRZ form,
// the nationality as ISO 3166-1 alpha-2 (the nationality claim's form for
// everyone), the address in Vietnam, the passport and the permit.
func (r Resident) Person() attributes.Person {
	return withDocuments(attributes.Person{
		PersonalID: r.ID, FullName: r.Name(), BirthDate: r.BirthDate, Gender: r.Gender(),
		Nationality: Alpha2(r.Nationality), Residence: r.Address, Phone: r.Phone, Email: r.Email,
		PassportNo: r.PassportNo,
	}, r)
}
