package personalid

import (
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// Personal identification number errors. Each says what is wrong without
// repeating the number, so they can be logged and shown.
var (
	ErrLength   = errors.New("personalid: personal id number must have 12 digits")
	ErrDigits   = errors.New("personalid: personal id number must contain digits only")
	ErrProvince = errors.New("personalid: personal id number has an unknown province code")
	ErrYear     = errors.New("personalid: personal id number does not match the year of birth")
	ErrGender   = errors.New("personalid: personal id number does not match the gender")
	// ErrBirthYearRange: the century-and-gender digit encodes only the years
	// 1900 to 2399 (births before 1900 are not encoded).
	ErrBirthYearRange = errors.New("personalid: year of birth cannot be encoded in a personal id number (1900 to 2399 only)")
)

// ID is a parsed 12-digit personal identification number
// `PPP G YY RRRRRR` (Law on Identification 2023 art. 12; Decree
// 137/2015/ND-CP art. 7; Circular 07/2016/TT-BCA art. 7 and Appendix I, kept
// by Circular 59/2021/TT-BCA):
//
//   - PPP: the code of the province or centrally run city where the birth
//     was registered (Appendix I of Circular 07/2016: 63 codes, not
//     consecutive);
//   - G: the century and gender digit: 1900s male 0 / female 1, 2000s 2/3,
//     2100s 4/5, 2200s 6/7, 2300s 8/9;
//   - YY: the last two digits of the year of birth;
//   - RRRRRR: six random digits.
//
// Foreign residents receive numbers of the same shape. Their birth was not
// registered in Vietnam, so this gateway's documented rule is that PPP is the
// code of the province where they were first registered as residents (the
// province of the immigration office); every other rule is the same, and no
// country code is accepted in PPP.
type ID struct {
	Number       string // the 12 digits
	ProvinceCode string // PPP, e.g. "001"
	Gender       attributes.Gender
	BirthYear    int    // full year decoded from G and YY, e.g. 1990
	Serial       string // RRRRRR
}

// String returns the 12 digits.
func (p ID) String() string { return p.Number }

// Province returns the name of the province of birth registration.
func (p ID) Province() string { return provinces[p.ProvinceCode] }

// Parse checks the shape of a personal identification number: 12
// ASCII digits and a known province code. Every century-and-gender digit
// is meaningful, so any digit there decodes to a year and gender.
func Parse(s string) (ID, error) {
	if utf8.RuneCountInString(s) != 12 {
		return ID{}, ErrLength
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ID{}, ErrDigits
		}
	}
	code := s[:3]
	if _, ok := provinces[code]; !ok {
		return ID{}, fmt.Errorf("%w %s", ErrProvince, code)
	}
	g := int(s[3] - '0')
	yy := int(s[4]-'0')*10 + int(s[5]-'0')
	gender := attributes.Male
	if g%2 == 1 {
		gender = attributes.Female
	}
	return ID{
		Number:       s,
		ProvinceCode: code,
		Gender:       gender,
		BirthYear:    1900 + (g/2)*100 + yy,
		Serial:       s[6:],
	}, nil
}

// CenturyGenderDigit returns the G digit for a year of birth and gender.
func CenturyGenderDigit(year int, gender attributes.Gender) (int, error) {
	if year < 1900 || year > 2399 {
		return 0, ErrBirthYearRange
	}
	d := (year/100 - 19) * 2
	switch gender {
	case attributes.Male:
	case attributes.Female:
		d++
	default:
		return 0, fmt.Errorf("personalid: unknown gender %q", gender)
	}
	return d, nil
}

// Validate checks id's shape and that its century digit and year
// agree with birth and its gender digit with gender. birth is a date: its
// calendar year is read in its own location.
func Validate(id string, birth time.Time, gender attributes.Gender) error {
	p, err := Parse(id)
	if err != nil {
		return err
	}
	year := birth.Year()
	if _, err := CenturyGenderDigit(year, gender); err != nil {
		return err
	}
	if p.BirthYear != year {
		return ErrYear
	}
	if p.Gender != gender {
		return ErrGender
	}
	return nil
}

// Province is a province or centrally run city with its birth-registration
// code.
type Province struct {
	Code string
	Name string
}

// Provinces lists the 63 codes in code order.
func Provinces() []Province {
	out := make([]Province, 0, len(provinces))
	for c, n := range provinces {
		out = append(out, Province{Code: c, Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// ProvinceName returns the name for a province code.
func ProvinceName(code string) (string, bool) {
	n, ok := provinces[code]
	return n, ok
}

// provinces is Appendix I of Circular 07/2016/TT-BCA (kept by Circular
// 59/2021/TT-BCA): the codes of the provinces and centrally run cities where
// a birth is registered.
var provinces = map[string]string{
	"001": "Hà Nội",
	"002": "Hà Giang",
	"004": "Cao Bằng",
	"006": "Bắc Kạn",
	"008": "Tuyên Quang",
	"010": "Lào Cai",
	"011": "Điện Biên",
	"012": "Lai Châu",
	"014": "Sơn La",
	"015": "Yên Bái",
	"017": "Hòa Bình",
	"019": "Thái Nguyên",
	"020": "Lạng Sơn",
	"022": "Quảng Ninh",
	"024": "Bắc Giang",
	"025": "Phú Thọ",
	"026": "Vĩnh Phúc",
	"027": "Bắc Ninh",
	"030": "Hải Dương",
	"031": "Hải Phòng",
	"033": "Hưng Yên",
	"034": "Thái Bình",
	"035": "Hà Nam",
	"036": "Nam Định",
	"037": "Ninh Bình",
	"038": "Thanh Hóa",
	"040": "Nghệ An",
	"042": "Hà Tĩnh",
	"044": "Quảng Bình",
	"045": "Quảng Trị",
	"046": "Thừa Thiên Huế",
	"048": "Đà Nẵng",
	"049": "Quảng Nam",
	"051": "Quảng Ngãi",
	"052": "Bình Định",
	"054": "Phú Yên",
	"056": "Khánh Hòa",
	"058": "Ninh Thuận",
	"060": "Bình Thuận",
	"062": "Kon Tum",
	"064": "Gia Lai",
	"066": "Đắk Lắk",
	"067": "Đắk Nông",
	"068": "Lâm Đồng",
	"070": "Bình Phước",
	"072": "Tây Ninh",
	"074": "Bình Dương",
	"075": "Đồng Nai",
	"077": "Bà Rịa - Vũng Tàu",
	"079": "Hồ Chí Minh",
	"080": "Long An",
	"082": "Tiền Giang",
	"083": "Bến Tre",
	"084": "Trà Vinh",
	"086": "Vĩnh Long",
	"087": "Đồng Tháp",
	"089": "An Giang",
	"091": "Kiên Giang",
	"092": "Cần Thơ",
	"093": "Hậu Giang",
	"094": "Sóc Trăng",
	"095": "Bạc Liêu",
	"096": "Cà Mau",
}
