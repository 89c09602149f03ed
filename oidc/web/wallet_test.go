package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

type walletHolder attributes.Holder

func (h walletHolder) Holder(context.Context, string) (attributes.Holder, error) {
	return attributes.Holder(h), nil
}

// A document a registry's feed creates reaches a relying party (userinfo,
// read through x/oauth2 and go-oidc's token) only once its holder has
// integrated it, and no longer once they removed it; the imported licence
// is released throughout.
func TestUserinfoReleasesOnlyIntegratedDocuments(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	alice := e.citizen(2)
	e.signInAs(alice, 2)
	auditTx := func(ctx context.Context, _ pgx.Tx, ev audit.Event) error { return e.Audit.Record(ctx, ev) }
	feeds := attributespg.NewFeedStore(e.DB, time.Now, auditTx)
	number := "01" + oidctest.RandomDigits(10)
	exp := time.Now().UTC().AddDate(3, 0, 0)
	_, err := attributes.ApplyFeed(ctx, feeds, attributes.FeedBatch{Kind: attributes.DrivingLicence, Seq: 1, Entries: []attributes.FeedEntry{
		{Op: attributes.OpUpsert, Number: number, HolderID: alice.PersonalID, ExpiresOn: &exp, Issuer: "Sở GTVT Đà Nẵng"}}}, "registry:driving_licence")
	require.NoError(t, err)
	wallet := &attributes.Wallet{Store: attributespg.NewWalletStore(e.DB, auditTx), Documents: e.People,
		Holders: walletHolder{PersonalID: alice.PersonalID, Level: assurance.Level2},
		Limiter: accounts.WalletLimiter{Limiter: accounts.NewLimiter(accountspg.NewStore(e.DB), accounts.LockoutPolicy{}, time.Now)},
		Audit:   e.Audit}

	reg := e.Register(oidc.Client{Scopes: []string{"openid", attributes.ScopeDrivingLicence}})
	r := e.RP(reg, "openid", attributes.ScopeDrivingLicence)
	f := r.Login(e.Browser())
	numbers := func() []string {
		t.Helper()
		status, ui, raw := r.Userinfo(f.Token.AccessToken)
		require.Equal(t, http.StatusOK, status, raw)
		var out []string
		for _, d := range ui[attributes.ClaimDrivingLicence].([]any) {
			out = append(out, d.(map[string]any)["number"].(string))
		}
		return out
	}
	imported := numbers()
	require.Len(t, imported, 1, "the imported licence only: the feed's is not integrated")
	require.NotContains(t, imported, number)

	_, err = wallet.Integrate(ctx, alice.AccountID, attributes.DrivingLicence, number, attributes.WalletActor{})
	require.NoError(t, err)
	require.ElementsMatch(t, append(imported, number), numbers(), "integrated: released on the next read")

	require.NoError(t, wallet.Remove(ctx, alice.AccountID, attributes.DrivingLicence, number, attributes.WalletActor{}))
	require.Equal(t, imported, numbers(), "removed: no longer released")
	require.Len(t, e.Audit.Of(audit.DocumentIntegrated), 1)
	require.Len(t, e.Audit.Of(audit.DocumentRemoved), 1)
}
