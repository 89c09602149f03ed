package oidc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var acceptCases = []struct {
	accept string
	want   bool
}{
	{"", false},
	{"application/json", false},
	{"application/token-introspection+jwt", true},
	{"APPLICATION/Token-Introspection+JWT", true},
	{"application/token-introspection+jwt;q=0", false},
	{"application/token-introspection+jwt; q=0.5, application/json", false},
	{"application/json;q=0.5, application/token-introspection+jwt", true},
	{"application/json, application/token-introspection+jwt", true},
	{"application/token-introspection+jwt;q=0.9, */*;q=0.1", true},
	{"application/token-introspection+jwt;q=0.5, application/*", false},
	{"application/token-introspection+jwt;q=0.5, application/*;q=1, application/json;q=0.2", true},
	{"*/*", false},
	{"application/token-introspection+jwt;q=abc", false},
	{"application/token-introspection+jwt;q=NaN", false},
	{"application/token-introspection+jwt;q=2", false},
	{" application/token-introspection+jwt ; charset=utf-8 ", true},
	{",,;,application/token-introspection+jwt", true},
	{"application/jwt", false},
	{strings.Repeat(" ", maxAccept) + "application/token-introspection+jwt", false},
}

func TestWantsIntrospectionJWT(t *testing.T) {
	for _, tc := range acceptCases {
		assert.Equal(t, tc.want, WantsIntrospectionJWT(tc.accept), "%q", tc.accept)
	}
}

// FuzzWantsIntrospectionJWT: any Accept header is read without panicking,
// and a yes needs the media type to be named.
func FuzzWantsIntrospectionJWT(f *testing.F) {
	for _, tc := range acceptCases {
		f.Add(tc.accept)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if WantsIntrospectionJWT(accept) && !strings.Contains(strings.ToLower(accept), IntrospectionJWTType) {
			t.Fatalf("yes without the media type: %q", accept)
		}
	})
}
