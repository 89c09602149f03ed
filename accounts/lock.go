package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// TokenRevoker ends every token, code and grant issued for an account at
// every relying party (the OpenID Connect provider's token store).
type TokenRevoker interface {
	RevokeAccount(ctx context.Context, accountID string) (int64, error)
}

// LogoutNotifier tells the relying parties that hold a sign-in of the
// account that it ended (OpenID Connect Back-Channel Logout 1.0), for those
// that registered for it.
type LogoutNotifier interface {
	AccountLocked(ctx context.Context, accountID string) error
}

// LogoutFunc adapts a function to LogoutNotifier.
type LogoutFunc func(ctx context.Context, accountID string) error

// AccountLocked implements LogoutNotifier.
func (f LogoutFunc) AccountLocked(ctx context.Context, accountID string) error {
	return f(ctx, accountID)
}

// ErrNoLockCascade: the service was built without Config.Tokens and
// Config.Logout, so it cannot lock (a lock that left tokens alive would
// promise what it does not do).
var ErrNoLockCascade = errors.New("accounts: locking needs token revocation and logout notification")

// cascadeTimeout bounds the work a lock does beyond its own row.
const cascadeTimeout = 30 * time.Second

// Lock locks the account (Decree 69/2024 art. 15: at the holder's request,
// on breach of the terms, when the ID card is revoked, on death) and ends
// everything it holds at once (Decree 59/2022 art. 19), whoever asked (the
// citizen, an officer, the CLI, the app): in the lock's own transaction,
// the status and the end of every browser sign-in made before now (an
// unlock does not revive them); then every token and grant at every relying
// party, and back-channel logout to those registered for it. reason is a
// short code such as "holder_request", "lost_phone", "card_revoked".
//
// The cascade runs after the lock committed, on a context the caller cannot
// cancel: a citizen who closes the page must not leave tokens alive. Until
// it has run, the locked status alone already refuses every token and
// sign-in; an error from it is returned with the locked account. The
// citizen is told (NoticeLocked; NoticeUnlocked by Unlock) once the lock
// committed, whoever locked.
func (s *Service) Lock(ctx context.Context, id, reason string, by Actor) (Account, error) {
	return s.LockBecause(ctx, id, reason, "", by)
}

// LockBecause is Lock with the staff member's note recorded in the lock's
// audit event (never in the citizen's notice).
func (s *Service) LockBecause(ctx context.Context, id, reason, note string, by Actor) (Account, error) {
	if s.tokens == nil || s.logout == nil {
		return Account{}, ErrNoLockCascade
	}
	now := s.now().UTC()
	a, err := s.update(ctx, id, func(r *Record) (audit.Event, error) {
		r.Status, r.LockReason = Locked, reason
		r.SignInsEndedAt = &now
		e := by.event(audit.AccountLocked, r.ID, audit.Success)
		e.Reason = reason
		if note != "" {
			e.Detail = map[string]string{"note": note}
		}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: lock: %w", err)
	}
	s.notice(ctx, a, NoticeLocked, map[string]string{"reason": noticeReason(reason)}, by.RequestID)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cascadeTimeout)
	defer cancel()
	if _, err := s.tokens.RevokeAccount(cctx, a.ID); err != nil {
		return a, fmt.Errorf("accounts: lock: revoke tokens: %w", err)
	}
	if err := s.logout.AccountLocked(cctx, a.ID); err != nil {
		return a, fmt.Errorf("accounts: lock: back-channel logout: %w", err)
	}
	return a, nil
}

// Unlock returns a locked account to active (or pending, if it was never
// activated). Sign-ins ended by the lock stay ended.
func (s *Service) Unlock(ctx context.Context, id string, by Actor) (Account, error) {
	return s.UnlockBecause(ctx, id, "", "", by)
}

// UnlockBecause is Unlock with the reason (a short code, e.g.
// "identity_verified") and the staff member's note recorded in the
// unlock's audit event: an operator's unlock from the console says why.
func (s *Service) UnlockBecause(ctx context.Context, id, reason, note string, by Actor) (Account, error) {
	a, err := s.update(ctx, id, func(r *Record) (audit.Event, error) {
		if r.Status != Locked {
			return audit.Event{}, fmt.Errorf("%w: account is not locked", ErrInvalid)
		}
		r.Status, r.LockReason = Pending, ""
		if r.ActivatedAt != nil {
			r.Status = Active
		}
		e := by.event(audit.AccountUnlocked, r.ID, audit.Success)
		e.Reason = reason
		if note != "" {
			e.Detail = map[string]string{"note": note}
		}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: unlock: %w", err)
	}
	s.notice(ctx, a, NoticeUnlocked, nil, by.RequestID)
	return a, nil
}

// noticeReason is the reason a lock's notice names: a code, never the
// free text of a holder's own reason (SelfLockPrefix), which may be long
// and is for the officers' view.
func noticeReason(reason string) string {
	switch {
	case strings.HasPrefix(reason, SelfLockPrefix):
		return "holder_request"
	case len(reason) > 64:
		return ""
	}
	return reason
}
