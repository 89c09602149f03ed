package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// TestActivationFigures checks the three reports against figures counted
// here, in Go, from the accounts and residences read row by row: demo data
// with some accounts moved to earlier months and some signed in.
func TestActivationFigures(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	svc := accountstest.New(t, db.App, nil)
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: svc.Service}, population.DemoOptions{Generated: 200, Seed: 7}))
	store := postgres.NewStore(db.App)

	// Spread the accounts over three months (Vietnam's time: 2026-09-30
	// 17:30 UTC is 1 October there) and sign some in.
	_, err := db.App.Exec(ctx, `UPDATE accounts SET created_at = CASE WHEN n % 3 = 0 THEN timestamptz '2026-09-30 17:30Z'
			WHEN n % 3 = 1 THEN timestamptz '2026-09-15 00:00Z' ELSE timestamptz '2026-11-02 00:00Z' END
		FROM (SELECT id, row_number() OVER (ORDER BY personal_id) AS n FROM accounts) AS o WHERE o.id = accounts.id`)
	require.NoError(t, err)
	_, err = db.App.Exec(ctx, `UPDATE accounts SET activated_at = created_at + interval '20 days' WHERE activated_at IS NOT NULL`)
	require.NoError(t, err)
	var ids []string
	rows, err := db.App.Query(ctx, `SELECT id::text FROM accounts ORDER BY personal_id`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	signedIn := 0
	for i, id := range ids {
		if i%4 == 0 { // pending accounts among them: signed in but not activated is not issued
			require.NoError(t, store.MarkFirstSignIn(ctx, id, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)))
			signedIn++
		}
	}
	require.NoError(t, store.MarkFirstSignIn(ctx, ids[0], time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))

	// Counted here from the rows.
	type row struct {
		province, district string
		created            time.Time
		activated, first   *time.Time
		level              int
		status             string
	}
	var all []row
	rs, err := db.App.Query(ctx, `SELECT coalesce(p.province, ''), coalesce(p.district, ''), a.created_at, a.activated_at, a.first_sign_in_at, a.level, a.status
		FROM accounts a LEFT JOIN population p ON p.personal_id = a.personal_id`)
	require.NoError(t, err)
	for rs.Next() {
		var r row
		require.NoError(t, rs.Scan(&r.province, &r.district, &r.created, &r.activated, &r.first, &r.level, &r.status))
		all = append(all, r)
	}
	require.NoError(t, rs.Err())
	count := func(f *accounts.LocalityFigures, r row) {
		f.Registered++
		if r.activated != nil {
			f.Activated++
			if r.first != nil {
				f.Issued++
			}
		}
		switch r.level {
		case 1:
			f.Level1++
		case 2:
			f.Level2++
		}
		if r.status == "locked" {
			f.Locked++
		}
	}
	wantProvince := map[string]accounts.LocalityFigures{}
	wantDistrict := map[[2]string]accounts.LocalityFigures{}
	type month = string
	wantMonth := map[month]accounts.MonthFigures{}
	key := func(t time.Time) month { return t.In(accounts.ReportZone).Format("2006-01") }
	for _, r := range all {
		f := wantProvince[r.province]
		f.Province = r.province
		count(&f, r)
		wantProvince[r.province] = f
		if r.district != "" {
			d := wantDistrict[[2]string{r.province, r.district}]
			d.Province, d.District = r.province, r.district
			count(&d, r)
			wantDistrict[[2]string{r.province, r.district}] = d
		}
		m := wantMonth[key(r.created)]
		m.Registered++
		wantMonth[key(r.created)] = m
		if r.activated != nil {
			m := wantMonth[key(*r.activated)]
			m.Activated++
			wantMonth[key(*r.activated)] = m
			if r.first != nil {
				m := wantMonth[key(*r.first)]
				m.Issued++
				wantMonth[key(*r.first)] = m
			}
		}
	}

	byProvince, err := store.ActivationByProvince(ctx)
	require.NoError(t, err)
	require.Len(t, byProvince, len(wantProvince))
	var total accounts.LocalityFigures
	for _, f := range byProvince {
		require.Equal(t, wantProvince[f.Province], f, f.Province)
		total.Add(f)
	}
	require.Equal(t, int64(len(all)), total.Registered, "every account is counted once")
	require.Positive(t, total.Issued)
	require.Less(t, total.Issued, int64(signedIn), "a pending account that signed in is not issued")
	hn := wantProvince["Hà Nội"]
	require.Positive(t, hn.Level2, "the level 2 demo citizen lives in Hà Nội")
	require.InDelta(t, 100*float64(hn.Activated)/float64(hn.Registered), hn.ActivationRate(), 1e-9)

	byDistrict, err := store.ActivationByDistrict(ctx)
	require.NoError(t, err)
	require.Len(t, byDistrict, len(wantProvince)+len(wantDistrict))
	for _, f := range byDistrict {
		if f.District == "" {
			require.Equal(t, wantProvince[f.Province], f, f.Province)
		} else {
			require.Equal(t, wantDistrict[[2]string{f.Province, f.District}], f, f.Province+" / "+f.District)
		}
	}

	until := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	byMonth, err := store.ActivationByMonth(ctx, until)
	require.NoError(t, err)
	var months []string
	for _, m := range byMonth {
		months = append(months, key(m.Month))
		w := wantMonth[key(m.Month)]
		require.Equal(t, [3]int64{w.Registered, w.Activated, w.Issued}, [3]int64{m.Registered, m.Activated, m.Issued}, key(m.Month))
	}
	require.Equal(t, []string{"2026-09", "2026-10", "2026-11", "2026-12", "2027-01"}, months, "every month to until's, none skipped")
	require.Positive(t, wantMonth["2026-10"].Registered, "17:30 UTC on 30 September is October in Vietnam")
}

// TestMarkFirstSignInKeepsTheFirst: a second mark changes nothing.
func TestMarkFirstSignInKeepsTheFirst(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	svc := accountstest.New(t, db.App, nil)
	a := svc.Citizen(t, "001090123456", "mật khẩu đúng", "+84901234567", 1)
	store := postgres.NewStore(db.App)
	first := time.Date(2026, 12, 13, 1, 2, 3, 0, time.UTC)
	require.NoError(t, store.MarkFirstSignIn(ctx, a.ID, first))
	require.NoError(t, store.MarkFirstSignIn(ctx, a.ID, first.Add(time.Hour)))
	got, err := store.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, first, *got.FirstSignInAt)
	require.ErrorIs(t, store.MarkFirstSignIn(ctx, "not-a-uuid", first), accounts.ErrNotFound)
}
