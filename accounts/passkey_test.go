package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/staff/passkeytest"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

func TestPasskeyAsSecondFactor(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := env.Citizen(t, pid, password, phone, assurance.Level2)
	env.EnrolTOTP(t, a.ID)
	citizen := accounts.Actor{Kind: audit.Citizen, ID: a.ID, IP: ip, RequestID: "req-pk"}
	fresh := accounts.SignedIn{AccountID: a.ID, AuthTime: env.Clock.Now(), Strength: assurance.Level2}
	require.True(t, env.Service.PasskeysEnabled())

	// No passkey yet: not offered, and its sign-in step is unavailable.
	si, err := signIn(env, pid, password, ip)
	require.NoError(t, err)
	require.Equal(t, []accounts.Factor{accounts.FactorTOTP, accounts.FactorSMS}, si.Factors)
	_, _, err = env.Service.BeginPasskeySignIn(ctx, a.ID)
	require.ErrorIs(t, err, accounts.ErrFactorUnavailable)

	// Registration needs a recent complete sign-in.
	for name, by := range map[string]accounts.SignedIn{
		"password only": {AccountID: a.ID, AuthTime: env.Clock.Now(), Strength: assurance.Level1},
		"too old":       {AccountID: a.ID, AuthTime: env.Clock.Now().Add(-accounts.PasskeyReauthWindow - time.Second), Strength: assurance.Level2},
	} {
		_, _, err := env.Service.BeginPasskeyRegistration(ctx, by)
		require.ErrorIs(t, err, accounts.ErrReauthRequired, name)
	}

	auth, err := passkeytest.New(accountstest.PasskeyOrigin)
	require.NoError(t, err)
	env.Audit.Reset()
	opts, state, err := env.Service.BeginPasskeyRegistration(ctx, fresh)
	require.NoError(t, err)
	resp, err := auth.Create(opts)
	require.NoError(t, err)
	p, err := env.Service.FinishPasskeyRegistration(ctx, fresh, citizen, state, resp, "  điện thoại  ")
	require.NoError(t, err)
	assert.Equal(t, "điện thoại", p.Name)
	require.Equal(t, []string{"account.factor_changed"}, env.Audit.Types())
	assert.Equal(t, map[string]string{"factor": "hwk", "change": "passkey_added"}, env.Audit.Events()[0].Detail)
	// The same answer again: the credential is already stored.
	_, err = env.Service.FinishPasskeyRegistration(ctx, fresh, citizen, state, resp, "again")
	require.Error(t, err)

	keys, err := env.Service.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, p.ID, keys[0].ID)
	assert.Equal(t, env.Clock.Now(), keys[0].CreatedAt)
	assert.Nil(t, keys[0].LastUsedAt)
	assert.Len(t, keys[0].AAGUID, 16)

	// Now the passkey is offered first.
	si, err = signIn(env, pid, password, ip)
	require.NoError(t, err)
	require.Equal(t, []accounts.Factor{accounts.FactorPasskey, accounts.FactorTOTP, accounts.FactorSMS}, si.Factors)

	usePasskey := func(a2 *passkeytest.Authenticator, from string) (accounts.Account, error) {
		opts, state, err := env.Service.BeginPasskeySignIn(ctx, a.ID)
		require.NoError(t, err)
		resp, err := a2.Get(opts)
		require.NoError(t, err)
		return env.Service.VerifySecondFactor(ctx, accounts.SecondFactorRequest{AccountID: a.ID, Factor: accounts.FactorPasskey,
			PasskeyState: state, PasskeyResponse: resp, IP: from, RequestID: "req-3"})
	}
	env.Audit.Reset()
	got, err := usePasskey(auth, ip)
	require.NoError(t, err)
	assert.Equal(t, a.ID, got.ID)
	ok := env.Audit.Events()[0]
	assert.Equal(t, "urn:vn:eid:loa:2", ok.ACR)
	assert.Equal(t, map[string]string{"factor": "hwk"}, ok.Detail)
	assert.Equal(t, []string{"pwd", "hwk", "user"}, accounts.AMR(accounts.FactorPasskey))
	assert.Equal(t, []string{"pwd", "otp"}, accounts.AMR(accounts.FactorTOTP))
	keys, err = env.Service.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	require.NotNil(t, keys[0].LastUsedAt)
	assert.Equal(t, auth.Count, keys[0].SignCount)

	// Refused answers count like wrong codes, on the second-factor throttle.
	for name, mutate := range map[string]func(*passkeytest.Authenticator){
		"counter does not grow (a clone)": func(c *passkeytest.Authenticator) { c.Count = 0 },
		"wrong origin":                    func(c *passkeytest.Authenticator) { c.Origin = "https://evil.example" },
	} {
		clone := *auth
		mutate(&clone)
		_, err := usePasskey(&clone, "198.51.100.7")
		require.ErrorIs(t, err, accounts.ErrPasskeyFailed, name)
	}
	other, err := passkeytest.New(accountstest.PasskeyOrigin)
	require.NoError(t, err)
	var lastErr error
	for range 3 {
		_, lastErr = usePasskey(other, "198.51.100.7")
	}
	le, isLock := accounts.AsLockout(lastErr)
	require.True(t, isLock, "the fifth refused answer locks the pair out: %v", lastErr)
	require.Equal(t, accounts.ScopeSecondFactor, le.Scope)
	require.Contains(t, env.Audit.Types(), "signin.second_factor.failed:bad_passkey")
	// The citizen's own address is not affected.
	_, err = usePasskey(auth, ip)
	require.NoError(t, err)

	// Removal: re-authenticated, audited, then the passkey is gone.
	err = env.Service.RemovePasskey(ctx, accounts.SignedIn{AccountID: a.ID, AuthTime: env.Clock.Now().Add(-time.Hour), Strength: assurance.Level2}, citizen, p.ID)
	require.ErrorIs(t, err, accounts.ErrReauthRequired)
	require.ErrorIs(t, env.Service.RemovePasskey(ctx, fresh, citizen, []byte("not a passkey of this account")), accounts.ErrNotFound)
	env.Audit.Reset()
	require.NoError(t, env.Service.RemovePasskey(ctx, fresh, citizen, p.ID))
	require.Equal(t, []string{"account.factor_changed"}, env.Audit.Types())
	assert.Equal(t, "passkey_removed", env.Audit.Events()[0].Detail["change"])
	keys, err = env.Service.Passkeys(ctx, a.ID)
	require.NoError(t, err)
	assert.Empty(t, keys)
	_, _, err = env.Service.BeginPasskeySignIn(ctx, a.ID)
	require.ErrorIs(t, err, accounts.ErrFactorUnavailable)
}
