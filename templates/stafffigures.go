package templates

import (
	"html/template"
	"net/http"
)

// StaffFiguresColumn is one column of the figures table: its header
// (a message key), the link that sorts by it and, for the column the
// table is sorted by, aria-sort's value (ascending or descending).
type StaffFiguresColumn struct {
	Key, Label, URL, Sort string
}

// StaffFiguresCell is one number of the table: Value exact (data-value),
// Text as shown.
type StaffFiguresCell struct {
	Key, Value, Text string
}

// StaffFiguresRow is a province's row or, District set, one of its
// districts'. Province "" is the accounts without a recorded residence.
type StaffFiguresRow struct {
	Province, District string
	Cells              []StaffFiguresCell
}

// StaffFiguresPage is the operators' figures: charts (SVG drawn on the
// server) of accounts registered, activated and issued per province and
// per month, each with the CSV of the numbers it draws, and the sortable
// table per province and district.
type StaffFiguresPage struct {
	StaffBase
	// ProvinceChart and MonthChart are the charts' SVG ("" when there are
	// no accounts); ProvinceCSV and MonthCSV download their numbers.
	ProvinceChart, MonthChart template.HTML
	ProvinceCSV, MonthCSV     string
	// MonthsShown is how many months the chart draws (the latest ones).
	MonthsShown int
	Columns     []StaffFiguresColumn
	Rows        []StaffFiguresRow
	Total       StaffFiguresRow
	// AsOf is when the figures were read (Vietnam's time; AsOfISO for
	// <time datetime>).
	AsOf, AsOfISO string
	// Error is a message key (a sort the page does not know).
	Error string
}

// StaffFigures renders the figures page.
func (s *Set) StaffFigures(w http.ResponseWriter, status int, p StaffFiguresPage) error {
	p.Title = "staff.figures.title"
	return s.render(w, status, "staff_figures", p)
}

func init() {
	Register(map[string][2]string{
		"staff.figures.title": {"Số liệu tài khoản định danh điện tử", "Electronic identity account figures"},
		"staff.figures.intro": {"Số tài khoản theo nơi thường trú và theo tháng, vẽ từ dữ liệu hiện tại. Mỗi biểu đồ có tệp CSV chứa đúng các số đã vẽ; lệnh dinhdanh report activation cho cùng các số.",
			"Accounts by permanent residence and by month, drawn from the current data. Each chart has a CSV with exactly the numbers it draws; dinhdanh report activation gives the same numbers."},
		"staff.figures.definitions": {"Đã kích hoạt: tài khoản đã được kích hoạt. Đã cấp: đã kích hoạt và đã đăng nhập ít nhất một lần (ghi nhận từ ngày 13/12/2026). Mức 1, mức 2 và bị khóa: theo trạng thái hiện tại.",
			"Activated: the account was activated. Issued: activated and signed in at least once (recorded since 13 December 2026). Level 1, level 2 and locked: as the accounts are now."},
		"staff.figures.as_of":       {"Số liệu lúc", "Figures as of"},
		"staff.figures.by_province": {"Theo tỉnh/thành phố", "By province"},
		"staff.figures.by_province_desc": {"Biểu đồ thanh: số tài khoản đã đăng ký, đã kích hoạt và đã cấp ở %d tỉnh/thành phố; tổng cộng %s đã đăng ký, %s đã kích hoạt, %s đã cấp.",
			"Bar chart: accounts registered, activated and issued in %d provinces; in all %s registered, %s activated, %s issued."},
		"staff.figures.by_month": {"Theo tháng", "By month"},
		"staff.figures.by_month_desc": {"Biểu đồ thanh: số tài khoản đăng ký, kích hoạt và được cấp trong mỗi tháng của %d tháng gần nhất (giờ Việt Nam).",
			"Bar chart: accounts registered, activated and issued in each of the latest %d months (Vietnam time)."},
		"staff.figures.months_note":    {"Biểu đồ vẽ tối đa 24 tháng gần nhất; lệnh dinhdanh report activation -by month cho mọi tháng.", "The chart draws the latest 24 months at most; dinhdanh report activation -by month gives every month."},
		"staff.figures.csv_provinces":  {"Tải CSV số liệu theo tỉnh/thành", "Download the figures by province (CSV)"},
		"staff.figures.csv_months":     {"Tải CSV số liệu theo tháng", "Download the figures by month (CSV)"},
		"staff.figures.table":          {"Bảng theo tỉnh/thành và quận/huyện", "Table by province and district"},
		"staff.figures.table_hint":     {"Nhấn tiêu đề cột để sắp xếp. Mặc định theo tên tỉnh/thành theo thứ tự tiếng Việt; các quận/huyện có trong dữ liệu nằm ngay dưới tỉnh/thành của mình.", "Choose a column's header to sort by it. By default provinces are in Vietnamese alphabetical order; the districts the data records follow their province."},
		"staff.figures.none":           {"Chưa có tài khoản nào.", "There are no accounts yet."},
		"staff.figures.no_residence":   {"(Chưa có nơi thường trú)", "(No residence recorded)"},
		"staff.figures.total":          {"Tổng cộng", "Total"},
		"staff.figures.bad_sort":       {"Không sắp xếp được theo cột này; bảng đang theo tên tỉnh/thành.", "The table cannot be sorted that way; it is sorted by province."},
		"staff.figures.sorted_asc":     {"tăng dần", "ascending"},
		"staff.figures.sorted_desc":    {"giảm dần", "descending"},
		"staff.figures.col.name":       {"Tỉnh/thành, quận/huyện", "Province, district"},
		"staff.figures.col.registered": {"Đã đăng ký", "Registered"},
		"staff.figures.col.activated":  {"Đã kích hoạt", "Activated"},
		"staff.figures.col.rate":       {"Tỉ lệ kích hoạt", "Activation rate"},
		"staff.figures.col.issued":     {"Đã cấp", "Issued"},
		"staff.figures.col.level_one":  {"Mức 1", "Level 1"},
		"staff.figures.col.level_two":  {"Mức 2", "Level 2"},
		"staff.figures.col.locked":     {"Bị khóa", "Locked"},
		"staff.link.figures":           {"Số liệu tài khoản", "Account figures"},
		"staff.link.figures_hint":      {"Đăng ký, kích hoạt, đã cấp theo tỉnh/thành và theo tháng: biểu đồ, CSV, bảng.", "Registered, activated and issued by province and month: charts, CSV, table."},
	})
}
