package oidc_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// switchableAudit records in memory, or fails when told to.
type switchableAudit struct {
	fail   atomic.Bool
	events atomic.Int64
}

func (a *switchableAudit) Record(context.Context, audit.Event) error {
	if a.fail.Load() {
		return errors.New("audit store unavailable")
	}
	a.events.Add(1)
	return nil
}

// TestClientChangesAreAuditedOrNotMade: a registry change whose audit event
// cannot be written does not happen. In particular a secret rotation that
// fails leaves the old secret working (before, the new secret was stored
// and the call failed, so nobody knew the secret any more).
func TestClientChangesAreAuditedOrNotMade(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	hasher, err := oidc.NewSecretHasher([]byte("pepper-pepper-pepper-pepper-0123"))
	require.NoError(t, err)
	rec := &switchableAudit{}
	cs := &oidc.Clients{Store: store, Hasher: hasher, Audit: rec}
	reg := oidc.Client{ID: "portal", Name: oidc.Text{VI: "Cổng"}, RedirectURIs: []string{"https://portal.example/cb"}}

	_, secret, err := cs.Create(ctx, "op-1", reg)
	require.NoError(t, err)
	require.EqualValues(t, 1, rec.events.Load())

	rec.fail.Store(true)
	_, err = cs.RotateSecret(ctx, "op-1", "portal")
	require.Error(t, err)
	stored, err := store.LoadClient(ctx, "portal")
	require.NoError(t, err)
	require.NoError(t, hasher.Compare(ctx, stored.SecretHash, []byte(secret)), "the old secret still works")

	_, err = cs.Update(ctx, "op-1", "portal", func(c *oidc.Client) error { c.Name.VI = "Đổi tên"; return nil })
	require.Error(t, err)
	got, err := cs.Get(ctx, "portal")
	require.NoError(t, err)
	require.Equal(t, "Cổng", got.Name.VI, "unchanged")

	_, err = cs.Disable(ctx, "op-1", "portal")
	require.Error(t, err)
	got, err = cs.Get(ctx, "portal")
	require.NoError(t, err)
	require.False(t, got.Disabled)

	other := reg
	other.ID = "bank"
	_, _, err = cs.Create(ctx, "op-1", other)
	require.Error(t, err)
	_, err = cs.Get(ctx, "bank")
	require.ErrorIs(t, err, oidc.ErrNotFound, "no unaudited client, no client whose secret nobody saw")

	// With the audit back, everything goes through.
	rec.fail.Store(false)
	_, _, err = cs.Create(ctx, "op-1", other)
	require.NoError(t, err)
	newSecret, err := cs.RotateSecret(ctx, "op-1", "portal")
	require.NoError(t, err)
	stored, err = store.LoadClient(ctx, "portal")
	require.NoError(t, err)
	require.NoError(t, hasher.Compare(ctx, stored.SecretHash, []byte(newSecret)))
	require.Error(t, hasher.Compare(ctx, stored.SecretHash, []byte(secret)))
}

// TestVerifyTypeKeepsTokenKindsApart: ID tokens, logout tokens and consent
// receipts share the signing keys; VerifyType tells them apart.
func TestVerifyTypeKeepsTokenKindsApart(t *testing.T) {
	db := pgtest.New(t)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	keys, err := oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: store, EncryptionKey: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	idt, err := keys.Sign(oidc.ES256, map[string]any{"x": 1})
	require.NoError(t, err)
	receipt, err := keys.SignType(oidc.ES256, "consent-receipt+jwt", map[string]any{"x": 1})
	require.NoError(t, err)

	_, err = keys.VerifyType(idt, "JWT")
	require.NoError(t, err)
	_, err = keys.VerifyType(receipt, "JWT")
	require.Error(t, err)
	_, err = keys.VerifyType(receipt, "consent-receipt+jwt")
	require.NoError(t, err)
	_, err = keys.VerifyType(idt, "logout+jwt")
	require.Error(t, err)
	_, err = keys.Verify(receipt)
	require.NoError(t, err, "Verify checks the signature only")
}
