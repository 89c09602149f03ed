package httpx_test

import (
	"io"
	mpart "mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
)

// The session store here is scs's memstore: these tests are about the CSRF
// middleware, not persistence (the PostgreSQL store is exercised by the
// gateway and sign-in tests).
func TestCSRF(t *testing.T) {
	sm := scs.New()
	sm.Store = memstore.New()
	csrf := &httpx.CSRF{Sessions: sm, Skip: func(r *http.Request) bool { return r.URL.Path == "/token" }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(csrf.Token(r.Context()))) })
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("accepted")) })
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("token")) })
	srv := httptest.NewServer(sm.LoadAndSave(csrf.Middleware(mux)))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	other0 := &http.Client{}
	res, err := c.Get(srv.URL + "/form")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := string(b)
	require.Len(t, token, 43)
	// wrong differs from token in its first character (a fixed "x" would
	// be the token itself once in 64 runs).
	wrong := "x" + token[1:]
	if token[0] == 'x' {
		wrong = "y" + token[1:]
	}

	cases := []struct {
		name   string
		path   string
		form   url.Values
		header string
		status int
	}{
		{"no token", "/form", url.Values{"a": {"1"}}, "", http.StatusForbidden},
		{"wrong token", "/form", url.Values{httpx.CSRFField: {wrong}}, "", http.StatusForbidden},
		{"right token in form", "/form", url.Values{httpx.CSRFField: {token}}, "", http.StatusOK},
		{"right token in header", "/form", url.Values{}, token, http.StatusOK},
		{"exempt endpoint", "/token", url.Values{}, "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.header != "" {
				req.Header.Set(httpx.CSRFHeader, tc.header)
			}
			res, err := c.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, tc.status, res.StatusCode)
		})
	}

	// A multipart form carries the token too; a huge body is not read to
	// find it.
	multipart := func(token string, padding int) int {
		var body strings.Builder
		mw := mpart.NewWriter(&body)
		_ = mw.WriteField("pad", strings.Repeat("x", padding))
		_ = mw.WriteField(httpx.CSRFField, token)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/form", strings.NewReader(body.String()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, multipart(token, 10))
	require.Equal(t, http.StatusForbidden, multipart(wrong, 10))
	require.Equal(t, http.StatusForbidden, multipart(token, 2*httpx.MaxFormBytes))

	// HEAD and OPTIONS are safe methods: never checked.
	for _, m := range []string{http.MethodHead, http.MethodOptions} {
		req, _ := http.NewRequest(m, srv.URL+"/form", nil)
		res, err := other0.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.NotEqual(t, http.StatusForbidden, res.StatusCode, m)
	}

	// Another browser (no session) cannot reuse the token.
	other := &http.Client{}
	res, err = other.PostForm(srv.URL+"/form", url.Values{httpx.CSRFField: {token}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}

func TestRequestIDKeepsWellFormedIncomingID(t *testing.T) {
	var seen string
	h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = httpx.RequestIDFrom(r.Context()) }))
	for _, tc := range []struct {
		in   string
		keep bool
	}{{"abcdefgh-1234", true}, {"bad id with spaces", false}, {"", false}, {"<script>alert(1)</script>", false}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Request-ID", tc.in)
		h.ServeHTTP(rec, req)
		require.Equal(t, seen, rec.Header().Get("X-Request-ID"))
		require.Equal(t, tc.keep, seen == tc.in, tc.in)
		require.NotEmpty(t, seen)
	}
}

// TestCSRFRenew: a renewed token replaces the old one.
func TestCSRFRenew(t *testing.T) {
	sm := scs.New()
	sm.Store = memstore.New()
	csrf := &httpx.CSRF{Sessions: sm}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(csrf.Token(r.Context()))) })
	mux.HandleFunc("GET /renew", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(csrf.Renew(r.Context()))) })
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("accepted")) })
	srv := httptest.NewServer(sm.LoadAndSave(csrf.Middleware(mux)))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		res, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	post := func(token string) int {
		res, err := c.PostForm(srv.URL+"/form", url.Values{httpx.CSRFField: {token}})
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	old := get("/form")
	renewed := get("/renew")
	require.NotEqual(t, old, renewed)
	require.Equal(t, renewed, get("/form"))
	require.Equal(t, http.StatusForbidden, post(old))
	require.Equal(t, http.StatusOK, post(renewed))
}
