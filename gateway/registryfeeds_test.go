package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
)

// TestRegistryPushThrottle: failed pushes lock only the address they came
// from (a stranger's flood leaves the registry's own address alone), a
// credential's batches are capped per hour, each lock is audited once, and
// operators list and revoke credentials through the admin API, the
// revocation holding from the next push.
func TestRegistryPushThrottle(t *testing.T) {
	var cfg *config.Config
	_, g, db := newGatewayWithParts(t, func(c *config.Config) {
		c.Lockout.RegistryBatchesPerHour = 3
		c.Secrets.AdminToken = "admin-token-for-the-registry-test"
		cfg = c
	})
	ctx := t.Context()
	feeds, err := gateway.NewFeedStore(*cfg, db.App, nil)
	require.NoError(t, err)
	token := attributes.NewRegistryToken()
	id, err := feeds.SetCredential(ctx, attributes.DrivingLicence, attributes.RegistryTokenHash(gateway.RegistryTokenKey(*cfg), token), "ops")
	require.NoError(t, err)

	do := func(method, path, from, bearer, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		req.RemoteAddr = from + ":40000"
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		g.Handler.ServeHTTP(rec, req)
		return rec
	}
	const path = "/registry/v1/documents/driving_licence/batches"
	// A replayed empty-result batch would still count; a gap (409) is an
	// authenticated request too: it counts against the credential, not
	// against the address.
	batch := `{"seq":7,"entries":[{"op":"withdraw","number":"010000000001"}]}`
	const stranger, registry = "203.0.113.9", "198.51.100.4"
	events := func(reason string) int {
		var n int
		require.NoError(t, db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE reason = $1`, reason).Scan(&n))
		return n
	}

	for i := 1; i < cfg.Lockout.MaxPerAddress; i++ {
		require.Equal(t, http.StatusUnauthorized, do(http.MethodPost, path, stranger, "ddreg_guess"+strconv.Itoa(i), batch).Code, "failure %d", i)
	}
	rec := do(http.MethodPost, path, stranger, "", batch)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "the failure at the limit locks the address")
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	rec = do(http.MethodPost, path, stranger, token, batch)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "a locked address is refused before any credential check")
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, secs, 60)
	require.Equal(t, 1, events("registry_ip_locked_out"), "the lock is audited once")

	// The registry, from its own address, is not locked by the stranger.
	for i := 1; i <= cfg.Lockout.RegistryBatchesPerHour; i++ {
		rec = do(http.MethodPost, path, registry, token, batch)
		require.Equal(t, http.StatusConflict, rec.Code, "batch %d: through the limiter to the feed rules: %s", i, rec.Body)
	}
	rec = do(http.MethodPost, path, registry, token, batch)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "over the credential's hourly cap")
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	require.Equal(t, http.StatusTooManyRequests, do(http.MethodPost, path, registry, token, batch).Code)
	require.Equal(t, 1, events("registry_credential_locked_out"), "the cap is audited once")

	// Operators: list (never a secret), revoke; the admin token is needed.
	require.Equal(t, http.StatusUnauthorized, do(http.MethodGet, "/admin/api/registry/credentials", registry, "wrong", "").Code)
	rec = do(http.MethodGet, "/admin/api/registry/credentials", registry, cfg.Secrets.AdminToken, "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), token)
	require.NotContains(t, rec.Body.String(), "hash")
	var list []attributes.RegistryCredential
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].ID)
	require.NotNil(t, list[0].LastUsedAt)
	require.Nil(t, list[0].RevokedAt)

	revoke := "/admin/api/registry/credentials/" + strconv.FormatInt(id, 10) + "/revoke"
	require.Equal(t, http.StatusOK, do(http.MethodPost, revoke, registry, cfg.Secrets.AdminToken, "").Code)
	require.Equal(t, http.StatusConflict, do(http.MethodPost, revoke, registry, cfg.Secrets.AdminToken, "").Code)
	require.Equal(t, http.StatusNotFound, do(http.MethodPost, "/admin/api/registry/credentials/424242/revoke", registry, cfg.Secrets.AdminToken, "").Code)
	require.Equal(t, 1, events("registry_credential_revoked"))
	rec = do(http.MethodPost, path, "192.0.2.77", token, batch)
	require.Equal(t, http.StatusUnauthorized, rec.Code, "revoked: refused from the next push")
}
