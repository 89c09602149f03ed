package population

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

// ForeignerRecord is one foreign resident of a foreigners' registry
// extract, as written there: dates are YYYY-MM-DD, countries ISO 3166-1
// alpha-3 as in the MRZ (alpha-2 is accepted and converted), names as in
// the passport (they are normalised to MRZ form: upper case, no
// diacritics), sex M, F or X (male/female accepted).
type ForeignerRecord struct {
	// ID is the identification number assigned to the foreigner (their
	// login): 12 digits of the personal id's shape, agreeing with the year
	// of birth and sex (foreigners.ValidID).
	ID             string    `json:"id"`
	PassportNo     string    `json:"passport_no"`
	IssuingCountry string    `json:"issuing_country"`
	Nationality    string    `json:"nationality"`
	PrimaryName    string    `json:"primary_name"`
	SecondaryName  string    `json:"secondary_name,omitempty"`
	BirthDate      string    `json:"birth_date"`
	Sex            string    `json:"sex"`
	PassportExpiry string    `json:"passport_expiry"`
	PermitKind     string    `json:"permit_kind"` // visa, temporary_residence_card, permanent_residence_card
	PermitNumber   string    `json:"permit_number"`
	PermitExpiry   string    `json:"permit_expiry"`
	Address        Residence `json:"address,omitzero"` // in Vietnam
	Phone          string    `json:"phone,omitempty"`
	Email          string    `json:"email,omitempty"`
}

// ForeignerCSVColumns are the columns a foreigners' CSV file may have, in
// any order; all but the address and contact columns are required.
var ForeignerCSVColumns = []string{
	"id", "passport_no", "issuing_country", "nationality", "primary_name", "birth_date", "sex",
	"passport_expiry", "permit_kind", "permit_number", "permit_expiry",
	"secondary_name", "street_address", "ward", "district", "province", "phone", "email",
}

// foreignerRequired is how many of ForeignerCSVColumns are required.
const foreignerRequired = 11

type foreignerLine = numbered[ForeignerRecord]

func readForeignerJSONLines(r io.Reader) ([]foreignerLine, []LineError) {
	return readJSONLinesOf[ForeignerRecord](r)
}

func readForeignerCSV(r io.Reader) ([]foreignerLine, []LineError) {
	return readCSVOf(r, ForeignerCSVColumns, foreignerRequired, func(get func(string) string) (ForeignerRecord, error) {
		return ForeignerRecord{
			ID: get("id"), PassportNo: get("passport_no"), IssuingCountry: get("issuing_country"), Nationality: get("nationality"),
			PrimaryName: get("primary_name"), SecondaryName: get("secondary_name"), BirthDate: get("birth_date"), Sex: get("sex"),
			PassportExpiry: get("passport_expiry"), PermitKind: get("permit_kind"), PermitNumber: get("permit_number"),
			PermitExpiry: get("permit_expiry"),
			Address:      Residence{Street: get("street_address"), Ward: get("ward"), District: get("district"), Province: get("province")},
			Phone:        get("phone"), Email: get("email"),
		}, nil
	})
}

var permitNumber = regexp.MustCompile(`^[A-Z0-9]{3,20}$`)

// maxNameLen bounds a name part; a TD3 MRZ's whole name field has 39
// characters, a registry may hold the full name beyond it.
const maxNameLen = 100

func parseSex(s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "M", "MALE", "NAM":
		return foreigners.SexMale, nil
	case "F", "FEMALE", "NỮ", "NU":
		return foreigners.SexFemale, nil
	case "X", "<":
		return foreigners.SexUnspecified, nil
	}
	return "", fmt.Errorf("sex %q must be M, F or X", s)
}

