package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

var challengeField = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

// TestLockThroughAccountsEndsEverything is the lock rule where it lives: a
// lock made through accounts.Service itself, as any path makes it (the
// citizen's page, an officer, the CLI, later the app), ends the citizen's
// browser sign-in, every token at the relying party and queues the
// back-channel logout to it; an unlock does not revive the sign-in.
func TestLockThroughAccountsEndsEverything(t *testing.T) {
	lockEndsEverything(t, oidc.AccessTokenOpaque)
}

// TestLockEndsJWTAccessTokens: the same with RFC 9068 JWT access tokens,
// which keep their row when issued with a citizen: the gateway refuses them
// at once (a resource server validating locally sees the lock only at exp).
func TestLockEndsJWTAccessTokens(t *testing.T) { lockEndsEverything(t, oidc.AccessTokenJWT) }

func lockEndsEverything(t *testing.T, format string) {
	srv, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	citizen, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)

	const redirect = "https://rp.example/cb"
	client, secret, err := g.Clients.Create(ctx, "test", oidc.Client{
		ID: "rp-lock", Name: oidc.Text{VI: "Dịch vụ thử", EN: "Test service"}, Purpose: oidc.Text{VI: "Thử", EN: "Test"},
		PurposeVersion: 1, Kind: oidc.KindPublicService, RedirectURIs: []string{redirect},
		Scopes: []string{"openid", "profile", "offline_access"}, TokenEndpointAuthMethod: oidc.AuthClientSecretBasic,
		SubjectType: oidc.SubjectPairwise, BackchannelLogoutURI: "https://rp.example/logout",
		AccessTokenFormat: format,
	})
	require.NoError(t, err)
	conf := &oauth2.Config{ClientID: client.ID, ClientSecret: secret, RedirectURL: redirect,
		Scopes:   []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + oidc.PathAuthorize, TokenURL: srv.URL + oidc.PathToken, AuthStyle: oauth2.AuthStyleInHeader}}

	// The citizen signs in with a password and an authenticator code and
	// consents; the relying party redeems the code.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), srv.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(u string) (*http.Response, string) {
		res, err := browser.Get(u)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	post := func(path string, v url.Values) (*http.Response, string) {
		res, err := browser.PostForm(srv.URL+path, v)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	verifier := oauth2.GenerateVerifier()
	_, page := get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("acr_values", "urn:vn:eid:loa:2")))
	_, page = post("/login", url.Values{"csrf_token": {field(t, csrfField, page)}, "personal_id": {population.DemoLevel2ID}, "password": {population.DemoPassword}})
	code, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
	require.NoError(t, err)
	_, page = post("/login/verify", url.Values{"csrf_token": {field(t, csrfField, page)}, "method": {"otp"}, "code": {code}})
	res, page := post("/consent", url.Values{"csrf_token": {field(t, csrfField, page)}, "challenge": {field(t, challengeField, page)},
		"action": {"approve"}, "claim": {"name", "birthdate", "gender", "nationality"}})
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err, page)
	require.Equal(t, redirect, loc.Scheme+"://"+loc.Host+loc.Path, "back at the relying party: %d %s", res.StatusCode, page)
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	if format == oidc.AccessTokenJWT {
		require.Equal(t, 2, strings.Count(tok.AccessToken, "."), "a JWT access token")
	}
	res, _ = get(srv.URL + "/account")
	require.Equal(t, http.StatusOK, res.StatusCode, "signed in at the gateway")

	// An officer's lock, straight through the accounts domain.
	_, err = g.Accounts.Lock(ctx, citizen.ID, "card_revoked", accounts.Actor{Kind: audit.Officer, ID: "officer-1"})
	require.NoError(t, err)

	// Tokens: the refresh token and the access token are dead.
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	var rerr *oauth2.RetrieveError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "invalid_grant", rerr.ErrorCode)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+oidc.PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	ui, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	ui.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, ui.StatusCode)
	var rows int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM oidc_requests WHERE account_id = $1`, citizen.ID).Scan(&rows))
	assert.Zero(t, rows, "no token, code or grant of the account is left")

	// Back-channel logout: queued for the relying party.
	var deliveries int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM backchannel_deliveries WHERE client_id = $1`, client.ID).Scan(&deliveries))
	assert.Equal(t, 1, deliveries, "the relying party is told")

	// The endpoints relying parties call from their servers read no browser
	// session: with the ended sign-in's cookie, discovery answers as it
	// would without it, instead of ending the sign-in and redirecting to
	// the sign-in page.
	res, doc := get(srv.URL + oidc.PathDiscovery)
	assert.Equal(t, oidc.PathDiscovery, res.Request.URL.Path, "not redirected")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, doc, `"issuer"`)

	// The browser's sign-in ended, and stays ended after an unlock.
	res, _ = get(srv.URL + "/account")
	assert.True(t, strings.HasPrefix(res.Request.URL.Path, "/login"), "signed out: at %s", res.Request.URL)
	_, err = g.Accounts.Unlock(context.WithoutCancel(ctx), citizen.ID, accounts.Actor{Kind: audit.Officer, ID: "officer-1"})
	require.NoError(t, err)
	res, _ = get(srv.URL + "/account")
	assert.True(t, strings.HasPrefix(res.Request.URL.Path, "/login"), "an unlock revives no sign-in: at %s", res.Request.URL)
	ui, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	ui.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, ui.StatusCode, "an unlock revives no token")
}

func field(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	require.NotNil(t, m, "%s not in the page: %.2000s", re, page)
	return m[1]
}
