package web

import (
	"strings"
	"testing"
)

// FuzzChooseReturnTo feeds the choice page's return_to (from the browser)
// to its parser: whatever it accepts is an authorization request on this
// server naming a client, so the redirect after the choice cannot leave
// the gateway.
func FuzzChooseReturnTo(f *testing.F) {
	for _, s := range []string{
		"/authorize?client_id=demo-portal&scope=openid+act_for_dependent&state=x",
		"/authorize?client_id=demo-portal&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc",
		"//evil.example/authorize?client_id=x", "https://evil.example/authorize?client_id=x",
		"/authorize?", "/authorize?client_id=", "/authorize?client_id=%zz", "/authorizex?client_id=a",
		"/authorize?client_id=a;b=c", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, returnTo string) {
		q, ok := returnRequest(returnTo)
		if !ok {
			return
		}
		if !strings.HasPrefix(returnTo, "/authorize?") {
			t.Fatalf("accepted %q outside /authorize", returnTo)
		}
		if q.Get("client_id") == "" {
			t.Fatalf("accepted %q without a client_id", returnTo)
		}
	})
}
