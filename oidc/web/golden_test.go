package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares v, as indented JSON, with testdata/name; -update rewrites
// the file instead (review the diff before committing it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	got := buf.Bytes()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./oidc/web -run Golden -update to create %s", path)
	require.Equal(t, string(want), string(got), "%s changed; if on purpose, rerun with -update and review the diff", path)
}

// kidRe is a key id: the algorithm and a hash of the public key.
var kidRe = regexp.MustCompile(`^(es256|rs256)-[A-Za-z0-9_-]{16}$`)

// normalKID keeps a kid's algorithm prefix and hides its hash.
func normalKID(t *testing.T, kid string) string {
	t.Helper()
	m := kidRe.FindStringSubmatch(kid)
	require.NotNil(t, m, "kid %q is <alg>-<16 base64url characters>", kid)
	return m[1] + "-<hash>"
}

// normalise replaces, in every string of v, the server's URL (random
// port) with https://issuer.example.
func normalise(v any, issuer string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, issuer, "https://issuer.example")
	case []any:
		for i := range x {
			x[i] = normalise(x[i], issuer)
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k], issuer)
		}
	}
	return v
}

// TestGoldenDiscovery pins the discovery document.
func TestGoldenDiscovery(t *testing.T) {
	e := newEnv(t)
	resp, body := e.Visit(http.DefaultClient, e.Server.URL+oidc.PathDiscovery)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	golden(t, "discovery.json", normalise(doc, e.Server.URL))
}

// TestGoldenJWKSShape pins the shape of the published key set: per key its
// type, curve, algorithm, use, kid form and member names, never the key
// material.
func TestGoldenJWKSShape(t *testing.T) {
	e := newEnv(t)
	resp, body := e.Visit(http.DefaultClient, e.Server.URL+oidc.PathJWKS)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	type shape struct {
		KTY     string   `json:"kty"`
		CRV     string   `json:"crv,omitempty"`
		Alg     string   `json:"alg"`
		Use     string   `json:"use"`
		KID     string   `json:"kid"`
		Members []string `json:"members"`
	}
	var shapes []shape
	for _, k := range set.Keys {
		s := shape{KID: normalKID(t, k["kid"].(string))}
		s.KTY, _ = k["kty"].(string)
		s.CRV, _ = k["crv"].(string)
		s.Alg, _ = k["alg"].(string)
		s.Use, _ = k["use"].(string)
		for m := range k {
			s.Members = append(s.Members, m)
		}
		slices.Sort(s.Members)
		shapes = append(shapes, s)
	}
	slices.SortFunc(shapes, func(a, b shape) int { return strings.Compare(a.Alg, b.Alg) })
	golden(t, "jwks_shape.json", map[string]any{"keys": shapes})
}

// TestGoldenIDToken pins the ID token of a level 2 sign-in of a client
// asking for profile, personal_id and address: its header and its claims,
// volatile values replaced by placeholders.
func TestGoldenIDToken(t *testing.T) {
	e := newEnv(t)
	c := e.citizen(2)
	e.signInAs(c, 2)
	scopes := []string{"openid", "profile", "personal_id", "address"}
	reg := e.Register(oidc.Client{Scopes: scopes})
	r := e.RP(reg, scopes...)
	tests := []struct {
		name, file string
		opts       []oauth2.AuthCodeOption
	}{
		{"scopes only", "id_token.json", nil},
		{"claims request", "id_token_claims_request.json", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("claims",
			`{"id_token":{"name":null,"birthdate":null,"gender":null,"personal_id_number":{"essential":true},"address":null}}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := r.Login(e.Browser(), append([]oauth2.AuthCodeOption{oauth2.SetAuthURLParam("acr_values", assurance.ACR2)}, tc.opts...)...)

			head, _, _ := strings.Cut(f.RawID, ".")
			var header map[string]any
			require.NoError(t, json.Unmarshal(must(base64.RawURLEncoding.DecodeString(head)), &header))
			header["kid"] = normalKID(t, header["kid"].(string))

			claims := f.Claims
			require.Equal(t, e.Server.URL, claims["iss"])
			require.Equal(t, f.IDToken.Subject, claims["sub"])
			require.Equal(t, f.Nonce, claims["nonce"])
			require.Equal(t, []string{reg.ID}, f.IDToken.Audience)
			switch aud := claims["aud"].(type) { // keep its JSON form
			case string:
				claims["aud"] = "<client_id>"
			case []any:
				claims["aud"] = slices.Repeat([]any{"<client_id>"}, len(aud))
			}
			if v, ok := claims["personal_id_number"]; ok {
				require.Equal(t, c.PersonalID, v)
				claims["personal_id_number"] = "<personal_id>"
			}
			for _, name := range []string{"iat", "exp", "auth_time", "rat", "sid", "nonce", "at_hash", "sub", "jti"} {
				if _, ok := claims[name]; ok {
					claims[name] = "<" + name + ">"
				}
			}
			golden(t, tc.file, normalise(map[string]any{"header": header, "claims": claims}, e.Server.URL))
		})
	}
}
