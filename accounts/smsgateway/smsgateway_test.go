package smsgateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts/smsgateway"
)

func TestSend(t *testing.T) {
	var got map[string]string
	var auth string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s := &smsgateway.Sender{URL: srv.URL, Token: "t0k"}
	require.NoError(t, s.Send(t.Context(), "+84901000002", "Mã xác thực: 123456"))
	require.Equal(t, "Bearer t0k", auth)
	require.Equal(t, map[string]string{"to": "+84901000002", "message": "Mã xác thực: 123456"}, got)

	status = http.StatusServiceUnavailable
	require.ErrorContains(t, s.Send(t.Context(), "+84901000002", "x"), "503")
}
