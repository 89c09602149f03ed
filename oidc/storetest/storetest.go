// Package storetest is the conformance suite of oidc's storage contracts:
// fosite's storage interfaces (handler/oauth2/storage.go,
// handler/openid/storage.go, handler/pkce/storage.go, PAR, client assertions,
// storage.Transactional), the relying-party registry and the key store.
// Every implementation, and every fake a test might use, must pass Run.
package storetest

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// Store is what the suite exercises.
type Store interface {
	oidc.Store
	oidc.ClientStore
	oidc.KeyStore
	oidc.ChallengeStore
}

// Run runs the suite; newStore must return a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Clients", testClients},
		{"AuthorizeCode", testAuthorizeCode},
		{"AuthorizeCodeRedeemedOnceConcurrently", testCodeConcurrent},
		{"AccessToken", testAccessToken},
		{"ClientChangesSeenAtOnce", testClientChanges},
		{"RefreshRotationAndReuse", testRefresh},
		{"PKCEAndOpenIDSessions", testPKCEAndOIDC},
		{"PAR", testPAR},
		{"ClientAssertionJTI", testJTI},
		{"DPoPProofJTI", testDPoPJTI},
		{"RevokedJTI", testRevokedJTI},
		{"Transactions", testTransactions},
		{"DisabledClientKillsTokens", testDisabledClient},
		{"RevokeAccountAndExpiry", testRevokeAccount},
		{"RevokeClientTokens", testRevokeClientTokens},
		{"ConsentChallenges", testChallenges},
		{"Keys", testKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func newClient(t *testing.T, s Store, id string) *oidc.Client {
	t.Helper()
	c := oidc.Client{ID: id, Name: oidc.Text{VI: "Dịch vụ công", EN: "Public service"}, Kind: oidc.KindPublicService,
		RedirectURIs: []string{"https://rp.example/cb"}, Scopes: []string{"openid", "profile"},
		SecretHash: []byte("hash"), CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	c.Normalize()
	require.NoError(t, c.Validate())
	require.NoError(t, s.CreateClient(t.Context(), c))
	return &c
}

func newRequest(c *oidc.Client, account string) *fosite.AuthorizeRequest {
	sess := oidc.NewSession()
	sess.Subject = "sub-" + account
	sess.AccountID = account
	sess.Level = 2
	sess.UserinfoClaims = []string{"name"}
	sess.Claims.AuthTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sess.Claims.Extra["sid"] = "sid-1"
	sess.SetExpiresAt(fosite.AccessToken, time.Now().Add(time.Hour))
	sess.SetExpiresAt(fosite.RefreshToken, time.Now().Add(24*time.Hour))
	sess.SetExpiresAt(fosite.AuthorizeCode, time.Now().Add(time.Minute))
	loc := time.FixedZone("ICT", 7*3600)
	ar := fosite.NewAuthorizeRequest()
	ar.ID = uuid.NewString()
	ar.RequestedAt = time.Now().In(loc).Truncate(time.Microsecond)
	ar.Client = c
	ar.RequestedScope = fosite.Arguments{"openid", "profile"}
	ar.GrantedScope = fosite.Arguments{"openid", "profile"}
	ar.Form = url.Values{"nonce": {"n-0123456789"}, "client_secret": {"never-stored"}}
	ar.Session = sess
	ar.RedirectURI, _ = url.Parse("https://rp.example/cb")
	ar.State = "state-0123456789"
	ar.ResponseTypes = fosite.Arguments{"code"}
	return ar
}

func checkSame(t *testing.T, want *fosite.AuthorizeRequest, got fosite.Requester) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.ID, got.GetID())
	assert.True(t, want.RequestedAt.Equal(got.GetRequestedAt()), "requested_at survives time zones: %v vs %v", want.RequestedAt, got.GetRequestedAt())
	assert.Equal(t, want.Client.GetID(), got.GetClient().GetID())
	assert.Equal(t, []string(want.GrantedScope), []string(got.GetGrantedScopes()))
	assert.Equal(t, "n-0123456789", got.GetRequestForm().Get("nonce"))
	assert.Empty(t, got.GetRequestForm().Get("client_secret"), "secrets are not stored")
	sess, ok := got.GetSession().(*oidc.Session)
	require.True(t, ok, "session type %T", got.GetSession())
	ws := want.Session.(*oidc.Session)
	assert.Equal(t, ws.AccountID, sess.AccountID)
	assert.Equal(t, ws.Subject, sess.Subject)
	assert.Equal(t, assurance.Level2, sess.Level)
	assert.Equal(t, []string{"name"}, sess.UserinfoClaims)
	assert.Equal(t, "sid-1", sess.SID())
	assert.True(t, ws.Claims.AuthTime.Equal(sess.AuthTime()))
	assert.WithinDuration(t, ws.GetExpiresAt(fosite.AccessToken), sess.GetExpiresAt(fosite.AccessToken), time.Second)
}

