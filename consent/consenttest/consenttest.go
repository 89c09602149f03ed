// Package consenttest has the test doubles the consent packages' tests
// share: a clock they move by hand, an ES256 signer standing in for the
// OIDC key service, and a token revoker that remembers what it revoked.
// They are doubles of collaborators, not of consent.Store: stores are
// tested against real PostgreSQL (consent/storetest).
package consenttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/testclock"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
)

// Clock is a clock that moves only when told to.
type Clock = testclock.Clock

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return testclock.New(t) }

// KeyID is the kid of the tokens Signer signs.
const KeyID = "k1"

// Signer signs with an ES256 key and kid KeyID, as the OIDC key service
// does (consent.Signer, backchannel's signer).
type Signer struct{ Key *ecdsa.PrivateKey }

// NewSigner returns a Signer with a fresh P-256 key.
func NewSigner(t testing.TB) Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return Signer{Key: key}
}

// Sign signs claims as a compact JWT with typ.
func (s Signer) Sign(_ context.Context, claims map[string]any, typ string) (string, error) {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.Key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", KeyID))
	if err != nil {
		return "", err
	}
	return jwt.Signed(sig).Claims(claims).Serialize()
}

// Tokens is a consent.TokenRevoker that records "account/client" for each
// revocation.
type Tokens struct {
	mu      sync.Mutex
	revoked []string
}

// RevokeClientTokens implements consent.TokenRevoker.
func (k *Tokens) RevokeClientTokens(_ context.Context, accountID, clientID string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.revoked = append(k.revoked, accountID+"/"+clientID)
	return nil
}

// Revoked returns what was revoked, oldest first.
func (k *Tokens) Revoked() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.revoked)
}
