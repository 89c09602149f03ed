package httpx_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
)

// TestPanicAnswersJSONUnderTheAPIs: a handler's panic is a 500 as JSON
// (server_error, naming the request id) under the JSON APIs and as text
// elsewhere; neither leaks the panic's value.
func TestPanicAnswersJSONUnderTheAPIs(t *testing.T) {
	h := httpx.RequestID(httpx.Observe(slog.New(slog.DiscardHandler), nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail")
	})))
	cases := []struct {
		path, contentType string
		json              bool
	}{
		{"/admin/api/clients", "application/json", true},
		{"/counter/api/v1/reads", "application/json", true},
		{"/api/app/v1/me", "application/json", true},
		{"/registry/v1/documents/driving_licence/batches", "application/json", true},
		{"/account", "text/plain; charset=utf-8", false},
		{"/token", "text/plain; charset=utf-8", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			require.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, tc.contentType, rec.Header().Get("Content-Type"))
			id := rec.Header().Get("X-Request-ID")
			require.NotEmpty(t, id)
			assert.NotContains(t, rec.Body.String(), "secret detail")
			assert.Contains(t, rec.Body.String(), id)
			if tc.json {
				var e httpx.Error
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
				assert.Equal(t, "server_error", e.Code)
				assert.Equal(t, "internal error, request id "+id, e.Description)
			}
		})
	}
}

// TestWriteErrorAlwaysHasASentence: an error written without a sentence
// gets the code's usual one, or the code in words; never an empty
// error_description.
func TestWriteErrorAlwaysHasASentence(t *testing.T) {
	for _, tc := range []struct{ code, description, want string }{
		{"not_found", "", "no such resource"},
		{"not_found", "no such client", "no such client"},
		{"already_revoked", "", "already revoked"},
	} {
		rec := httptest.NewRecorder()
		httpx.WriteError(rec, http.StatusNotFound, tc.code, tc.description)
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.JSONEq(t, `{"error":"`+tc.code+`","error_description":"`+tc.want+`"}`, strings.TrimSpace(rec.Body.String()))
	}
	assert.True(t, httpx.IsAPI("/admin/api/x"))
	assert.False(t, httpx.IsAPI("/admin"))
	assert.False(t, httpx.IsAPI("/apix"))
}
