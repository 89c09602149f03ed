package accounts

import (
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The figures operators read (issue 17), counted the same way by the
// console and `dinhdanh report activation`, over accounts as stored:
//
//   - registered: every account;
//   - activated: the account was activated (ActivatedAt set), whatever its
//     status now (a locked account that was activated stays activated);
//   - issued: activated and signed in at least once (FirstSignInAt set,
//     recorded since 2026-12-13: earlier sign-ins are not counted);
//   - level 1 and level 2: the account's level now;
//   - locked: the account's status now.

// LocalityFigures are the accounts of the people who live in one province
// (and, on a district's row, one district of it): how many registered,
// activated and were issued, at each level, and locked. Localities track
// activation against registration (e.g. 4.2 million registered, 1.4
// million activated: 33.7%).
type LocalityFigures struct {
	Province string `json:"province"`
	// District is "" on a province's row.
	District   string `json:"district,omitempty"`
	Registered int64  `json:"registered"`
	Activated  int64  `json:"activated"`
	Issued     int64  `json:"issued"`
	Level1     int64  `json:"level1"`
	Level2     int64  `json:"level2"`
	Locked     int64  `json:"locked"`
}

// ActivationRate is activated / registered, in percent (0 with none).
func (f LocalityFigures) ActivationRate() float64 { return percent(f.Activated, f.Registered) }

// IssueRate is issued / registered, in percent (0 with none).
func (f LocalityFigures) IssueRate() float64 { return percent(f.Issued, f.Registered) }

// Add adds o's counts to f's.
func (f *LocalityFigures) Add(o LocalityFigures) {
	f.Registered += o.Registered
	f.Activated += o.Activated
	f.Issued += o.Issued
	f.Level1 += o.Level1
	f.Level2 += o.Level2
	f.Locked += o.Locked
}

func percent(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// ReportZone is the time zone months are counted in: Vietnam's (UTC+7, no
// daylight saving), so a month is the ministry's month.
var ReportZone = time.FixedZone("ICT", 7*3600)

// MonthFigures are one month's new accounts (in ReportZone): how many
// registered, were activated and were issued (first signed in, of those
// activated) in that month.
type MonthFigures struct {
	// Month is the month's first day, midnight in ReportZone.
	Month      time.Time `json:"month"`
	Registered int64     `json:"registered"`
	Activated  int64     `json:"activated"`
	Issued     int64     `json:"issued"`
}

// Reports answers operators' questions about accounts in aggregate; it never
// returns anyone's data.
type Reports interface {
	// ActivationByProvince lists every province of residence with accounts,
	// by name; people without a recorded residence come under "".
	ActivationByProvince(ctx context.Context) ([]LocalityFigures, error)
	// ActivationByDistrict is ActivationByProvince with a row for every
	// named district of residence too (the registry does not always
	// record one: a province's districts may add up to less than it), in
	// one pass for both.
	ActivationByDistrict(ctx context.Context) ([]LocalityFigures, error)
	// ActivationByMonth lists the months from the first account's to
	// until's, each with its new registrations, activations and issues
	// (months with none are listed too, with zeros).
	ActivationByMonth(ctx context.Context, until time.Time) ([]MonthFigures, error)
}

// FillMonths returns figs (sorted by month, as a store returns them) with
// every month from the first's to until's, months missing from figs with
// zeros; months after until's are dropped.
func FillMonths(figs []MonthFigures, until time.Time) []MonthFigures {
	if len(figs) == 0 {
		return nil
	}
	u := until.In(ReportZone)
	last := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, ReportZone)
	var out []MonthFigures
	i := 0
	for m := monthOf(figs[0].Month); !m.After(last); m = m.AddDate(0, 1, 0) {
		for i < len(figs) && monthOf(figs[i].Month).Before(m) {
			i++
		}
		f := MonthFigures{Month: m}
		if i < len(figs) && monthOf(figs[i].Month).Equal(m) {
			f.Registered, f.Activated, f.Issued = figs[i].Registered, figs[i].Activated, figs[i].Issued
		}
		out = append(out, f)
	}
	return out
}

// monthOf is t's month's first day in ReportZone.
func monthOf(t time.Time) time.Time {
	t = t.In(ReportZone)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, ReportZone)
}

// SortLocalities sorts figs in Vietnamese collation order (language.Vietnamese:
// "Cà Mau", "Đà Nẵng", "Hà Nội"), each province's row before its
// districts' rows, and the rows without a province ("") last.
func SortLocalities(figs []LocalityFigures) {
	c := collate.New(language.Vietnamese)
	name := func(a, b string) int {
		if r := c.CompareString(a, b); r != 0 {
			return r
		}
		return strings.Compare(a, b)
	}
	slices.SortStableFunc(figs, func(a, b LocalityFigures) int {
		switch {
		case a.Province == b.Province:
		case a.Province == "":
			return 1
		case b.Province == "":
			return -1
		default:
			return name(a.Province, b.Province)
		}
		switch {
		case a.District == b.District:
			return 0
		case a.District == "":
			return -1
		case b.District == "":
			return 1
		}
		return name(a.District, b.District)
	})
}
