package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/gateway/apidoc"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/staff"
)

// jsonOutsidePrefixes are the JSON routes outside httpx.APIPrefixes that
// the document describes (a download for the signed-in citizen).
var jsonOutsidePrefixes = []string{"/account/history.json"}

// notDescribed are JSON routes the document leaves out on purpose, each
// with its reason. The OAuth 2.0 and OpenID Connect protocol endpoints
// are specified by their RFCs and published by discovery; the passkey
// ceremonies are the sign-in pages' own script calls (session and CSRF
// token of the page), not an API.
var notDescribed = map[string]string{
	"/.well-known/openid-configuration": "OpenID Connect Discovery 1.0",
	"/jwks.json":                        "RFC 7517, published by discovery",
	"/token":                            "RFC 6749 §3.2",
	"/userinfo":                         "OpenID Connect Core §5.3",
	"/introspect":                       "RFC 7662",
	"/revoke":                           "RFC 7009",
	"/par":                              "RFC 9126",
	"/login/passkey/begin":              "the sign-in page's WebAuthn script",
	"/login/passkey/finish":             "the sign-in page's WebAuthn script",
	"/account/passkeys/begin":           "the account page's WebAuthn script",
	"/account/passkeys/finish":          "the account page's WebAuthn script",
	"/account/passkeys/remove":          "the account page's WebAuthn script",
	"/staff/passkeys/begin":             "the staff console's WebAuthn script",
	"/staff/passkeys/finish":            "the staff console's WebAuthn script",
	"/staff/login/passkey/begin":        "the staff sign-in page's WebAuthn script",
	"/staff/login/passkey/finish":       "the staff sign-in page's WebAuthn script",
}

var muxVariable = regexp.MustCompile(`\{([^:{}]+):[^{}]*\}`)

// walkRoutes returns every "METHOD /template" the gateway's real router
// serves (HEAD left out: it goes with GET).
func walkRoutes(t *testing.T, h http.Handler) map[string]bool {
	t.Helper()
	router, ok := h.(*mux.Router)
	require.True(t, ok, "the gateway's handler is its mux.Router")
	out := map[string]bool{}
	require.NoError(t, router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil // a subrouter without a path of its own
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a prefix (static files) or a subrouter
		}
		path = muxVariable.ReplaceAllString(path, "{$1}")
		for _, m := range methods {
			if m != http.MethodHead {
				out[m+" "+path] = true
			}
		}
		return nil
	}))
	return out
}

func loadDocument(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(apidoc.YAML)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return doc, router
}

func documented(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[method+" "+path] = true
		}
	}
	return out
}

const openAPIAdminToken = "admin-token-for-the-openapi-test"

