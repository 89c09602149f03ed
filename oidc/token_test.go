package oidc_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// TestNoTokenOutlivesAFailedAudit is issue 9's item 6: the relying party
// disconnects while the gateway records the issuance, and the audit write
// fails. The tokens already stored are revoked on a context the client
// cannot cancel, so none of them stays valid unaudited (before, the
// revocation ran on the cancelled request context and failed too).
func TestNoTokenOutlivesAFailedAudit(t *testing.T) {
	e := oidctest.New(t, pgtest.New(t).App, oidctest.Options{})
	c := e.SeedCitizen(assurance.Level2)
	e.SignIn(c.Login(assurance.Level2))
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile", "offline_access"},
		GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken}})
	r := e.RP(reg, "openid", "profile", "offline_access")
	verifier := oauth2.GenerateVerifier()
	resp0, body := e.Visit(e.Browser(), r.AuthURL(verifier, oidctest.NewNonce()))
	q := oidctest.Callback(t, resp0, body)
	require.NotEmpty(t, q.Get("code"))

	ctx, disconnect := context.WithCancel(t.Context())
	e.Audit.Before(func(ev audit.Event) {
		if ev.Type == audit.TokenIssued {
			disconnect() // the client goes away while its token is being audited
		}
	})
	e.Audit.SetFail(errors.New("audit store unavailable"))
	req := r.TokenRequest(oidc.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {reg.RedirectURIs[0]}, "code_verifier": {verifier}}).WithContext(ctx)
	_, resp, err := e.Provider.Token(ctx, req, oidc.Meta{})
	require.Error(t, err, "no token leaves without its audit row")
	require.Nil(t, resp)
	require.Error(t, ctx.Err(), "the request was cancelled at the audit write")

	var live int
	require.NoError(t, e.DB.QueryRow(t.Context(), `SELECT count(*) FROM oidc_requests
		WHERE client_id = $1 AND kind IN ('access', 'refresh') AND active`, reg.ID).Scan(&live))
	require.Zero(t, live, "the tokens stored before the audit failed are revoked")
}
