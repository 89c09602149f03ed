package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
)

// TestFirstSignInRecordedOnce: neither the password step nor a wrong code
// records a sign-in; the first completed one does, and a later one leaves
// it as it was.
func TestFirstSignInRecordedOnce(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	require.Nil(t, a.FirstSignInAt)

	complete := func() accounts.Account {
		t.Helper()
		_, err := signIn(env, pid, password, ip)
		require.NoError(t, err)
		_, err = env.Service.SendSMSCode(ctx, accounts.SMSRequest{AccountID: a.ID, IP: ip})
		require.NoError(t, err)
		got, err := verify(env, a.ID, accounts.FactorSMS, env.Sender.LastCode(t, phone))
		require.NoError(t, err)
		return got
	}

	_, err := signIn(env, pid, password, ip)
	require.NoError(t, err)
	_, err = verify(env, a.ID, accounts.FactorSMS, "000000")
	require.Error(t, err)
	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Nil(t, got.FirstSignInAt, "no sign-in completed yet")

	env.Clock.Advance(time.Minute)
	first := env.Clock.Now().UTC()
	signedIn := complete()
	require.NotNil(t, signedIn.FirstSignInAt)
	require.Equal(t, first, *signedIn.FirstSignInAt)

	env.Clock.Advance(48 * time.Hour)
	complete()
	got, err = env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.NotNil(t, got.FirstSignInAt)
	require.Equal(t, first, *got.FirstSignInAt, "the first sign-in stays the first")
}
