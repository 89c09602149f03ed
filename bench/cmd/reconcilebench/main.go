// Command reconcilebench measures the vehicle-registry reconciliation: it
// generates a population registry and a vehicle registry with a known share
// of every kind of finding (inside PostgreSQL, with generate_series), runs
// reconcile/postgres over it, and prints records/s, peak memory and the
// findings counted against the known truth.
//
// Every vehicle number k falls in bucket k % 100:
//
//	0 retired (owner ID "bad")          6 year digits not the year of birth
//	1 missing ID, one person matches    7 valid shape, not in the registry
//	2 missing ID, nobody matches        8 names someone else (name)
//	3 missing ID, two people match      9 names someone else (birth date)
//	4 not 12 digits                    10 names someone else (both)
//	5 unknown province code            11 holds the ID of vehicle k+1's owner,
//	12..99 right                           naming someone else (shared + wrong)
//
// Persons are a formula of their index x (ID, name, birth date, address), so
// the vehicles can name them without joins; persons 1..twins have a clone
// (same name, birth date and address, another ID) for bucket 3.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/bench/internal/benchenv"
	"github.com/dinhdanh/dinhdanh/reconcile"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
)

const (
	codes = `(ARRAY['001','079','031','048','092'])`
	names = `(ARRAY['Hà Nội','Hồ Chí Minh','Hải Phòng','Đà Nẵng','Cần Thơ'])`
)

// Person attributes as SQL expressions of the index expression x.
func yy(x string) string     { return fmt.Sprintf("(50 + (%s) %% 50)", x) }
func prov(x string) string   { return fmt.Sprintf("%s[(%s) %% 5 + 1]", codes, x) }
func provNm(x string) string { return fmt.Sprintf("%s[(%s) %% 5 + 1]", names, x) }
func pid(x, g string) string {
	return fmt.Sprintf("(%s || '%s' || %s::text || lpad(((%s) / 50)::text, 6, '0'))", prov(x), g, yy(x), x)
}
func name(x string) string { return fmt.Sprintf("('Người Số ' || (%s)::text)", x) }
func birth(x string) string {
	return fmt.Sprintf("make_date(1900 + %s, 1 + (%s) %% 12, 1 + (%s) %% 28)", yy(x), x, x)
}
func addr(x string) string {
	return fmt.Sprintf("'Số ' || (%[1]s)::text, 'Phường ' || ((%[1]s) %% 30)::text, 'Quận ' || ((%[1]s) %% 12)::text, %[2]s", x, provNm(x))
}

