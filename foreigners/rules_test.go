package foreigners_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

func TestMRZName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Kim Min-jun", "KIM MIN JUN"},
		{"KIM<<MIN<JUN<<<<", "KIM MIN JUN"},
		{"  Nguyễn   Thị Đào ", "NGUYEN THI DAO"},
		{"Müller", "MULLER"},
		{"Strauß", "STRAUSS"},
		{"O'Brien", "OBRIEN"},
		{"Øyvind Ærø", "OEYVIND AEROE"},
		{"", ""},
	} {
		require.Equal(t, tc.want, foreigners.MRZName(tc.in), tc.in)
	}
	p, s := foreigners.SplitMRZName("KIM<<MIN<JUN<<<<<<")
	require.Equal(t, "KIM", p)
	require.Equal(t, "MIN JUN", s)
}

func TestCountryCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"KOR", "KOR"}, {"kr", "KOR"}, {"D<<", "DEU"}, {"D", "DEU"}, {"GBR", "GBR"}, {"vn", "VNM"},
		{"XXA", ""}, {"ZZZ", ""}, {"EU", ""}, {"K", ""}, {"KORE", ""}, {"", ""},
	} {
		got, err := foreigners.CountryCode(tc.in)
		if tc.want == "" {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	require.Equal(t, "KR", foreigners.Alpha2("KOR"))
	require.Equal(t, "DE", foreigners.Alpha2("D"))
	require.Empty(t, foreigners.Alpha2("XXA"))
}

func TestValidID(t *testing.T) {
	t.Parallel()
	r := foreigners.Resident{BirthDate: time.Date(1988, 11, 5, 0, 0, 0, 0, time.UTC), Sex: "M"}
	require.NoError(t, foreigners.ValidID("001088000002", r))
	require.Error(t, foreigners.ValidID("001188000002", r), "female digit")
	require.Error(t, foreigners.ValidID("001090000002", r), "year")
	require.Error(t, foreigners.ValidID("00108800000", r), "length")
	r.Sex = "X"
	require.NoError(t, foreigners.ValidID("001188000002", r))
	require.Equal(t, attributes.Gender(""), r.Gender())
}

func TestPassportNumber(t *testing.T) {
	t.Parallel()
	n, err := foreigners.PassportNumber(" m1234 5678<")
	require.NoError(t, err)
	require.Equal(t, "M12345678", n)
	_, err = foreigners.PassportNumber("M1")
	require.Error(t, err)
	_, err = foreigners.PassportNumber("M12345678!")
	require.Error(t, err)
}

func TestPermitExpired(t *testing.T) {
	t.Parallel()
	r := foreigners.Resident{PermitExpiry: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}
	require.False(t, r.PermitExpired(time.Date(2027, 6, 30, 23, 59, 0, 0, time.UTC)))
	require.True(t, r.PermitExpired(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)))
}
