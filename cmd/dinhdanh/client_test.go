package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// toolEnv gives the operator commands a fresh database and production-style
// secrets through the environment, as an operator would.
func toolEnv(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	t.Setenv("DATABASE_URL", db.AppURL)
	t.Setenv("DATABASE_MIGRATE_URL", db.OwnerURL)
	for _, k := range []string{"DINHDANH_ENCRYPTION_KEY", "DINHDANH_PAIRWISE_KEY", "DINHDANH_SECRET_PEPPER", "DINHDANH_AUDIT_KEY", "DINHDANH_SESSION_KEY"} {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		t.Setenv(k, base64.StdEncoding.EncodeToString(b))
	}
	t.Setenv("USER", "alice")
	return db
}

// dd runs the command line and returns stdout, failing the test on error.
func dd(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := ddErr(t, args...)
	require.NoError(t, err, "dinhdanh %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	return out
}

func ddErr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func countEvents(t *testing.T, db *pgtest.DB, where string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.App.QueryRow(t.Context(), "SELECT count(*) FROM audit_events WHERE "+where, args...).Scan(&n))
	return n
}

// importDemo loads the demo population through the import command, as an
// operator would before the account, enrol and report commands.
func importDemo(t *testing.T) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "people.jsonl")
	require.NoError(t, os.WriteFile(p, population.DemoFile(), 0o600))
	require.Contains(t, dd(t, "import", "population", p), "imported")
}

var secretLine = regexp.MustCompile(`client_secret: (\S+)`)

func TestClientRoundTrip(t *testing.T) {
	db := toolEnv(t)

	out := dd(t, "client", "create", "-id", "bank-a", "-name-vi", "Ngân hàng A", "-name-en", "Bank A",
		"-kind", "bank", "-profile", "baseline", "-redirect-uri", "https://bank-a.example/cb", "-redirect-uri", "https://bank-a.example/cb2",
		"-scopes", "openid profile personal_id", "-purpose-vi", "Mở tài khoản", "-require-par")
	require.Contains(t, out, "registered client bank-a")
	require.Contains(t, out, "shown only this once")
	m := secretLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	secret := m[1]
	require.Contains(t, out, "min_level:")

	out = dd(t, "client", "list")
	require.Contains(t, out, "bank-a")
	require.Contains(t, out, "Ngân hàng A")
	require.NotContains(t, out, secret)

	out = dd(t, "client", "show", "bank-a")
	require.NotContains(t, out, secret)
	require.Regexp(t, `min_level:\s+2`, out, "a bank needs level 2 by default")
	require.Regexp(t, `require_par:\s+true`, out)

	var c oidc.Client
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "bank-a", "-json")), &c))
	require.Equal(t, oidc.KindBank, c.Kind)
	require.Equal(t, []string{"https://bank-a.example/cb", "https://bank-a.example/cb2"}, c.RedirectURIs)

	// Only the flags given change; the ID may come before or after them.
	dd(t, "client", "update", "bank-a", "-name-en", "Bank A plc", "-post-logout-uri", "https://bank-a.example/bye")
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "-json", "bank-a")), &c))
	require.Equal(t, "Bank A plc", c.Name.EN)
	require.Equal(t, "Ngân hàng A", c.Name.VI)
	require.Equal(t, []string{"https://bank-a.example/cb", "https://bank-a.example/cb2"}, c.RedirectURIs)
	require.Equal(t, []string{"https://bank-a.example/bye"}, c.PostLogoutRedirectURIs)
	require.True(t, c.RequirePAR)

	_, _, err := ddErr(t, "client", "update", "bank-a", "-min-level", "1")
	require.ErrorContains(t, err, "a bank needs min_level 2")
	_, _, err = ddErr(t, "client", "update", "bank-a")
	require.ErrorContains(t, err, "nothing to change")

	out = dd(t, "client", "disable", "bank-a")
	require.Contains(t, out, "disabled client bank-a")
	require.Regexp(t, `status:\s+disabled`, dd(t, "client", "show", "bank-a"))
	require.Regexp(t, `bank-a\s+bank\s+2\s+client_secret_basic\s+disabled`, dd(t, "client", "list"))

	out = dd(t, "client", "rotate-secret", "bank-a", "-actor", "bob")
	m = secretLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.NotEqual(t, secret, m[1])
	require.Contains(t, out, "shown only this once")

	dd(t, "client", "enable", "bank-a")
	require.Regexp(t, `status:\s+active`, dd(t, "client", "show", "bank-a"))

	// Every change is in the audit log under the operator's name; the
	// refused update is not.
	require.Equal(t, 4, countEvents(t, db, "type = 'client.changed' AND client_id = 'bank-a' AND actor_kind = 'operator' AND actor_id = 'alice'"))
	require.Equal(t, 1, countEvents(t, db, "type = 'client.changed' AND actor_id = 'bob' AND reason = 'secret_rotated'"))

	// A public client has no secret until it becomes confidential.
	out = dd(t, "client", "create", "-id", "spa", "-name-vi", "Ứng dụng", "-auth", "none", "-redirect-uri", "http://localhost:3000/cb")
	require.Contains(t, out, "no client secret: it authenticates with none")
	require.NotContains(t, out, "client_secret:")
	_, _, err = ddErr(t, "client", "rotate-secret", "spa")
	require.ErrorContains(t, err, `client "spa" has no secret`)
	require.Contains(t, dd(t, "client", "update", "spa", "-auth", "client_secret_post"), "run `dinhdanh client rotate-secret spa`")
	require.Regexp(t, `client_secret: \S+`, dd(t, "client", "rotate-secret", "spa"))

	_, _, err = ddErr(t, "client", "show", "nope")
	require.ErrorContains(t, err, `no client "nope"`)
	_, _, err = ddErr(t, "client", "create", "-id", "bank-a", "-name-vi", "A", "-redirect-uri", "https://a.example/cb")
	require.ErrorContains(t, err, `client "bank-a" already exists`)
}

