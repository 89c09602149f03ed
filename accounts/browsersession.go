package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Browser sessions: every complete sign-in in a browser is a row, so that
// the citizen sees where the account is signed in and can end one session
// or all of them (issue 11, item 4). The browser's own session (scs) holds
// the sign-in; the row only says whether it may go on.

// ErrSessionEnded: the browser session was ended from the account page (or
// by "sign out everywhere").
var ErrSessionEnded = errors.New("accounts: browser session ended")

// SessionTouchInterval bounds how often a session's last-seen time is
// written: at most once a minute per session.
const SessionTouchInterval = time.Minute

// ReauthWindow is how recent a complete sign-in (password and second
// factor) must be for a sensitive change from the account page: adding or
// removing a passkey, signing out everywhere. One rule for every change.
const ReauthWindow = PasskeyReauthWindow

// BrowserSession is one browser where the account is signed in.
type BrowserSession struct {
	// SID is the session id of the sign-in (websession.Login.SID, the sid
	// of ID tokens and logout).
	SID        string
	AccountID  string
	StartedAt  time.Time
	LastSeenAt time.Time
	// UserAgent is the browser's User-Agent header, cut to 512 bytes.
	UserAgent string
	// Address is the client address made approximate (ApproxAddress): an
	// IPv4 /24 or an IPv6 /48, never the full address.
	Address string
	EndedAt *time.Time
}

// BrowserSessionStore keeps browser sessions. accounts/postgres implements
// it; every time it returns is UTC.
type BrowserSessionStore interface {
	// StartBrowserSession inserts s; a SID already stored is left as it is.
	StartBrowserSession(ctx context.Context, s BrowserSession) error
	// BrowserSession returns the session sid (ended or not), ErrNotFound
	// when there is none.
	BrowserSession(ctx context.Context, sid string) (BrowserSession, error)
	// TouchBrowserSession sets the last-seen time of a session not ended.
	TouchBrowserSession(ctx context.Context, sid string, at time.Time) error
	// BrowserSessions lists the account's sessions not ended, last seen
	// first.
	BrowserSessions(ctx context.Context, accountID string) ([]BrowserSession, error)
	// EndBrowserSessions ends the account's sessions not yet ended: only
	// sid when it is not empty, otherwise all. It returns how many ended.
	EndBrowserSessions(ctx context.Context, accountID, sid string, at time.Time) (int64, error)
	// PurgeBrowserSessions deletes sessions ended, or last seen, before
	// before.
	PurgeBrowserSessions(ctx context.Context, before time.Time) (int64, error)
}

// maxUserAgent bounds the User-Agent kept with a session.
const maxUserAgent = 512

// ApproxAddress makes a client address approximate enough to recognise a
// place without keeping who exactly: the /24 of an IPv4 address
// ("203.0.113.0/24"), the /48 of an IPv6 one. Anything else is "".
func ApproxAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

func (s *Service) browserSessionsOn() bool { return s.sessions != nil }

// StartBrowserSession records a complete sign-in in a browser, with the
// session id of its websession.Login. Without a BrowserSessionStore it does
// nothing.
func (s *Service) StartBrowserSession(ctx context.Context, accountID, sid string, c Client) error {
	if !s.browserSessionsOn() || sid == "" {
		return nil
	}
	now := s.clock()
	ua := c.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	err := s.sessions.StartBrowserSession(ctx, BrowserSession{
		SID: sid, AccountID: accountID, StartedAt: now, LastSeenAt: now, UserAgent: ua, Address: ApproxAddress(c.IP),
	})
	if err != nil {
		return fmt.Errorf("accounts: start browser session: %w", err)
	}
	return nil
}

// CheckBrowserSession is the per-request check of a signed-in browser: one
// indexed read of the session's row, and at most once a minute a write of
// its last-seen time. ErrSessionEnded when the session was ended, or
// belongs to another account. A session with no row (signed in before rows
// were kept) gets one now.
func (s *Service) CheckBrowserSession(ctx context.Context, accountID, sid string, c Client) error {
	if !s.browserSessionsOn() || sid == "" {
		return nil
	}
	now := s.clock()
	bs, err := s.sessions.BrowserSession(ctx, sid)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.StartBrowserSession(ctx, accountID, sid, c)
	case err != nil:
		return fmt.Errorf("accounts: check browser session: %w", err)
	case bs.EndedAt != nil || bs.AccountID != accountID:
		return ErrSessionEnded
	case now.Sub(bs.LastSeenAt) >= SessionTouchInterval:
		if err := s.sessions.TouchBrowserSession(ctx, sid, now); err != nil {
			return fmt.Errorf("accounts: touch browser session: %w", err)
		}
	}
	return nil
}

