package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
)

func TestPublicAddr(t *testing.T) {
	cases := map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "203.113.131.1": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "::1": false, "fc00::1": false, "fe80::1": false,
		"0.0.0.0": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
	}
	for s, want := range cases {
		require.Equal(t, want, httpx.PublicAddr(netip.MustParseAddr(s)), s)
	}
}

func TestPublicOnlyClientRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("secret")) }))
	defer srv.Close()
	_, err := httpx.PublicOnlyClient(2 * time.Second).Get(srv.URL)
	require.Error(t, err)
	require.True(t, errors.Is(err, httpx.ErrForbiddenAddress), err.Error())
}
