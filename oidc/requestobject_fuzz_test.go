package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// FuzzRequestObjectParams signs arbitrary payloads as request objects of a
// client (RFC 9101) and feeds arbitrary strings as unsigned ones: nothing
// panics, nothing unsigned or signed by another key is accepted, and an
// accepted object yields parameters for this client only, with no JWT claim
// and no nested request among them.
func FuzzRequestObjectParams(f *testing.F) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	n := now.Unix()
	good := func(extra string) string {
		return `{"iss":"bank","aud":"https://id.example","client_id":"bank","nbf":` + itoa(n) + `,"exp":` + itoa(n+300) + extra + `}`
	}
	f.Add(good(`,"response_type":"code","scope":"openid","state":"s","max_age":60,"claims":{"id_token":{"name":null}}`), "")
	f.Add(good(`,"scope":["openid","profile"],"prompt":true,"x":1.5e3`), "eyJhbGciOiJub25lIn0.e30.")
	f.Add(good(`,"request_uri":"urn:ietf:params:oauth:request_uri:x"`), "a.b.c")
	f.Add(good(`,"request":"a.b.c","client_id":"other"`), "a.b.c.d.e")
	f.Add(`{"iss":"bank","aud":["https://id.example"],"exp":1e300,"nbf":-1}`, "...")
	f.Add(`{"iss":"bank","aud":"https://id.example","exp":"tomorrow"}`, "")
	f.Add(`[1,2]`, "e30")
	f.Add(good(`,"":"x","a\u0000":"y","n":null`), "")

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Use: "sig"}}})
	client := &oidc.Client{ID: "bank", Profile: oidc.ProfileFAPI2, JWKS: set}
	v := &oidc.RequestObjects{Issuer: "https://id.example", Now: func() time.Time { return now }}
	sign := func(k *ecdsa.PrivateKey, payload string) string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "k1"}}, nil)
		obj, _ := s.Sign([]byte(payload))
		out, _ := obj.CompactSerialize()
		return out
	}
	var accepted atomic.Int32
	f.Cleanup(func() {
		if !f.Failed() && accepted.Load() == 0 {
			f.Error("no seed was accepted: the properties were never checked")
		}
	})
	f.Fuzz(func(t *testing.T, payload, raw string) {
		if _, err := v.Verify(t.Context(), raw, client); err == nil {
			t.Fatalf("an arbitrary string was accepted: %q", raw)
		}
		if _, err := v.Verify(t.Context(), sign(other, payload), client); err == nil {
			t.Fatal("an object signed by another key was accepted")
		}
		form, err := v.Verify(t.Context(), sign(key, payload), client)
		if err != nil {
			return
		}
		accepted.Add(1)
		if form.Get("client_id") != "bank" || len(form["client_id"]) != 1 {
			t.Fatalf("client_id %q", form["client_id"])
		}
		for _, k := range []string{"iss", "aud", "exp", "nbf", "iat", "jti", "sub", "request", "request_uri"} {
			if form.Has(k) {
				t.Fatalf("%s among the parameters", k)
			}
		}
		if !strings.Contains(payload, `"nbf"`) {
			t.Fatal("a fapi2 object without nbf was accepted")
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