// BrowserSessions lists where the account is signed in: sessions not
// ended, last seen first. Sessions started before the account's sign-ins
// were ended (a lock, a new password) are left out, except current (the
// asking browser's own session id, which a change of password keeps).
func (s *Service) BrowserSessions(ctx context.Context, accountID, current string) ([]BrowserSession, error) {
	if !s.browserSessionsOn() {
		return nil, nil
	}
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: browser sessions: %w", err)
	}
	all, err := s.sessions.BrowserSessions(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: browser sessions: %w", err)
	}
	out := all[:0]
	for _, bs := range all {
		if bs.SID == current || !rec.Account.SignInEnded(bs.StartedAt) {
			out = append(out, bs)
		}
	}
	return out, nil
}

// EndBrowserSession ends one of the account's browser sessions (the
// citizen's "sign out" on a session of the list): the browser holding it is
// signed out at its next request. ErrNotFound when the account has no such
// session still going. Audit: SignedOut with detail scope=session.
func (s *Service) EndBrowserSession(ctx context.Context, accountID, sid string, by Actor) error {
	if !s.browserSessionsOn() || sid == "" {
		return ErrNotFound
	}
	n, err := s.sessions.EndBrowserSessions(ctx, accountID, sid, s.clock())
	if err != nil {
		return fmt.Errorf("accounts: end browser session: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	e := by.event(audit.SignedOut, accountID, audit.Success)
	e.Detail = map[string]string{"scope": "session"}
	return s.record(ctx, e)
}

// SignOutEverywhere ends everything the account is signed in to: every
// browser sign-in made up to now (this one too), every token and grant at
// every relying party, with back-channel logout. Consents stay; the citizen
// withdraws them one by one. The sign-in asking must be a complete one
// within ReauthWindow (ErrReauthRequired). Audit: SignedOut with detail
// scope=everywhere. An error after the sign-ins ended (the cascade) comes
// with the account.
func (s *Service) SignOutEverywhere(ctx context.Context, by SignedIn, who Actor) (Account, error) {
	if s.tokens == nil || s.logout == nil {
		return Account{}, ErrNoLockCascade
	}
	if !s.Reauthenticated(by) {
		if err := s.record(ctx, s.signOutAllEvent(who, by.AccountID, audit.Denied, "reauth_required")); err != nil {
			return Account{}, err
		}
		return Account{}, ErrReauthRequired
	}
	now := s.clock()
	a, err := s.update(ctx, by.AccountID, func(r *Record) (audit.Event, error) {
		r.SignInsEndedAt = &now
		return s.signOutAllEvent(who, r.ID, audit.Success, ""), nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: sign out everywhere: %w", err)
	}
	if s.browserSessionsOn() {
		// SignInsEndedAt already ends them; the rows follow so the list is
		// right at once.
		if _, err := s.sessions.EndBrowserSessions(context.WithoutCancel(ctx), a.ID, "", now); err != nil {
			return a, fmt.Errorf("accounts: sign out everywhere: %w", err)
		}
	}
	if err := s.endEverything(ctx, a.ID); err != nil {
		return a, fmt.Errorf("accounts: sign out everywhere: %w", err)
	}
	return a, nil
}

func (s *Service) signOutAllEvent(who Actor, accountID string, o audit.Outcome, reason string) audit.Event {
	e := who.event(audit.SignedOut, accountID, o)
	e.Reason = reason
	e.Detail = map[string]string{"scope": "everywhere", "consents": "kept"}
	return e
}

// purgeBrowserSessions drops sessions ended or idle for longer than any
// browser session lives.
func (s *Service) purgeBrowserSessions(ctx context.Context, before time.Time) (int64, error) {
	if !s.browserSessionsOn() {
		return 0, nil
	}
	return s.sessions.PurgeBrowserSessions(ctx, before)
}

// EndOwnBrowserSession marks the browser session sid ended when the
// browser itself signs out (its sign-out is audited apart): false when it
// was not going on.
func (s *Service) EndOwnBrowserSession(ctx context.Context, accountID, sid string) (bool, error) {
	if !s.browserSessionsOn() || sid == "" {
		return false, nil
	}
	n, err := s.sessions.EndBrowserSessions(ctx, accountID, sid, s.clock())
	if err != nil {
		return false, fmt.Errorf("accounts: end browser session: %w", err)
	}
	return n > 0, nil
}
