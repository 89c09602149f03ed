package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

func TestHashLimiter(t *testing.T) {
	t.Run("no queue: refused at once", func(t *testing.T) {
		l := accounts.NewHashLimiter(1, 0, time.Hour)
		release, err := l.Acquire(t.Context())
		require.NoError(t, err)
		_, err = l.Acquire(t.Context())
		require.ErrorIs(t, err, accounts.ErrBusy)
		release()
		release, err = l.Acquire(t.Context())
		require.NoError(t, err)
		release()
	})
	t.Run("a queued hash gets the freed slot", func(t *testing.T) {
		l := accounts.NewHashLimiter(1, 1, time.Hour)
		release, err := l.Acquire(t.Context())
		require.NoError(t, err)
		got := make(chan error, 1)
		go func() {
			r, err := l.Acquire(t.Context())
			if err == nil {
				r()
			}
			got <- err
		}()
		release()
		require.NoError(t, <-got)
	})
	t.Run("the wait runs out", func(t *testing.T) {
		l := accounts.NewHashLimiter(1, 1, time.Nanosecond)
		release, err := l.Acquire(t.Context())
		require.NoError(t, err)
		defer release()
		_, err = l.Acquire(t.Context())
		require.ErrorIs(t, err, accounts.ErrBusy)
	})
	t.Run("the request ends while queued", func(t *testing.T) {
		l := accounts.NewHashLimiter(1, 1, time.Hour)
		release, err := l.Acquire(t.Context())
		require.NoError(t, err)
		defer release()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = l.Acquire(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestHashSlotsFromMemory(t *testing.T) {
	require.Equal(t, 6, accounts.HashSlots(128*1024, accounts.DefaultArgon2Params))
	require.Equal(t, 1, accounts.HashSlots(1024, accounts.DefaultArgon2Params))
}

// A sign-in refused for want of a hashing slot checked nothing, so it
// counts nothing and audits nothing: a flood cannot lock anyone out
// through it.
func TestBusySignInCountsNothing(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.Citizen(t, pid, password, phone, assurance.Level1)
	l := accounts.NewHashLimiter(1, 0, time.Second)
	svc, err := accounts.New(accounts.Config{
		Store: env.Store, Registry: env.Registry, Audit: env.Audit, Sender: env.Sender, Now: env.Clock.Now,
		Argon2Params: accountstest.Params, TOTPKey: env.TOTPKey, CodeKey: make([]byte, 32), Hashing: l,
	})
	require.NoError(t, err)
	env.Audit.Reset()

	release, err := l.Acquire(t.Context())
	require.NoError(t, err)
	_, err = svc.SignIn(t.Context(), accounts.SignInRequest{PersonalID: pid, Password: "wrong password", IP: ip})
	require.ErrorIs(t, err, accounts.ErrBusy)
	require.Empty(t, env.Audit.Types())
	ts, err := env.Store.Throttles(t.Context(), accounts.ThrottleKey{Scope: accounts.ScopeIP, Key: ip},
		accounts.ThrottleKey{Scope: accounts.ScopeAccountAddress, Key: pid + " " + ip})
	require.NoError(t, err)
	require.Empty(t, ts)

	release()
	_, err = svc.SignIn(t.Context(), accounts.SignInRequest{PersonalID: pid, Password: password, IP: ip})
	require.NoError(t, err)
}
