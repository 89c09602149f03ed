package oidc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestPairwiseSubjects(t *testing.T) {
	s := oidc.NewSubjects([]byte("pairwise-key-pairwise-key-012345"))
	a := &oidc.Client{RedirectURIs: []string{"https://a.example/cb"}}
	a2 := &oidc.Client{RedirectURIs: []string{"https://a.example/other"}}
	b := &oidc.Client{RedirectURIs: []string{"https://b.example/cb"}}
	pub := &oidc.Client{SubjectType: oidc.SubjectPublic}
	assert.Equal(t, s.For(a, "acct-1"), s.For(a2, "acct-1"), "one sector, one sub")
	assert.NotEqual(t, s.For(a, "acct-1"), s.For(b, "acct-1"))
	assert.NotEqual(t, s.For(a, "acct-1"), s.For(a, "acct-2"))
	assert.Len(t, s.For(a, "acct-1"), 43)
	assert.Equal(t, "acct-1", s.For(pub, "acct-1"))
}

func TestRequire(t *testing.T) {
	c := &oidc.Client{MinLevel: 1, Scopes: []string{"openid", "profile"}}
	bank := &oidc.Client{MinLevel: 2}
	none := oidc.ClaimsRequest{}
	assert.Equal(t, assurance.Level1, oidc.Require(c, "", none, []string{"openid"}, nil).Level)
	assert.Equal(t, assurance.Level2, oidc.Require(c, assurance.ACR2, none, nil, nil).Level)
	assert.Equal(t, assurance.Level1, oidc.Require(c, assurance.ACR2+" "+assurance.ACR1, none, nil, nil).Level, "any listed level will do")
	assert.Equal(t, assurance.Level2, oidc.Require(bank, assurance.ACR1, none, nil, nil).Level, "the client's minimum wins")
	assert.Equal(t, assurance.Level2, oidc.Require(c, "", none, []string{"documents.social_insurance"}, nil).Level)
	cr, err := oidc.ParseClaimsRequest(`{"id_token":{"acr":{"essential":true,"values":["urn:other"]}}}`)
	require.NoError(t, err)
	assert.True(t, oidc.Require(c, "", cr, nil, nil).Unsatisfiable)
	_, err = oidc.ParseClaimsRequest(`[1]`)
	require.Error(t, err)
}

func TestSecretHasher(t *testing.T) {
	h, err := oidc.NewSecretHasher([]byte("short"))
	require.Error(t, err)
	h, err = oidc.NewSecretHasher([]byte("pepper-pepper-pepper-pepper-0123"))
	require.NoError(t, err)
	ctx := context.Background()
	s := oidc.NewSecret()
	assert.Len(t, s, 43)
	hash, _ := h.Hash(ctx, []byte(s))
	require.NoError(t, h.Compare(ctx, hash, []byte(s)))
	require.Error(t, h.Compare(ctx, hash, []byte(s+"x")))
	require.Error(t, h.Compare(ctx, nil, []byte("")))
}

func TestClientValidation(t *testing.T) {
	c := oidc.Client{ID: "x", Name: oidc.Text{VI: "X"}, RedirectURIs: []string{"https://a.example/cb", "https://b.example/cb"}}
	c.Normalize()
	require.ErrorIs(t, c.Validate(), oidc.ErrInvalidClient, "pairwise over two hosts needs a sector")
	c.SectorIdentifier = "example"
	require.NoError(t, c.Validate())
	c.RedirectURIs = []string{"http://a.example/cb"}
	require.Error(t, c.Validate())
	c.RedirectURIs = []string{"http://localhost:8080/cb"}
	require.NoError(t, c.Validate())
	c.Scopes = append(c.Scopes, "portrait")
	require.Error(t, c.Validate())
}

func TestKeysSealedAtRest(t *testing.T) {
	db := pgtest.New(t)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	kek := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	keys, err := oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: store, EncryptionKey: kek, Now: func() time.Time { return now }})
	require.NoError(t, err)
	stored, _, err := store.ListKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, stored, 2)
	tok, err := keys.Sign(oidc.ES256, map[string]any{"x": 1})
	require.NoError(t, err)
	payload, err := keys.Verify(tok)
	require.NoError(t, err)
	assert.JSONEq(t, `{"x":1}`, string(payload))

	other := []byte("fedcba9876543210fedcba9876543210")
	_, err = oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: store, EncryptionKey: other})
	require.Error(t, err, "another key-encryption key cannot open the keys")
	_, err = oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: store, EncryptionKey: kek[:16]})
	require.Error(t, err)
}

func TestNewProviderRequiresAConsentDecider(t *testing.T) {
	_, err := oidc.NewProvider(oidc.Config{Issuer: "https://id.example.gov.vn"})
	require.ErrorContains(t, err, "consent decider is required")
}

// TestKeysReloadFromALaggingReplica: with Reads (a streaming replica), the
// periodic reload never takes keys back to an older version than the ones
// in memory, and takes a newer one. The "replica" here is a second
// database whose keys version first lags the primary's, then passes it.
func TestKeysReloadFromALaggingReplica(t *testing.T) {
	ctx := t.Context()
	kek := []byte("0123456789abcdef0123456789abcdef")
	primary := oidcpg.NewStore(pgtest.New(t).App, oidc.NewFositeSession)
	replica := oidcpg.NewStore(pgtest.New(t).App, oidc.NewFositeSession)
	keys, err := oidc.NewKeys(ctx, oidc.KeysConfig{Store: primary, Reads: replica, EncryptionKey: kek})
	require.NoError(t, err)
	require.NoError(t, keys.Rotate(ctx))
	jwks, version := string(keys.JWKS()), keys.Version()

	// The replica has not seen the primary's writes yet.
	elsewhere, err := oidc.NewKeys(ctx, oidc.KeysConfig{Store: replica, EncryptionKey: kek})
	require.NoError(t, err)
	require.Less(t, elsewhere.Version(), version)
	changed, err := keys.Refresh(ctx)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, jwks, string(keys.JWKS()), "a lagging replica takes no key back")
	assert.Equal(t, version, keys.Version())

	// Newer keys on the replica are taken.
	for elsewhere.Version() <= version {
		require.NoError(t, elsewhere.Rotate(ctx))
	}
	changed, err = keys.Refresh(ctx)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, elsewhere.Version(), keys.Version())
	assert.Equal(t, string(elsewhere.JWKS()), string(keys.JWKS()))
}