func TestClientCreateReportsEveryProblem(t *testing.T) {
	toolEnv(t)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"bank over http", []string{"-name-vi", "Ngân hàng B", "-kind", "bank", "-min-level", "1", "-redirect-uri", "http://bank-b.example/cb"},
			[]string{"invalid registration, nothing saved", `redirect_uri "http://bank-b.example/cb": must be https`, "a bank needs min_level 2"}},
		{"no redirect", []string{"-name-vi", "Dịch vụ C"}, []string{"redirect_uris is empty"}},
		{"no name, bad kind and auth", []string{"-kind", "shop", "-auth", "magic", "-redirect-uri", "https://c.example/cb"},
			[]string{"name (vi) is empty", `kind "shop" is not one of`, `token_endpoint_auth_method "magic" is not supported`}},
		{"private_key_jwt without keys", []string{"-name-vi", "D", "-auth", "private_key_jwt", "-redirect-uri", "https://d.example/cb"},
			[]string{"private_key_jwt needs jwks or jwks_uri"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ddErr(t, append([]string{"client", "create"}, tc.args...)...)
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
	require.Equal(t, "no clients registered\n", dd(t, "client", "list"))

	_, _, err := ddErr(t, "client", "create", "-nmae-vi", "x")
	require.ErrorContains(t, err, "flag provided but not defined: -nmae-vi")
	p := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"name": {"vi": "E"}, "redirect_url": ["https://e.example/cb"]}`), 0o600))
	_, _, err = ddErr(t, "client", "create", "-file", p)
	require.ErrorContains(t, err, `unknown field "redirect_url"`)
	_, _, err = ddErr(t, "client", "frob")
	require.ErrorContains(t, err, `unknown client command "frob"`)
	_, _, err = ddErr(t, "client", "disable")
	require.ErrorContains(t, err, "CLIENT_ID is required")
	t.Setenv("USER", "")
	_, _, err = ddErr(t, "client", "disable", "x")
	require.ErrorContains(t, err, "-actor is required")
}

// A machine client registered from a file gets a secret that works at the
// token endpoint; after rotation only the new one does.
func TestClientSecretWorksAtTokenEndpoint(t *testing.T) {
	db := toolEnv(t)
	p := filepath.Join(t.TempDir(), "machine.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"client_id": "registry-sync", "name": {"vi": "Đồng bộ"},
		"grant_types": ["client_credentials"], "scopes": ["registry.read"]}`), 0o600))
	var created struct {
		Client       oidc.Client `json:"client"`
		ClientSecret string      `json:"client_secret"`
	}
	out, errOut, err := ddErr(t, "client", "create", "-file", p, "-json")
	require.NoError(t, err, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &created))
	require.Equal(t, "registry-sync", created.Client.ID)
	require.NotEmpty(t, created.ClientSecret)
	require.Contains(t, errOut, "shown only this once")

	srv := serveGateway(t, db)
	token := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.read"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("registry-sync", url.QueryEscape(secret))
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, token(created.ClientSecret))

	var rotated map[string]string
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "rotate-secret", "registry-sync", "-json")), &rotated))
	require.Equal(t, http.StatusUnauthorized, token(created.ClientSecret))
	require.Equal(t, http.StatusOK, token(rotated["client_secret"]))
}