func testClients(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp-1")
	err := s.CreateClient(ctx, *c)
	require.ErrorIs(t, err, oidc.ErrAlreadyExists)
	_, err = s.LoadClient(ctx, "nobody")
	require.ErrorIs(t, err, oidc.ErrNotFound)
	_, err = s.GetClient(ctx, "nobody")
	require.ErrorIs(t, err, fosite.ErrNotFound)

	got, err := s.GetClient(ctx, "rp-1")
	require.NoError(t, err)
	require.Equal(t, []byte("hash"), got.GetHashedSecret())
	require.Equal(t, []string{"https://rp.example/cb"}, got.GetRedirectURIs())

	up, err := s.UpdateClient(ctx, "rp-1", func(c *oidc.Client) error { c.Name.EN = "Renamed"; return nil })
	require.NoError(t, err)
	require.Equal(t, "Renamed", up.Name.EN)
	_, err = s.UpdateClient(ctx, "rp-1", func(c *oidc.Client) error { return oidc.ErrInvalidClient })
	require.ErrorIs(t, err, oidc.ErrInvalidClient)
	_, err = s.UpdateClient(ctx, "nobody", func(c *oidc.Client) error { return nil })
	require.ErrorIs(t, err, oidc.ErrNotFound)

	_, err = s.UpdateClient(ctx, "rp-1", func(c *oidc.Client) error { c.Disabled = true; return nil })
	require.NoError(t, err)
	_, err = s.GetClient(ctx, "rp-1")
	require.ErrorIs(t, err, fosite.ErrNotFound, "disabled clients are not found by fosite")
	loaded, err := s.LoadClient(ctx, "rp-1")
	require.NoError(t, err)
	require.True(t, loaded.Disabled)
	newClient(t, s, "rp-0")
	list, err := s.ListClients(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "rp-0", list[0].ID)
}

func testAuthorizeCode(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	ar := newRequest(c, "acct-1")
	require.NoError(t, s.CreateAuthorizeCodeSession(ctx, "code-sig", ar))
	got, err := s.GetAuthorizeCodeSession(ctx, "code-sig", oidc.NewSession())
	require.NoError(t, err)
	checkSame(t, ar, got)

	_, err = s.GetAuthorizeCodeSession(ctx, "missing", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)

	require.NoError(t, s.InvalidateAuthorizeCodeSession(ctx, "code-sig"))
	got, err = s.GetAuthorizeCodeSession(ctx, "code-sig", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrInvalidatedAuthorizeCode)
	require.NotNil(t, got, "an invalidated code still returns its request")
	require.Equal(t, ar.ID, got.GetID())
	require.Error(t, s.InvalidateAuthorizeCodeSession(ctx, "code-sig"), "a code is invalidated once")
}

func testCodeConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	require.NoError(t, s.CreateAuthorizeCodeSession(ctx, "code-sig", newRequest(c, "a")))
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if s.InvalidateAuthorizeCodeSession(ctx, "code-sig") == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, ok.Load())
}

