package gateway_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/sharing"
)

// A citizen signed in with two steps makes a QR credential; a verifier
// checks it offline against the JWKS fetched once from /jwks.json, and on
// /verify; the issuance is in the citizen's history.
func TestShareCredentialThroughTheGateway(t *testing.T) {
	srv, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		res, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	post := func(path string, v url.Values) (int, string) {
		res, err := c.PostForm(srv.URL+path, v)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	csrf := func(body string) string {
		m := csrfField.FindStringSubmatch(body)
		require.NotNil(t, m, "no CSRF token")
		return m[1]
	}

	// Signing in from the share page comes back to it.
	status, body := get("/account/share")
	require.Equal(t, http.StatusOK, status)
	status, body = post("/login", url.Values{"csrf_token": {csrf(body)}, "personal_id": {population.DemoLevel2ID}, "password": {population.DemoPassword}})
	require.Equal(t, http.StatusOK, status, body)
	code, err := accounts.TOTPCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	status, body = post("/login/verify", url.Values{"csrf_token": {csrf(body)}, "method": {"otp"}, "code": {code}})
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `action="/account/share"`, "back on the share page after signing in")
	require.Contains(t, body, `value="driving_licence"`, "a level 2 sign-in may share documents")

	status, body = post("/account/share", url.Values{"csrf_token": {csrf(body)}, "claim": {"name", "birthdate", "personal_id_number"}})
	require.Equal(t, http.StatusOK, status, body)
	m := regexp.MustCompile(`(?s)<textarea id="share-token"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	token := html.UnescapeString(strings.TrimSpace(m[1]))
	require.NotContains(t, body, biometrics.SentinelPrefix)

	// Offline: the verifier fetched the JWKS once.
	res, err := http.Get(srv.URL + "/jwks.json")
	require.NoError(t, err)
	var keys jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(res.Body).Decode(&keys))
	res.Body.Close()
	v, err := sharing.VerifyAny(token, keys, time.Now(), sharing.VerifyOptions{Issuer: "http://localhost:8080"})
	require.NoError(t, err)
	require.Equal(t, population.DemoLevel2ID, v.Claims["personal_id_number"])
	require.Len(t, v.Claims, 3)

	status, body = get("/verify?ui_locales=en")
	require.Equal(t, http.StatusOK, status)
	status, body = post("/verify", url.Values{"csrf_token": {csrf(body)}, "token": {token}, "ui_locales": {"en"}})
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, "Valid: the information below")

	a, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	page, err := auditpg.NewStore(db.App, nil).History(ctx, a.ID, audit.Filter{Types: []audit.EventType{audit.CredentialIssued}})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, []string{"birthdate", "name", "personal_id_number"}, page.Entries[0].Claims)
}
