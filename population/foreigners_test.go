package population_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

func TestImportForeignersDemoFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	rep, err := population.ImportForeigners(ctx, f.dst, bytes.NewReader(population.DemoForeignersFile()), population.JSONLines)
	require.NoError(t, err)
	require.Equal(t, population.ForeignersReport{Residents: 2}, rep)
	reg := foreignerspg.NewStore(f.db.App)
	kim, err := reg.ByPassport(ctx, "KOR", "M12345678")
	require.NoError(t, err)
	require.Equal(t, population.DemoForeignerID, kim.ID)
	require.Equal(t, "KIM", kim.PrimaryName)
	require.Equal(t, "MIN JUN", kim.SecondaryName)
	require.Equal(t, foreigners.TemporaryResidenceCard, kim.PermitKind)
	require.Equal(t, "VN", kim.Address.Country)
	anna, err := reg.ByID(ctx, population.DemoForeignerRegistrationID)
	require.NoError(t, err)
	require.Equal(t, "MULLER", anna.PrimaryName, "names are kept in MRZ form")
	require.Equal(t, "DEU", anna.IssuingCountry)
	events := f.env.Audit.Events()
	require.Len(t, events, 1)
	require.Equal(t, audit.OperatorAction, events[0].Type)
	require.Equal(t, "foreigners_import", events[0].Reason)
	require.Equal(t, "2", events[0].Detail["residents"])

	// Again, with a renewed permit: the record is replaced.
	csv := "id,passport_no,issuing_country,nationality,primary_name,secondary_name,birth_date,sex,passport_expiry,permit_kind,permit_number,permit_expiry\n" +
		"001088000002,M12345678,KR,KR,Kim,Min-jun,1988-11-05,male,2031-03-14,temporary_residence_card,TT07654321,2030-06-30\n"
	_, err = population.ImportForeigners(ctx, f.dst, strings.NewReader(csv), population.CSV)
	require.NoError(t, err)
	kim, err = reg.ByID(ctx, population.DemoForeignerID)
	require.NoError(t, err)
	require.Equal(t, "TT07654321", kim.PermitNumber)
	require.Equal(t, time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC), kim.PermitExpiry)
	require.Equal(t, "KOR", kim.Nationality, "alpha-2 becomes ICAO alpha-3")
}

