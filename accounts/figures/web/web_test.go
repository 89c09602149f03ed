package web_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/figures/web"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var members = map[string]staff.Principal{
	"operator": {MemberID: "m-op", Username: "operator", Name: "Hà Văn Hải", Roles: []staff.Role{staff.RoleOperator}},
	"officer":  {MemberID: "m-of", Username: "officer", Name: "Trần Văn Bình", Roles: []staff.Role{staff.RoleOfficer}},
}

// testStaff stands in for the console's sign-in: X-Test-Staff names a
// member.
func testStaff(r *http.Request) (staff.Principal, bool) {
	p, ok := members[r.Header.Get("X-Test-Staff")]
	return p, ok
}

// testRequire is staffweb.Require's contract: 303 to sign in, 403 without
// the role.
func testRequire(role staff.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := testStaff(r)
			switch {
			case !ok:
				http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
			case !p.Has(role):
				http.Error(w, "forbidden", http.StatusForbidden)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

type site struct {
	srv *httptest.Server
	db  *pgtest.DB
}

func newSite(t *testing.T) *site {
	t.Helper()
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	require.NoError(t, population.LoadDemo(t.Context(), population.Target{Pool: db.App, Accounts: acc.Service}, population.DemoOptions{Generated: 150, Seed: 3}))
	// One account signed in: issued.
	_, err := db.App.Exec(t.Context(), `UPDATE accounts SET first_sign_in_at = now() WHERE personal_id = $1`, population.DemoLevel2ID)
	require.NoError(t, err)
	tmpl, err := templates.New()
	require.NoError(t, err)
	sm := scs.New()
	csrf := &httpx.CSRF{Sessions: sm}
	h := &web.Handler{Reports: accountspg.NewStore(db.App), Principal: testStaff, Require: testRequire, Templates: tmpl, CSRF: csrf,
		Now: func() time.Time { return time.Now() }}
	r := mux.NewRouter()
	r.Use(httpx.RequestID)
	sub := r.NewRoute().Subrouter()
	sub.Use(sm.LoadAndSave, csrf.Middleware)
	h.Routes(sub)
	s := &site{srv: httptest.NewServer(r), db: db}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) get(t *testing.T, who, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("X-Test-Staff", who)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(b)
}

var (
	barRE      = regexp.MustCompile(`<g class="group" data-category="([^"]*)">|<g class="bar" data-series="([a-z]+)" data-value="(-?\d+)">`)
	provinceRE = regexp.MustCompile(`<tr data-province="([^"]*)"( data-district="([^"]*)")?`)
)

// chartNumbers reads one chart's numbers from the page: category → series
// → value, and the categories in order.
func chartNumbers(t *testing.T, page, id string) (map[string]map[string]int64, []string) {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	require.Positive(t, start, "no chart %s", id)
	svg := page[start : start+strings.Index(page[start:], "</svg>")]
	out := map[string]map[string]int64{}
	var order []string
	cat := ""
	for _, m := range barRE.FindAllStringSubmatch(svg, -1) {
		if m[2] == "" {
			cat = m[1]
			order = append(order, cat)
			out[cat] = map[string]int64{}
			continue
		}
		v, err := strconv.ParseInt(m[3], 10, 64)
		require.NoError(t, err)
		out[cat][m[2]] = v
	}
	return out, order
}

func TestFiguresPage(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()

	// Counted here, independently of the page's queries.
	want := map[string]map[string]int64{}
	rows, err := s.db.App.Query(ctx, `SELECT coalesce(p.province, ''), count(*), count(a.activated_at),
			count(*) FILTER (WHERE a.activated_at IS NOT NULL AND a.first_sign_in_at IS NOT NULL)
		FROM accounts a LEFT JOIN population p USING (personal_id) GROUP BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var p string
		var reg, act, iss int64
		require.NoError(t, rows.Scan(&p, &reg, &act, &iss))
		want[p] = map[string]int64{"registered": reg, "activated": act, "issued": iss}
	}
	require.NoError(t, rows.Err())

	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			status, _, page := s.get(t, "operator", web.PathFigures+"?ui_locales="+lang)
			require.Equal(t, http.StatusOK, status)
			assert.Contains(t, page, map[string]string{"vi": "Số liệu tài khoản định danh điện tử", "en": "Electronic identity account figures"}[lang])
			assert.Contains(t, page, map[string]string{"vi": "Số liệu lúc <time", "en": "Figures as of <time"}[lang])
			assert.NotContains(t, page, "staff.figures.", "every message is translated")
			got, order := chartNumbers(t, page, "chart-provinces")
			assert.Equal(t, want, got, "the chart draws the database's numbers")
			vietnameseOrder(t, order)
			assert.Regexp(t, map[string]string{"vi": `data-column="rate" data-value="\d+\.\d">\d+,\d %<`, "en": `data-column="rate" data-value="\d+\.\d">\d+\.\d%<`}[lang], page)
			assert.NotContains(t, page, "<script")

			// The CSVs hold exactly the numbers drawn, in the same order.
			for _, c := range []struct{ path, id string }{{web.PathProvincesCSV, "chart-provinces"}, {web.PathMonthsCSV, "chart-months"}} {
				drawn, order := chartNumbers(t, page, c.id)
				status, h, body := s.get(t, "operator", c.path+"?ui_locales="+lang)
				require.Equal(t, http.StatusOK, status)
				assert.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
				assert.Contains(t, h.Get("Content-Disposition"), "attachment")
				recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				require.NoError(t, err)
				require.Len(t, recs, len(order)+1)
				assert.Equal(t, []string{"registered", "activated", "issued"}, recs[0][1:])
				for i, rec := range recs[1:] {
					assert.Equal(t, order[i], rec[0])
					for j, series := range recs[0][1:] {
						assert.Equal(t, strconv.FormatInt(drawn[rec[0]][series], 10), rec[j+1], "%s %s", rec[0], series)
					}
				}
			}
			months, _ := chartNumbers(t, page, "chart-months")
			var reg int64
			for _, m := range months {
				reg += m["registered"]
			}
			var total int64
			require.NoError(t, s.db.App.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&total))
			assert.Equal(t, total, reg, "every account registered in some month drawn")
		})
	}
}

// vietnameseOrder: the provinces (then "", no residence) are in Vietnamese
// collation order, Đà Nẵng between Cà Mau and Hà Nội, and not in byte order.
func vietnameseOrder(t *testing.T, provinces []string) {
	t.Helper()
	named := slices.DeleteFunc(slices.Clone(provinces), func(p string) bool { return p == "" })
	c := collate.New(language.Vietnamese)
	assert.True(t, slices.IsSortedFunc(named, c.CompareString), "%v", named)
	assert.Less(t, indexOf(named, "Đà Nẵng"), indexOf(named, "Hà Nội"))
	assert.Positive(t, indexOf(named, "Đà Nẵng"), "a province in C or earlier comes first")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestFiguresTableSorts: by name in Vietnamese order by default, by any
// number through the header links, each province followed by its
// districts; an unknown sort falls back to names with a 400.
func TestFiguresTableSorts(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		name   string
		query  string
		status int
		check  func(t *testing.T, page string, provinces []string)
	}{
		{"default: Vietnamese order", "", http.StatusOK, func(t *testing.T, page string, p []string) {
			vietnameseOrder(t, p)
			assert.Contains(t, page, `data-column="name" aria-sort="ascending"`)
		}},
		{"name descending", "?sort=name&dir=desc", http.StatusOK, func(t *testing.T, page string, p []string) {
			assert.Greater(t, indexOf(p, "Đà Nẵng"), indexOf(p, "Hà Nội"))
			assert.Contains(t, page, `data-column="name" aria-sort="descending"`)
		}},
		{"registered, largest first", "?sort=registered", http.StatusOK, func(t *testing.T, page string, p []string) {
			assert.Contains(t, page, `data-column="registered" aria-sort="descending"`)
			assert.Contains(t, page, `href="/staff/figures?dir=asc&amp;sort=registered`, "the link turns the order round")
		}},
		{"unknown column", "?sort=personal_id", http.StatusBadRequest, func(t *testing.T, page string, p []string) {
			assert.Contains(t, page, `id="figures-error"`)
			assert.Less(t, indexOf(p, "Đà Nẵng"), indexOf(p, "Hà Nội"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, page := s.get(t, "operator", web.PathFigures+tc.query)
			require.Equal(t, tc.status, status)
			var provinces []string
			seen := map[string]bool{}
			var regs []int64
			for _, m := range provinceRE.FindAllStringSubmatch(page, -1) {
				if m[3] != "" {
					require.True(t, seen[m[1]], "district %s of %s before its province", m[3], m[1])
					continue
				}
				provinces = append(provinces, m[1])
				seen[m[1]] = true
			}
			require.NotEmpty(t, provinces)
			tc.check(t, page, provinces)
			if strings.Contains(tc.query, "sort=registered") {
				for _, p := range provinces {
					regs = append(regs, registered(t, page, p))
				}
				for i := 1; i < len(regs); i++ {
					assert.GreaterOrEqual(t, regs[i-1], regs[i], "sorted by registered, largest first")
				}
			}
		})
	}
}

// registered reads a province row's registered cell.
func registered(t *testing.T, page, province string) int64 {
	t.Helper()
	re := regexp.MustCompile(`<tr data-province="` + regexp.QuoteMeta(province) + `">\s*<th[^>]*>[^<]*</th>\s*<td data-column="registered" data-value="(\d+)"`)
	m := re.FindStringSubmatch(page)
	require.NotNil(t, m, province)
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

func TestFiguresForOperatorsOnly(t *testing.T) {
	s := newSite(t)
	for _, path := range []string{web.PathFigures, web.PathProvincesCSV, web.PathMonthsCSV} {
		status, _, _ := s.get(t, "officer", path)
		assert.Equal(t, http.StatusForbidden, status, path)
		status, _, _ = s.get(t, "", path)
		assert.Equal(t, http.StatusSeeOther, status, path)
	}
}

// countingReports counts the queries that reach the store.
type countingReports struct {
	*accountspg.Store
	places, months int
}

func (c *countingReports) ActivationByDistrict(ctx context.Context) ([]accounts.LocalityFigures, error) {
	c.places++
	return c.Store.ActivationByDistrict(ctx)
}

func (c *countingReports) ActivationByMonth(ctx context.Context, until time.Time) ([]accounts.MonthFigures, error) {
	c.months++
	return c.Store.ActivationByMonth(ctx, until)
}

// TestFiguresCached: within CacheFor views and downloads share one query
// each (and show the time they were read); after it the page reads again
// and shows what changed.
func TestFiguresCached(t *testing.T) {
	db := pgtest.New(t)
	acc := accountstest.New(t, db.App, nil)
	require.NoError(t, population.LoadDemo(t.Context(), population.Target{Pool: db.App, Accounts: acc.Service}, population.DemoOptions{Generated: -1}))
	tmpl, err := templates.New()
	require.NoError(t, err)
	sm := scs.New()
	csrf := &httpx.CSRF{Sessions: sm}
	reports := &countingReports{Store: accountspg.NewStore(db.App)}
	now := time.Date(2026, 12, 13, 3, 0, 0, 0, time.UTC)
	h := &web.Handler{Reports: reports, Principal: testStaff, Require: testRequire, Templates: tmpl, CSRF: csrf,
		Now: func() time.Time { return now }, CacheFor: 5 * time.Minute}
	r := mux.NewRouter()
	sub := r.NewRoute().Subrouter()
	sub.Use(sm.LoadAndSave, csrf.Middleware)
	h.Routes(sub)
	s := &site{srv: httptest.NewServer(r), db: db}
	t.Cleanup(s.srv.Close)

	hanoi := func(page string) int64 {
		got, _ := chartNumbers(t, page, "chart-provinces")
		return got["Hà Nội"]["registered"]
	}
	_, _, page := s.get(t, "operator", web.PathFigures)
	before := hanoi(page)
	assert.Contains(t, page, `<time datetime="2026-12-13T03:00:00Z">13/12/2026 10:00:00</time>`)
	_, _, _ = s.get(t, "operator", web.PathProvincesCSV)
	_, _, _ = s.get(t, "operator", web.PathMonthsCSV)
	assert.Equal(t, [2]int{1, 1}, [2]int{reports.places, reports.months}, "one query each for the page and both CSVs")

	// A new account in Hà Nội: not seen until the cache runs out.
	acc.Citizen(t, "001090123456", "mật khẩu đúng", "+84901234567", 1)
	now = now.Add(4 * time.Minute)
	_, _, page = s.get(t, "operator", web.PathFigures)
	assert.Equal(t, before, hanoi(page))
	now = now.Add(2 * time.Minute)
	_, _, page = s.get(t, "operator", web.PathFigures)
	assert.Equal(t, before+1, hanoi(page), "read again after CacheFor")
	assert.Equal(t, [2]int{2, 2}, [2]int{reports.places, reports.months})
	assert.Contains(t, page, `datetime="2026-12-13T03:06:00Z"`)
}
