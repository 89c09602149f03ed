package consent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Kind says what a Change does.
type Kind string

// Change kinds.
const (
	// Granted records a consent given on the consent screen. It replaces
	// the previous grant of the same citizen and client entirely: it holds
	// exactly what that screen showed and the citizen approved.
	Granted Kind = "granted"
	// Revoked ends the grant in force.
	Revoked Kind = "revoked"
)

// Actor is who made a change, and from where. The store keeps Kind and ID;
// the address, user agent and request id go to the audit log only.
type Actor struct {
	Kind audit.ActorKind
	ID   string

	IP        string
	UserAgent string
	RequestID string
}

// Change is one appended consent record. Changes are never updated or
// deleted; the consent of a citizen and client at any moment is the fold of
// its changes up to that moment.
type Change struct {
	// Seq is the store's global, increasing sequence number; set by the store.
	Seq       int64
	Kind      Kind
	AccountID string
	ClientID  string
	// At is when the change was made (UTC). A store never lets a change of
	// one citizen and client precede the one before it.
	At time.Time
	By Actor

	// For Granted only:
	Scopes []string
	// Claims are the claim names that may be released.
	Claims []string
	// Declined are voluntary claim names the citizen unticked on that screen,
	// so that the same request does not ask again until the purpose changes.
	Declined       []string
	PurposeVersion string
	ExpiresAt      time.Time
}

// Validate checks what every store requires of a change before appending it.
func (c Change) Validate() error {
	switch {
	case c.AccountID == "" || c.ClientID == "":
		return fmt.Errorf("%w: account and client ids are required", ErrInvalid)
	case c.At.IsZero():
		return fmt.Errorf("%w: change time is required", ErrInvalid)
	case c.By.Kind == "":
		return fmt.Errorf("%w: actor kind is required", ErrInvalid)
	}
	switch c.Kind {
	case Granted:
		if !c.ExpiresAt.After(c.At) {
			return fmt.Errorf("%w: a grant must expire after it was made", ErrInvalid)
		}
	case Revoked:
	default:
		return fmt.Errorf("%w: unknown change kind %q", ErrInvalid, c.Kind)
	}
	return nil
}

// Status of a grant at some moment.
type Status string

// Grant statuses.
const (
	StatusActive  Status = "active"
	StatusExpired Status = "expired"
	StatusRevoked Status = "revoked"
)

// Grant is the consent of one citizen to one relying party as it stands at
// some moment: the latest grant, and its revocation if one followed.
type Grant struct {
	AccountID      string
	ClientID       string
	Scopes         []string
	Claims         []string
	Declined       []string
	PurposeVersion string
	GrantedAt      time.Time
	ExpiresAt      time.Time
	// RevokedAt is zero unless the grant was revoked.
	RevokedAt time.Time
	RevokedBy Actor
	// LastUsedAt is the last time the relying party used the consent (a
	// token issued or refreshed, userinfo read); zero if never. It is a
	// usage mark, not part of the consent history.
	LastUsedAt time.Time
	// Seq is the sequence number of the latest change folded in.
	Seq int64
}

// Status reports whether the grant is active, expired or revoked at now.
func (g Grant) Status(now time.Time) Status {
	switch {
	case !g.RevokedAt.IsZero():
		return StatusRevoked
	case !now.Before(g.ExpiresAt):
		return StatusExpired
	default:
		return StatusActive
	}
}

// Apply folds change c into g and returns the result. Stores and fakes use it
// so that every implementation computes state the same way.
func (g Grant) Apply(c Change) Grant {
	switch c.Kind {
	case Granted:
		return Grant{
			AccountID:      c.AccountID,
			ClientID:       c.ClientID,
			Scopes:         slices.Clone(c.Scopes),
			Claims:         slices.Clone(c.Claims),
			Declined:       slices.Clone(c.Declined),
			PurposeVersion: c.PurposeVersion,
			GrantedAt:      c.At,
			ExpiresAt:      c.ExpiresAt,
			LastUsedAt:     g.LastUsedAt,
			Seq:            c.Seq,
		}
	case Revoked:
		g.RevokedAt = c.At
		g.RevokedBy = Actor{Kind: c.By.Kind, ID: c.By.ID}
		g.Seq = c.Seq
	}
	return g
}

// CheckAppend enforces the rule every store applies under its per-citizen
// and client lock: a revocation needs a grant in force (not already revoked).
// found says whether cur exists.
func CheckAppend(cur Grant, found bool, c Change) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Kind == Revoked {
		if !found {
			return fmt.Errorf("consent: revoke %s for %s: %w", c.ClientID, c.AccountID, ErrNotFound)
		}
		if !cur.RevokedAt.IsZero() {
			return fmt.Errorf("consent: revoke %s for %s: %w", c.ClientID, c.AccountID, ErrRevoked)
		}
	}
	return nil
}

// Store keeps consent changes, append-only. Implementations serialise the
// changes of one citizen and client, so that a grant and a revocation racing
// each other both land, in some order, and the state always equals the fold
// of the history.
type Store interface {
	// Update locks the consent of accountID and clientID, passes fn its
	// current state (found is false when there is none) and appends the
	// change fn returns, all in one transaction. If fn fails nothing is
	// appended and its error is returned. fn runs before the commit: what it
	// does (recording an audit event) is done before the change is visible.
	// If the change's At precedes the latest change's time it is moved up to
	// it, so that history is ordered in time as in sequence.
	Update(ctx context.Context, accountID, clientID string, fn func(cur Grant, found bool) (Change, error)) (Grant, error)
	// Append appends c after CheckAppend. It returns the new state.
	Append(ctx context.Context, c Change) (Grant, error)
	// Current returns the latest state, revoked or expired ones included;
	// ErrNotFound if nothing was ever granted.
	Current(ctx context.Context, accountID, clientID string) (Grant, error)
	// AsOf returns the state as it stood at t: the changes made at or before
	// t folded together. ErrNotFound if nothing had been granted by then.
	AsOf(ctx context.Context, accountID, clientID string, t time.Time) (Grant, error)
	// ListForAccount returns the current state for every client the citizen
	// ever granted, most recently granted first.
	ListForAccount(ctx context.Context, accountID string) ([]Grant, error)
	// History returns every change of the citizen and client, oldest first.
	History(ctx context.Context, accountID, clientID string) ([]Change, error)
	// TouchLastUsed marks that the client used the consent at t (keeping
	// the later of t and the mark already stored). ErrNotFound if there is no
	// consent.
	TouchLastUsed(ctx context.Context, accountID, clientID string, t time.Time) error
}

// normalize returns a sorted, de-duplicated copy of names without empties.
func normalize(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// subset reports whether every name in a is in b.
func subset(a, b []string) bool {
	for _, n := range a {
		if !slices.Contains(b, n) {
			return false
		}
	}
	return true
}
