package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/foreigners"
	"github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func TestRegistryRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App)
	ctx := t.Context()

	kim := foreigners.Resident{
		ID: "001088000002", PassportNo: "M12345678", IssuingCountry: "KOR", Nationality: "KOR",
		PrimaryName: "KIM", SecondaryName: "MIN JUN", BirthDate: d(1988, 11, 5), Sex: "M",
		PassportExpiry: d(2033, 4, 1), PermitKind: foreigners.TemporaryResidenceCard, PermitNumber: "TT01234567",
		PermitExpiry: d(2027, 6, 30),
		Address:      attributes.Address{Street: "54 Liễu Giai", Ward: "Cống Vị", District: "Ba Đình", Province: "Hà Nội", Country: "VN"},
		Phone:        "+84901000003", Email: "minjun.kim@example.kr",
	}
	anna := foreigners.Resident{
		ID: "079191000007", PassportNo: "C01X00T47", IssuingCountry: "DEU", Nationality: "DEU",
		PrimaryName: "MUELLER", SecondaryName: "ANNA", BirthDate: d(1991, 2, 3), Sex: "F",
		PassportExpiry: d(2030, 1, 1), PermitKind: foreigners.Visa, PermitNumber: "V1234567", PermitExpiry: d(2027, 1, 15),
	}
	require.NoError(t, s.Put(ctx, kim, anna))

	got, err := s.ByID(ctx, kim.ID)
	require.NoError(t, err)
	require.False(t, got.UpdatedAt.IsZero())
	got.UpdatedAt = time.Time{}
	require.Equal(t, kim, got)
	require.Equal(t, time.UTC, got.PermitExpiry.Location())

	got, err = s.ByPassport(ctx, "DEU", "C01X00T47")
	require.NoError(t, err)
	require.Equal(t, anna.ID, got.ID)

	_, err = s.ByPassport(ctx, "KOR", "C01X00T47")
	require.ErrorIs(t, err, foreigners.ErrNotFound)
	_, err = s.ByID(ctx, "079090000001")
	require.ErrorIs(t, err, foreigners.ErrNotFound)

	ending, err := s.PermitsEndingBy(ctx, d(2027, 1, 15))
	require.NoError(t, err)
	require.Len(t, ending, 1)
	require.Equal(t, anna.ID, ending[0].ID)

	// A re-import replaces the record: a renewed permit.
	kim.PermitNumber, kim.PermitExpiry = "TT07654321", d(2029, 6, 30)
	require.NoError(t, s.Put(ctx, kim))
	got, err = s.ByID(ctx, kim.ID)
	require.NoError(t, err)
	require.Equal(t, "TT07654321", got.PermitNumber)
	require.Equal(t, d(2029, 6, 30), got.PermitExpiry)

	// One passport, one resident.
	dup := anna
	dup.ID = "079191000008"
	require.Error(t, s.Put(ctx, dup))
}

// TestPeople: the attributes registry that knows foreigners lays the
// foreigners' registry over the population registry, and reads a foreigner
// the population registry does not hold from it alone.
func TestPeople(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := t.Context()
	pop := attributespg.NewStore(db.App)
	reg := postgres.NewStore(db.App)
	people := foreigners.People{Population: pop, Foreigners: reg}

	citizen := attributes.Person{PersonalID: "001090123456", FullName: "Nguyễn Văn An", BirthDate: d(1990, 5, 17),
		Gender: attributes.Male, Nationality: "VN"}
	kimPop := attributes.Person{PersonalID: "001088000002", FullName: "Kim Min-jun", BirthDate: d(1988, 11, 5),
		Gender: attributes.Male, Nationality: "KR", PassportNo: "M12345678"}
	require.NoError(t, pop.Write(ctx, []attributes.Person{citizen, kimPop}, nil))
	kim := foreigners.Resident{ID: kimPop.PersonalID, PassportNo: "M12345678", IssuingCountry: "KOR", Nationality: "KOR",
		PrimaryName: "KIM", SecondaryName: "MIN JUN", BirthDate: d(1988, 11, 5), Sex: "M", PassportExpiry: d(2033, 4, 1),
		PermitKind: foreigners.TemporaryResidenceCard, PermitNumber: "TT01234567", PermitExpiry: d(2027, 6, 30)}
	anna := foreigners.Resident{ID: "079191000007", PassportNo: "C01X00T47", IssuingCountry: "DEU", Nationality: "DEU",
		PrimaryName: "MUELLER", SecondaryName: "ANNA", BirthDate: d(1991, 2, 3), Sex: "F", PassportExpiry: d(2030, 1, 1),
		PermitKind: foreigners.Visa, PermitNumber: "V1234567", PermitExpiry: d(2027, 1, 15), Phone: "+84901000077"}
	require.NoError(t, reg.Put(ctx, kim, anna))

	got, err := people.Person(ctx, citizen.PersonalID)
	require.NoError(t, err)
	require.Equal(t, citizen, got)

	got, err = people.Person(ctx, kim.ID)
	require.NoError(t, err)
	require.Equal(t, "Kim Min-jun", got.FullName, "the population registry's name")
	require.Equal(t, "KR", got.Nationality)
	require.Equal(t, &attributes.Passport{Number: "M12345678", IssuingCountry: "KOR", Expiry: d(2033, 4, 1)}, got.Passport)
	require.Equal(t, &attributes.ResidencePermit{Kind: "temporary_residence_card", Number: "TT01234567", Expiry: d(2027, 6, 30)}, got.ResidencePermit)

	got, err = people.Person(ctx, anna.ID)
	require.NoError(t, err)
	require.Equal(t, "ANNA MUELLER", got.FullName)
	require.Equal(t, "DE", got.Nationality)
	require.Equal(t, attributes.Female, got.Gender)
	require.Equal(t, "+84901000077", got.Phone)
	require.Equal(t, "V1234567", got.ResidencePermit.Number)

	_, err = people.Person(ctx, "079090000001")
	require.ErrorIs(t, err, attributes.ErrNotFound)
}
