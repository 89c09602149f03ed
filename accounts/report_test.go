package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dinhdanh/dinhdanh/accounts"
)

func TestSortLocalities(t *testing.T) {
	t.Parallel()
	row := func(p, d string) accounts.LocalityFigures { return accounts.LocalityFigures{Province: p, District: d} }
	cases := []struct {
		name string
		in   []accounts.LocalityFigures
		want []accounts.LocalityFigures
	}{
		{"Vietnamese order, not bytes: Đ after C, before H",
			[]accounts.LocalityFigures{row("Hà Nội", ""), row("Đà Nẵng", ""), row("Cà Mau", ""), row("An Giang", "")},
			[]accounts.LocalityFigures{row("An Giang", ""), row("Cà Mau", ""), row("Đà Nẵng", ""), row("Hà Nội", "")}},
		{"no province last",
			[]accounts.LocalityFigures{row("", ""), row("Yên Bái", "")},
			[]accounts.LocalityFigures{row("Yên Bái", ""), row("", "")}},
		{"a province's row, then its districts",
			[]accounts.LocalityFigures{row("Hà Nội", "Quận 2"), row("Đà Nẵng", "Quận 1"), row("Hà Nội", ""), row("Hà Nội", "Ba Đình"), row("Đà Nẵng", "")},
			[]accounts.LocalityFigures{row("Đà Nẵng", ""), row("Đà Nẵng", "Quận 1"), row("Hà Nội", ""), row("Hà Nội", "Ba Đình"), row("Hà Nội", "Quận 2")}},
		{"tones after the bare letter: Hà before Hải before Hậu",
			[]accounts.LocalityFigures{row("Hậu Giang", ""), row("Hải Phòng", ""), row("Hà Nam", "")},
			[]accounts.LocalityFigures{row("Hà Nam", ""), row("Hải Phòng", ""), row("Hậu Giang", "")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			accounts.SortLocalities(tc.in)
			assert.Equal(t, tc.want, tc.in)
		})
	}
}

func TestFillMonths(t *testing.T) {
	t.Parallel()
	m := func(y int, mo time.Month, reg int64) accounts.MonthFigures {
		return accounts.MonthFigures{Month: time.Date(y, mo, 1, 0, 0, 0, 0, accounts.ReportZone), Registered: reg}
	}
	cases := []struct {
		name  string
		in    []accounts.MonthFigures
		until time.Time
		want  []accounts.MonthFigures
	}{
		{"none", nil, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), nil},
		{"gaps filled, to until's month",
			[]accounts.MonthFigures{m(2026, 10, 3), m(2026, 12, 1)}, time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC),
			[]accounts.MonthFigures{m(2026, 10, 3), m(2026, 11, 0), m(2026, 12, 1), m(2027, 1, 0)}},
		{"until in Vietnam's time: 31 Dec 17:00 UTC is January",
			[]accounts.MonthFigures{m(2026, 12, 2)}, time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC),
			[]accounts.MonthFigures{m(2026, 12, 2), m(2027, 1, 0)}},
		{"months after until's dropped",
			[]accounts.MonthFigures{m(2026, 11, 1), m(2027, 2, 5)}, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
			[]accounts.MonthFigures{m(2026, 11, 1), m(2026, 12, 0)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, accounts.FillMonths(tc.in, tc.until))
		})
	}
}
