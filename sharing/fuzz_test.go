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

// FuzzVerifyCompact feeds the compact form's parser (base45, DEFLATE,
// lengths, JWS, payload) arbitrary text: it must never panic, and whatever
// it accepts must be the credential the issuer signed, value for value.
func FuzzVerifyCompact(f *testing.F) {
	fx := newFixture(f)
	c, err := fx.svc.Issue(f.Context(), sharing.Request{AccountID: "acc-1", Level: 2,
		Claims: []string{"name", "address", "driving_licence"}, Challenge: "AB12CD", Format: sharing.FormatCompact})
	if err != nil {
		f.Fatal(err)
	}
	keys, now := fx.signer.jwks(), fx.now.Add(time.Minute)
	issued, err := sharing.VerifyCompact(c.Token, keys, now, sharing.VerifyOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Token, "AB12CD")
	f.Add(c.Token, "")
	f.Add(c.Token[:len(c.Token)/2], "")
	f.Add(sharing.CompactPrefix, "")
	f.Add(sharing.CompactPrefix+"GGW", "")
	f.Add(strings.Replace(c.Token, "0", "1", 1), "")
	f.Fuzz(func(t *testing.T, token, challenge string) {
		v, err := sharing.VerifyCompact(token, keys, now, sharing.VerifyOptions{Challenge: challenge})
		if err != nil {
			return
		}
		if v.JTI != c.JTI {
			t.Fatalf("accepted a credential the issuer never signed: %q", token)
		}
		if fmt.Sprint(v.Claims) != fmt.Sprint(issued.Claims) {
			t.Fatalf("accepted %v, issued %v", v.Claims, issued.Claims)
		}
	})
}

// FuzzBase45 checks that decoding never panics and that what decodes
// encodes back to the same text.
func FuzzBase45(f *testing.F) {
	for _, s := range []string{"", "BB8", "%69 VD92EX0", "GGW", "A", "::::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := sharing.Base45Decode(s)
		if err != nil {
			return
		}
		if got := sharing.Base45Encode(b); got != s {
			t.Fatalf("%q decodes to %x, which encodes to %q", s, b, got)
		}
	})
}
