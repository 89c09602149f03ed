// Package svgchart draws simple charts as SVG on the server: no script, no
// external file, nothing fetched. A chart is a picture with a title and a
// description (role="img", aria-labelledby), every bar labelled with its
// number in text, and the series told apart by pattern and legend as well
// as by colour. Each bar carries data-category, data-series and
// data-value (the exact number), so a test or a reader's tool can read the
// numbers back.
//
// Charts use a fixed view box (ViewWidth units wide) and scale to their
// container's width: at a 390 px phone the text stays about the size of
// the page's small print.
package svgchart

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// ViewWidth is the width of every chart's view box.
const ViewWidth = 400

// Layout of a horizontal bar chart, in view-box units.
const (
	fontSize    = 13
	labelHeight = 18 // a category's name line
	barHeight   = 12
	barGap      = 3
	groupGap    = 10
	valueSpace  = 78 // right of the longest bar: its number
	legendRow   = 20
	margin      = 4
)

// Series is one kind of bar (registered, activated, issued).
type Series struct {
	// Key is the series' name in data-series (and the CSV's column).
	Key string
	// Label is its name for people (in the page's language).
	Label string
}

// Group is one category (a province, a month) with one value per series.
type Group struct {
	// Key is the category in data-category (a province's name, 2026-12).
	Key string
	// Label is the category's name for people.
	Label  string
	Values []int64
}

// Bars is a horizontal grouped bar chart: for each group a line with its
// label, then one bar per series with its number at the end.
type Bars struct {
	// ID is the svg element's id; the ids of its title, description and
	// patterns start with it. Letters, digits, "-" and "_" only.
	ID          string
	Title, Desc string
	Series      []Series
	Groups      []Group
	// Number formats a value for its label (strconv.FormatInt when nil).
	Number func(int64) string
}

// styles are the series' looks, cycled: a fill colour and a pattern over
// it, so that series differ in more than colour (WCAG 1.4.1). Colours
// have at least 3:1 contrast with white (WCAG 1.4.11).
var styles = []struct {
	colour  string
	pattern string // "" solid; the pattern's marks, drawn in white
}{
	{"#1d4f91", ""},
	{"#1f7a3a", `<path d="M0 6 L6 0" stroke="#fff" stroke-width="1.5"/>`},
	{"#a34700", `<circle cx="3" cy="3" r="1.3" fill="#fff"/>`},
	{"#6b2c91", `<path d="M0 3 H6" stroke="#fff" stroke-width="1.5"/>`},
}

// validID reports whether id is usable as an element id prefix.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// fill is series i's fill attribute value.
func fill(id string, i int) string {
	st := styles[i%len(styles)]
	if st.pattern == "" {
		return st.colour
	}
	return fmt.Sprintf("url(#%s-p%d)", id, i)
}

// SVG renders the chart. Values below zero are drawn as zero-length bars
// with their number. It fails on an invalid ID or a group whose values do
// not match the series.
func (c Bars) SVG() (template.HTML, error) {
	if !validID(c.ID) {
		return "", fmt.Errorf("svgchart: invalid id %q", c.ID)
	}
	if len(c.Series) == 0 {
		return "", fmt.Errorf("svgchart: %s: no series", c.ID)
	}
	num := c.Number
	if num == nil {
		num = func(v int64) string { return strconv.FormatInt(v, 10) }
	}
	var max int64
	for _, g := range c.Groups {
		if len(g.Values) != len(c.Series) {
			return "", fmt.Errorf("svgchart: %s: group %q has %d values for %d series", c.ID, g.Key, len(g.Values), len(c.Series))
		}
		for _, v := range g.Values {
			max = maxOf(max, v)
		}
	}
	legendRows := (len(c.Series) + 1) / 2
	top := margin + legendRows*legendRow + groupGap/2
	groupH := labelHeight + len(c.Series)*(barHeight+barGap) + groupGap
	height := top + len(c.Groups)*groupH + margin
	span := float64(ViewWidth - 2*margin - valueSpace)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="%s" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="%d">`,
		c.ID, ViewWidth, height, c.ID, c.ID, fontSize)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.Desc))
	b.WriteString(`<defs>`)
	for i := range c.Series {
		st := styles[i%len(styles)]
		if st.pattern != "" {
			fmt.Fprintf(&b, `<pattern id="%s-p%d" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="%s"/>%s</pattern>`,
				c.ID, i, st.colour, st.pattern)
		}
	}
	b.WriteString(`</defs>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, ViewWidth, height)

	// The legend: a swatch and the series' name, two to a row.
	b.WriteString(`<g class="legend">`)
	for i, s := range c.Series {
		x := margin + (i%2)*(ViewWidth/2)
		y := margin + (i/2)*legendRow
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s" stroke="#1b1f24" stroke-width="0.5"/><text x="%d" y="%d" fill="#1b1f24">%s</text>`,
			x, y+1, fill(c.ID, i), x+20, y+12, esc(s.Label))
	}
	b.WriteString(`</g>`)

	for gi, g := range c.Groups {
		y := top + gi*groupH
		fmt.Fprintf(&b, `<g class="group" data-category="%s"><text class="label" x="%d" y="%d" fill="#1b1f24" font-weight="600">%s</text>`,
			esc(g.Key), margin, y+fontSize, esc(g.Label))
		for si, v := range g.Values {
			by := y + labelHeight + si*(barHeight+barGap)
			w := 0.0
			if max > 0 && v > 0 {
				w = span * float64(v) / float64(max)
			}
			fmt.Fprintf(&b, `<g class="bar" data-series="%s" data-value="%d"><title>%s: %s</title>`,
				esc(c.Series[si].Key), v, esc(c.Series[si].Label), esc(num(v)))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" fill="%s"/>`, margin, by, trim(w), barHeight, fill(c.ID, si))
			fmt.Fprintf(&b, `<text x="%s" y="%d" fill="#1b1f24">%s</text></g>`, trim(float64(margin)+w+4), by+barHeight-1, esc(num(v)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), nil //nolint:gosec // every piece of text above is escaped
}

// esc escapes text for both HTML and XML; characters XML cannot hold
// (control characters, invalid UTF-8) become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

func maxOf(a, b int64) int64 {
	if b > a {
		return b
	}
	return a
}

// trim writes a coordinate with at most one decimal.
func trim(f float64) string {
	return strconv.FormatFloat(float64(int64(f*10+0.5))/10, 'f', -1, 64)
}

// Grouped returns n formatted with sep between groups of three digits
// (Vietnamese writes 4.200.000, English 4,200,000).
func Grouped(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}
