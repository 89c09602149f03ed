package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"github.com/ory/fosite"
)

// SecretHasher hashes client secrets as HMAC-SHA-256 under a server pepper.
// Secrets are 32 random bytes, so a slow password hash (fosite's default
// bcrypt) buys nothing and costs the token endpoint milliseconds per call.
type SecretHasher struct {
	pepper []byte
}

var _ fosite.Hasher = (*SecretHasher)(nil)

// NewSecretHasher returns a hasher keyed with pepper (at least 32 bytes).
func NewSecretHasher(pepper []byte) (*SecretHasher, error) {
	if len(pepper) < 32 {
		return nil, errors.New("oidc: secret pepper must be at least 32 bytes")
	}
	return &SecretHasher{pepper: append([]byte(nil), pepper...)}, nil
}

// Hash implements fosite.Hasher.
func (h *SecretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	m := hmac.New(sha256.New, h.pepper)
	m.Write(data)
	return m.Sum(nil), nil
}

// Compare implements fosite.Hasher in constant time.
func (h *SecretHasher) Compare(ctx context.Context, hash, data []byte) error {
	got, _ := h.Hash(ctx, data)
	if len(hash) == 0 || !hmac.Equal(hash, got) {
		return errors.New("oidc: client secret mismatch")
	}
	return nil
}

// NewSecret returns a fresh client secret: 32 random bytes, base64url.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
