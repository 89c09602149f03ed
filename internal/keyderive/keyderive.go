// Package keyderive derives purpose-bound keys from root secrets, so that a
// deployment keeps a few root secrets and every use (TOTP sealing, SMS code
// hashing, signing-key encryption, token HMAC) gets its own key.
//
// It is ground floor: it imports only the standard library. The derivation
// must never change, or data sealed under derived keys becomes unreadable.
package keyderive

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Key derives a purpose-bound 32-byte key from a root secret with
// HMAC-SHA-256 over "dinhdanh/" + purpose.
func Key(root []byte, purpose string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte("dinhdanh/" + purpose))
	return m.Sum(nil)
}