// serveGateway serves the gateway on db with the environment's secrets.
func serveGateway(t *testing.T, db *pgtest.DB) *httptest.Server {
	t.Helper()
	cfg, err := config.Load("", os.Getenv)
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	rec, closeAudit, err := openAudit(t.Context(), cfg, db.App, logger)
	require.NoError(t, err)
	t.Cleanup(closeAudit)
	g, err := gateway.New(context.WithoutCancel(t.Context()), gateway.Options{Config: cfg, Pool: db.App, Logger: logger, Audit: rec})
	require.NoError(t, err)
	t.Cleanup(g.Close)
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(srv.Close)
	return srv
}

// A bank is registered with the fapi2 profile by default, with keys and no
// secret; the profile and request-object flags round-trip; a secret is
// refused for fapi2 with the reason.
func TestClientFAPI2Profile(t *testing.T) {
	toolEnv(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Use: "sig"}}})
	require.NoError(t, err)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, set, 0o600))

	out := dd(t, "client", "create", "-id", "bank-f", "-name-vi", "Ngân hàng F", "-kind", "bank",
		"-redirect-uri", "https://bank-f.example/cb", "-jwks-file", jwks, "-scopes", "openid personal_id")
	require.NotContains(t, out, "client_secret:")
	require.Regexp(t, `profile:\s+fapi2`, out)
	require.Regexp(t, `token_endpoint_auth_method:\s+private_key_jwt`, out)
	require.Regexp(t, `token_endpoint_auth_signing_alg:\s+ES256`, out)
	require.Regexp(t, `require_par:\s+true`, out)

	dd(t, "client", "update", "bank-f", "-request-object-alg", "PS256", "-require-signed-request-object")
	var c oidc.Client
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "bank-f", "-json")), &c))
	require.Equal(t, oidc.ProfileFAPI2, c.Profile)
	require.Equal(t, "PS256", c.RequestObjectSigningAlg)
	require.True(t, c.RequireSignedRequestObject)
	out = dd(t, "client", "show", "bank-f")
	require.Regexp(t, `request_object_signing_alg:\s+PS256`, out)
	require.Regexp(t, `require_signed_request_object:\s+true`, out)

	_, _, err = ddErr(t, "client", "update", "bank-f", "-request-object-alg", "RS256")
	require.ErrorContains(t, err, `profile fapi2 needs request_object_signing_alg ES256 or PS256, not "RS256"`)
	_, _, err = ddErr(t, "client", "create", "-name-vi", "Ngân hàng G", "-kind", "bank", "-auth", "client_secret_basic",
		"-redirect-uri", "https://bank-g.example/cb")
	require.ErrorContains(t, err, `profile fapi2 needs token_endpoint_auth_method private_key_jwt, not "client_secret_basic"`)
	_, _, err = ddErr(t, "client", "create", "-name-vi", "Ngân hàng G", "-kind", "bank", "-profile", "fapi3",
		"-redirect-uri", "https://bank-g.example/cb")
	require.ErrorContains(t, err, `profile "fapi3" is not one of baseline, fapi2`)
	out = dd(t, "client", "create", "-name-vi", "Ngân hàng G", "-kind", "bank", "-profile", "baseline",
		"-redirect-uri", "https://bank-g.example/cb")
	require.Contains(t, out, "client_secret:")
	require.Regexp(t, `profile:\s+baseline`, out)
}

