package oidc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Key states, as operators see them (`dinhdanh keys list`, the console).
const (
	KeyNext    = "next"    // published, signs from SignFrom
	KeySigning = "signing" // signs new tokens now
	KeyRetired = "retired" // signs no more; published until PublishedUntil
)

// KeyState is one stored signing key at a moment: no private material.
type KeyState struct {
	KID       string     `json:"kid"`
	Alg       string     `json:"alg"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	SignFrom  time.Time  `json:"sign_from"`
	RetireAt  *time.Time `json:"retire_at,omitempty"`
	// PublishedUntil is when the key leaves the JWKS (RetireAt plus the
	// retention, the lifetime of the longest token it signed); nil while
	// it has no successor.
	PublishedUntil *time.Time `json:"published_until,omitempty"`
}

// States describes every stored key at now, per algorithm newest first.
func (k *Keys) States(ctx context.Context) ([]KeyState, error) {
	stored, _, err := k.cfg.Store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("oidc: list keys: %w", err)
	}
	return keyStates(stored, k.now(), k.cfg.Retention), nil
}

func keyStates(stored []StoredKey, now time.Time, retention time.Duration) []KeyState {
	out := make([]KeyState, 0, len(stored))
	for _, s := range stored {
		st := KeyState{KID: s.KID, Alg: s.Alg, CreatedAt: s.CreatedAt.UTC(), SignFrom: s.SignFrom.UTC()}
		switch {
		case s.SignFrom.After(now):
			st.State = KeyNext
		case s.RetireAt != nil && !s.RetireAt.After(now):
			st.State = KeyRetired
		default:
			st.State = KeySigning
		}
		if s.RetireAt != nil {
			r, p := s.RetireAt.UTC(), s.RetireAt.UTC().Add(retention)
			st.RetireAt, st.PublishedUntil = &r, &p
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b KeyState) int {
		return cmp.Or(cmp.Compare(a.Alg, b.Alg), b.SignFrom.Compare(a.SignFrom), cmp.Compare(a.KID, b.KID))
	})
	return out
}

// RotateBy rotates the keys (Rotate) for an operator and records it
// (audit.KeyRotated naming the new keys), as `dinhdanh keys rotate` and
// the operators' console do; it returns the keys added. Without
// KeysConfig.Audit it refuses: a rotation is never unaudited.
func (k *Keys) RotateBy(ctx context.Context, operator string) ([]KeyState, error) {
	if k.cfg.Audit == nil {
		return nil, errors.New("oidc: rotate keys: no audit recorder")
	}
	before, err := k.States(ctx)
	if err != nil {
		return nil, err
	}
	if err := k.Rotate(ctx); err != nil {
		return nil, err
	}
	after, err := k.States(ctx)
	if err != nil {
		return nil, err
	}
	var added []KeyState
	for _, s := range after {
		if !slices.ContainsFunc(before, func(b KeyState) bool { return b.KID == s.KID }) {
			added = append(added, s)
		}
	}
	if len(added) == 0 {
		return nil, errors.New("oidc: rotate keys: no new key is stored")
	}
	kids := make([]string, len(added))
	for i, s := range added {
		kids[i] = s.KID
	}
	err = k.cfg.Audit.Record(ctx, audit.Event{
		Type: audit.KeyRotated, ActorKind: audit.Operator, ActorID: operator, Outcome: audit.Success,
		Detail: map[string]string{"kids": strings.Join(kids, " "), "sign_from": added[0].SignFrom.Format(time.RFC3339)},
	})
	if err != nil {
		return added, fmt.Errorf("oidc: rotate keys: the keys were added but the audit log failed: %w", err)
	}
	return added, nil
}

// SignDelay is how long a rotated-in key is published before it signs.
func (k *Keys) SignDelay() time.Duration { return k.cfg.SignDelay }
