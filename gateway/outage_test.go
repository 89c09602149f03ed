package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// While the primary changes over, the gateway's database is a standby
// (read-only transactions, SQLSTATE 25006) or gone: the token endpoint
// answers 503 temporarily_unavailable with Retry-After as JSON, pages a
// 503 page in the visitor's language, never 500; once the database takes
// writes again, the same requests succeed without a restart.
func TestDatabaseOutageAnswers503NotServerError(t *testing.T) {
	srv, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	reg, secret, err := g.Clients.Create(ctx, "test", oidc.Client{ID: "tax-sync", Name: oidc.Text{VI: "Đồng bộ thuế"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"tax.read"}})
	require.NoError(t, err)

	token := func() (*http.Response, map[string]string) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"tax.read"}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+oidc.PathToken, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(reg.ID, secret)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]string
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &body)
		return resp, body
	}
	page := func(path, lang string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Language", lang)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, string(raw)
	}
	resp, body := token()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	// The database turns read-only, as a demoted primary or a standby
	// reached by mistake, and its connections drop.
	super := db.Super(t)
	readOnly := func(on bool) {
		q := `ALTER DATABASE "` + db.Name + `" RESET default_transaction_read_only`
		if on {
			q = `ALTER DATABASE "` + db.Name + `" SET default_transaction_read_only = on`
		}
		_, err := super.Exec(ctx, q)
		require.NoError(t, err)
		_, err = super.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db.Name)
		require.NoError(t, err)
	}
	readOnly(true)

	resp, body = token()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	assert.Equal(t, "temporarily_unavailable", body["error"])
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	for _, tc := range []struct{ lang, want string }{
		{"vi", "Hệ thống đang tạm thời gián đoạn"},
		{"en", "The service is briefly unavailable"},
	} {
		// Opening the sign-in page stores a session (its CSRF token).
		resp, html := page("/login", tc.lang)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, html)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"))
		assert.Contains(t, html, tc.want)
	}
	resp, html := page("/login?ui_locales=en", "vi")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, html, "The service is briefly unavailable", "ui_locales chooses the language")

	var issued int
	require.NoError(t, db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE type = 'token.issued' AND client_id = $1`, reg.ID).Scan(&issued))
	assert.Equal(t, 1, issued, "only the token answered before the outage is in the trail")

	// Writable again: the pooled connections that were cut each fail one
	// request (503, and are closed), then tokens are issued again, without
	// a restart.
	readOnly(false)
	var statuses []int
	for range 40 {
		resp, body = token()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode != http.StatusServiceUnavailable {
			break
		}
	}
	require.Equal(t, http.StatusOK, resp.StatusCode, "answers after the outage: %v", statuses)
	assert.NotEmpty(t, body["access_token"])
	for range 40 {
		if resp, _ = page("/login", "vi"); resp.StatusCode != http.StatusServiceUnavailable {
			break
		}
	}
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