func testAccessToken(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	ar := newRequest(c, "acct")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-sig", ar))
	got, err := s.GetAccessTokenSession(ctx, "at-sig", oidc.NewSession())
	require.NoError(t, err)
	checkSame(t, ar, got)
	require.NoError(t, s.DeleteAccessTokenSession(ctx, "at-sig"))
	_, err = s.GetAccessTokenSession(ctx, "at-sig", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	require.ErrorIs(t, s.DeleteAccessTokenSession(ctx, "at-sig"), fosite.ErrNotFound)

	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-2", ar))
	require.NoError(t, s.RevokeAccessToken(ctx, ar.ID))
	_, err = s.GetAccessTokenSession(ctx, "at-2", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
}

// A store may keep decoded clients (oidc/postgres does): a changed client
// is still seen by the next read, through GetClient and through a token,
// and what one caller does to the client it got never reaches another.
func testClientChanges(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp-change")
	ar := newRequest(c, "acct")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-change", ar))
	for range 2 { // the second read may come from a cache
		got, err := s.GetClient(ctx, "rp-change")
		require.NoError(t, err)
		got.(*oidc.Client).RedirectURIs[0] = "https://evil.example/cb"
		got.(*oidc.Client).Scopes = append(got.(*oidc.Client).Scopes[:0], "changed-by-a-caller")
		tok, err := s.GetAccessTokenSession(ctx, "at-change", oidc.NewSession())
		require.NoError(t, err)
		tok.GetClient().(*oidc.Client).RedirectURIs[0] = "https://evil.example/cb"
	}
	got, err := s.GetClient(ctx, "rp-change")
	require.NoError(t, err)
	require.Equal(t, []string{"https://rp.example/cb"}, got.GetRedirectURIs())
	require.Equal(t, []string{"openid", "profile"}, []string(got.GetScopes()))

	_, err = s.UpdateClient(ctx, "rp-change", func(c *oidc.Client) error {
		c.RedirectURIs = []string{"https://rp.example/new"}
		c.SecretHash = []byte("new-hash")
		return nil
	})
	require.NoError(t, err)
	got, err = s.GetClient(ctx, "rp-change")
	require.NoError(t, err)
	require.Equal(t, []string{"https://rp.example/new"}, got.GetRedirectURIs())
	require.Equal(t, []byte("new-hash"), got.GetHashedSecret())
	tok, err := s.GetAccessTokenSession(ctx, "at-change", oidc.NewSession())
	require.NoError(t, err)
	require.Equal(t, []string{"https://rp.example/new"}, tok.GetClient().GetRedirectURIs())
}

func testRefresh(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	ar := newRequest(c, "acct")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-1", ar))
	require.NoError(t, s.CreateRefreshTokenSession(ctx, "rt-1", "at-1", ar))
	got, err := s.GetRefreshTokenSession(ctx, "rt-1", oidc.NewSession())
	require.NoError(t, err)
	checkSame(t, ar, got)

	// Rotation: rt-1 becomes inactive, its access token goes.
	require.NoError(t, s.RotateRefreshToken(ctx, ar.ID, "rt-1"))
	got, err = s.GetRefreshTokenSession(ctx, "rt-1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrInactiveToken)
	require.NotNil(t, got, "an inactive refresh token returns its request for reuse handling")
	_, err = s.GetAccessTokenSession(ctx, "at-1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	require.Error(t, s.RotateRefreshToken(ctx, ar.ID, "rt-1"), "a refresh token rotates once")

	// The family's next token; reuse of rt-1 revokes the family.
	require.NoError(t, s.CreateRefreshTokenSession(ctx, "rt-2", "at-2", ar))
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-2", ar))
	require.NoError(t, s.RevokeRefreshToken(ctx, ar.ID))
	require.NoError(t, s.RevokeAccessToken(ctx, ar.ID))
	_, err = s.GetRefreshTokenSession(ctx, "rt-2", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrInactiveToken)
	_, err = s.GetAccessTokenSession(ctx, "at-2", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)

	require.NoError(t, s.DeleteRefreshTokenSession(ctx, "rt-1"))
	_, err = s.GetRefreshTokenSession(ctx, "rt-1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	require.NoError(t, s.RevokeRefreshToken(ctx, "unknown-request"), "revoking nothing is fine")
}

func testPKCEAndOIDC(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	ar := newRequest(c, "acct")
	ar.Form.Set("code_challenge", "abc")
	require.NoError(t, s.CreatePKCERequestSession(ctx, "sig", ar))
	require.NoError(t, s.CreateOpenIDConnectSession(ctx, "sig", ar))
	got, err := s.GetPKCERequestSession(ctx, "sig", oidc.NewSession())
	require.NoError(t, err)
	require.Equal(t, "abc", got.GetRequestForm().Get("code_challenge"))
	got, err = s.GetOpenIDConnectSession(ctx, "sig", ar)
	require.NoError(t, err)
	checkSame(t, ar, got)
	require.NoError(t, s.DeletePKCERequestSession(ctx, "sig"))
	require.NoError(t, s.DeleteOpenIDConnectSession(ctx, "sig"))
	_, err = s.GetPKCERequestSession(ctx, "sig", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = s.GetOpenIDConnectSession(ctx, "sig", ar)
	require.ErrorIs(t, err, fosite.ErrNotFound)
}

func testPAR(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	ar := newRequest(c, "")
	ar.Session.SetExpiresAt(fosite.PushedAuthorizeRequestContext, time.Now().Add(time.Minute))
	uri := oidc.PARPrefix + "abc"
	require.NoError(t, s.CreatePARSession(ctx, uri, ar))
	got, err := s.GetPARSession(ctx, uri)
	require.NoError(t, err)
	require.Equal(t, "https://rp.example/cb", got.GetRedirectURI().String())
	require.Equal(t, "state-0123456789", got.GetState())
	require.Equal(t, fosite.Arguments{"code"}, got.GetResponseTypes())
	require.Equal(t, "rp", got.GetClient().GetID())
	require.NoError(t, s.DeletePARSession(ctx, uri))
	_, err = s.GetPARSession(ctx, uri)
	require.ErrorIs(t, err, fosite.ErrNotFound)

	old := newRequest(c, "")
	old.Session.SetExpiresAt(fosite.PushedAuthorizeRequestContext, time.Now().Add(-time.Second))
	require.NoError(t, s.CreatePARSession(ctx, uri+"old", old))
	_, err = s.GetPARSession(ctx, uri+"old")
	require.ErrorIs(t, err, fosite.ErrNotFound, "expired PAR requests are gone")
}

func testJTI(t *testing.T, s Store) {
	ctx := t.Context()
	require.NoError(t, s.ClientAssertionJWTValid(ctx, "jti-1"))
	require.NoError(t, s.SetClientAssertionJWT(ctx, "jti-1", time.Now().Add(time.Minute)))
	require.ErrorIs(t, s.ClientAssertionJWTValid(ctx, "jti-1"), fosite.ErrJTIKnown)
	require.ErrorIs(t, s.SetClientAssertionJWT(ctx, "jti-1", time.Now().Add(time.Minute)), fosite.ErrJTIKnown)
	// An expired jti may be used again (its assertion is dead anyway).
	require.NoError(t, s.SetClientAssertionJWT(ctx, "jti-2", time.Now().Add(-time.Minute)))
	require.NoError(t, s.ClientAssertionJWTValid(ctx, "jti-2"))
	require.NoError(t, s.SetClientAssertionJWT(ctx, "jti-2", time.Now().Add(time.Minute)))

	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if s.SetClientAssertionJWT(ctx, "jti-race", time.Now().Add(time.Minute)) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, ok.Load(), "one use of a jti wins")
}

func testDPoPJTI(t *testing.T, s Store) {
	ctx := t.Context()
	exp := time.Now().Add(time.Minute)
	ok, err := s.UseDPoPProof(ctx, "jkt-a", "j1", exp)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.UseDPoPProof(ctx, "jkt-a", "j1", exp)
	require.NoError(t, err)
	require.False(t, ok, "replay refused")
	ok, err = s.UseDPoPProof(ctx, "jkt-b", "j1", exp)
	require.NoError(t, err)
	require.True(t, ok, "another key's jti is its own")
	// An expired row is taken over, and pruned by DeleteExpired.
	ok, err = s.UseDPoPProof(ctx, "jkt-a", "old", time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.UseDPoPProof(ctx, "jkt-a", "old", exp)
	require.NoError(t, err)
	require.True(t, ok, "an expired jti may be used again")
	_, err = s.UseDPoPProof(ctx, "jkt-a", "gone", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	n, err := s.DeleteExpired(ctx, time.Now())
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(1))

	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ok, err := s.UseDPoPProof(ctx, "jkt-race", "j", exp); err == nil && ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, wins.Load(), "one use of a proof wins")
}

func testRevokedJTI(t *testing.T, s Store) {
	ctx := t.Context()
	revoked, err := s.JTIRevoked(ctx, "at-1")
	require.NoError(t, err)
	require.False(t, revoked)
	require.NoError(t, s.RevokeJTI(ctx, "at-1", time.Now().Add(time.Minute)))
	require.NoError(t, s.RevokeJTI(ctx, "at-1", time.Now().Add(-time.Minute)), "revoking again is no error")
	revoked, err = s.JTIRevoked(ctx, "at-1")
	require.NoError(t, err)
	require.True(t, revoked)
	revoked, err = s.JTIRevoked(ctx, "at-2")
	require.NoError(t, err)
	require.False(t, revoked, "another jti is not revoked")

	// Pruned once the token would have expired anyway, not before.
	require.NoError(t, s.RevokeJTI(ctx, "at-old", time.Now().Add(-time.Hour)))
	_, err = s.DeleteExpired(ctx, time.Now())
	require.NoError(t, err)
	revoked, err = s.JTIRevoked(ctx, "at-old")
	require.NoError(t, err)
	require.False(t, revoked)
	revoked, err = s.JTIRevoked(ctx, "at-1")
	require.NoError(t, err)
	require.True(t, revoked, "a second revocation never shortens the first")
}

func testTransactions(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	// Rollback discards.
	tctx, err := s.BeginTX(ctx)
	require.NoError(t, err)
	require.NoError(t, s.CreateAccessTokenSession(tctx, "at-rolled-back", newRequest(c, "a")))
	_, err = s.GetAccessTokenSession(tctx, "at-rolled-back", oidc.NewSession())
	require.NoError(t, err, "visible inside its transaction")
	require.NoError(t, s.Rollback(tctx))
	_, err = s.GetAccessTokenSession(ctx, "at-rolled-back", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)

	// Nested: an inner rollback keeps the outer work; the outer commit
	// persists it.
	outer, err := s.BeginTX(ctx)
	require.NoError(t, err)
	require.NoError(t, s.CreateAccessTokenSession(outer, "at-outer", newRequest(c, "a")))
	inner, err := s.BeginTX(outer)
	require.NoError(t, err)
	require.NoError(t, s.CreateAccessTokenSession(inner, "at-inner", newRequest(c, "a")))
	require.NoError(t, s.Rollback(inner))
	inner2, err := s.BeginTX(outer)
	require.NoError(t, err)
	require.NoError(t, s.CreateAccessTokenSession(inner2, "at-inner2", newRequest(c, "a")))
	require.NoError(t, s.Commit(inner2))
	require.NoError(t, s.Commit(outer))
	require.NoError(t, s.Rollback(outer), "rollback after commit is harmless")
	for sig, want := range map[string]bool{"at-outer": true, "at-inner": false, "at-inner2": true} {
		_, err := s.GetAccessTokenSession(ctx, sig, oidc.NewSession())
		assert.Equal(t, want, err == nil, sig)
	}

	// A pinned connection serves every call and transactions on it.
	pctx, release, err := s.Acquire(ctx)
	require.NoError(t, err)
	tctx, err = s.BeginTX(pctx)
	require.NoError(t, err)
	require.NoError(t, s.CreateAccessTokenSession(tctx, "at-pinned", newRequest(c, "a")))
	require.NoError(t, s.Commit(tctx))
	_, err = s.GetAccessTokenSession(pctx, "at-pinned", oidc.NewSession())
	require.NoError(t, err)
	release()
}

func testDisabledClient(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at", newRequest(c, "a")))
	_, err := s.UpdateClient(ctx, "rp", func(c *oidc.Client) error { c.Disabled = true; return nil })
	require.NoError(t, err)
	_, err = s.GetAccessTokenSession(ctx, "at", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
}

func testRevokeAccount(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-a", newRequest(c, "acct-a")))
	require.NoError(t, s.CreateRefreshTokenSession(ctx, "rt-a", "at-a", newRequest(c, "acct-a")))
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-b", newRequest(c, "acct-b")))
	n, err := s.RevokeAccount(ctx, "acct-a")
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	_, err = s.GetRefreshTokenSession(ctx, "rt-a", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = s.GetAccessTokenSession(ctx, "at-b", oidc.NewSession())
	require.NoError(t, err)

	old := newRequest(c, "acct-c")
	old.Session.SetExpiresAt(fosite.AccessToken, time.Now().Add(-time.Hour))
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-old", old))
	n, err = s.DeleteExpired(ctx, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	_, err = s.GetAccessTokenSession(ctx, "at-b", oidc.NewSession())
	require.NoError(t, err)
}

func testKeys(t *testing.T, s Store) {
	ctx := t.Context()
	keys, v0, err := s.ListKeys(ctx)
	require.NoError(t, err)
	require.Empty(t, keys)
	now := time.Now().UTC().Truncate(time.Second)
	k1 := oidc.StoredKey{KID: "k1", Alg: oidc.ES256, PublicJWK: []byte(`{"kty":"EC"}`), PrivateEnc: []byte{1}, CreatedAt: now, SignFrom: now}
	added, err := s.AddKeys(ctx, []oidc.StoredKey{k1}, time.Time{}, true)
	require.NoError(t, err)
	require.True(t, added)
	added, err = s.AddKeys(ctx, []oidc.StoredKey{{KID: "k-dup", Alg: oidc.ES256, PublicJWK: []byte(`{}`), PrivateEnc: []byte{1}, CreatedAt: now, SignFrom: now}}, time.Time{}, true)
	require.NoError(t, err)
	require.False(t, added, "onlyIfEmpty adds nothing to a store with keys")
	v1, err := s.KeysVersion(ctx)
	require.NoError(t, err)
	require.Greater(t, v1, v0)

	k2 := k1
	k2.KID, k2.SignFrom = "k2", now.Add(time.Hour)
	_, err = s.AddKeys(ctx, []oidc.StoredKey{k2}, k2.SignFrom, false)
	require.NoError(t, err)
	keys, v2, err := s.ListKeys(ctx)
	require.NoError(t, err)
	require.Greater(t, v2, v1)
	require.Len(t, keys, 2)
	require.Equal(t, "k2", keys[0].KID, "newest first")
	require.Nil(t, keys[0].RetireAt)
	require.NotNil(t, keys[1].RetireAt)
	require.True(t, keys[1].RetireAt.Equal(k2.SignFrom))

	n, err := s.DeleteKeysRetiredBefore(ctx, now.Add(2*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	keys, _, err = s.ListKeys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func testRevokeClientTokens(t *testing.T, s Store) {
	ctx := t.Context()
	c1, c2 := newClient(t, s, "rp-1"), newClient(t, s, "rp-2")
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-a1", newRequest(c1, "acct-a")))
	require.NoError(t, s.CreateRefreshTokenSession(ctx, "rt-a1", "at-a1", newRequest(c1, "acct-a")))
	require.NoError(t, s.CreateAuthorizeCodeSession(ctx, "code-a1", newRequest(c1, "acct-a")))
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-a2", newRequest(c2, "acct-a")))
	require.NoError(t, s.CreateAccessTokenSession(ctx, "at-b1", newRequest(c1, "acct-b")))
	n, err := s.RevokeClientTokens(ctx, "acct-a", "rp-1")
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	_, err = s.GetAccessTokenSession(ctx, "at-a1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = s.GetRefreshTokenSession(ctx, "rt-a1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = s.GetAuthorizeCodeSession(ctx, "code-a1", oidc.NewSession())
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = s.GetAccessTokenSession(ctx, "at-a2", oidc.NewSession())
	require.NoError(t, err, "another client's tokens stay")
	_, err = s.GetAccessTokenSession(ctx, "at-b1", oidc.NewSession())
	require.NoError(t, err, "another citizen's tokens stay")
	n, err = s.RevokeClientTokens(ctx, "acct-a", "rp-1")
	require.NoError(t, err, "revoking twice is fine")
	require.Zero(t, n)
}

func testChallenges(t *testing.T, s Store) {
	ctx := t.Context()
	c := newClient(t, s, "rp")
	now := time.Now().UTC().Truncate(time.Microsecond)
	loc := time.FixedZone("ICT", 7*3600)
	ch := oidc.Challenge{
		ID: "ch-1", AccountID: "acct-a", ClientID: c.ID,
		Form:        url.Values{"scope": {"openid profile"}, "request_uri": {"urn:x"}, "client_secret": {"never-stored"}},
		SignIn:      oidc.SignIn{AccountID: "acct-a", AccountLevel: 2, Strength: 2, AMR: []string{"pwd", "otp"}, AuthTime: now.In(loc), SID: "sid-1"},
		RequestedAt: now.Add(-time.Minute), Scopes: []string{"openid", "profile"}, Claims: []string{"name"},
		Essential: []string{"name"}, ACR: assurance.ACR2, UILocales: "en", Reason: "first",
		CreatedAt: now, ExpiresAt: now.Add(oidc.ChallengeLifespan),
	}
	require.NoError(t, s.CreateChallenge(ctx, ch, ""))
	require.ErrorIs(t, s.CreateChallenge(ctx, ch, ""), oidc.ErrAlreadyExists)

	got, err := s.GetChallenge(ctx, "ch-1", now)
	require.NoError(t, err)
	assert.Equal(t, "acct-a", got.AccountID)
	assert.Equal(t, "openid profile", got.Form.Get("scope"))
	assert.Empty(t, got.Form.Get("request_uri"), "a pushed request is resolved")
	assert.Empty(t, got.Form.Get("client_secret"), "secrets are not stored")
	assert.Equal(t, "acct-a", got.SignIn.AccountID)
	assert.Equal(t, assurance.Level2, got.SignIn.Level())
	assert.True(t, ch.SignIn.AuthTime.Equal(got.SignIn.AuthTime))
	assert.Equal(t, time.UTC, got.SignIn.AuthTime.Location())
	assert.True(t, ch.RequestedAt.Equal(got.RequestedAt))
	assert.Equal(t, []string{"name"}, got.Essential)
	assert.Equal(t, "first", got.Reason)

	_, err = s.GetChallenge(ctx, "ch-1", ch.ExpiresAt)
	require.ErrorIs(t, err, oidc.ErrNotFound, "expired")
	_, err = s.GetChallenge(ctx, "nope", now)
	require.ErrorIs(t, err, oidc.ErrNotFound)

	// Answered once, even concurrently.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.BeginChallenge(ctx, "ch-1", now); err == nil {
				wins.Add(1)
			} else {
				assert.ErrorIs(t, err, oidc.ErrNotFound)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, wins.Load())
	_, err = s.GetChallenge(ctx, "ch-1", now)
	require.ErrorIs(t, err, oidc.ErrNotFound, "answered")

	// The answer is kept once, on a begun challenge only.
	answer := oidc.ChallengeAnswer{Approved: true, Scopes: []string{"openid"}, Claims: []string{"name"}}
	require.ErrorIs(t, s.AnswerChallenge(ctx, "nope", answer, now), oidc.ErrNotFound)
	require.ErrorIs(t, s.AnswerChallenge(ctx, "ch-1", answer, ch.ExpiresAt), oidc.ErrNotFound, "expired")
	require.NoError(t, s.AnswerChallenge(ctx, "ch-1", answer, now))
	require.ErrorIs(t, s.AnswerChallenge(ctx, "ch-1", oidc.ChallengeAnswer{Approved: false}, now), oidc.ErrNotFound,
		"one answer per challenge")
	got, err = s.TakeChallenge(ctx, "ch-1", now)
	require.NoError(t, err)
	assert.Equal(t, c.ID, got.ClientID)
	require.NotNil(t, got.Answer)
	assert.Equal(t, answer, *got.Answer)
	_, err = s.TakeChallenge(ctx, "ch-1", now)
	require.ErrorIs(t, err, oidc.ErrNotFound, "taken once")

	// Parking a pushed request consumes it.
	par := newRequest(c, "")
	par.Session.SetExpiresAt(fosite.PushedAuthorizeRequestContext, time.Now().Add(time.Minute))
	require.NoError(t, s.CreatePARSession(ctx, "urn:par-1", par))
	ch.ID = "ch-2"
	require.NoError(t, s.CreateChallenge(ctx, ch, "urn:par-1"))
	_, err = s.GetPARSession(ctx, "urn:par-1")
	require.ErrorIs(t, err, fosite.ErrNotFound)
	ch.ID = "ch-3"
	require.ErrorIs(t, s.CreateChallenge(ctx, ch, "urn:par-1"), oidc.ErrNotFound, "a pushed request parks once")
	_, err = s.GetChallenge(ctx, "ch-3", now)
	require.ErrorIs(t, err, oidc.ErrNotFound, "nothing stored when the pushed request was gone")
	require.ErrorIs(t, s.AnswerChallenge(ctx, "ch-2", answer, now), oidc.ErrNotFound, "not begun")
	got, err = s.TakeChallenge(ctx, "ch-2", now)
	require.NoError(t, err)
	assert.Nil(t, got.Answer, "no answer yet")
	require.NoError(t, s.CreateChallenge(ctx, ch, ""))

	n, err := s.DeleteExpiredChallenges(ctx, ch.ExpiresAt.Add(time.Second))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}
