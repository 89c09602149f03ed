package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Scopes and claims travel to the server as array literals: every element
// must come back as it went in (and the chain verify), whatever it holds.
func TestListsRoundTrip(t *testing.T) {
	e := newEnv(t, time.Now(), audit.Options{})
	cases := []struct {
		name           string
		scopes, claims []string
	}{
		{"none", nil, nil},
		{"empty lists", []string{}, []string{}},
		{"plain", []string{"openid", "profile"}, []string{"name", "birthdate"}},
		{"quote and backslash", []string{`a"b`, `c\d`, `\`, `"`, `\"`}, []string{`x\\y`}},
		{"separators", []string{"a,b", "{c}", "d e", " lead", "trail ", "a;b"}, []string{"}", "{", ","}},
		{"words the parser knows", []string{"NULL", "null", ""}, []string{"NULL"}},
		{"Vietnamese", []string{"giấy phép lái xe"}, []string{"họ_tên", "địa chỉ"}},
	}
	for i, c := range cases {
		ev := signIn("acc-lists", "portal", i)
		ev.Scopes, ev.Claims = c.scopes, c.claims
		require.NoError(t, e.log.Record(t.Context(), ev), c.name)
	}
	rep := e.requireIntact(t)
	require.Equal(t, int64(len(cases)), rep.Events)
	i := 0
	for entry, err := range e.store.Entries(t.Context(), 1, int64(len(cases))) {
		require.NoError(t, err)
		c := cases[i]
		require.Equal(t, len(c.scopes), len(entry.Scopes), c.name)
		require.Equal(t, len(c.claims), len(entry.Claims), c.name)
		for j := range c.scopes {
			require.Equal(t, c.scopes[j], entry.Scopes[j], c.name)
		}
		for j := range c.claims {
			require.Equal(t, c.claims[j], entry.Claims[j], c.name)
		}
		i++
	}
	require.Equal(t, len(cases), i)
}