// checkForeigner turns one record into a resident, collecting every
// problem.
func checkForeigner(rec ForeignerRecord, today time.Time) (foreigners.Resident, []error) {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	r := foreigners.Resident{
		ID:          strings.TrimSpace(rec.ID),
		PrimaryName: foreigners.MRZName(rec.PrimaryName), SecondaryName: foreigners.MRZName(rec.SecondaryName),
		PermitKind: foreigners.PermitKind(strings.TrimSpace(rec.PermitKind)),
		Address: attributes.Address{Street: strings.TrimSpace(rec.Address.Street), Ward: strings.TrimSpace(rec.Address.Ward),
			District: strings.TrimSpace(rec.Address.District), Province: strings.TrimSpace(rec.Address.Province)},
		Phone: strings.TrimSpace(rec.Phone), Email: strings.TrimSpace(rec.Email),
	}
	if r.Address != (attributes.Address{}) {
		r.Address.Country = "VN"
	}
	var err error
	if r.PassportNo, err = foreigners.PassportNumber(rec.PassportNo); err != nil {
		add(fmt.Errorf("passport_no %q: must have 3 to 20 letters and digits", rec.PassportNo))
	}
	if r.IssuingCountry, err = foreigners.CountryCode(rec.IssuingCountry); err != nil {
		add(fmt.Errorf("issuing_country %q is not an ISO 3166-1 country code (KOR, DEU, ...)", rec.IssuingCountry))
	}
	if r.Nationality, err = foreigners.CountryCode(rec.Nationality); err != nil {
		add(fmt.Errorf("nationality %q is not an ISO 3166-1 country code (KOR, DEU, ...)", rec.Nationality))
	} else if r.Nationality == "VNM" {
		add(errors.New("nationality VNM: Vietnamese citizens belong in the population registry"))
	}
	switch {
	case r.PrimaryName == "":
		add(errors.New("primary_name is empty"))
	case len(r.PrimaryName) > maxNameLen || len(r.SecondaryName) > maxNameLen:
		add(fmt.Errorf("a name has more than %d characters", maxNameLen))
	}
	birth, berr := parseDate("birth_date", strings.TrimSpace(rec.BirthDate))
	if berr != nil {
		add(berr)
	} else if birth.After(today) {
		add(fmt.Errorf("birth_date %s is in the future", rec.BirthDate))
	}
	r.BirthDate = birth
	sex, serr := parseSex(rec.Sex)
	if serr != nil {
		add(serr)
	}
	r.Sex = sex
	if berr == nil && serr == nil {
		if err := foreigners.ValidID(r.ID, r); err != nil {
			add(fmt.Errorf("id %q: %w", rec.ID, err))
		}
	} else if err := foreigners.ValidID(r.ID, foreigners.Resident{}); err != nil {
		add(fmt.Errorf("id %q: %w", rec.ID, err))
	}
	if r.PassportExpiry, err = parseDate("passport_expiry", strings.TrimSpace(rec.PassportExpiry)); err != nil {
		add(err)
	} else if berr == nil && !r.PassportExpiry.After(birth) {
		add(fmt.Errorf("passport_expiry %s is not after birth_date", rec.PassportExpiry))
	}
	if !foreigners.ValidPermitKind(string(r.PermitKind)) {
		add(fmt.Errorf("permit_kind %q must be visa, temporary_residence_card or permanent_residence_card", rec.PermitKind))
	}
	r.PermitNumber = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(rec.PermitNumber), " ", ""))
	if !permitNumber.MatchString(r.PermitNumber) {
		add(fmt.Errorf("permit_number %q must have 3 to 20 letters and digits", rec.PermitNumber))
	}
	if r.PermitExpiry, err = parseDate("permit_expiry", strings.TrimSpace(rec.PermitExpiry)); err != nil {
		add(err)
	} else if berr == nil && !r.PermitExpiry.After(birth) {
		add(fmt.Errorf("permit_expiry %s is not after birth_date", rec.PermitExpiry))
	}
	if r.Phone != "" && !accounts.ValidPhone(r.Phone) {
		add(fmt.Errorf("phone %q must be E.164 (+84...)", r.Phone))
	}
	if r.Email != "" {
		e, err := accounts.NormalizeEmail(r.Email)
		if err != nil {
			add(fmt.Errorf("email %q is not an e-mail address", r.Email))
		}
		r.Email = e
	}
	return r, errs
}

// checkForeigners checks every line, and that no number or passport is on
// two lines.
func checkForeigners(lines []foreignerLine, today time.Time) ([]foreigners.Resident, []int, []LineError) {
	var out []foreigners.Resident
	var nums []int
	var bad []LineError
	firstID := map[string]int{}
	firstPassport := map[string]int{}
	for _, l := range lines {
		r, errs := checkForeigner(l.rec, today)
		if prev, dup := firstID[r.ID]; dup && r.ID != "" {
			errs = append(errs, fmt.Errorf("id %s already on line %d", r.ID, prev))
		} else {
			firstID[r.ID] = l.n
		}
		k := r.IssuingCountry + "/" + r.PassportNo
		if prev, dup := firstPassport[k]; dup && r.PassportNo != "" {
			errs = append(errs, fmt.Errorf("passport %s %s already on line %d", r.IssuingCountry, r.PassportNo, prev))
		} else {
			firstPassport[k] = l.n
		}
		if len(errs) > 0 {
			bad = append(bad, LineError{l.n, errors.Join(errs...)})
		}
		out = append(out, r)
		nums = append(nums, l.n)
	}
	return out, nums, bad
}
