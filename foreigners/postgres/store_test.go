package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
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
