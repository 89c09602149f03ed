package postgres_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/reconcile"
	"github.com/dinhdanh/dinhdanh/reconcile/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// reconcile_fold in SQL and reconcile.Fold in Go give the same key for
// every letter they map, in NFC and NFD, upper and lower case, every tone
// pair and the white space they collapse.
func TestFoldAgreesWithSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	var corpus []string
	add := func(s string) {
		corpus = append(corpus, s, norm.NFD.String(s), strings.ToUpper(s), strings.ToLower(s))
	}
	for _, r := range reconcile.FoldUpper + reconcile.FoldLower {
		add("Tr" + string(r) + "n Văn " + string(r))
	}
	for _, p := range reconcile.TonePairs {
		add("Th" + p[0] + " H" + p[1] + "n")
	}
	for _, s := range []string{"", " ", "  Lê \t Văn\n\r Tám\u00a0 ", "Ðặng Văn Ðức", "Nguyễn Thị Hòa", "Müller O'Neil", "Số 1 Tràng Tiền", "Quận 1"} {
		add(s)
	}
	rows, err := db.App.Query(t.Context(), `SELECT reconcile_fold(s) FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i) ORDER BY i`, corpus)
	require.NoError(t, err)
	var i int
	for rows.Next() {
		var got string
		require.NoError(t, rows.Scan(&got))
		require.Equal(t, reconcile.Fold(corpus[i]), got, "%q", corpus[i])
		i++
	}
	require.NoError(t, rows.Err())
	require.Len(t, corpus, i)
}

// Owners' names and addresses spelled as the vehicle registry holds them
// (upper case, NFD, extra spaces, the eth, the old tone placement) are the
// population registry's; a name with other or missing diacritics is
// someone else's, never merged.
func TestReconcileNormalisedNames(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := postgres.NewStore(db.App, nil)
	ctx := t.Context()
	upper := func(a [4]string) [4]string {
		for i := range a {
			a[i] = norm.NFD.String(strings.ToUpper(a[i])) + "  "
		}
		return a
	}
	for _, x := range []person{
		p("001191000008", "Nguyễn Thị Thuỳ", d(1991, 3, 3), addrHN),
		p("001193000009", "Lê Thị Hoa", d(1993, 4, 4), addrHN2),
		p("001095000010", "Trịnh Văn Đức", d(1995, 6, 6), addrHCM),
		p("001090000001", "Nguyễn Văn An", d(1990, 1, 2), addrHN),
	} {
		_, err := db.App.Exec(ctx, `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province, country)
			VALUES ($1, $2, $3, 'male', 'VN', $4, $5, $6, $7, 'VN')`, x.id, x.name, x.birth, x.street, x.ward, x.district, x.province)
		require.NoError(t, err)
	}
	require.NoError(t, s.PutVehicles(ctx, []postgres.VehicleRecord{
		v("30A-00001", "", norm.NFD.String("NGUYỄN  THỊ\u00a0THÙY"), d(1991, 3, 3), upper(addrHN), false), // completed
		v("30A-00002", "", "Lệ Thị Hoa", d(1993, 4, 4), addrHN2, false),                                   // Lệ is not Lê: unmatched
		v("30A-00003", "", "Le Thi Hoa", d(1993, 4, 4), addrHN2, false),                                   // no marks: unmatched
		v("30A-00004", "001095000010", "TRỊNH VĂN ÐỨC", d(1995, 6, 6), addrHCM, false),                    // right (eth, upper case)
		v("30A-00005", "001095000010", "Trinh Van Duc", d(1995, 6, 6), addrHCM, false),                    // someone else, so shared
		v("30A-00006", "001090000001", "nguyễn văn an", d(1990, 1, 2), addrHN, false),                     // right, and
		v("30A-00007", "001090000001", norm.NFD.String(" Nguyễn  Văn An"), d(1990, 1, 2), addrHN, false),  // the same person: not shared
	}))
	run, err := s.Reconcile(ctx, "op", reconcile.DefaultRules(), 0, nil)
	require.NoError(t, err)

	var got []want
	require.NoError(t, s.Findings(ctx, run.ID, nil, func(f reconcile.Finding) error {
		got = append(got, want{f.Number, f.Kind, f.Reason, f.Before, f.After})
		return nil
	}))
	sort.Slice(got, func(i, j int) bool {
		if got[i].number != got[j].number {
			return got[i].number < got[j].number
		}
		return got[i].kind < got[j].kind
	})
	require.Equal(t, []want{
		{"30A-00001", reconcile.Completed, reconcile.ReasonCompleted, "", "001191000008"},
		{"30A-00002", reconcile.Unmatched, reconcile.ReasonNoMatch, "", ""},
		{"30A-00003", reconcile.Unmatched, reconcile.ReasonNoMatch, "", ""},
		{"30A-00004", reconcile.SharedID, reconcile.ReasonShared, "001095000010", "001095000010"},
		{"30A-00005", reconcile.SharedID, reconcile.ReasonShared, "001095000010", "001095000010"},
		{"30A-00005", reconcile.WrongID, reconcile.ReasonNameDiffers, "001095000010", "001095000010"},
	}, got)
}
