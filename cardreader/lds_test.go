package cardreader_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// icaoTD1 is the TD1 specimen of ICAO 9303-5 Appendix A.
const icaoTD1 = "I<UTOD231458907<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<6" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"

func TestParseTD1(t *testing.T) {
	t.Parallel()
	m, err := cardreader.ParseTD1(icaoTD1)
	require.NoError(t, err)
	require.Equal(t, cardreader.MRZ{DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
		BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO",
		PrimaryID: "ERIKSSON", SecondaryID: "ANNA MARIA"}, m)
	require.Equal(t, 1974, m.Birth().Year())

	vn := emulator.Synthetic().TD1()
	for _, tc := range []struct{ name, in, err string }{
		{"short", icaoTD1[:89], "90 characters"},
		{"lower case", strings.ToLower(icaoTD1), "not allowed"},
		{"document number check digit", icaoTD1[:14] + "8" + icaoTD1[15:], "document number"},
		{"birth check digit", icaoTD1[:36] + "3" + icaoTD1[37:], "date of birth"},
		{"expiry check digit", icaoTD1[:44] + "8" + icaoTD1[45:], "date of expiry"},
		{"composite", icaoTD1[:59] + "7" + icaoTD1[60:], "composite"},
		{"ID number altered in optional data", vn[:16] + "2" + vn[17:], "composite"},
		{"no name", icaoTD1[:60] + strings.Repeat("<", 30), "empty name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cardreader.ParseTD1(tc.in)
			require.ErrorIs(t, err, cardreader.ErrMRZ)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestParseDG13(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	d, err := cardreader.ParseDG13(emulator.EncodeDG13(p.DG13Fields()))
	require.NoError(t, err)
	require.Equal(t, cardreader.DG13{
		PersonalID: p.PersonalID, FullName: p.FullName, BirthDate: "17/05/1990", Sex: "Nam",
		Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Không", PlaceOfOrigin: p.PlaceOfOrigin,
		Residence: p.Residence, IdentifyingMarks: p.IdentifyingMarks, IssueDate: "10/04/2021",
		ExpiryDate: "17/05/2030", FatherName: "Nguyễn Văn Cha", MotherName: "Trần Thị Mẹ",
		SpouseName: "Lê Thị Vợ", OtherDocument: "012345678",
	}, d)

	// Order does not matter; absent fields stay empty; unknown ones are ignored.
	f := p.DG13Fields()
	shuffled := []emulator.DG13Field{f[12], f[1], f[0], {N: 40, Values: []string{"x"}}}
	d, err = cardreader.ParseDG13(emulator.EncodeDG13(shuffled))
	require.NoError(t, err)
	require.Equal(t, cardreader.DG13{PersonalID: p.PersonalID, FullName: p.FullName,
		FatherName: "Nguyễn Văn Cha", MotherName: "Trần Thị Mẹ"}, d)

	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"wrong tag", cardreader.TLV(0x6C, cardreader.TLV(0x30))},
		{"repeated field", emulator.EncodeDG13([]emulator.DG13Field{f[0], f[0]})},
		{"not UTF-8", emulator.EncodeDG13([]emulator.DG13Field{{N: 2, Values: []string{"\xff"}}})},
		{"trailing bytes", append(emulator.EncodeDG13(f), 0)},
		{"no field set", cardreader.TLV(0x6D, cardreader.TLV(0x30, cardreader.TLV(0x02, []byte{1})))},
		{"truncated", emulator.EncodeDG13(f)[:100]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cardreader.ParseDG13(tc.in)
			require.ErrorIs(t, err, cardreader.ErrDataGroup)
		})
	}
}

func FuzzParseDG13(f *testing.F) {
	p := emulator.Synthetic()
	f.Add(emulator.EncodeDG13(p.DG13Fields()))
	f.Add(emulator.EncodeDG13(p.DG13Fields()[:3]))
	f.Add(emulator.EncodeDG13(nil))
	f.Add([]byte{0x6D, 0x82, 0xFF, 0xFF, 0x30})
	f.Add([]byte{0x6D, 0x83, 0x10, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := cardreader.ParseDG13(b)
		if err != nil {
			require.ErrorIs(t, err, cardreader.ErrDataGroup)
			return
		}
		for _, s := range []string{d.PersonalID, d.FullName, d.Residence, d.FatherName, d.MotherName, d.SpouseName} {
			require.True(t, utf8.ValidString(s))
		}
	})
}

func FuzzParseTD1(f *testing.F) {
	f.Add(icaoTD1)
	f.Add(emulator.Synthetic().TD1())
	f.Add(strings.Repeat("<", 90))
	f.Add("IDVNM" + strings.Repeat("0", 85))
	f.Fuzz(func(t *testing.T, s string) {
		m, err := cardreader.ParseTD1(s)
		if err != nil {
			require.ErrorIs(t, err, cardreader.ErrMRZ)
			return
		}
		// What parses is a usable BAC key whose check digits recompute.
		info, err := m.Key().MRZInformation()
		require.NoError(t, err)
		require.Len(t, info, 24)
		require.NotEmpty(t, m.Name())
		require.False(t, m.Birth().IsZero())
		if m.PersonalID != "" {
			require.Len(t, m.PersonalID, 12)
		}
	})
}

func FuzzParseDG1(f *testing.F) {
	f.Add(emulator.EncodeDG1(emulator.Synthetic().TD1()))
	f.Add(emulator.EncodeDG1(icaoTD1))
	f.Add(emulator.EncodeDG1(icaoTD3))
	f.Add(emulator.EncodeDG1(emulator.SyntheticTraveller().TD3()))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := cardreader.ParseDG1(b)
		if err != nil {
			require.True(t, errorsIsAny(err, cardreader.ErrDataGroup, cardreader.ErrMRZ), "%v", err)
		}
	})
}