func TestImportForeignersReportsEveryBadLineAndImportsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	_, err := population.ImportForeigners(ctx, f.dst, bytes.NewReader(population.DemoForeignersFile()), population.JSONLines)
	require.NoError(t, err)
	before := f.count(t, "foreign_residents")
	good := `"passport_expiry":"2031-01-01","permit_kind":"visa","permit_number":"V1234567","permit_expiry":"2027-01-01"`
	lines := []string{
		/* 1 */ `{"id":"001090000021","passport_no":"X1234567","issuing_country":"FRA","nationality":"FRA","primary_name":"Dupont","secondary_name":"Jean","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 2 */ `{"id":"001091000022","passport_no":"X1234568","issuing_country":"FRA","nationality":"FRA","primary_name":"Year","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 3 */ `{"id":"001090000023","passport_no":"X1234569","issuing_country":"XXA","nationality":"ATLANTIS","primary_name":"Nowhere","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 4 */ ``,
		/* 5 */ `{"id":"001090000024","passport_no":"X1","issuing_country":"FRA","nationality":"FRA","primary_name":"","birth_date":"17/05/1990","sex":"Q",` + good + `}`,
		/* 6 */ `{"id":"001090000021","passport_no":"X1234567","issuing_country":"FRA","nationality":"FRA","primary_name":"Twice","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 7 */ `{"id":"001090000025","passport_no":"M12345678","issuing_country":"KOR","nationality":"KOR","primary_name":"Thief","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 8 */ `{"id":"001090000026","passport_no":"X1234570","issuing_country":"FRA","nationality":"FRA","primary_name":"Permit","birth_date":"1990-05-17","sex":"M","passport_expiry":"2031-01-01","permit_kind":"work_permit","permit_number":"?","permit_expiry":"soon"}`,
		/* 9 */ `{"id":"001090000027","passport_no":"X1234571","issuing_country":"VNM","nationality":"VNM","primary_name":"Citizen","birth_date":"1990-05-17","sex":"M",` + good + `}`,
		/* 10 */ `{"id":"001090000028","passport_no":"X1234572","issuing_country":"FRA","nationality":"FRA","primary_name":"Typo","birth_date":"1990-05-17","sex":"M","colour":"red",` + good + `}`,
		/* 11 */ `{not json`,
		/* 12 */ `{"id":"001090000029","passport_no":"X1234573","issuing_country":"FRA","nationality":"FRA","primary_name":"Phone","birth_date":"1990-05-17","sex":"M","phone":"0901","email":"nope",` + good + `}`,
		/* 13 */ `{"id":"001099000030","passport_no":"X1234574","issuing_country":"FRA","nationality":"FRA","primary_name":"Future","birth_date":"2099-05-17","sex":"M",` + good + `}`,
	}
	_, err = population.ImportForeigners(ctx, f.dst, strings.NewReader(strings.Join(lines, "\n")), population.JSONLines)
	var ve *population.ValidationError
	require.ErrorAs(t, err, &ve)
	got := map[int]string{}
	var order []int
	for _, l := range ve.Lines {
		got[l.Line] += l.Err.Error()
		order = append(order, l.Line)
	}
	require.Equal(t, []int{2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13}, order)
	for n, want := range map[int][]string{
		2:  {"does not match the year of birth"},
		3:  {"issuing_country \"XXA\"", "nationality \"ATLANTIS\""},
		5:  {"passport_no \"X1\"", "primary_name is empty", "birth_date \"17/05/1990\" is not a date", "sex \"Q\""},
		6:  {"id 001090000021 already on line 1", "passport FRA X1234567 already on line 1"},
		7:  {"passport KOR M12345678 is held by another id"},
		8:  {"permit_kind \"work_permit\"", "permit_number \"?\"", "permit_expiry \"soon\""},
		9:  {"nationality VNM"},
		10: {"unknown field \"colour\""},
		11: {"not a valid record"},
		12: {"phone \"0901\"", "email \"nope\""},
		13: {"in the future"},
	} {
		for _, w := range want {
			require.Contains(t, got[n], w, "line %d", n)
		}
	}
	require.Contains(t, err.Error(), "nothing imported")
	require.Equal(t, before, f.count(t, "foreign_residents"))
	require.Len(t, f.env.Audit.Events(), 1, "only the first import's")

	// CSV: header faults, then line numbers of the file.
	_, err = population.ImportForeigners(ctx, f.dst, strings.NewReader("id,passport_no,colour\n"), population.CSV)
	require.ErrorAs(t, err, &ve)
	require.Contains(t, err.Error(), `line 1: unknown column "colour"`)
	require.Contains(t, err.Error(), `missing column "permit_expiry"`)
	csv := "id,passport_no,issuing_country,nationality,primary_name,birth_date,sex,passport_expiry,permit_kind,permit_number,permit_expiry,street_address\n" +
		"001090000021,X1234567,FRA,FRA,Dupont,1990-05-17,M,2031-01-01,visa,V1234567,2027-01-01,\"1 Rue\nde Paris\"\n" +
		"001090000022,X1234568,FRA,FRA,Dupont,1990-05-17,F,2031-01-01,visa,V1234568,2027-01-01,\n" +
		"001090000023,X1234569,FRA\n"
	_, err = population.ImportForeigners(ctx, f.dst, strings.NewReader(csv), population.CSV)
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Lines, 2)
	require.Equal(t, 4, ve.Lines[0].Line)
	require.Contains(t, ve.Lines[0].Error(), "does not match the gender")
	require.Equal(t, 5, ve.Lines[1].Line)
	require.Contains(t, ve.Lines[1].Error(), "wrong number of fields")
	require.Equal(t, before, f.count(t, "foreign_residents"))
}
