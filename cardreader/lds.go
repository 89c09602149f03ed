package cardreader

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// File identifiers and LDS tags (ICAO 9303-10 §4.6, table 39).
const (
	FIDCOM  uint16 = 0x011E
	FIDDG1  uint16 = 0x0101
	FIDDG2  uint16 = 0x0102 // portrait: biometric, never read by this package
	FIDDG3  uint16 = 0x0103 // fingerprints: biometric, EAC-protected, never read
	FIDDG13 uint16 = 0x010D
	FIDDG14 uint16 = 0x010E
	FIDDG15 uint16 = 0x010F
	FIDSOD  uint16 = 0x011D

	TagCOM  = 0x60
	TagDG1  = 0x61
	TagDG13 = 0x6D
	TagSOD  = 0x77
)

// AIDeMRTD is the LDS1 eMRTD application identifier (ICAO 9303-10 §3.6.2).
var AIDeMRTD = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// dgTags maps the EF.COM tag of each data group to its number (ICAO
// 9303-10 §4.6.1).
var dgTags = map[byte]int{
	0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8,
	0x69: 9, 0x6A: 10, 0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16,
}

// COM is EF.COM: the LDS and Unicode versions and the data groups present.
type COM struct {
	LDSVersion     string // "0107": LDS 1.7
	UnicodeVersion string // "040000"
	DataGroups     []int  // sorted data group numbers
}

// Has reports whether data group n is listed.
func (c COM) Has(n int) bool { return slices.Contains(c.DataGroups, n) }

// ParseCOM decodes EF.COM: 60 { 5F01 LDS version, 5F36 Unicode version,
// 5C tag list }. Unknown tags in the list are ignored.
func ParseCOM(b []byte) (COM, error) {
	outer, rest, err := parseTLV(b)
	if err != nil || outer.tag != TagCOM || len(rest) != 0 {
		return COM{}, fmt.Errorf("%w: EF.COM", ErrDataGroup)
	}
	dos, err := parseTLVs(outer.value)
	if err != nil {
		return COM{}, fmt.Errorf("%w: EF.COM: %w", ErrDataGroup, err)
	}
	var c COM
	for _, d := range dos {
		switch d.tag {
		case 0x5F01:
			c.LDSVersion = string(d.value)
		case 0x5F36:
			c.UnicodeVersion = string(d.value)
		case 0x5C:
			for _, t := range d.value {
				if n, ok := dgTags[t]; ok && !c.Has(n) {
					c.DataGroups = append(c.DataGroups, n)
				}
			}
		}
	}
	slices.Sort(c.DataGroups)
	return c, nil
}

// ParseDG1 decodes DG1 (61 { 5F1F MRZ }) holding a TD1 MRZ (ID card) or
// a TD3 MRZ (passport).
func ParseDG1(b []byte) (MRZ, error) {
	outer, rest, err := parseTLV(b)
	if err != nil || outer.tag != TagDG1 || len(rest) != 0 {
		return MRZ{}, fmt.Errorf("%w: DG1", ErrDataGroup)
	}
	in, rest, err := parseTLV(outer.value)
	if err != nil || in.tag != 0x5F1F || len(rest) != 0 {
		return MRZ{}, fmt.Errorf("%w: DG1 has no MRZ data object", ErrDataGroup)
	}
	return ParseMRZ(string(in.value))
}

// DG13 is the Vietnamese personal data group (feasibility notes §6.4):
//
//	6D { 30 { INTEGER version, OID 1.0.10646.1.0.8,
//	          31 { 30 { INTEGER n, value } … } } }
//
// with fields identified by n. Values are kept as the card states them
// (dates DD/MM/YYYY, sex "Nam"/"Nữ"); Card turns them into typed values.
type DG13 struct {
	PersonalID       string // 1
	FullName         string // 2
	BirthDate        string // 3
	Sex              string // 4
	Nationality      string // 5
	Ethnicity        string // 6
	Religion         string // 7
	PlaceOfOrigin    string // 8 quê quán
	Residence        string // 9 nơi thường trú
	IdentifyingMarks string // 10 đặc điểm nhận dạng
	IssueDate        string // 11
	ExpiryDate       string // 12
	FatherName       string // 13, first
	MotherName       string // 13, second
	SpouseName       string // 14
	// OtherDocument is field 15, read as the old 9-digit ID (CMND) by
	// public readers; unconfirmed on real cards, as is Field16.
	OtherDocument string
	Field16       string
}

