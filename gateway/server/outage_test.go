package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/templates"
)

func TestOutageTurnsOnlyDatabaseServerErrorsInto503(t *testing.T) {
	tmpl, err := templates.New()
	require.NoError(t, err)
	cases := []struct {
		name              string
		status            int
		contentType       string
		accept            string
		unavailable       bool
		wantStatus        int
		wantBody, wantCT  string
		wantRetryAfterSet bool
	}{
		{"a bug stays a 500", 500, "application/json", "", false, 500, "server_error", "application/json", false},
		{"JSON during an outage", 500, "application/json", "", true, 503, "temporarily_unavailable", "application/json", true},
		{"page during an outage", 500, "text/html; charset=utf-8", "text/html", true, 503, "Hệ thống đang tạm thời gián đoạn", "text/html", true},
		{"plain text to a browser", 500, "text/plain", "text/html,*/*", true, 503, "Hệ thống đang tạm thời gián đoạn", "text/html", true},
		{"plain text to a program", 500, "text/plain", "", true, 503, "temporarily_unavailable", "application/json", true},
		{"a 400 is left alone", 400, "application/json", "", true, 400, "server_error", "application/json", false},
		{"a success is left alone", 200, "application/json", "", true, 200, "server_error", "application/json", false},
		{"plain text under an API to a browser", 500, "text/plain", "text/html,*/*", true, 503, "temporarily_unavailable", "application/json", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := outage(Outage{
				Watch:  func(r *http.Request) (*http.Request, func() bool) { return r, func() bool { return tc.unavailable } },
				Recent: func() bool { return false },
			}, tmpl)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"error":"server_error"}`))
			}))
			rec := httptest.NewRecorder()
			path := "/x"
			if strings.Contains(tc.name, "under an API") {
				path = "/admin/api/clients"
			}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept", tc.accept)
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Contains(t, rec.Body.String(), tc.wantBody)
			assert.Contains(t, rec.Header().Get("Content-Type"), tc.wantCT)
			assert.Equal(t, tc.wantRetryAfterSet, rec.Header().Get("Retry-After") != "")
		})
	}
}
