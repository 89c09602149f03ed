package attributes_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
)

func TestParseDocumentNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind attributes.DocumentKind
		in   string
		want string // "" for ErrMalformedNumber
	}{
		{attributes.DrivingLicence, "010000000001", "010000000001"},
		{attributes.DrivingLicence, " 0100 0000 0001 ", "010000000001"},
		{attributes.DrivingLicence, "01000000000", ""},
		{attributes.DrivingLicence, "0100000000012", ""},
		{attributes.DrivingLicence, "01000000000X", ""},
		{attributes.DrivingLicence, "０10000000001", ""}, // a full-width digit
		{attributes.VehicleRegistration, "hn-0123456", "HN-0123456"},
		{attributes.VehicleRegistration, "HN 012345", "HN-012345"},
		{attributes.VehicleRegistration, "HCM-0123456", "HCM-0123456"},
		{attributes.VehicleRegistration, "H-0123456", ""},
		{attributes.VehicleRegistration, "HNXY-0123456", ""},
		{attributes.VehicleRegistration, "HN-01234", ""},
		{attributes.VehicleRegistration, "HN--0123456", ""},
		{attributes.VehicleRegistration, "HN", ""},
		{attributes.VehicleRegistration, "Đn-0123456", ""},
		{attributes.HealthInsurance, "dn4010123456789", "DN4010123456789"},
		{attributes.HealthInsurance, "0112345678", "0112345678"},
		{attributes.HealthInsurance, "DN401012345678", ""},
		{attributes.HealthInsurance, "D14010123456789", ""},
		{attributes.SocialInsurance, "0112345678", "0112345678"},
		{attributes.SocialInsurance, "011234567", ""},
		{"passport", "0112345678", ""},
		{attributes.SocialInsurance, "", ""},
		{attributes.DrivingLicence, strings.Repeat(" ", attributes.MaxNumberInput) + "010000000001", ""},
	}
	for _, tc := range tests {
		got, err := attributes.ParseDocumentNumber(tc.kind, tc.in)
		if tc.want == "" {
			require.ErrorIs(t, err, attributes.ErrMalformedNumber, "%s %q", tc.kind, tc.in)
			require.Empty(t, got)
			continue
		}
		require.NoError(t, err, "%s %q", tc.kind, tc.in)
		require.Equal(t, tc.want, got)
	}
}

// What ParseDocumentNumber accepts is short, printable ASCII, and a fixed
// point: parsing its own output gives it back.
func FuzzParseDocumentNumber(f *testing.F) {
	for _, s := range []string{"010000000001", "hn 0123456", "HCM-0123456", "DN4010123456789", "0112345678", "HN-", "-0123456", "\x00", "Đn-0123456"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
		f.Add(s, uint8(3))
	}
	kinds := []attributes.DocumentKind{attributes.DrivingLicence, attributes.VehicleRegistration, attributes.HealthInsurance, attributes.SocialInsurance, "other"}
	f.Fuzz(func(t *testing.T, s string, k uint8) {
		kind := kinds[int(k)%len(kinds)]
		got, err := attributes.ParseDocumentNumber(kind, s)
		if err != nil {
			require.ErrorIs(t, err, attributes.ErrMalformedNumber)
			return
		}
		require.LessOrEqual(t, len(got), 15)
		for _, c := range []byte(got) {
			require.True(t, c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-', "%q", got)
		}
		again, err := attributes.ParseDocumentNumber(kind, got)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
