package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkSealJWE: the cost of encrypting a 1 KiB signed ID token to a
// client's key, per algorithm pair (the extra work of an encrypted token
// or userinfo response once the key is cached).
func BenchmarkSealJWE(b *testing.B) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	payload := []byte(strings.Repeat("x", 1024))
	for _, alg := range EncryptionAlgs {
		key := jose.JSONWebKey{Key: ek.Public(), KeyID: "ec"}
		if alg == RSAOAEP256 {
			key = jose.JSONWebKey{Key: rk.Public(), KeyID: "rsa"}
		}
		for _, enc := range EncryptionEncs {
			b.Run(alg+"/"+enc, func(b *testing.B) {
				for b.Loop() {
					if _, err := sealJWE(key, alg, enc, payload, "JWT"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
