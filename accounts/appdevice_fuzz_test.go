package accounts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// FuzzParseDevice feeds the app's device key (a JWK) and proof (a compact
// JWS) to their parsers: they never panic, refuse with ErrDeviceKey or
// ErrDeviceSignature only, and a key they accept is a P-256 public key
// whose id is a 43-character thumbprint. Seeds: testdata/fuzz/FuzzParseDevice.
func FuzzParseDevice(f *testing.F) {
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`),
		"eyJhbGciOiJFUzI1NiJ9.eyJjaGFsbGVuZ2UiOiJ4IiwiaWF0IjoxfQ.AAAA")
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, jwk []byte, proof string) {
		k, err := accounts.ParseDeviceKey(jwk)
		if err != nil {
			if !errors.Is(err, accounts.ErrDeviceKey) {
				t.Fatalf("key refused with %v", err)
			}
			return
		}
		if len(k.ID) != 43 {
			t.Fatalf("thumbprint %q", k.ID)
		}
		again, err := accounts.ParseDeviceKey(k.JWK)
		if err != nil || again.ID != k.ID {
			t.Fatalf("the stored JWK does not parse back to the same key: %v", err)
		}
		if _, err := k.VerifyDeviceProof(proof, now); err != nil && !errors.Is(err, accounts.ErrDeviceSignature) {
			t.Fatalf("proof refused with %v", err)
		}
	})
}