// accept_dependents is off by default and set or cleared by the admin
// command; a client-credentials client cannot have it, nor may the
// act_for_dependent scope be registered by hand.
func TestClientAcceptDependents(t *testing.T) {
	toolEnv(t)
	out := dd(t, "client", "create", "-id", "school", "-name-vi", "Cổng trường học",
		"-redirect-uri", "https://school.example/cb", "-scopes", "openid profile")
	require.Regexp(t, `accept_dependents:\s+false`, out)
	dd(t, "client", "update", "school", "-accept-dependents")
	var c oidc.Client
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "school", "-json")), &c))
	require.True(t, c.AcceptDependents)
	require.Contains(t, c.GetScopes(), oidc.ScopeActForDependent, "an opted-in client may ask for the choice")
	require.NotContains(t, c.Scopes, oidc.ScopeActForDependent)
	dd(t, "client", "update", "school", "-accept-dependents=false")
	c = oidc.Client{}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "school", "-json")), &c))
	require.False(t, c.AcceptDependents)
	require.NotContains(t, c.GetScopes(), oidc.ScopeActForDependent)

	_, _, err := ddErr(t, "client", "create", "-name-vi", "Máy", "-grant-types", "client_credentials", "-accept-dependents")
	require.ErrorContains(t, err, "accept_dependents is for clients that sign citizens in")
	_, _, err = ddErr(t, "client", "update", "school", "-scopes", "openid act_for_dependent")
	require.ErrorContains(t, err, `scope "act_for_dependent" is not registered: set accept_dependents`)
}

// access_token_format is opaque by default; jwt takes a lifetime and
// resource servers, which an opaque client may not have.
func TestClientAccessTokenFormat(t *testing.T) {
	toolEnv(t)
	out := dd(t, "client", "create", "-id", "batch", "-name-vi", "Máy đối soát", "-grant-types", "client_credentials")
	require.Regexp(t, `access_token_format:\s+opaque`, out)
	out = dd(t, "client", "update", "batch", "-access-token-format", "jwt", "-access-token-lifetime", "2m",
		"-access-token-audience", "https://api.example/tax")
	require.Regexp(t, `access_token_format:\s+jwt`, out)
	require.Regexp(t, `access_token_lifetime:\s+2m0s`, out)
	var c oidc.Client
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "batch", "-json")), &c))
	require.Equal(t, oidc.AccessTokenJWT, c.AccessTokenFormat)
	require.Equal(t, 120, c.AccessTokenLifetime)
	require.Equal(t, []string{"https://api.example/tax"}, c.AccessTokenAudience)

	_, _, err := ddErr(t, "client", "update", "batch", "-access-token-lifetime", "1h")
	require.ErrorContains(t, err, "access_token_lifetime must be between 60 and 900 seconds")
	_, _, err = ddErr(t, "client", "update", "batch", "-access-token-format", "paseto")
	require.ErrorContains(t, err, `access_token_format "paseto" is not one of opaque, jwt`)
	_, _, err = ddErr(t, "client", "update", "batch", "-access-token-audience", "http://api.example/tax")
	require.ErrorContains(t, err, "must be an absolute https URI")
	_, _, err = ddErr(t, "client", "create", "-name-vi", "Máy", "-grant-types", "client_credentials", "-access-token-lifetime", "2m")
	require.ErrorContains(t, err, "access_token_lifetime is for access_token_format jwt")
}

// TestClientOrganisation: the CLI registers a client with its organisation
// and legal basis, usable at once (no second operator: see
// oidc.Clients.Create), and refuses a tax code that is not one.
func TestClientOrganisation(t *testing.T) {
	toolEnv(t)
	out := dd(t, "client", "create", "-id", "dvc", "-name-vi", "Cổng A", "-redirect-uri", "https://a.example/cb",
		"-org-name", "Sở Tư pháp", "-org-code", "0301234567-001", "-legal-basis", "Nghị định 42/2022/NĐ-CP")
	require.Contains(t, out, "status:")
	show := dd(t, "client", "show", "dvc")
	require.Regexp(t, `status:\s+active`, show)
	require.Regexp(t, `organisation:\s+Sở Tư pháp`, show)
	require.Regexp(t, `organisation_code:\s+0301234567-001`, show)
	require.Regexp(t, `legal_basis:\s+Nghị định 42/2022/NĐ-CP`, show)

	_, _, err := ddErr(t, "client", "create", "-id", "bad", "-name-vi", "Cổng B", "-redirect-uri", "https://b.example/cb", "-org-code", "MST 12")
	require.ErrorContains(t, err, "organisation_code")
	_, _, err = ddErr(t, "client", "show", "bad")
	require.ErrorContains(t, err, "no client")
}
