package emulator

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
)

// Person is a synthetic card holder.
type Person struct {
	PersonalID       string // 12 digits, valid for BirthDate and Gender
	FullName         string // with diacritics
	MRZName          string // MRZ line 3 without fillers, e.g. "NGUYEN<<VAN<THU"
	BirthDate        time.Time
	Gender           attributes.Gender
	Ethnicity        string
	Religion         string
	PlaceOfOrigin    string
	Residence        string
	IdentifyingMarks string
	IssueDate        time.Time
	ExpiryDate       time.Time
	FatherName       string
	MotherName       string
	SpouseName       string // "" leaves field 14 out
	OldID            string // "" leaves field 15 out
}

// Synthetic returns a made-up holder: province 001 (Hà Nội), male, born
// 1990; the card expires on his 40th birthday.
func Synthetic() Person {
	return Person{
		PersonalID:       "001090012345",
		FullName:         "Nguyễn Văn Thử",
		MRZName:          "NGUYEN<<VAN<THU",
		BirthDate:        time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
		Gender:           attributes.Male,
		Ethnicity:        "Kinh",
		Religion:         "Không",
		PlaceOfOrigin:    "Xã Thử Nghiệm, Huyện Mẫu, Tỉnh Hà Nam",
		Residence:        "Số 1 Phố Giả Định, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội",
		IdentifyingMarks: "Nốt ruồi C:2cm trên trước cánh mũi phải",
		IssueDate:        time.Date(2021, 4, 10, 0, 0, 0, 0, time.UTC),
		ExpiryDate:       time.Date(2030, 5, 17, 0, 0, 0, 0, time.UTC),
		FatherName:       "Nguyễn Văn Cha",
		MotherName:       "Trần Thị Mẹ",
		SpouseName:       "Lê Thị Vợ",
		OldID:            "012345678",
	}
}

// Key returns the BAC key printed on p's card.
func (p Person) Key() cardreader.Key {
	k, err := cardreader.KeyFromPersonalID(p.PersonalID, p.BirthDate, p.ExpiryDate)
	if err != nil {
		panic(fmt.Sprintf("emulator: synthetic person with an invalid ID: %v", err))
	}
	return k
}

// QR returns the text of p's card QR code (7 fields).
func (p Person) QR() string {
	g := "Nam"
	if p.Gender == attributes.Female {
		g = "Nữ"
	}
	return strings.Join([]string{p.PersonalID, p.OldID, p.FullName, p.BirthDate.Format("02012006"), g,
		p.Residence, p.IssueDate.Format("02012006")}, "|")
}

func cd(s string) string {
	c, err := cardreader.CheckDigit(s)
	if err != nil {
		panic(err)
	}
	return string(c)
}

func fill(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

// TD1 returns p's 90-character MRZ (ICAO 9303-5 §4.2) the way a CCCD
// prints it: document number = last 9 digits of the ID, the 12-digit ID at
// the start of the optional data.
func (p Person) TD1() string {
	doc := p.PersonalID[3:]
	sex := "M"
	if p.Gender == attributes.Female {
		sex = "F"
	}
	l1 := "IDVNM" + doc + cd(doc) + fill(p.PersonalID, 15)
	dob, exp := p.BirthDate.Format("060102"), p.ExpiryDate.Format("060102")
	opt2 := fill("", 11)
	l2 := dob + cd(dob) + sex + exp + cd(exp) + "VNM" + opt2
	l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + opt2)
	return l1 + l2 + fill(p.MRZName, 30)
}

// EncodeDG1 wraps a MRZ as DG1: 61 { 5F1F MRZ }.
func EncodeDG1(mrz string) []byte {
	return cardreader.TLV(cardreader.TagDG1, cardreader.TLV(0x5F1F, []byte(mrz)))
}

// EncodeCOM builds EF.COM listing the given data group tags (0x61 for DG1,
// 0x6D for DG13…), LDS 1.7, Unicode 4.0.0.
func EncodeCOM(tags ...byte) []byte {
	return cardreader.TLV(cardreader.TagCOM,
		cardreader.TLV(0x5F01, []byte("0107")),
		cardreader.TLV(0x5F36, []byte("040000")),
		cardreader.TLV(0x5C, tags))
}

// DG13Field is one numbered DG13 entry; Values holds one string, or several
// for the nested fields 13 (father, mother) and 14 (spouse).
type DG13Field struct {
	N      int
	Values []string
	Nested bool // encode Values inside a SEQUENCE, as fields 13 and 14 are
}

// DG13Fields lists p's DG13 entries in field order.
func (p Person) DG13Fields() []DG13Field {
	sex := "Nam"
	if p.Gender == attributes.Female {
		sex = "Nữ"
	}
	d := func(t time.Time) string { return t.Format("02/01/2006") }
	f := []DG13Field{
		{N: 1, Values: []string{p.PersonalID}}, {N: 2, Values: []string{p.FullName}},
		{N: 3, Values: []string{d(p.BirthDate)}}, {N: 4, Values: []string{sex}},
		{N: 5, Values: []string{"Việt Nam"}}, {N: 6, Values: []string{p.Ethnicity}},
		{N: 7, Values: []string{p.Religion}}, {N: 8, Values: []string{p.PlaceOfOrigin}},
		{N: 9, Values: []string{p.Residence}}, {N: 10, Values: []string{p.IdentifyingMarks}},
		{N: 11, Values: []string{d(p.IssueDate)}}, {N: 12, Values: []string{d(p.ExpiryDate)}},
		{N: 13, Values: []string{p.FatherName, p.MotherName}, Nested: true},
	}
	if p.SpouseName != "" {
		f = append(f, DG13Field{N: 14, Values: []string{p.SpouseName}, Nested: true})
	}
	if p.OldID != "" {
		f = append(f, DG13Field{N: 15, Values: []string{p.OldID}})
	}
	return f
}

