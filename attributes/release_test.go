package attributes_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
)

type fakeRegistry struct{}

func (fakeRegistry) Person(_ context.Context, id string) (attributes.Person, error) {
	if id == "001088000002" {
		return attributes.Person{PersonalID: id, FullName: "MIN JUN KIM", Nationality: "KR",
			Passport:        &attributes.Passport{Number: "M12345678", IssuingCountry: "KOR", Expiry: time.Date(2033, 4, 1, 0, 0, 0, 0, time.UTC)},
			ResidencePermit: &attributes.ResidencePermit{Kind: "temporary_residence_card", Number: "TT01234567", Expiry: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}}, nil
	}
	if id != "001090000001" {
		return attributes.Person{}, attributes.ErrNotFound
	}
	return attributes.Person{PersonalID: id, FullName: "Trần Thị Bình", BirthDate: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Female, Nationality: "VN", Phone: "+84901234567",
		Residence: attributes.Address{Street: "1 Tràng Tiền", Ward: "Tràng Tiền", District: "Hoàn Kiếm", Province: "Hà Nội", Country: "VN"}}, nil
}

func (fakeRegistry) Dependents(context.Context, string) ([]attributes.Dependent, error) {
	return []attributes.Dependent{{PersonalID: "001218000001", FullName: "Con", Relation: "child"}}, nil
}

func (fakeRegistry) Documents(_ context.Context, holder string, kinds ...attributes.DocumentKind) ([]attributes.Document, error) {
	return []attributes.Document{{Kind: attributes.DrivingLicence, Number: "DL1", HolderID: holder,
		Fields: map[string]string{"class": "B2", "Portrait_JPEG": "BIOMETRIC-SENTINEL-x", "finger_1": "BIOMETRIC-SENTINEL-y"}}}, nil
}

func TestClaimsForScopes(t *testing.T) {
	assert.Equal(t, []string{"birthdate", "gender", "name", "nationality"}, attributes.ClaimsForScopes([]string{"openid", "profile"}))
	assert.Equal(t, []string{"personal_id_number"}, attributes.ClaimsForScopes([]string{"personal_id"}))
	assert.Empty(t, attributes.ClaimsForScopes([]string{"portrait", "offline_access"}))
	assert.Equal(t, []string{"birthdate", "email", "gender", "name", "nationality"},
		attributes.ClaimsFor([]string{"openid", "profile"}, []string{"email", "name"}), "scope claims and named ones, once each")
	assert.Equal(t, assurance.Level2, attributes.ScopeLevel("documents.driving_licence"))
	assert.Equal(t, assurance.Level1, attributes.ScopeLevel("profile"))
	for _, c := range attributes.Claims() {
		for _, bad := range []string{"portrait", "finger", "picture", "biometric", "photo"} {
			assert.NotContains(t, c, bad)
		}
	}
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	reg := fakeRegistry{}
	all := attributes.Claims()
	vals, names, err := attributes.Release(ctx, reg, reg, "001090000001", 1, append(all, "portrait", "fingerprint"))
	require.NoError(t, err)
	assert.Equal(t, "Trần Thị Bình", vals["name"])
	assert.Equal(t, "1990-01-02", vals["birthdate"])
	assert.Equal(t, true, vals["phone_number_verified"])
	assert.Equal(t, "1 Tràng Tiền, Tràng Tiền, Hoàn Kiếm, Hà Nội", vals["address"].(map[string]any)["formatted"])
	assert.Nil(t, vals["driving_licence"], "documents need level 2")
	assert.NotContains(t, names, "portrait")
	assert.NotContains(t, names, "driving_licence")

	vals, _, err = attributes.Release(ctx, reg, reg, "001090000001", 2, []string{"driving_licence", "health_insurance"})
	require.NoError(t, err)
	dl := vals["driving_licence"].([]map[string]any)
	require.Len(t, dl, 1)
	assert.Equal(t, map[string]string{"class": "B2"}, dl[0]["fields"], "biometric-looking fields never leave")
	assert.Equal(t, []map[string]any{}, vals["health_insurance"])
	assert.NotContains(t, fmt.Sprint(vals), "SENTINEL")

	// A citizen has no passport in the foreigners' registry: the claims are
	// absent, not empty.
	vals, names, err = attributes.Release(ctx, reg, reg, "001090000001", 1, []string{"passport", "residence_permit"})
	require.NoError(t, err)
	assert.Empty(t, vals)
	assert.Empty(t, names)

	vals, names, err = attributes.Release(ctx, reg, reg, "001088000002", 1, []string{"passport", "residence_permit", "nationality"})
	require.NoError(t, err)
	assert.Equal(t, []string{"nationality", "passport", "residence_permit"}, names)
	assert.Equal(t, map[string]any{"number": "M12345678", "issuing_country": "KOR", "expiry": "2033-04-01"}, vals["passport"])
	assert.Equal(t, map[string]any{"kind": "temporary_residence_card", "number": "TT01234567", "expiry": "2027-06-30"}, vals["residence_permit"])
	assert.Equal(t, "KR", vals["nationality"])
	assert.Equal(t, []string{"passport"}, attributes.ClaimsForScopes([]string{"passport"}))
	assert.Equal(t, []string{"residence_permit"}, attributes.ClaimsForScopes([]string{"residence_permit"}))

	_, _, err = attributes.Release(ctx, reg, reg, "999", 1, []string{"name"})
	require.ErrorIs(t, err, attributes.ErrNotFound)
}

func TestDisplayOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"alphabetical input", []string{"address", "birthdate", "gender", "name", "nationality", "personal_id_number"},
			[]string{"name", "birthdate", "gender", "nationality", "personal_id_number", "address"}},
		{"documents after identity, dependents last", []string{"dependents", "driving_licence", "email", "name", "health_insurance"},
			[]string{"name", "email", "driving_licence", "health_insurance", "dependents"}},
		{"unknown names last, sorted, duplicates dropped", []string{"zeta", "name", "alpha", "name"},
			[]string{"name", "alpha", "zeta"}},
		{"empty", nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := attributes.DisplayOrder(tc.in)
			if got == nil {
				got = []string{}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
