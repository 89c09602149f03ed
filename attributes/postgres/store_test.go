package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func TestRegistryRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App)
	ctx := t.Context()

	parent := attributes.Person{
		PersonalID: "001090123456", OldID: "012345678", FullName: "Nguyễn Văn An", BirthDate: d(1990, 5, 17),
		Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "12 Hàng Bài", Ward: "Hàng Bài", District: "Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
		Phone:     "+84901234567", Email: "an@example.vn", IssueDate: d(2021, 3, 1),
	}
	// The child comes first: the guardian reference is checked at commit.
	older := attributes.Person{PersonalID: "001212000001", FullName: "Nguyễn Minh Khôi", BirthDate: d(2012, 9, 2), Gender: attributes.Male,
		Nationality: "VN", GuardianID: parent.PersonalID, GuardianRelation: "child"}
	younger := attributes.Person{PersonalID: "001318000002", FullName: "Nguyễn Thu Hà", BirthDate: d(2018, 1, 30), Gender: attributes.Female,
		Nationality: "VN", GuardianID: parent.PersonalID, GuardianRelation: "child"}
	exp := d(2031, 5, 17)
	docs := []attributes.Document{
		{Kind: attributes.DrivingLicence, Number: "010123456789", HolderID: parent.PersonalID, IssuedOn: d(2015, 6, 1), ExpiresOn: &exp,
			Issuer: "Sở GTVT Hà Nội", Fields: map[string]string{"classes": "A1,B2"}},
		{Kind: attributes.HealthInsurance, Number: "DN4010123456789", HolderID: parent.PersonalID, Status: "valid"},
	}
	require.NoError(t, s.Write(ctx, []attributes.Person{younger, older, parent}, docs))

	got, err := s.Person(ctx, parent.PersonalID)
	require.NoError(t, err)
	require.Equal(t, parent, got)
	require.Equal(t, time.UTC, got.BirthDate.Location())

	_, err = s.Person(ctx, "079090000001")
	require.ErrorIs(t, err, attributes.ErrNotFound)

	deps, err := s.Dependents(ctx, parent.PersonalID)
	require.NoError(t, err)
	require.Equal(t, []attributes.Dependent{
		{PersonalID: older.PersonalID, FullName: older.FullName, BirthDate: older.BirthDate, Gender: attributes.Male, Relation: "child"},
		{PersonalID: younger.PersonalID, FullName: younger.FullName, BirthDate: younger.BirthDate, Gender: attributes.Female, Relation: "child"},
	}, deps)
	none, err := s.Dependents(ctx, older.PersonalID)
	require.NoError(t, err)
	require.Empty(t, none)

	all, err := s.Documents(ctx, parent.PersonalID)
	require.NoError(t, err)
	docs[1].Status = "valid"
	docs[0].Status = "valid"
	require.Equal(t, docs, all)
	only, err := s.Documents(ctx, parent.PersonalID, attributes.HealthInsurance, attributes.SocialInsurance)
	require.NoError(t, err)
	require.Equal(t, docs[1:], only)
	empty, err := s.Documents(ctx, older.PersonalID)
	require.NoError(t, err)
	require.Empty(t, empty)

	// Writing again replaces.
	parent.FullName = "Nguyễn Văn Ân"
	require.NoError(t, s.Write(ctx, []attributes.Person{parent}, nil))
	got, err = s.Person(ctx, parent.PersonalID)
	require.NoError(t, err)
	require.Equal(t, "Nguyễn Văn Ân", got.FullName)
}

func TestWriteRejectsUnknownGuardianAndHolder(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App)
	ctx := t.Context()
	orphan := attributes.Person{PersonalID: "001212000001", FullName: "Bé", BirthDate: d(2012, 9, 2), Gender: attributes.Male,
		Nationality: "VN", GuardianID: "001090999999", GuardianRelation: "child"}
	require.Error(t, s.Write(ctx, []attributes.Person{orphan}, nil))
	require.Error(t, s.Write(ctx, nil, []attributes.Document{{Kind: attributes.SocialInsurance, Number: "1", HolderID: "001090999999"}}))
	_, err := s.Person(ctx, orphan.PersonalID)
	require.ErrorIs(t, err, attributes.ErrNotFound)
}
