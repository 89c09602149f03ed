package gateway_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/config"
)

// With every password-hashing slot taken and no queue, a sign-in is refused
// at once with 503 and Retry-After, while discovery and JWKS (which never
// wait behind password hashing) are served. Deterministic: the test holds
// the only slot itself; no timing.
func TestHashingPoolRefusesSignInButServesDiscovery(t *testing.T) {
	srv, g, _ := newGatewayWithParts(t, func(c *config.Config) {
		c.Argon2.MaxConcurrent, c.Argon2.Queue = 1, 0
	})
	require.Equal(t, 1, g.Hashing.Slots())
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(srv.URL + "/login?ui_locales=en")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindStringSubmatch(string(page))
	require.NotNil(t, m)
	token := html.UnescapeString(m[1])

	release, err := g.Hashing.Acquire(t.Context())
	require.NoError(t, err)
	defer func() { release() }()

	res, err = c.PostForm(srv.URL+"/login", url.Values{
		"personal_id": {"001090000001"}, "password": {"wrong password"}, "csrf_token": {token}, "ui_locales": {"en"},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.NotEmpty(t, res.Header.Get("Retry-After"))
	require.Contains(t, string(body), "The service is busy")

	for _, path := range []string{"/.well-known/openid-configuration", "/jwks.json"} {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
	}

	// A slot free again: the same form is checked (and refused as wrong).
	release()
	release = func() {}
	res, err = c.PostForm(srv.URL+"/login", url.Values{
		"personal_id": {"001090000001"}, "password": {"wrong password"}, "csrf_token": {token}, "ui_locales": {"en"},
	})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
}
