package accounts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func signInFrom(env *accountstest.Env, id, pw, addr string, devices ...string) (*accounts.SignIn, error) {
	return env.Service.SignIn(context.Background(), accounts.SignInRequest{PersonalID: id, Password: pw, IP: addr, Devices: devices, UserAgent: "test"})
}

// stranger sends n wrong passwords for id, each from its own address,
// waiting out every delay it is given (the clock is the test's); it returns
// how many were refused by a delay.
func stranger(t *testing.T, env *accountstest.Env, id string, n int) (delayed int) {
	t.Helper()
	for i := 0; i < n; {
		_, err := signInFrom(env, id, "wrong password", fmt.Sprintf("198.51.%d.%d", i/250, i%250+1))
		if le, ok := accounts.AsLockout(err); ok {
			require.Equal(t, accounts.ScopeAccount, le.Scope, "only the account-wide delay refuses a stranger using a new address each time")
			env.Clock.Advance(le.RetryAfter)
			delayed++
			continue
		}
		require.ErrorIs(t, err, accounts.ErrBadCredentials)
		i++
	}
	return delayed
}

func TestStrangerFromManyAddressesNeverBlocksAKnownDevice(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	device := env.Service.DeviceToken(a.ID, nil)
	require.NotEmpty(t, device)

	delayed := stranger(t, env, pid, 60)
	require.Positive(t, delayed, "unknown devices are slowed down")

	// Right after the stranger's last failure the account-wide delay runs:
	// an unknown device waits, even with the right password …
	_, err := signInFrom(env, pid, password, "203.0.113.7")
	le, ok := accounts.AsLockout(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, accounts.ScopeAccount, le.Scope)
	// … the citizen's known device does not, from any address, even one
	// the stranger used.
	for _, addr := range []string{"203.0.113.8", "198.51.0.1"} {
		si, err := signInFrom(env, pid, password, addr, device)
		require.NoError(t, err, addr)
		require.Equal(t, a.ID, si.Account.ID)
	}
	// A token earned by another account, or forged, is an unknown device.
	other := env.Service.DeviceToken("another-account", nil)
	_, err = signInFrom(env, pid, password, "203.0.113.9", other, device+"x")
	_, ok = accounts.AsLockout(err)
	require.True(t, ok)

	acct, err := env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, acct.Status, "no hard lock below its count")
	require.NotContains(t, env.Audit.Types(), "account.locked:too_many_failures")
}

func TestKnownDeviceHasItsOwnCounter(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	device := env.Service.DeviceToken(a.ID, nil)
	var err error
	for range accounts.DefaultLockoutPolicy.AccountFailures {
		_, err = signInFrom(env, pid, "wrong password", ip, device)
	}
	le, ok := accounts.AsLockout(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, accounts.ScopeDevice, le.Scope)
	// The device's own failures do not reach other browsers at that address.
	_, err = signInFrom(env, pid, password, ip)
	require.NoError(t, err)
}

func TestHardLockIsToldAndAudited(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	device := env.Service.DeviceToken(a.ID, nil)
	start := env.Clock.Now()
	n := accounts.DefaultLockoutPolicy.HardLockFailures
	stranger(t, env, pid, n)
	t.Logf("%d failures from unknown devices took %s of delays", n, env.Clock.Now().Sub(start))
	require.Greater(t, env.Clock.Now().Sub(start), 48*time.Hour, "the delays keep a stranger days away from the hard lock")

	acct, err := env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, acct.Status)
	require.Contains(t, env.Audit.Types(), "account.locked:too_many_failures")
	var locked []accounts.Notice
	for _, n := range env.Notices.All() {
		if n.Account.ID == a.ID && n.Kind == accounts.NoticeLocked {
			locked = append(locked, n)
		}
	}
	require.Len(t, locked, 1, "told once, by Lock's notice")
	require.Equal(t, "too_many_failures", locked[0].Params["reason"])
	revoked, logouts := env.Cascade.Ended()
	require.Equal(t, []string{a.ID}, revoked, "the lock went through Service.Lock: tokens end")
	require.Equal(t, []string{a.ID}, logouts, "and back-channel logout")

	// Now even the known device is told the account is locked.
	_, err = signInFrom(env, pid, password, ip, device)
	require.ErrorIs(t, err, accounts.ErrLocked)
}

func TestSprayingSlowsUnknownDevicesButNotKnownOnes(t *testing.T) {
	t.Parallel()
	env := accountstest.NewWithLockout(t, pgtest.New(t).App, nil, accounts.LockoutPolicy{GlobalFailures: 20})
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	device := env.Service.DeviceToken(a.ID, nil)

	// A few guesses at many numbers from many addresses.
	for i := range 20 {
		_, err := signInFrom(env, fmt.Sprintf("0010901000%02d", i), "123456789", fmt.Sprintf("203.0.113.%d", i+1))
		require.ErrorIs(t, err, accounts.ErrBadCredentials)
	}

	// An unknown device takes the slower path: a wait, then its try.
	_, err := signInFrom(env, pid, password, "192.0.2.77")
	le, ok := accounts.AsLockout(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, accounts.ScopeGlobal, le.Scope)
	require.Equal(t, accounts.DefaultLockoutPolicy.GlobalWait, le.RetryAfter)
	_, err = signInFrom(env, pid, password, "192.0.2.77")
	_, ok = accounts.AsLockout(err)
	require.True(t, ok, "not before the wait is over")
	env.Clock.Advance(le.RetryAfter)
	_, err = signInFrom(env, pid, password, "192.0.2.77")
	require.NoError(t, err)

	// The known device never waits.
	_, err = signInFrom(env, pid, password, "192.0.2.78", device)
	require.NoError(t, err)
	// No account is locked by spraying.
	acct, err := env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, acct.Status)
	require.Contains(t, env.Audit.Types(), "signin.locked_out:global_locked_out")
}
