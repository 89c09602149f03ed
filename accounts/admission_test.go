package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
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
