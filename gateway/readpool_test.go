package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// With a read pool (database.read_url: a streaming replica), the signing
// keys' periodic reload reads it, and nothing writes through it: here the
// read pool's sessions are read-only, as a standby's are, and tokens and
// the JWKS are still served.
func TestReadPoolServesLagTolerantReads(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	sep := "?"
	if strings.Contains(db.AppURL, "?") {
		sep = "&"
	}
	reads, err := pg.Open(ctx, db.AppURL+sep+"default_transaction_read_only=on", 2)
	require.NoError(t, err)
	t.Cleanup(reads.Close)
	_, err = reads.Exec(ctx, "CREATE TEMP TABLE probe (n int)")
	require.Error(t, err, "the read pool is read-only, as a standby")

	srv, g := serveGateway(t, db, func(o *gateway.Options) { o.ReadPool = reads })

	before := reads.Stat().AcquireCount()
	changed, err := g.Keys.Refresh(ctx)
	require.NoError(t, err)
	assert.False(t, changed, "the replica holds no newer keys than the primary's")
	assert.Greater(t, reads.Stat().AcquireCount(), before, "the keys' reload reads the read pool")

	// A rotation goes to the primary and is in this replica's JWKS at once,
	// whatever the read pool says.
	require.NoError(t, g.Keys.Rotate(ctx))
	resp, err := srv.Client().Get(srv.URL + oidc.PathJWKS)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	reg, secret, err := g.Clients.Create(ctx, "test", oidc.Client{ID: "tax-sync", Name: oidc.Text{VI: "Đồng bộ thuế"},
		GrantTypes: []string{oidc.GrantClientCredentials}, Scopes: []string{"tax.read"}})
	require.NoError(t, err)
	cc := clientcredentials.Config{ClientID: reg.ID, ClientSecret: secret, TokenURL: srv.URL + oidc.PathToken,
		Scopes: []string{"tax.read"}, AuthStyle: oauth2.AuthStyleInHeader}
	_, err = cc.Token(context.WithValue(ctx, oauth2.HTTPClient, srv.Client()))
	require.NoError(t, err, "writes go to the primary")
}
