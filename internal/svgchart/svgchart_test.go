package svgchart_test

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/svgchart"
)

// bar is one bar as read back from the SVG.
type bar struct {
	category, series string
	value            int64
	width            float64
	text             string
}

// parse reads the SVG as XML (failing the test when it is not well
// formed) and returns its title, description and bars in document order.
func parse(t testing.TB, svg string) (title, desc string, bars []bar) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var category, series string
	var value int64
	var stack []string
	var cur *bar
	for {
		tok, err := dec.Token()
		if err != nil {
			require.ErrorContains(t, err, "EOF", "not well-formed XML: %s", svg)
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch {
			case el.Name.Local == "g" && attr["class"] == "group":
				category = attr["data-category"]
			case el.Name.Local == "g" && attr["class"] == "bar":
				series = attr["data-series"]
				v, err := strconv.ParseInt(attr["data-value"], 10, 64)
				require.NoError(t, err)
				value = v
				bars = append(bars, bar{category: category, series: series, value: value})
				cur = &bars[len(bars)-1]
			case el.Name.Local == "rect" && cur != nil:
				w, err := strconv.ParseFloat(attr["width"], 64)
				require.NoError(t, err)
				cur.width = w
			}
		case xml.EndElement:
			if el.Name.Local == "g" && cur != nil && len(stack) > 0 {
				cur = nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			switch {
			case len(stack) >= 1 && stack[len(stack)-1] == "title" && len(stack) == 2:
				title = string(el)
			case len(stack) >= 1 && stack[len(stack)-1] == "desc":
				desc = string(el)
			case cur != nil && stack[len(stack)-1] == "text":
				cur.text = string(el)
			}
		}
	}
	return title, desc, bars
}

var three = []svgchart.Series{{Key: "registered", Label: "Đã đăng ký"}, {Key: "activated", Label: "Đã kích hoạt"}, {Key: "issued", Label: "Đã cấp"}}

func TestBars(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		chart  svgchart.Bars
		want   []bar // category, series, value, text (width checked apart)
		widths map[int]float64
	}{
		{
			name: "numbers read back in order, the longest bar spans the width",
			chart: svgchart.Bars{ID: "provinces", Title: "Theo tỉnh", Desc: "Số tài khoản", Series: three,
				Groups: []svgchart.Group{
					{Key: "Hà Nội", Label: "Hà Nội", Values: []int64{4200000, 1400000, 700000}},
					{Key: "Đà Nẵng", Label: "Đà Nẵng", Values: []int64{2100000, 0, 0}},
				},
				Number: func(v int64) string { return svgchart.Grouped(v, ".") }},
			want: []bar{
				{category: "Hà Nội", series: "registered", value: 4200000, text: "4.200.000"},
				{category: "Hà Nội", series: "activated", value: 1400000, text: "1.400.000"},
				{category: "Hà Nội", series: "issued", value: 700000, text: "700.000"},
				{category: "Đà Nẵng", series: "registered", value: 2100000, text: "2.100.000"},
				{category: "Đà Nẵng", series: "activated", value: 0, text: "0"},
				{category: "Đà Nẵng", series: "issued", value: 0, text: "0"},
			},
			widths: map[int]float64{0: 314, 1: 104.7, 3: 157, 4: 0},
		},
		{
			name: "text is escaped, never markup",
			chart: svgchart.Bars{ID: "x_1", Title: `<script>alert("t")</script>`, Desc: "a & b", Series: three[:1],
				Groups: []svgchart.Group{{Key: `"><script>`, Label: "<b>bold</b>", Values: []int64{5}}}},
			want: []bar{{category: `"><script>`, series: "registered", value: 5, text: "5"}},
		},
		{
			name:   "all zero: no bar has length, none divides by zero",
			chart:  svgchart.Bars{ID: "z", Title: "t", Desc: "d", Series: three[:2], Groups: []svgchart.Group{{Key: "2026-12", Label: "12/2026", Values: []int64{0, 0}}}},
			want:   []bar{{category: "2026-12", series: "registered", text: "0"}, {category: "2026-12", series: "activated", text: "0"}},
			widths: map[int]float64{0: 0, 1: 0},
		},
		{
			name:  "no groups: the legend only",
			chart: svgchart.Bars{ID: "empty", Title: "t", Desc: "d", Series: three},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.chart.SVG()
			require.NoError(t, err)
			svg := string(out)
			assert.NotContains(t, svg, "<script")
			assert.NotContains(t, svg, "<b>")
			assert.Contains(t, svg, `role="img" aria-labelledby="`+tc.chart.ID+`-title `+tc.chart.ID+`-desc"`)
			title, desc, bars := parse(t, svg)
			assert.Equal(t, tc.chart.Title, title)
			assert.Equal(t, tc.chart.Desc, desc)
			require.Len(t, bars, len(tc.want))
			for i, w := range tc.want {
				got := bars[i]
				assert.Equal(t, [4]string{w.category, w.series, strconv.FormatInt(w.value, 10), w.text},
					[4]string{got.category, got.series, strconv.FormatInt(got.value, 10), got.text}, "bar %d", i)
			}
			for i, w := range tc.widths {
				assert.InDelta(t, w, bars[i].width, 0.11, "bar %d's width", i)
			}
			for _, s := range tc.chart.Series {
				assert.Contains(t, svg, ">"+strings.ReplaceAll(s.Label, "&", "&amp;")+"</text>", "legend names %s", s.Key)
			}
		})
	}
}

func TestBarsRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		chart svgchart.Bars
		want  string
	}{
		{"empty id", svgchart.Bars{Series: three}, "invalid id"},
		{"id that would break an attribute", svgchart.Bars{ID: `a"b`, Series: three}, "invalid id"},
		{"no series", svgchart.Bars{ID: "a"}, "no series"},
		{"values do not match the series", svgchart.Bars{ID: "a", Series: three, Groups: []svgchart.Group{{Key: "x", Values: []int64{1}}}}, "has 1 values for 3 series"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.chart.SVG()
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestGrouped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n    int64
		sep  string
		want string
	}{
		{0, ".", "0"}, {999, ".", "999"}, {1000, ".", "1.000"}, {4200000, ".", "4.200.000"},
		{1400000, ",", "1,400,000"}, {-12345, ",", "-12,345"}, {100000, ".", "100.000"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, svgchart.Grouped(tc.n, tc.sep), "%d", tc.n)
	}
}

// FuzzBars: whatever the names and numbers, the chart is well-formed XML
// whose bars give back every number and name.
func FuzzBars(f *testing.F) {
	f.Add("Hà Nội", "Đã đăng ký", int64(4200000), int64(0))
	f.Add("<&\"'>", "\x00\xff", int64(-1), int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, category, label string, a, b int64) {
		c := svgchart.Bars{ID: "f", Title: label, Desc: category,
			Series: []svgchart.Series{{Key: "a", Label: label}, {Key: "b", Label: label}},
			Groups: []svgchart.Group{{Key: category, Label: category, Values: []int64{a, b}}}}
		out, err := c.SVG()
		require.NoError(t, err)
		_, _, bars := parse(t, string(out))
		require.Len(t, bars, 2)
		require.Equal(t, []int64{a, b}, []int64{bars[0].value, bars[1].value})
		for _, br := range bars {
			require.GreaterOrEqual(t, br.width, 0.0)
			require.LessOrEqual(t, br.width, float64(svgchart.ViewWidth))
		}
		if strings.ToValidUTF8(category, "") == category && !strings.ContainsFunc(category, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
		}) {
			require.Equal(t, strings.ReplaceAll(category, "\r", "\n"), strings.ReplaceAll(bars[0].category, "\r", "\n"))
		}
	})
}
