package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	call := func(method, path, token string, body any) (int, map[string]any, []byte) {
		var buf bytes.Buffer
		if body != nil {
			require.NoError(t, json.NewEncoder(&buf).Encode(body))
		}
		req, _ := http.NewRequest(method, e.Server.URL+path, &buf)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp := must(e.Server.Client().Do(req))
		defer resp.Body.Close()
		raw := new(bytes.Buffer)
		_, _ = raw.ReadFrom(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(raw.Bytes(), &m)
		return resp.StatusCode, m, raw.Bytes()
	}
	st, _, _ := call(http.MethodGet, "/admin/api/clients", "", nil)
	assert.Equal(t, http.StatusUnauthorized, st)
	st, _, _ = call(http.MethodGet, "/admin/api/clients", "wrong", nil)
	assert.Equal(t, http.StatusUnauthorized, st)

	st, created, raw := call(http.MethodPost, "/admin/api/clients", adminToken, map[string]any{
		"name": map[string]string{"vi": "Ngân hàng A", "en": "Bank A"}, "kind": "bank", "profile": "baseline",
		"redirect_uris": []string{"https://bank.example/cb"}, "scopes": []string{"openid", "personal_id"},
		"purpose": map[string]string{"vi": "Mở tài khoản", "en": "Open an account"},
	})
	require.Equal(t, http.StatusCreated, st, string(raw))
	id := created["client_id"].(string)
	secret := created["client_secret"].(string)
	assert.Len(t, secret, 43, "32 random bytes, base64url")
	assert.EqualValues(t, 2, created["min_level"], "banks need level 2")
	assert.Equal(t, "pairwise", created["subject_type"])

	st, got, raw := call(http.MethodGet, "/admin/api/clients/"+id, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.NotContains(t, string(raw), secret, "the secret is shown once")
	assert.Nil(t, got["client_secret"])

	st, upd, raw := call(http.MethodPatch, "/admin/api/clients/"+id, adminToken, map[string]any{"purpose": map[string]string{"vi": "Mở tài khoản mới"}})
	require.Equal(t, http.StatusOK, st, string(raw))
	assert.EqualValues(t, 2, upd["purpose_version"], "a new purpose text is a new version")
	st, _, _ = call(http.MethodPatch, "/admin/api/clients/"+id, adminToken, map[string]any{"min_level": 1})
	assert.Equal(t, http.StatusBadRequest, st, "a bank keeps level 2")
	st, _, _ = call(http.MethodPost, "/admin/api/clients", adminToken, map[string]any{"name": map[string]string{"vi": "x"}, "redirect_uris": []string{"http://evil.example/cb"}})
	assert.Equal(t, http.StatusBadRequest, st, "https redirect URIs only")

	st, dis, _ := call(http.MethodPost, "/admin/api/clients/"+id+"/disable", adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, true, dis["disabled"])
	st, _, _ = call(http.MethodGet, "/admin/api/clients/nobody", adminToken, nil)
	assert.Equal(t, http.StatusNotFound, st)

	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/admin/api/clients", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp := must(e.Server.Client().Do(req))
	var list []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	resp.Body.Close()
	assert.Len(t, list, 1)
}

// TestAdminAPIFAPI2: the admin API takes the profile and the request-object
// fields, and refuses a secret for a fapi2 bank with the reason.
func TestAdminAPIFAPI2(t *testing.T) {
	e := newEnv(t)
	call := adminCaller(t, e)
	key := newBankKey(t, "PS256")
	var jwks map[string]any
	require.NoError(t, json.Unmarshal(key.jwks(), &jwks))
	bank := map[string]any{"name": map[string]string{"vi": "Ngân hàng F"}, "kind": "bank",
		"redirect_uris": []string{"https://bank.example/cb"}, "scopes": []string{"openid", "personal_id"},
		"jwks": jwks, "token_endpoint_auth_signing_alg": "PS256",
		"request_object_signing_alg": "PS256", "require_signed_request_object": true}
	st, created := call(http.MethodPost, "/admin/api/clients", bank)
	require.Equal(t, http.StatusCreated, st, "%v", created)
	assert.Equal(t, "fapi2", created["profile"])
	assert.Equal(t, "PS256", created["request_object_signing_alg"])
	assert.Equal(t, true, created["require_signed_request_object"])
	assert.Equal(t, true, created["require_pushed_authorization_requests"])
	assert.Equal(t, "private_key_jwt", created["token_endpoint_auth_method"])
	assert.Nil(t, created["client_secret"])

	id := created["client_id"].(string)
	st, upd := call(http.MethodPatch, "/admin/api/clients/"+id, map[string]any{"require_signed_request_object": false})
	require.Equal(t, http.StatusOK, st, "%v", upd)
	assert.Nil(t, upd["require_signed_request_object"])
	st, upd = call(http.MethodPatch, "/admin/api/clients/"+id, map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, upd["error_description"], "profile fapi2 needs token_endpoint_auth_method private_key_jwt")

	delete(bank, "jwks")
	bank["token_endpoint_auth_method"] = "client_secret_post"
	st, m := call(http.MethodPost, "/admin/api/clients", bank)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, m["error_description"], `not "client_secret_post"`)
}

// access_token_format, access_token_lifetime and access_token_audience go
// through the admin API, validated as the CLI's.
func TestAdminAPIAccessTokenFormat(t *testing.T) {
	e := newEnv(t)
	call := adminCaller(t, e)
	st, created := call(http.MethodPost, "/admin/api/clients", map[string]any{"name": map[string]string{"vi": "Máy thuế"},
		"grant_types": []string{"client_credentials"}, "scopes": []string{"tax.read"},
		"access_token_format": "jwt", "access_token_lifetime": 180, "access_token_audience": []string{"https://api.example/tax"}})
	require.Equal(t, http.StatusCreated, st, "%v", created)
	assert.Equal(t, "jwt", created["access_token_format"])
	assert.EqualValues(t, 180, created["access_token_lifetime"])
	assert.Equal(t, []any{"https://api.example/tax"}, created["access_token_audience"])

	id := created["client_id"].(string)
	st, upd := call(http.MethodPatch, "/admin/api/clients/"+id, map[string]any{"access_token_lifetime": 3600})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_client_metadata", upd["error"])
	st, upd = call(http.MethodPatch, "/admin/api/clients/"+id, map[string]any{"access_token_format": "opaque",
		"access_token_lifetime": 0, "access_token_audience": nil})
	require.Equal(t, http.StatusOK, st, "%v", upd)
	assert.Equal(t, "opaque", upd["access_token_format"])
	assert.Nil(t, upd["access_token_audience"])
}

// adminCaller sends JSON to the admin API with the admin token and returns
// the status and the decoded JSON answer.
func adminCaller(t *testing.T, e *env) func(method, path string, body any) (int, map[string]any) {
	return func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var buf bytes.Buffer
		require.NoError(t, json.NewEncoder(&buf).Encode(body))
		req, _ := http.NewRequest(method, e.Server.URL+path, &buf)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp := must(e.Server.Client().Do(req))
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
}
