package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// PasskeyBackend is a store that also keeps passkeys.
type PasskeyBackend interface {
	accounts.Store
	accounts.PasskeyStore
}

// RunPasskeys runs the passkey part of the suite; newStore returns a fresh,
// empty store for each subtest.
func RunPasskeys(t *testing.T, newStore func(t *testing.T) PasskeyBackend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s PasskeyBackend)
	}{
		{"RoundTrip", testPasskeyRoundTrip},
		{"AddRollsBackOnError", testPasskeyAddRollsBack},
		{"SignCounter", testPasskeyCounter},
		{"ConcurrentUsesOfOneCountAcceptOne", testPasskeyConcurrentUse},
		{"Remove", testPasskeyRemove},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

var passkeyCounter atomic.Int64

// passkeyOf returns a passkey of accountID with a unique credential id.
func passkeyOf(accountID string, count uint32) accounts.Passkey {
	n := byte(passkeyCounter.Add(1))
	id := []byte{n, 0x70, 0x6b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	aaguid := []byte{0xad, 0xce, 0, 2, 0x35, 0xbc, 0xc6, 0x0a, 0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0, 0x55, 0x03}
	return accounts.Passkey{
		ID: id, AccountID: accountID, Name: "điện thoại", AAGUID: aaguid, Transports: []string{"internal", "hybrid"},
		SignCount: count, CreatedAt: base.In(time.FixedZone("ICT", 7*3600)),
		Credential: webauthn.Credential{ID: id, PublicKey: []byte{0xa5, 1, 2}, AttestationType: "none",
			Authenticator: webauthn.Authenticator{AAGUID: aaguid, SignCount: count}},
	}
}

func newAccount(t *testing.T, s PasskeyBackend) accounts.Record {
	t.Helper()
	r := Record()
	require.NoError(t, s.Create(t.Context(), r, nil))
	return r
}

func testPasskeyRoundTrip(t *testing.T, s PasskeyBackend) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	p := passkeyOf(a.ID, 3)
	require.NoError(t, s.AddPasskey(ctx, p, nil))
	later := passkeyOf(a.ID, 0)
	later.CreatedAt = base.Add(time.Minute)
	later.Transports, later.AAGUID = nil, nil
	require.NoError(t, s.AddPasskey(ctx, later, nil))

	got, err := s.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, p.ID, got[0].ID)
	require.Equal(t, a.ID, got[0].AccountID)
	require.Equal(t, "điện thoại", got[0].Name)
	require.Equal(t, p.AAGUID, got[0].AAGUID)
	require.Equal(t, []string{"internal", "hybrid"}, got[0].Transports)
	require.Equal(t, uint32(3), got[0].SignCount)
	require.Equal(t, uint32(3), got[0].Credential.Authenticator.SignCount)
	require.Equal(t, p.Credential.PublicKey, got[0].Credential.PublicKey)
	require.Equal(t, base, got[0].CreatedAt)
	require.Equal(t, time.UTC, got[0].CreatedAt.Location())
	require.Nil(t, got[0].LastUsedAt)
	require.Equal(t, later.ID, got[1].ID, "oldest first")
	require.Empty(t, got[1].Transports)

	none, err := s.Passkeys(ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, none)
	// A credential id belongs to one passkey, whoever adds it.
	dup := p
	dup.AccountID = b.ID
	require.ErrorIs(t, s.AddPasskey(ctx, dup, nil), accounts.ErrAlreadyExists)
}

func testPasskeyAddRollsBack(t *testing.T, s PasskeyBackend) {
	ctx := t.Context()
	a := newAccount(t, s)
	boom := errors.New("audit down")
	require.ErrorIs(t, s.AddPasskey(ctx, passkeyOf(a.ID, 0), func() error { return boom }), boom)
	got, err := s.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Empty(t, got)
}

func testPasskeyCounter(t *testing.T, s PasskeyBackend) {
	ctx := t.Context()
	a := newAccount(t, s)
	p, zero := passkeyOf(a.ID, 5), passkeyOf(a.ID, 0)
	require.NoError(t, s.AddPasskey(ctx, p, nil))
	require.NoError(t, s.AddPasskey(ctx, zero, nil))
	at := base.Add(time.Hour).In(time.FixedZone("ICT", 7*3600))

	require.ErrorIs(t, s.UsePasskey(ctx, p.ID, 5, at), accounts.ErrPasskeyFailed, "the same count")
	require.ErrorIs(t, s.UsePasskey(ctx, p.ID, 4, at), accounts.ErrPasskeyFailed, "a lower count")
	require.NoError(t, s.UsePasskey(ctx, p.ID, 6, at))
	// An authenticator that keeps no counter (always zero) passes, until
	// it reports one.
	require.NoError(t, s.UsePasskey(ctx, zero.ID, 0, at))
	require.NoError(t, s.UsePasskey(ctx, zero.ID, 0, at))
	require.ErrorIs(t, s.UsePasskey(ctx, []byte("unknown credential id"), 9, at), accounts.ErrNotFound)

	got, err := s.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(6), got[0].SignCount)
	require.NotNil(t, got[0].LastUsedAt)
	require.Equal(t, base.Add(time.Hour), *got[0].LastUsedAt)
	require.Equal(t, time.UTC, got[0].LastUsedAt.Location())
}

func testPasskeyConcurrentUse(t *testing.T, s PasskeyBackend) {
	ctx := t.Context()
	a := newAccount(t, s)
	p := passkeyOf(a.ID, 1)
	require.NoError(t, s.AddPasskey(ctx, p, nil))
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := s.UsePasskey(ctx, p.ID, 2, base)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, accounts.ErrPasskeyFailed):
				refused.Add(1)
			default:
				t.Errorf("use passkey: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), ok.Load(), "one answer, one use")
	require.Equal(t, int64(7), refused.Load())
}

func testPasskeyRemove(t *testing.T, s PasskeyBackend) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	p := passkeyOf(a.ID, 0)
	require.NoError(t, s.AddPasskey(ctx, p, nil))
	require.ErrorIs(t, s.RemovePasskey(ctx, b.ID, p.ID, nil), accounts.ErrNotFound, "another account's passkey")
	boom := errors.New("audit down")
	require.ErrorIs(t, s.RemovePasskey(ctx, a.ID, p.ID, func() error { return boom }), boom)
	got, err := s.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, got, 1, "rolled back")
	called := false
	require.NoError(t, s.RemovePasskey(ctx, a.ID, p.ID, func() error { called = true; return nil }))
	require.True(t, called)
	got, err = s.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Empty(t, got)
	require.ErrorIs(t, s.RemovePasskey(ctx, a.ID, p.ID, nil), accounts.ErrNotFound)
}
