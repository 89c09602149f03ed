package consent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/consenttest"
)

// connected records the services told as newly connected.
type connected struct{ told []string }

func (c *connected) ServiceConnected(_ context.Context, accountID, clientID string, claims int) error {
	c.told = append(c.told, accountID+" "+clientID+" "+string(rune('0'+claims)))
	return errors.New("outbox down: the grant stands anyway")
}

// TestGrantTellsOfANewConnectionOnly: the first consent to a service is
// told, a renewal or widening of a consent in force is not, a new consent
// after a revocation is; a refused grant (audit down) tells nothing; a
// notifier's failure does not fail the grant.
func TestGrantTellsOfANewConnectionOnly(t *testing.T) {
	f := newFixture(t, 0)
	c := &connected{}
	svc, err := consent.NewService(consent.Config{
		Store: f.store, Audit: f.audit, Tokens: f.tokens, Logout: f.logout, Signer: consenttest.NewSigner(t),
		Issuer: "https://id.example.vn", Now: f.clock.Now, Connected: c,
	})
	require.NoError(t, err)
	grant := func(claims ...string) error {
		_, err := svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "profile"}, Claims: claims})
		return err
	}

	f.audit.SetFail(errors.New("audit down"))
	require.Error(t, grant("name"))
	require.Empty(t, c.told, "a refused grant tells nothing")
	f.audit.SetFail(nil)

	require.NoError(t, grant("name", "birthdate"))
	require.Equal(t, []string{"acc-1 dvc 2"}, c.told)
	f.clock.Advance(time.Hour)
	require.NoError(t, grant("name", "birthdate", "gender"))
	require.Len(t, c.told, 1, "a widening of a consent in force is not a new connection")

	require.NoError(t, svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}))
	f.clock.Advance(time.Hour)
	require.NoError(t, grant("name"))
	require.Equal(t, []string{"acc-1 dvc 2", "acc-1 dvc 1"}, c.told, "connected again after a revocation")
}