func main() {
	var (
		people  = flag.Int("people", 1_000_000, "persons in the population registry")
		records = flag.Int("vehicles", 1_000_000, "vehicle records (a multiple of 100)")
		twins   = flag.Int("twins", 1000, "persons with a namesake (same name, birth date and address)")
		batch   = flag.Int("batch", 20000, "vehicle records per batch")
		durable = flag.Bool("durable", false, "PostgreSQL with fsync on (default off, as in tests)")
	)
	flag.Parse()
	if *records%100 != 0 || *records*93/100 > *people-2**twins {
		log.Fatal("vehicles must be a multiple of 100 and at most (people - 2*twins) / 0.93")
	}
	ctx := context.Background()
	db, err := benchenv.Start(ctx, "dinhdanh-reconcilebench-", *durable, 4)
	benchenv.Check(err)
	defer db.Close()
	app, owner := db.App, db.Owner

	fmt.Printf("reconcilebench: %s/%s, %d CPUs, %s; %d persons, %d vehicle records, batch %d, fsync %v\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *people, *records, *batch, *durable)

	t0 := time.Now()
	generate(ctx, app, owner, *people, *records, *twins)
	fmt.Printf("generated in %s\n", time.Since(t0).Round(time.Millisecond))

	var workMem string
	benchenv.Check(app.QueryRow(ctx, `SHOW work_mem`).Scan(&workMem))
	tempBefore, err := benchenv.TempBytes(ctx, app)
	benchenv.Check(err)
	var ticks int
	start := time.Now()
	run, err := reconcilepg.NewStore(app, nil).Reconcile(ctx, "bench", reconcile.DefaultRules(), *batch, func(p reconcile.Progress) {
		if ticks++; ticks%10 == 0 {
			fmt.Printf("  %s\n", p)
		}
	})
	benchenv.Check(err)
	took := time.Since(start)
	temp, err := benchenv.TempBytes(ctx, app)
	benchenv.Check(err)
	temp -= tempBefore

	fmt.Printf("\nreconciled %d records in %s: %.0f records/s\n", run.Records, took.Round(time.Millisecond), float64(run.Records)/took.Seconds())
	fmt.Printf("peak memory: this process (Go) VmHWM %d kB; PostgreSQL work_mem %s, temp files written %.1f MiB\n\n",
		benchenv.StatusKiB("VmHWM"), workMem, float64(temp)/(1<<20))

	figs, err := reconcilepg.NewStore(app, nil).Figures(ctx, run.ID)
	benchenv.Check(err)
	got := reconcile.Totals(figs)
	n := int64(*records / 100)
	truth := map[reconcile.Kind]int64{
		reconcile.Retired:   n,
		reconcile.Completed: n,
		reconcile.Unmatched: 2 * n,
		reconcile.WrongID:   8 * n,
		reconcile.SharedID:  2 * n,
	}
	ok := true
	fmt.Printf("%-10s %10s %10s\n", "kind", "expected", "found")
	for _, k := range reconcile.Kinds {
		mark := ""
		if got[k] != truth[k] {
			mark, ok = "  MISMATCH", false
		}
		fmt.Printf("%-10s %10d %10d%s\n", k, truth[k], got[k], mark)
	}
	rows, err := app.Query(ctx, `SELECT kind, reason, count(*) FROM reconcile_findings WHERE run_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, run.ID)
	benchenv.Check(err)
	fmt.Println("\nby reason:")
	for rows.Next() {
		var k, r string
		var c int64
		benchenv.Check(rows.Scan(&k, &r, &c))
		fmt.Printf("  %-10s %-55s %d\n", k, r, c)
	}
	benchenv.Check(rows.Err())
	if !ok {
		fmt.Println("\nfindings do NOT match the known truth")
		os.Exit(1)
	}
	fmt.Println("\nfindings match the known truth exactly")
}

func generate(ctx context.Context, app, owner *pgxpool.Pool, people, records, twins int) {
	base := people - twins
	benchenv.MustExec(ctx, app, fmt.Sprintf(`INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province)
		SELECT %s, %s, %s, 'male', 'VN', %s FROM generate_series(1, $1) x`, pid("x", "0"), name("x"), birth("x"), addr("x")), base)
	benchenv.MustExec(ctx, app, fmt.Sprintf(`INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province)
		SELECT %s, %s, %s, 'female', 'VN', %s FROM generate_series(1, $1) x`, pid("x", "1"), name("x"), birth("x"), addr("x")), twins)
	// p: the person of vehicle k. Buckets that hold a real person's ID (or
	// complete to one) get distinct persons above the twins; the others any.
	needs := "(b NOT IN (0, 2, 3, 4, 5, 6, 7))"
	q := fmt.Sprintf(`
	INSERT INTO vehicle_records (number, owner_id, owner_name, owner_birth_date, owner_street, owner_ward, owner_district, owner_province, status)
	SELECT 'V' || lpad(k::text, 8, '0'),
		CASE b WHEN 0 THEN 'bad' WHEN 1 THEN '' WHEN 2 THEN '' WHEN 3 THEN ''
			WHEN 4 THEN 'L' || k::text
			WHEN 5 THEN '999000' || lpad((k / 100)::text, 6, '0')
			WHEN 6 THEN %[1]s || '0' || lpad(((%[2]s + 1) %% 100)::text, 2, '0') || '8' || lpad((k / 100)::text, 5, '0')
			WHEN 7 THEN %[1]s || '0' || %[2]s::text || '9' || lpad((k / 100)::text, 5, '0')
			WHEN 11 THEN %[3]s
			ELSE %[4]s END,
		CASE WHEN b = 2 THEN 'Không Ai ' || k::text WHEN b IN (8, 10, 11) THEN 'Khác ' || k::text ELSE %[5]s END,
		CASE WHEN b IN (9, 10) THEN %[6]s + 1 ELSE %[6]s END,
		%[7]s,
		CASE WHEN b = 0 THEN 'retired' ELSE 'active' END
	FROM (
		SELECT k, b, CASE WHEN b = 3 THEN 1 + r %% $2 WHEN %[8]s THEN $2 + r ELSE $2 + 1 + r %% ($3 - $2) END::int AS p
		FROM (SELECT k, b, row_number() OVER (PARTITION BY (b = 3), %[8]s ORDER BY k) AS r
			FROM (SELECT k, k %% 100 AS b FROM generate_series(1, $1) k) g) h
	) v`,
		prov("p"), yy("p"), pid("p + 1", "0"), pid("p", "0"), name("CASE WHEN b = 11 THEN p + 1 ELSE p END"),
		birth("CASE WHEN b = 11 THEN p + 1 ELSE p END"), addr("CASE WHEN b = 11 THEN p + 1 ELSE p END"), needs)
	benchenv.MustExec(ctx, app, q, records, twins, base)
	benchenv.MustExec(ctx, owner, `ANALYZE population`)
	benchenv.MustExec(ctx, owner, `ANALYZE vehicle_records`)
}