// TestOpenAPIDescribesEveryJSONRoute walks the real gateway's router (every
// part mounted: admin token and audit key set): every route under the JSON
// API prefixes, and the JSON download outside them, is in the document
// with its method, and every operation of the document is served.
func TestOpenAPIDescribesEveryJSONRoute(t *testing.T) {
	_, g, _ := newGatewayWithParts(t, func(c *config.Config) { c.Secrets.AdminToken = openAPIAdminToken })
	served := walkRoutes(t, g.Handler)
	doc, _ := loadDocument(t)
	described := documented(doc)

	var missing, json []string
	for route := range served {
		path := route[strings.Index(route, " ")+1:]
		if !httpx.IsAPI(path) && !slices.Contains(jsonOutsidePrefixes, path) {
			continue
		}
		json = append(json, route)
		if !described[route] {
			missing = append(missing, route)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "JSON routes the document does not describe")
	require.GreaterOrEqual(t, len(json), 34, "JSON routes walked: %v", json)

	var stale []string
	for route := range described {
		if !served[route] {
			stale = append(stale, route)
		}
	}
	sort.Strings(stale)
	require.Empty(t, stale, "documented operations the gateway does not serve")

	// What is left out is left out on purpose, and is still served (a
	// renamed endpoint would otherwise keep its reason here).
	for path := range notDescribed {
		require.NotContains(t, doc.Paths.Map(), path)
		found := false
		for route := range served {
			found = found || strings.HasSuffix(route, " "+path)
		}
		require.True(t, found, "%s is no longer served; drop it from notDescribed", path)
	}
}

// TestOpenAPIAnswersValidate sends real requests, good and bad, to a real
// gateway on PostgreSQL for each API family and validates every answer
// (status, content type, headers, body) against the document with
// kin-openapi's response validator, and every request the gateway accepted
// with its request validator; an unknown path or a wrong method under a
// JSON prefix must answer the document's Error as JSON.
func TestOpenAPIAnswersValidate(t *testing.T) {
	var cfg *config.Config
	srv, g, db := newGatewayWithParts(t, func(c *config.Config) {
		c.Secrets.AdminToken = openAPIAdminToken
		cfg = c
	})
	ctx := t.Context()
	doc, router := loadDocument(t)

	// A citizen at level 2, an officer's credential, a registry's.
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	require.NoError(t, g.Staff.LoadDemo(ctx))
	officer, err := g.Staff.FindMember(ctx, staff.DemoMembers[2].Username)
	require.NoError(t, err)
	officerToken, _, err := g.Staff.Issue(ctx, officer.ID, officer.Unit.Code, "test")
	require.NoError(t, err)
	feeds, err := gateway.NewFeedStore(*cfg, db.App, nil)
	require.NoError(t, err)
	registryToken := attributes.NewRegistryToken()
	_, err = feeds.SetCredential(ctx, attributes.DrivingLicence, attributes.RegistryTokenHash(gateway.RegistryTokenKey(*cfg), registryToken), "ops")
	require.NoError(t, err)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	admin, counter, registry := "Bearer "+openAPIAdminToken, "Bearer "+officerToken, "Bearer "+registryToken
	// created is the client_id the admin API gave the relying party
	// registered below; later cases use it.
	var created string
	batch := func(seq int, entries string) string {
		return `{"seq":` + strconv.Itoa(seq) + `,"entries":[` + entries + `]}`
	}
	const licence = `{"op":"upsert","number":"AB0000001","holder_id":"` + population.DemoLevel2ID + `","issued_on":"2020-01-02","expires_on":"2030-01-02","fields":{"class":"B2"}}`

	cases := []struct {
		family, name  string
		method, path  string
		auth, body    string
		status        int
		code          string // the error code expected, if any
		undocumented  bool   // a path or method the document (rightly) lacks
		after         func(t *testing.T, body []byte)
		pathFromState func() string
	}{
		// The admin API: relying parties and the kind policy.
		{family: "admin", name: "no token", method: "GET", path: "/admin/api/clients", status: 401, code: "unauthorized"},
		{family: "admin", name: "wrong token", method: "GET", path: "/admin/api/clients", auth: "Bearer nope", status: 401, code: "unauthorized"},
		{family: "admin", name: "list", method: "GET", path: "/admin/api/clients", auth: admin, status: 200},
		{family: "admin", name: "create", method: "POST", path: "/admin/api/clients", auth: admin, status: 201,
			body: `{"name":{"vi":"Ngân hàng A","en":"Bank A"},"kind":"bank","profile":"baseline","redirect_uris":["https://bank.example/cb"],"scopes":["openid","personal_id"],"purpose":{"vi":"Mở tài khoản","en":"Open an account"}}`,
			after: func(t *testing.T, b []byte) {
				var c struct {
					ID     string `json:"client_id"`
					Secret string `json:"client_secret"`
				}
				require.NoError(t, json.Unmarshal(b, &c))
				require.NotEmpty(t, c.Secret)
				created = c.ID
			}},
		{family: "admin", name: "create with an unknown field", method: "POST", path: "/admin/api/clients", auth: admin, status: 400, code: "invalid_client_metadata",
			body: `{"name":{"vi":"X"},"colour":"red"}`},
		{family: "admin", name: "create a taken id", method: "POST", path: "/admin/api/clients", auth: admin, status: 409, code: "already_exists",
			pathFromState: func() string { return "/admin/api/clients" },
			body:          "taken"},
		{family: "admin", name: "get", method: "GET", auth: admin, status: 200, pathFromState: func() string { return "/admin/api/clients/" + created }},
		{family: "admin", name: "get unknown", method: "GET", path: "/admin/api/clients/nobody", auth: admin, status: 404, code: "not_found"},
		{family: "admin", name: "patch", method: "PATCH", auth: admin, status: 200, body: `{"purpose":{"vi":"Mở tài khoản mới"}}`,
			pathFromState: func() string { return "/admin/api/clients/" + created }},
		{family: "admin", name: "put malformed", method: "PUT", auth: admin, status: 400, code: "invalid_client_metadata", body: `{"purpose":`,
			pathFromState: func() string { return "/admin/api/clients/" + created }},
		{family: "admin", name: "rotate secret", method: "POST", auth: admin, status: 200, pathFromState: func() string { return "/admin/api/clients/" + created + "/secret" }},
		{family: "admin", name: "disable", method: "POST", auth: admin, status: 200, pathFromState: func() string { return "/admin/api/clients/" + created + "/disable" }},
		{family: "admin", name: "disable unknown", method: "POST", path: "/admin/api/clients/nobody/disable", auth: admin, status: 404, code: "not_found"},
		{family: "admin", name: "policy", method: "GET", path: "/admin/api/policy", auth: admin, status: 200},
		{family: "admin", name: "set policy", method: "PUT", path: "/admin/api/policy/insurer/documents.driving_licence", auth: admin, body: `{"allowed":true}`, status: 200},
		{family: "admin", name: "set policy of an unknown scope", method: "PUT", path: "/admin/api/policy/bank/openid", auth: admin, body: `{"allowed":true}`, status: 400, code: "invalid_request"},
		{family: "admin", name: "set policy without allowed", method: "PUT", path: "/admin/api/policy/bank/documents.driving_licence", auth: admin, body: `{}`, status: 400, code: "invalid_request"},

		// The admin API: the registries' credentials.
		{family: "admin", name: "credentials", method: "GET", path: "/admin/api/registry/credentials", auth: admin, status: 200},
		{family: "admin", name: "credentials without token", method: "GET", path: "/admin/api/registry/credentials", status: 401, code: "unauthorized"},
		{family: "admin", name: "revoke unknown credential", method: "POST", path: "/admin/api/registry/credentials/424242/revoke", auth: admin, status: 404, code: "not_found"},

		// The registries' pushes.
		{family: "registry", name: "push without credential", method: "POST", path: "/registry/v1/documents/driving_licence/batches", body: batch(1, licence), status: 401, code: "unauthorized"},
		{family: "registry", name: "push", method: "POST", path: "/registry/v1/documents/driving_licence/batches", auth: registry, body: batch(1, licence), status: 200},
		{family: "registry", name: "replay", method: "POST", path: "/registry/v1/documents/driving_licence/batches", auth: registry, body: batch(1, licence), status: 200},
		{family: "registry", name: "gap", method: "POST", path: "/registry/v1/documents/driving_licence/batches", auth: registry, body: batch(5, licence), status: 409, code: "sequence_gap",
			after: func(t *testing.T, b []byte) { require.Contains(t, string(b), `"expected_seq":2`) }},
		{family: "registry", name: "bad entries", method: "POST", path: "/registry/v1/documents/driving_licence/batches", auth: registry, body: batch(2, `{"op":"burn","number":"1"}`), status: 400, code: "invalid_entries",
			after: func(t *testing.T, b []byte) { require.Contains(t, string(b), `"lines":[{"line":1`) }},
		{family: "registry", name: "not a batch", method: "POST", path: "/registry/v1/documents/driving_licence/batches", auth: registry, body: `[]`, status: 400, code: "invalid_batch"},

		// The officers' history lookup.
		{family: "admin", name: "history without credential", method: "GET", path: "/admin/api/history?personal_id=" + population.DemoLevel2ID, status: 401, code: "unauthorized"},
		{family: "admin", name: "history with the admin token", method: "GET", path: "/admin/api/history?personal_id=" + population.DemoLevel2ID, auth: admin, status: 401, code: "unauthorized"},
		{family: "admin", name: "history", method: "GET", path: "/admin/api/history?personal_id=" + population.DemoLevel2ID + "&limit=5", auth: counter, status: 200,
			after: func(t *testing.T, b []byte) { require.Contains(t, string(b), `"entries":[{`) }},
		{family: "admin", name: "history as CSV", method: "GET", path: "/admin/api/history?format=csv&personal_id=" + population.DemoLevel2ID, auth: counter, status: 200},
		{family: "admin", name: "history of a malformed number", method: "GET", path: "/admin/api/history?personal_id=12", auth: counter, status: 400, code: "invalid_request"},
		{family: "admin", name: "history without an account", method: "GET", path: "/admin/api/history?personal_id=001099999999", auth: counter, status: 404, code: "not_found"},

		// The counter.
		{family: "counter", name: "challenge without credential", method: "POST", path: "/counter/api/v1/challenges", status: 401, code: "invalid_token"},
		{family: "counter", name: "challenge", method: "POST", path: "/counter/api/v1/challenges", auth: counter, status: 201},
		{family: "counter", name: "read without chip", method: "POST", path: "/counter/api/v1/reads", auth: counter, body: `{}`, status: 400, code: "invalid_request"},
		{family: "counter", name: "read with an unknown field", method: "POST", path: "/counter/api/v1/reads", auth: counter, body: `{"card":1}`, status: 400, code: "invalid_request"},
		{family: "counter", name: "unknown read", method: "GET", path: "/counter/api/v1/reads/00000000-0000-0000-0000-000000000000", auth: counter, status: 404, code: "not_found"},
		{family: "counter", name: "pending submissions", method: "GET", path: "/counter/api/v1/submissions", auth: counter, status: 200},
		{family: "counter", name: "decide unknown", method: "POST", path: "/counter/api/v1/submissions/00000000-0000-0000-0000-000000000000/decision", auth: counter,
			body: `{"approve":true}`, status: 404, code: "not_found"},

		// The app.
		{family: "app", name: "proofing challenge", method: "POST", path: "/api/app/v1/challenges", body: `{"personal_id":"` + population.DemoLevel2ID + `"}`, status: 201},
		{family: "app", name: "proofing challenge, malformed number", method: "POST", path: "/api/app/v1/challenges", body: `{"personal_id":"12"}`, status: 400, code: "invalid_request"},
		{family: "app", name: "unknown submission", method: "GET", path: "/api/app/v1/enrolments/00000000-0000-0000-0000-000000000000", status: 404, code: "not_found"},
		{family: "app", name: "sign-in challenge of an unknown device", method: "POST", path: "/api/app/v1/signin/challenges",
			body: `{"device_id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, status: 401, code: "unknown_device"},
		{family: "app", name: "me without a session", method: "GET", path: "/api/app/v1/me", status: 401, code: "invalid_token"},
		{family: "app", name: "me with a bad session", method: "GET", path: "/api/app/v1/me", auth: "Bearer nope", status: 401, code: "invalid_token"},
		{family: "app", name: "activation of another phone", method: "POST", path: "/api/app/v1/activations",
			body: `{"personal_id":"` + population.DemoLevel2ID + `","phone":"0999999999"}`, status: 404, code: "activation_mismatch"},
		{family: "app", name: "move of an unknown number", method: "POST", path: "/api/app/v1/device-moves", body: `{"personal_id":"001099999999"}`, status: 404},
		{family: "app", name: "not JSON", method: "POST", path: "/api/app/v1/signin", body: `device_id=1`, status: 415, code: "invalid_request"},

		// The citizen's download.
		{family: "citizen", name: "history download without a sign-in", method: "GET", path: "/account/history.json", status: 303},

		// This document.
		{family: "meta", name: "document as JSON", method: "GET", path: "/openapi.json", status: 200},
		{family: "meta", name: "document as YAML", method: "GET", path: "/openapi.yaml", status: 200},
		{family: "meta", name: "document where the app's was", method: "GET", path: "/api/app/v1/openapi.yaml", status: 200},

		// Paths and methods that do not exist still answer JSON under the
		// API prefixes.
		{family: "errors", name: "unknown admin path", method: "GET", path: "/admin/api/nothing", auth: admin, status: 404, code: "not_found", undocumented: true},
		{family: "errors", name: "unknown app path", method: "GET", path: "/api/app/v1/nothing", status: 404, code: "not_found", undocumented: true},
		{family: "errors", name: "unknown app version", method: "POST", path: "/api/app/v2/signin", status: 404, code: "not_found", undocumented: true},
		{family: "errors", name: "unknown counter path", method: "GET", path: "/counter/api/v1/nothing", auth: counter, status: 404, code: "not_found", undocumented: true},
		{family: "errors", name: "unknown registry kind", method: "POST", path: "/registry/v1/documents/passport/batches/x", status: 404, code: "not_found", undocumented: true},
		{family: "errors", name: "wrong method on clients", method: "DELETE", path: "/admin/api/clients", auth: admin, status: 405, code: "method_not_allowed", undocumented: true},
		{family: "errors", name: "wrong method on the policy", method: "POST", path: "/admin/api/policy", auth: admin, status: 405, code: "method_not_allowed", undocumented: true},
		{family: "errors", name: "wrong method on a read", method: "PUT", path: "/counter/api/v1/reads", auth: counter, status: 405, code: "method_not_allowed", undocumented: true},
		{family: "errors", name: "wrong method on me", method: "POST", path: "/api/app/v1/me", status: 405, code: "method_not_allowed", undocumented: true},
		{family: "errors", name: "wrong method on history", method: "DELETE", path: "/admin/api/history", status: 405, code: "method_not_allowed", undocumented: true},
		{family: "errors", name: "wrong method on a push", method: "GET", path: "/registry/v1/documents/driving_licence/batches", status: 405, code: "method_not_allowed", undocumented: true},
	}
	errSchema := doc.Components.Schemas["Error"].Value
	for _, tc := range cases {
		t.Run(tc.family+"/"+tc.name, func(t *testing.T) {
			path, body := tc.path, tc.body
			if tc.pathFromState != nil {
				path = tc.pathFromState()
			}
			if body == "taken" {
				body = `{"client_id":"` + created + `","name":{"vi":"B"},"kind":"bank","profile":"baseline","redirect_uris":["https://b.example/cb"],"scopes":["openid"],"purpose":{"vi":"B"}}`
			}
			req, err := http.NewRequestWithContext(ctx, tc.method, srv.URL+path, strings.NewReader(body))
			require.NoError(t, err)
			if body != "" {
				ct := "application/json"
				if !strings.HasPrefix(body, "{") && !strings.HasPrefix(body, "[") {
					ct = "application/x-www-form-urlencoded"
				}
				req.Header.Set("Content-Type", ct)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode, "%s", raw)
			if tc.family == "meta" {
				require.Equal(t, "public, max-age=3600", resp.Header.Get("Cache-Control"), "the document is cacheable")
			}
			if tc.status == http.StatusMethodNotAllowed {
				require.NotEmpty(t, resp.Header.Get("Allow"), "405 names the methods allowed")
			}

			if tc.code != "" {
				require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), "content type %q", resp.Header.Get("Content-Type"))
				var e struct {
					Code        string `json:"error"`
					Description string `json:"error_description"`
				}
				require.NoError(t, json.Unmarshal(raw, &e), "%s", raw)
				require.Equal(t, tc.code, e.Code, "%s", raw)
				require.NotEmpty(t, e.Description, "%s", raw)
			}
			if tc.undocumented {
				// No operation: the body is the document's Error.
				_, _, err := router.FindRoute(req)
				require.Error(t, err, "the document describes %s %s", tc.method, path)
				var v any
				require.NoError(t, json.Unmarshal(raw, &v))
				require.NoError(t, errSchema.VisitJSON(v, openapi3.EnableJSONSchema2020()), "%s", raw)
				return
			}

			// The request as sent, matched to its operation, and the
			// answer validated against it.
			vreq, err := http.NewRequestWithContext(ctx, tc.method, path, strings.NewReader(body))
			require.NoError(t, err)
			vreq.Header = req.Header.Clone()
			route, params, err := router.FindRoute(vreq)
			require.NoError(t, err, "%s %s is not in the document", tc.method, path)
			in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			if resp.StatusCode < 300 {
				// What the gateway accepted, the document accepts too.
				require.NoError(t, openapi3filter.ValidateRequest(ctx, in), "%s %s %s", tc.method, path, body)
				vreq.Body = io.NopCloser(strings.NewReader(body))
			}
			require.NoError(t, openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body:    io.NopCloser(bytes.NewReader(raw)),
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}), "%s %s → %d %s", tc.method, path, resp.StatusCode, raw)
			if tc.after != nil {
				tc.after(t, raw)
			}
		})
	}
}
