package webpage_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// serve runs h inside a session loaded from no cookie (a fresh session).
func serve(sm *scs.SessionManager, r *http.Request, h http.HandlerFunc) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	sm.LoadAndSave(h).ServeHTTP(w, r)
	return w
}

func TestLang(t *testing.T) {
	cases := []struct {
		name     string
		req      *http.Request
		fallback string
		want     templates.Lang
	}{
		{"Query", httptest.NewRequest(http.MethodGet, "/?ui_locales=en", nil), "vi", templates.EN},
		{"Fallback", httptest.NewRequest(http.MethodGet, "/", nil), "en", templates.EN},
		{"Default", httptest.NewRequest(http.MethodGet, "/", nil), "", templates.VI},
		{"Form", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("ui_locales=en"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), "", templates.EN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, webpage.Lang(tc.req, tc.fallback))
		})
	}
}

func TestRequireLogin(t *testing.T) {
	sm := scs.New()
	r := httptest.NewRequest(http.MethodGet, "/account?ui_locales=en", nil)
	w := serve(sm, r, func(w http.ResponseWriter, r *http.Request) {
		_, ok := webpage.RequireLogin(w, r, sm, "", "/account")
		require.False(t, ok)
	})
	require.Equal(t, http.StatusSeeOther, w.Code)
	u, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, webpage.DefaultLoginPath, u.Path)
	require.Equal(t, url.Values{"return_to": {"/account"}, "ui_locales": {"en"}}, u.Query())

	w = serve(sm, httptest.NewRequest(http.MethodGet, "/account", nil), func(w http.ResponseWriter, r *http.Request) {
		websession.PutLogin(r.Context(), sm, websession.Login{AccountID: "acc-1"})
		l, ok := webpage.RequireLogin(w, r, sm, "/signin", "/account")
		require.True(t, ok)
		require.Equal(t, "acc-1", l.AccountID)
	})
	require.Equal(t, http.StatusOK, w.Code)
}

// The handlers' own CSRF check must refuse what the middleware refuses,
// for when a handler is mounted without it.
func TestCSRFOK(t *testing.T) {
	sm := scs.New()
	csrf := &httpx.CSRF{Sessions: sm}
	cases := []struct {
		name   string
		form   func(token string) (body string, header string)
		wantOK bool
	}{
		{"Field", func(tok string) (string, string) { return httpx.CSRFField + "=" + tok, "" }, true},
		{"Header", func(tok string) (string, string) { return "", tok }, true},
		{"Missing", func(string) (string, string) { return "", "" }, false},
		{"Wrong", func(string) (string, string) { return httpx.CSRFField + "=forged", "" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serve(sm, httptest.NewRequest(http.MethodGet, "/", nil), func(w http.ResponseWriter, r *http.Request) {
				tok := csrf.Token(r.Context())
				body, header := tc.form(tok)
				post := httptest.NewRequestWithContext(r.Context(), http.MethodPost, "/", strings.NewReader(body))
				post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if header != "" {
					post.Header.Set(httpx.CSRFHeader, header)
				}
				require.Equal(t, tc.wantOK, webpage.CSRFOK(post, csrf))
			})
		})
	}
}
