package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	accountsapi "github.com/dinhdanh/dinhdanh/accounts/api"
	proofingapi "github.com/dinhdanh/dinhdanh/proofing/api"
)

// TestAppAPIDescribed: the gateway's OpenAPI document, as the gateway
// serves it where the app's first description was, is valid YAML and
// describes every route mounted under /api/app/v1
// (proofing's and the device binding's) with its method, and every error
// code of the device endpoints; both handlers answer through the gateway.
func TestAppAPIDescribed(t *testing.T) {
	srv := newGateway(t)
	resp, err := http.Get(srv.URL + "/api/app/v1/openapi.yaml")
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc struct {
		OpenAPI    string                               `yaml:"openapi"`
		Paths      map[string]map[string]any            `yaml:"paths"`
		Components map[string]map[string]map[string]any `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	r := mux.NewRouter()
	(&proofingapi.Handler{}).Routes(r)
	(&accountsapi.Handler{}).Routes(r)
	n := 0
	require.NoError(t, r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(path, accountsapi.Prefix+"/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			n++
			require.Contains(t, doc.Paths, path, "route %s %s not described", m, path)
			require.Contains(t, doc.Paths[path], strings.ToLower(m), "route %s %s not described", m, path)
		}
		return nil
	}))
	require.GreaterOrEqual(t, n, 13, "routes walked")

	schema := doc.Components["schemas"]["AppProblem"]
	enum := schema["properties"].(map[string]any)["error"].(map[string]any)["enum"].([]any)
	for _, c := range accountsapi.Codes {
		require.True(t, slices.Contains(enum, any(c.Code)), "error code %s not described", c.Code)
	}
	for _, c := range []string{"locked_out", "slow_down", "server_error"} {
		require.True(t, slices.Contains(enum, any(c)), "error code %s not described", c)
	}

	// Both handlers answer under the one prefix.
	for _, tc := range []struct{ path, body, code string }{
		{"/api/app/v1/signin/challenges", `{"device_id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, "unknown_device"},
		{"/api/app/v1/challenges", `{"personal_id":"12"}`, ""},
	} {
		resp, err := http.Post(srv.URL+tc.path, "application/json", strings.NewReader(tc.body))
		require.NoError(t, err)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		resp.Body.Close()
		require.NotEqual(t, http.StatusNotFound, resp.StatusCode, "%s: %v", tc.path, out)
		if tc.code != "" {
			require.Equal(t, tc.code, out["error"], "%v", out)
		}
	}
}
