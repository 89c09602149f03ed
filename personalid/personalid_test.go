package personalid

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestProvincesAreTheSixtyThreeCodes(t *testing.T) {
	ps := Provinces()
	require.Len(t, ps, 63)
	require.Equal(t, Province{"001", "Hà Nội"}, ps[0])
	require.Equal(t, Province{"096", "Cà Mau"}, ps[62])
	name, ok := ProvinceName("079")
	require.True(t, ok)
	require.Equal(t, "Hồ Chí Minh", name)
	for _, missing := range []string{"000", "003", "005", "097", "704"} {
		_, ok := ProvinceName(missing)
		require.False(t, ok, missing)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		want   ID
		err    error
		errMsg string
	}{
		{name: "Hà Nội man 1990", in: "001090123456", want: ID{Number: "001090123456", ProvinceCode: "001", Gender: attributes.Male, BirthYear: 1990, Serial: "123456"}},
		{name: "HCMC woman 1985", in: "079185000001", want: ID{Number: "079185000001", ProvinceCode: "079", Gender: attributes.Female, BirthYear: 1985, Serial: "000001"}},
		{name: "Cà Mau boy 2012", in: "096212999999", want: ID{Number: "096212999999", ProvinceCode: "096", Gender: attributes.Male, BirthYear: 2012, Serial: "999999"}},
		{name: "2000 girl", in: "048300000000", want: ID{Number: "048300000000", ProvinceCode: "048", Gender: attributes.Female, BirthYear: 2000, Serial: "000000"}},
		{name: "2100s", in: "001405000000", want: ID{Number: "001405000000", ProvinceCode: "001", Gender: attributes.Male, BirthYear: 2105, Serial: "000000"}},
		{name: "2300s female", in: "001999000000", want: ID{Number: "001999000000", ProvinceCode: "001", Gender: attributes.Female, BirthYear: 2399, Serial: "000000"}},
		{name: "empty", in: "", err: ErrLength},
		{name: "11 digits", in: "00109012345", err: ErrLength},
		{name: "13 digits", in: "0010901234567", err: ErrLength},
		{name: "old 9-digit CMND", in: "012345678", err: ErrLength},
		{name: "letter", in: "00109012345A", err: ErrDigits},
		{name: "space", in: "001 90123456", err: ErrDigits},
		{name: "sign", in: "+01090123456", err: ErrDigits},
		{name: "Bengali digits", in: "০০১০৯০১২৩৪৫৬", err: ErrDigits},
		{name: "fullwidth digits", in: "００１０９０１２３４５６", err: ErrDigits},
		{name: "province 000", in: "000090123456", err: ErrProvince, errMsg: "000"},
		{name: "province 003 (gap)", in: "003090123456", err: ErrProvince},
		{name: "province 097", in: "097090123456", err: ErrProvince},
		{name: "country code 704", in: "704090123456", err: ErrProvince},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				if tc.errMsg != "" {
					require.ErrorContains(t, err, tc.errMsg)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.in, got.String())
			require.NotEmpty(t, got.Province())
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		id     string
		birth  time.Time
		gender attributes.Gender
		err    error
	}{
		{"man 1990", "001090123456", date(1990, 5, 17), attributes.Male, nil},
		{"woman 1990", "001190123456", date(1990, 5, 17), attributes.Female, nil},
		{"boy 2012", "079212000123", date(2012, 1, 1), attributes.Male, nil},
		{"girl 2019", "079319000123", date(2019, 12, 31), attributes.Female, nil},
		{"1900", "001000000001", date(1900, 1, 1), attributes.Male, nil},
		{"birth date in its own location", "001090123456", time.Date(1990, 1, 1, 6, 0, 0, 0, time.FixedZone("ICT", 7*3600)), attributes.Male, nil},
		{"year mismatch", "001090123456", date(1991, 5, 17), attributes.Male, ErrYear},
		{"century mismatch", "001290123456", date(1990, 5, 17), attributes.Male, ErrYear},
		{"century digit of 2000s for 1900s girl", "001390123456", date(1990, 5, 17), attributes.Female, ErrYear},
		{"gender mismatch male digit", "001090123456", date(1990, 5, 17), attributes.Female, ErrGender},
		{"gender mismatch female digit", "001190123456", date(1990, 5, 17), attributes.Male, ErrGender},
		{"born 1899 cannot be encoded", "001099123456", date(1899, 5, 17), attributes.Male, ErrBirthYearRange},
		{"bad shape first", "00109012345", date(1990, 5, 17), attributes.Male, ErrLength},
		{"unknown province", "003090123456", date(1990, 5, 17), attributes.Male, ErrProvince},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.id, tc.birth, tc.gender)
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
	require.ErrorContains(t, Validate("001090123456", date(1990, 1, 1), "other"), "unknown gender")
}

func TestCenturyGenderDigit(t *testing.T) {
	for _, tc := range []struct {
		year   int
		gender attributes.Gender
		want   int
	}{
		{1900, attributes.Male, 0}, {1999, attributes.Female, 1}, {2000, attributes.Male, 2}, {2099, attributes.Female, 3},
		{2100, attributes.Male, 4}, {2150, attributes.Female, 5}, {2200, attributes.Male, 6}, {2299, attributes.Female, 7},
		{2300, attributes.Male, 8}, {2399, attributes.Female, 9},
	} {
		got, err := CenturyGenderDigit(tc.year, tc.gender)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%d %s", tc.year, tc.gender)
	}
	for _, y := range []int{1800, 1899, 2400} {
		_, err := CenturyGenderDigit(y, attributes.Male)
		require.ErrorIs(t, err, ErrBirthYearRange)
	}
}

// FuzzParse checks that parsing never panics, accepts exactly the
// 12-digit numbers with a known province code, and that what it decodes
// validates against itself and re-encodes to the same digits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"001090123456", "079185000001", "096212999999", "003090123456", "00109012345", "00109012345A", "", "０01090123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrLength) && !errors.Is(err, ErrDigits) && !errors.Is(err, ErrProvince) {
				t.Fatalf("unexpected error kind for %q: %v", s, err)
			}
			if errors.Is(err, ErrProvince) {
				if _, ok := ProvinceName(s[:3]); ok {
					t.Fatalf("%q refused for a known province", s)
				}
			}
			return
		}
		if len(s) != 12 || p.Number != s {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		if p.BirthYear < 1900 || p.BirthYear > 2399 {
			t.Fatalf("%q decoded to year %d", s, p.BirthYear)
		}
		g, err := CenturyGenderDigit(p.BirthYear, p.Gender)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		again := fmt.Sprintf("%s%d%02d%s", p.ProvinceCode, g, p.BirthYear%100, p.Serial)
		if again != s {
			t.Fatalf("%q re-encoded as %q", s, again)
		}
		if err := Validate(s, date(p.BirthYear, 6, 15), p.Gender); err != nil {
			t.Fatalf("%q does not validate against its own year and gender: %v", s, err)
		}
	})
}
