package accounts

import (
	"context"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// WalletLimiter is the document wallet's throttle (attributes.WalletLimiter)
// on the sign-in throttles: unknown document numbers count per account
// (ScopeWallet), so only the signed-in citizen's own tries can lock them.
type WalletLimiter struct{ Limiter *Limiter }

var _ attributes.WalletLimiter = WalletLimiter{}

func walletKey(accountID string) ThrottleKey { return ThrottleKey{Scope: ScopeWallet, Key: accountID} }

// Locked implements attributes.WalletLimiter.
func (w WalletLimiter) Locked(ctx context.Context, accountID string) (time.Duration, error) {
	return waitOf(w.Limiter.Locked(ctx, walletKey(accountID)))
}

// Failed implements attributes.WalletLimiter.
func (w WalletLimiter) Failed(ctx context.Context, accountID string) (time.Duration, error) {
	return waitOf(w.Limiter.Count(ctx, walletKey(accountID)))
}

func waitOf(le *LockoutError, err error) (time.Duration, error) {
	if err != nil || le == nil {
		return 0, err
	}
	return max(le.RetryAfter, time.Second), nil
}

// Holder implements attributes.Holders: the account's personal ID number
// and level; level 0 unless the account is active, so that only an active
// level 2 account has a wallet.
func (s *Service) Holder(ctx context.Context, accountID string) (attributes.Holder, error) {
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return attributes.Holder{}, err
	}
	h := attributes.Holder{PersonalID: a.PersonalID}
	if a.Status == Active {
		h.Level = a.Level
	}
	return h, nil
}
