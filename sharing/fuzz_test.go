package sharing_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/sharing"
)

// FuzzVerify feeds the verifier's parser arbitrary text: it must never
// panic, and whatever it accepts must be signed by the key and hold only
// disclosures whose digest the issuer signed.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	c, err := fx.svc.Issue(f.Context(), sharing.Request{AccountID: "acc-1", Level: 2,
		Claims: []string{"name", "address", "driving_licence"}, Challenge: "AB12CD"})
	if err != nil {
		f.Fatal(err)
	}
	keys, now := fx.signer.jwks(), fx.now.Add(time.Minute)
	issued, err := sharing.Verify(c.Token, keys, now, sharing.VerifyOptions{})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(c.Token, "~")
	f.Add(c.Token, "AB12CD")
	f.Add(c.Token, "")
	f.Add(parts[0]+"~"+parts[2]+"~", "")
	f.Add(parts[0]+"~"+parts[1]+"~"+parts[1]+"~", "")
	f.Add(parts[0]+"~", "x")
	f.Add("~~~", "")
	f.Add("a.b.c~WyJhIiwiYiIsImMiXQ~", "")
	f.Add(strings.ReplaceAll(c.Token, "~", "~~"), "")
	f.Fuzz(func(t *testing.T, token, challenge string) {
		v, err := sharing.Verify(token, keys, now, sharing.VerifyOptions{Challenge: challenge})
		if err != nil {
			return
		}
		// Accepted: the signed payload is the issuer's, and every disclosed
		// claim is one the issuer put in with its value (a tampered value
		// cannot pass).
		if v.JTI != c.JTI {
			t.Fatalf("accepted a credential the issuer never signed: %q", token)
		}
		for name, val := range v.Claims {
			want, ok := issued.Claims[name]
			if !ok {
				t.Fatalf("accepted an attribute the issuer never signed: %q", name)
			}
			if fmt.Sprint(val) != fmt.Sprint(want) {
				t.Fatalf("accepted %q = %v, issued %v", name, val, want)
			}
		}
	})
}
