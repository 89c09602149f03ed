package httpx_test

import (
	"io"
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

	res, err := c.Get(srv.URL + "/form")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := string(b)
	require.Len(t, token, 43)

	cases := []struct {
		name   string
		path   string
		form   url.Values
		header string
		status int
	}{
		{"no token", "/form", url.Values{"a": {"1"}}, "", http.StatusForbidden},
		{"wrong token", "/form", url.Values{httpx.CSRFField: {"x" + token[1:]}}, "", http.StatusForbidden},
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
