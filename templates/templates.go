package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed html/*.html
var files embed.FS

// Base is what every page needs; page data structs embed it.
type Base struct {
	Lang      Lang
	CSRFToken string
	RequestID string
	// Title is a message key.
	Title string
	// SignedIn shows the account menu in the header.
	SignedIn bool
}

// Set is the parsed pages.
type Set struct {
	pages map[string]*template.Template
}

// partials are the files of {{define}}d fragments that pages share
// ({{template "name" ...}}); they are parsed with the layout into every page
// and are no pages themselves.
const partials = "html/partials_*.html"

// New parses every page against the shared layout and partials.
func New() (*Set, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "html/layout.html", partials)
	if err != nil {
		return nil, fmt.Errorf("templates: parse layout: %w", err)
	}
	names, err := fs.Glob(files, "html/*.html")
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "html/"), ".html")
		if isPartial, _ := path.Match(partials, n); name == "layout" || isPartial {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", n, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

var funcs = template.FuncMap{
	"t": func(lang Lang, key string, args ...any) string { return T(lang, key, args...) },
	// dict gives a partial several arguments:
	// {{template "name" dict "Page" . "Flow" "register"}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: a key without a value")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	// logo is a relying party's logo for <img src> (LogoURL).
	"logo": LogoURL,
	"other": func(lang Lang) Lang {
		if lang == EN {
			return VI
		}
		return EN
	},
}

// render writes page with data, buffering so that a template error becomes a
// clean 500 instead of half a page.
func (s *Set) render(w http.ResponseWriter, status int, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("templates: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("templates: render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// ErrorPage is a generic error with a request id; details go to the log only.
type ErrorPage struct {
	Base
	// Message and Hint are message keys.
	Message string
	Hint    string
	// Code is a machine code shown small (e.g. an OAuth 2.0 error code).
	Code string
	// Link is an optional way out (e.g. back to the service), with a message key.
	LinkURL, LinkText string
}

// Error renders the error page.
func (s *Set) Error(w http.ResponseWriter, status int, p ErrorPage) error {
	if p.Title == "" {
		p.Title = "error.title"
	}
	return s.render(w, status, "error", p)
}

func init() {
	Register(map[string][2]string{
		"app.name":        {"Định danh điện tử", "Electronic identity"},
		"app.tagline":     {"Cổng xác thực định danh điện tử quốc gia", "National electronic identity gateway"},
		"app.lang_switch": {"English", "Tiếng Việt"},
		"app.request_id":  {"Mã yêu cầu", "Request id"},
		"app.signout":     {"Đăng xuất", "Sign out"},
		"app.account":     {"Tài khoản", "Account"},
		"error.title":     {"Đã có lỗi xảy ra", "Something went wrong"},
		"error.generic":   {"Không thể xử lý yêu cầu của bạn. Vui lòng thử lại sau.", "Your request could not be processed. Please try again later."},
		"error.not_found": {"Không tìm thấy trang.", "Page not found."},
		"error.csrf":      {"Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.", "The form has expired or is invalid. Please reload the page and try again."},
		"error.back":      {"Quay lại", "Go back"},
		// 503 while the database changes over (gateway/server outage).
		"error.unavailable": {"Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít giây.", "The service is briefly unavailable. Please try again in a few seconds."},
	})
}
