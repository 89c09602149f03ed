package web

import (
	"context"
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/svgchart"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the page and its downloads.
const (
	PathFigures      = "/staff/figures"
	PathProvincesCSV = PathFigures + "/provinces.csv"
	PathMonthsCSV    = PathFigures + "/months.csv"
)

// MonthsShown is how many of the latest months the chart by month draws.
const MonthsShown = 24

// Handler serves the figures to operators. Reports, Principal, Require,
// Templates and CSRF (the staff console's) are required; mount it on the
// staff router.
type Handler struct {
	Reports accounts.Reports
	// Principal returns the signed-in staff member (staffweb.Principal).
	Principal func(*http.Request) (staff.Principal, bool)
	// Require lets only members with the role through (staffweb.Require):
	// others are sent to sign in or shown the console's 403.
	Require   func(staff.Role) func(http.Handler) http.Handler
	Templates *templates.Set
	CSRF      *httpx.CSRF
	Logger    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CacheFor keeps each query's answer this long in this process, so
	// that views and downloads within it cost nothing (every query reads
	// all accounts); 0 asks the database every time.
	CacheFor time.Duration

	places cached[[]accounts.LocalityFigures]
	months cached[[]accounts.MonthFigures]
}

// cached is one query's last answer and when it was read; mu is held
// while it is read, so that concurrent views wait for one query instead
// of each running it.
type cached[T any] struct {
	mu sync.Mutex
	at time.Time
	v  T
}

// Routes mounts the page and the CSVs, for operators only.
func (h *Handler) Routes(r *mux.Router) {
	op := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(h.Require(staff.RoleOperator)(f)) }
	r.Handle(PathFigures, op(h.show)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathProvincesCSV, op(h.csv(provincesChart, true, false))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathMonthsCSV, op(h.csv(monthsChart, false, true))).Methods(http.MethodGet, http.MethodHead)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) base(r *http.Request) templates.StaffBase {
	ctx := r.Context()
	b := templates.StaffBase{Base: templates.Base{Lang: webpage.Lang(r, ""), CSRFToken: h.CSRF.Token(ctx), RequestID: httpx.RequestIDFrom(ctx)}}
	if p, ok := h.Principal(r); ok {
		b.StaffName, b.StaffUnit = p.Name, p.Unit.Name
	}
	return b
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	h.logger().ErrorContext(ctx, "staff figures", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	_ = h.Templates.StaffError(w, http.StatusInternalServerError, h.base(r), "error.generic")
}

// figures are what the page draws: the localities in Vietnamese order
// (provinces' rows and their districts') and the latest months.
type figures struct {
	localities []accounts.LocalityFigures
	months     []accounts.MonthFigures
}

// load reads the localities (in Vietnamese order) when places, and the
// latest MonthsShown months when months (a CSV reads only its own), from
// the cache while it is fresh; asOf is when the oldest part was read.
func (h *Handler) load(ctx context.Context, places, months bool) (f figures, asOf time.Time, err error) {
	now := h.now()
	asOf = now
	fresh := func(at time.Time) bool { return h.CacheFor > 0 && !at.IsZero() && now.Sub(at) < h.CacheFor }
	if places {
		c := &h.places
		c.mu.Lock()
		defer c.mu.Unlock()
		if !fresh(c.at) {
			locs, err := h.Reports.ActivationByDistrict(ctx)
			if err != nil {
				return figures{}, time.Time{}, err
			}
			accounts.SortLocalities(locs)
			c.v, c.at = locs, now
		}
		f.localities = c.v
		asOf = c.at
	}
	if months {
		c := &h.months
		c.mu.Lock()
		defer c.mu.Unlock()
		if !fresh(c.at) {
			ms, err := h.Reports.ActivationByMonth(ctx, now)
			if err != nil {
				return figures{}, time.Time{}, err
			}
			if len(ms) > MonthsShown {
				ms = ms[len(ms)-MonthsShown:]
			}
			c.v, c.at = ms, now
		}
		f.months = c.v
		if c.at.Before(asOf) {
			asOf = c.at
		}
	}
	return f, asOf, nil
}

// provinces are the provinces' rows of locs.
func provinces(locs []accounts.LocalityFigures) []accounts.LocalityFigures {
	var out []accounts.LocalityFigures
	for _, f := range locs {
		if f.District == "" {
			out = append(out, f)
		}
	}
	return out
}

// number formats n as lang writes it: 4.200.000 or 4,200,000.
func number(lang templates.Lang) func(int64) string {
	sep := "."
	if lang == templates.EN {
		sep = ","
	}
	return func(n int64) string { return svgchart.Grouped(n, sep) }
}

// rate formats a percentage with one decimal: 33,7 % or 33.7%.
func rate(lang templates.Lang, p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	if lang == templates.EN {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + " %"
}

// series are the charts' bars: registered, activated, issued.
func series(lang templates.Lang) []svgchart.Series {
	return []svgchart.Series{
		{Key: "registered", Label: templates.T(lang, "staff.figures.col.registered")},
		{Key: "activated", Label: templates.T(lang, "staff.figures.col.activated")},
		{Key: "issued", Label: templates.T(lang, "staff.figures.col.issued")},
	}
}

// provincesChart is the bar chart per province, in Vietnamese order.
func provincesChart(lang templates.Lang, f figures) svgchart.Bars {
	num := number(lang)
	c := svgchart.Bars{ID: "chart-provinces", Title: templates.T(lang, "staff.figures.by_province"), Series: series(lang), Number: num}
	var total accounts.LocalityFigures
	for _, p := range provinces(f.localities) {
		label := p.Province
		if label == "" {
			label = templates.T(lang, "staff.figures.no_residence")
		}
		c.Groups = append(c.Groups, svgchart.Group{Key: p.Province, Label: label, Values: []int64{p.Registered, p.Activated, p.Issued}})
		total.Add(p)
	}
	c.Desc = templates.T(lang, "staff.figures.by_province_desc", len(c.Groups), num(total.Registered), num(total.Activated), num(total.Issued))
	return c
}

// monthsChart is the bar chart per month, the latest MonthsShown.
func monthsChart(lang templates.Lang, f figures) svgchart.Bars {
	c := svgchart.Bars{ID: "chart-months", Title: templates.T(lang, "staff.figures.by_month"), Series: series(lang), Number: number(lang),
		Desc: templates.T(lang, "staff.figures.by_month_desc", len(f.months))}
	for _, m := range f.months {
		label := m.Month.Format("01/2006")
		if lang == templates.EN {
			label = m.Month.Format("Jan 2006")
		}
		c.Groups = append(c.Groups, svgchart.Group{Key: m.Month.Format("2006-01"), Label: label, Values: []int64{m.Registered, m.Activated, m.Issued}})
	}
	return c
}

// show renders the page: the two charts, their CSV links and the table
// sorted as the query asks.
func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	lang := webpage.Lang(r, "")
	q := r.URL.Query()
	by, desc, ok := parseSort(q.Get("sort"), q.Get("dir"))
	page := templates.StaffFiguresPage{StaffBase: h.base(r), MonthsShown: MonthsShown}
	status := http.StatusOK
	if !ok {
		page.Error, status = "staff.figures.bad_sort", http.StatusBadRequest
	}
	f, asOf, err := h.load(r.Context(), true, true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page.AsOf, page.AsOfISO = webpage.Second(asOf), asOf.UTC().Format(time.RFC3339)
	if len(f.localities) > 0 {
		pc, err := provincesChart(lang, f).SVG()
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		mc, err := monthsChart(lang, f).SVG()
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		l := url.Values{"ui_locales": {string(lang)}}.Encode()
		page.ProvinceChart, page.MonthChart = pc, mc
		page.ProvinceCSV, page.MonthCSV = PathProvincesCSV+"?"+l, PathMonthsCSV+"?"+l
		table(&page, lang, f.localities, by, desc)
	}
	if err := h.Templates.StaffFigures(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render staff figures", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
}

// csv downloads the numbers one chart draws: the category (province, or
// month as YYYY-MM), then one column per series, in the chart's order.
func (h *Handler) csv(chart func(templates.Lang, figures) svgchart.Bars, places, months bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, _, err := h.load(r.Context(), places, months)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		c := chart(webpage.Lang(r, ""), f)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+strings.TrimPrefix(c.ID, "chart-")+`.csv"`)
		if err := writeCSV(w, c); err != nil {
			h.logger().ErrorContext(r.Context(), "staff figures CSV", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
		}
	}
}

// csvFirstColumn names the category column of each chart's CSV.
var csvFirstColumn = map[string]string{"chart-provinces": "province", "chart-months": "month"}

func writeCSV(w http.ResponseWriter, c svgchart.Bars) error {
	cw := csv.NewWriter(w)
	head := []string{csvFirstColumn[c.ID]}
	for _, s := range c.Series {
		head = append(head, s.Key)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, g := range c.Groups {
		rec := []string{defuseFormula(g.Key)}
		for _, v := range g.Values {
			rec = append(rec, strconv.FormatInt(v, 10))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuseFormula guards against CSV injection (OWASP): a cell starting with
// = + - @ or a control character is shown as text.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// column is a column of the table after the name: its key (in the sort
// link and data-column), its header (a message key) and its value.
type column struct {
	key, label string
	value      func(accounts.LocalityFigures) float64
}

// columns of the table after the name, in order; each sorts the table.
var columns = []column{
	{"registered", "staff.figures.col.registered", func(f accounts.LocalityFigures) float64 { return float64(f.Registered) }},
	{"activated", "staff.figures.col.activated", func(f accounts.LocalityFigures) float64 { return float64(f.Activated) }},
	{"rate", "staff.figures.col.rate", accounts.LocalityFigures.ActivationRate},
	{"issued", "staff.figures.col.issued", func(f accounts.LocalityFigures) float64 { return float64(f.Issued) }},
	{"level1", "staff.figures.col.level_one", func(f accounts.LocalityFigures) float64 { return float64(f.Level1) }},
	{"level2", "staff.figures.col.level_two", func(f accounts.LocalityFigures) float64 { return float64(f.Level2) }},
	{"locked", "staff.figures.col.locked", func(f accounts.LocalityFigures) float64 { return float64(f.Locked) }},
}

// parseSort reads the table's sort from the query: a column key ("name"
// or one of columns; "" is name) and a direction (asc or desc; "" is asc
// for the name and desc for a number). ok is false for anything else; the
// sort is then the default, by name.
func parseSort(by, dir string) (key string, desc bool, ok bool) {
	switch {
	case by == "" || by == "name":
		key = "name"
	case slices.ContainsFunc(columns, func(c column) bool { return c.key == by }):
		key, desc = by, true
	default:
		return "name", false, false
	}
	switch dir {
	case "":
	case "asc":
		desc = false
	case "desc":
		desc = true
	default:
		return "name", false, false
	}
	return key, desc, true
}

// sortURL is the link that sorts the table by key, in lang: the other
// direction when the table is sorted by key already.
func sortURL(lang templates.Lang, key, current string, desc bool) string {
	q := url.Values{"sort": {key}, "ui_locales": {string(lang)}}
	_, defDesc, _ := parseSort(key, "")
	next := defDesc
	if key == current {
		next = !desc
	}
	if next {
		q.Set("dir", "desc")
	} else {
		q.Set("dir", "asc")
	}
	return PathFigures + "?" + q.Encode()
}

// table lays the localities (in Vietnamese order) out as the page's table
// sorted by key: provinces by it, each followed by its districts sorted
// the same way; ties keep the Vietnamese order.
func table(page *templates.StaffFiguresPage, lang templates.Lang, locs []accounts.LocalityFigures, key string, desc bool) {
	state := func(k string) string {
		switch {
		case k != key:
			return ""
		case desc:
			return "descending"
		}
		return "ascending"
	}
	page.Columns = append(page.Columns, templates.StaffFiguresColumn{Key: "name", Label: "staff.figures.col.name", URL: sortURL(lang, "name", key, desc), Sort: state("name")})
	for _, c := range columns {
		page.Columns = append(page.Columns, templates.StaffFiguresColumn{Key: c.key, Label: c.label, URL: sortURL(lang, c.key, key, desc), Sort: state(c.key)})
	}
	// Blocks: a province's row and its districts', in Vietnamese order.
	var blocks [][]accounts.LocalityFigures
	for _, f := range locs {
		if f.District == "" || len(blocks) == 0 {
			blocks = append(blocks, nil)
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], f)
	}
	if key == "name" {
		if desc {
			slices.Reverse(blocks)
			for _, b := range blocks {
				slices.Reverse(b[1:])
			}
		}
	} else {
		i := slices.IndexFunc(columns, func(c column) bool { return c.key == key })
		value := columns[i].value
		cmp := func(a, b accounts.LocalityFigures) int {
			r := 0
			switch va, vb := value(a), value(b); {
			case va < vb:
				r = -1
			case va > vb:
				r = 1
			}
			if desc {
				r = -r
			}
			return r
		}
		slices.SortStableFunc(blocks, func(a, b []accounts.LocalityFigures) int { return cmp(a[0], b[0]) })
		for _, b := range blocks {
			slices.SortStableFunc(b[1:], cmp)
		}
	}
	var total accounts.LocalityFigures
	for _, b := range blocks {
		total.Add(b[0])
		for _, f := range b {
			page.Rows = append(page.Rows, templates.StaffFiguresRow{Province: f.Province, District: f.District, Cells: cells(lang, f)})
		}
	}
	page.Total = templates.StaffFiguresRow{Cells: cells(lang, total)}
}

// cells are a row's numbers in columns' order.
func cells(lang templates.Lang, f accounts.LocalityFigures) []templates.StaffFiguresCell {
	num := number(lang)
	out := make([]templates.StaffFiguresCell, 0, len(columns))
	for _, c := range columns {
		v := c.value(f)
		cell := templates.StaffFiguresCell{Key: c.key}
		if c.key == "rate" {
			cell.Value, cell.Text = strconv.FormatFloat(v, 'f', 1, 64), rate(lang, v)
		} else {
			cell.Value, cell.Text = strconv.FormatInt(int64(v), 10), num(int64(v))
		}
		out = append(out, cell)
	}
	return out
}