const maxDG13Field = 1024

// ParseDG13 decodes DG13. Fields may come in any order and absent fields
// are simply missing; a field number seen twice, a value that is not a
// UTF-8 or printable string, or trailing bytes are errors. Unknown field
// numbers are ignored.
func ParseDG13(b []byte) (DG13, error) {
	bad := func(what string) error { return fmt.Errorf("%w: DG13: %s", ErrDataGroup, what) }
	outer, rest, err := parseTLV(b)
	if err != nil || outer.tag != TagDG13 || len(rest) != 0 {
		return DG13{}, bad("not a 6D data group")
	}
	seq, rest, err := parseTLV(outer.value)
	if err != nil || seq.tag != 0x30 || len(rest) != 0 {
		return DG13{}, bad("no content sequence")
	}
	items, err := parseTLVs(seq.value)
	if err != nil {
		return DG13{}, bad("content")
	}
	var d DG13
	seen := map[int]bool{}
	sets := 0
	for _, it := range items {
		switch it.tag {
		case 0x02, 0x06: // version, character set OID
			continue
		case 0x31:
			sets++
		default:
			return DG13{}, bad("unexpected object in content")
		}
		fields, err := parseTLVs(it.value)
		if err != nil {
			return DG13{}, bad("field set")
		}
		for _, f := range fields {
			if f.tag != 0x30 {
				return DG13{}, bad("field is not a sequence")
			}
			n, vals, err := dg13Field(f.value)
			if err != nil {
				return DG13{}, err
			}
			if seen[n] {
				return DG13{}, bad(fmt.Sprintf("field %d repeated", n))
			}
			seen[n] = true
			d.set(n, vals)
		}
	}
	if sets == 0 {
		return DG13{}, bad("no field set")
	}
	return d, nil
}

// dg13Field decodes { INTEGER n, value… } where each value is a string or
// a SEQUENCE of strings (fields 13 and 14).
func dg13Field(b []byte) (int, []string, error) {
	parts, err := parseTLVs(b)
	if err != nil || len(parts) == 0 || parts[0].tag != 0x02 || len(parts[0].value) != 1 || parts[0].value[0] > 0x7F {
		return 0, nil, fmt.Errorf("%w: DG13: field number", ErrDataGroup)
	}
	n := int(parts[0].value[0])
	var vals []string
	for _, p := range parts[1:] {
		if p.tag == 0x30 {
			inner, err := parseTLVs(p.value)
			if err != nil {
				return 0, nil, fmt.Errorf("%w: DG13: field %d", ErrDataGroup, n)
			}
			for _, s := range inner {
				v, err := dg13String(n, s)
				if err != nil {
					return 0, nil, err
				}
				vals = append(vals, v)
			}
			continue
		}
		v, err := dg13String(n, p)
		if err != nil {
			return 0, nil, err
		}
		vals = append(vals, v)
	}
	return n, vals, nil
}

func dg13String(n int, t tlv) (string, error) {
	switch t.tag {
	case 0x0C, 0x13, 0x16: // UTF8String, PrintableString, IA5String
	default:
		return "", fmt.Errorf("%w: DG13: field %d is not a string", ErrDataGroup, n)
	}
	if len(t.value) > maxDG13Field || !utf8.Valid(t.value) {
		return "", fmt.Errorf("%w: DG13: field %d is not UTF-8 text", ErrDataGroup, n)
	}
	return strings.TrimSpace(string(t.value)), nil
}

func (d *DG13) set(n int, v []string) {
	at := func(i int) string {
		if i < len(v) {
			return v[i]
		}
		return ""
	}
	ptr := map[int]*string{
		1: &d.PersonalID, 2: &d.FullName, 3: &d.BirthDate, 4: &d.Sex, 5: &d.Nationality,
		6: &d.Ethnicity, 7: &d.Religion, 8: &d.PlaceOfOrigin, 9: &d.Residence,
		10: &d.IdentifyingMarks, 11: &d.IssueDate, 12: &d.ExpiryDate, 14: &d.SpouseName,
		15: &d.OtherDocument, 16: &d.Field16,
	}
	if n == 13 {
		d.FatherName, d.MotherName = at(0), at(1)
		return
	}
	if p, ok := ptr[n]; ok {
		*p = strings.Join(v, " ")
	}
}
