// Package josetest makes JOSE objects no honest client would make, for
// tests of the gateway's refusals: any header, any claims, any key.
package josetest

import (
	"crypto"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// SignRaw signs claims, as JSON, with key under alg and the header
// parameters hdr (typ, jwk, kid...), in compact serialization.
func SignRaw(t testing.TB, key any, alg jose.SignatureAlgorithm, hdr, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{}}
	for k, v := range hdr {
		opts.ExtraHeaders[jose.HeaderKey(k)] = v
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("josetest: signer: %v", err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("josetest: claims: %v", err)
	}
	o, err := s.Sign(b)
	if err != nil {
		t.Fatalf("josetest: sign: %v", err)
	}
	out, err := o.CompactSerialize()
	if err != nil {
		t.Fatalf("josetest: serialize: %v", err)
	}
	return out
}

// JWKMaps are key's public and private JWKs as JSON objects, to put into
// a header as they are or altered.
func JWKMaps(t testing.TB, key crypto.Signer) (pub, priv map[string]any) {
	t.Helper()
	return jwkMap(t, key.Public()), jwkMap(t, key)
}

func jwkMap(t testing.TB, key any) map[string]any {
	b, err := json.Marshal(jose.JSONWebKey{Key: key})
	if err != nil {
		t.Fatalf("josetest: jwk: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("josetest: jwk: %v", err)
	}
	return m
}