// charsetOID is 1.0.10646.1.0.8 (ISO 10646, UTF-8) as DER content.
var charsetOID = []byte{0x28, 0xD3, 0x16, 0x01, 0x00, 0x08}

// EncodeDG13 builds DG13 in the CCCD layout:
// 6D { 30 { INTEGER 1, OID 1.0.10646.1.0.8, 31 { 30 { INTEGER n, value }… } } }.
func EncodeDG13(fields []DG13Field) []byte {
	var set []byte
	for _, f := range fields {
		var vals []byte
		for _, v := range f.Values {
			vals = cardreader.AppendTLV(vals, 0x0C, []byte(v))
		}
		if f.Nested {
			vals = cardreader.TLV(0x30, vals)
		}
		set = cardreader.AppendTLV(set, 0x30, append(cardreader.TLV(0x02, []byte{byte(f.N)}), vals...))
	}
	return cardreader.TLV(cardreader.TagDG13, cardreader.TLV(0x30,
		cardreader.TLV(0x02, []byte{1}),
		cardreader.TLV(0x06, charsetOID),
		cardreader.TLV(0x31, set)))
}

// EncodeDG2 wraps a face image (JPEG) as DG2 (ICAO 9303-10 §4.7.2):
// 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E ISO/IEC 19794-5 facial
// record } } }, the record holding one face with no feature points.
func EncodeDG2(img []byte) []byte {
	face := binary.BigEndian.AppendUint32(nil, uint32(20+12+len(img)))
	face = append(face, make([]byte, 16)...) // no feature points, unspecified fields
	face = append(face, make([]byte, 12)...) // image information
	face = append(face, img...)
	rec := []byte("FAC\x00010\x00")
	rec = binary.BigEndian.AppendUint32(rec, uint32(14+len(face)))
	rec = binary.BigEndian.AppendUint16(rec, 1)
	rec = append(rec, face...)
	return cardreader.TLV(0x75, cardreader.TLV(0x7F61, cardreader.TLV(0x02, []byte{1}),
		cardreader.TLV(0x7F60, cardreader.TLV(0xA1, cardreader.TLV(0x80, []byte{1, 1})), cardreader.TLV(0x5F2E, rec))))
}

// Traveller is a synthetic passport holder (ICAO 9303-4 TD3 data page).
type Traveller struct {
	PassportNo   string // up to 9 characters
	IssuingState string // ICAO alpha-3 ("KOR", "D" for Germany…)
	Nationality  string // ICAO alpha-3
	// MRZName is the name field of the MRZ without trailing fillers:
	// primary identifier, "<<", secondary identifier ("KIM<<MIN<JUN").
	MRZName        string
	BirthDate      time.Time
	Sex            string // "M", "F" or "<"
	ExpiryDate     time.Time
	PersonalNumber string // optional data, up to 14 characters; "" for none
}

// SyntheticTraveller returns a made-up Korean passport holder.
func SyntheticTraveller() Traveller {
	return Traveller{PassportNo: "M12345678", IssuingState: "KOR", Nationality: "KOR", MRZName: "KIM<<MIN<JUN",
		BirthDate: time.Date(1988, 3, 9, 0, 0, 0, 0, time.UTC), Sex: "M",
		ExpiryDate: time.Date(2033, 3, 8, 0, 0, 0, 0, time.UTC)}
}

// Key returns the BAC key of t's passport.
func (t Traveller) Key() cardreader.Key {
	return cardreader.Key{DocumentNumber: t.PassportNo, BirthDate: t.BirthDate.Format("060102"), ExpiryDate: t.ExpiryDate.Format("060102")}
}

// TD3 returns t's 88-character passport MRZ (ICAO 9303-4 §4.2.2), check
// digits computed.
func (t Traveller) TD3() string {
	l1 := "P<" + fill(t.IssuingState, 3) + fill(t.MRZName, 39)
	doc := fill(t.PassportNo, 9)
	dob, exp := t.BirthDate.Format("060102"), t.ExpiryDate.Format("060102")
	sex := t.Sex
	if sex == "" {
		sex = "<"
	}
	opt := fill(t.PersonalNumber, 14)
	l2 := doc + cd(doc) + fill(t.Nationality, 3) + dob + cd(dob) + sex + exp + cd(exp) + opt + cd(opt)
	l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
	return l1 + l2
}

// PassportOptions returns the options of t's passport: BAC, and PACE
// (brainpoolP256r1) with the MRZ (no CAN), DG1 (TD3) and DG2 (a
// placeholder unless portrait is given, then a face record holding it).
// Add AAKey and EF.SOD (Issuer.SignSOD) as the test needs.
func PassportOptions(t Traveller, portrait []byte) Options {
	dg2 := cardreader.TLV(0x75, []byte("placeholder, not a portrait"))
	if portrait != nil {
		dg2 = EncodeDG2(portrait)
	}
	return Options{
		Key:   t.Key(),
		PACE:  true,
		Curve: CurveBrainpoolP256r1,
		Files: map[uint16][]byte{
			cardreader.FIDDG1: EncodeDG1(t.TD3()),
			cardreader.FIDDG2: dg2,
		},
	}
}
