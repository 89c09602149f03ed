package proofing

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Citizen is what an officer sees when starting a citizen at the counter:
// the registry's identity, the account (when there is one) and the
// evidence its level rests on. Never a biometric.
type Citizen struct {
	Person   attributes.Person
	Account  *accounts.Account
	Evidence []accounts.Evidence
}

// LookUp shows an officer a citizen by personal ID number. The lookup is
// recorded in the citizen's history (when they have an account) before
// anything is returned: when that record cannot be written, the officer
// sees nothing.
func (s *Service) LookUp(ctx context.Context, by staff.Principal, personalID string) (Citizen, error) {
	if !by.Has(staff.RoleOfficer) {
		return Citizen{}, ErrForbidden
	}
	if err := validPersonalID(personalID); err != nil {
		return Citizen{}, err
	}
	var c Citizen
	p, err := s.cfg.Registry.Person(ctx, personalID)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		return Citizen{}, fmt.Errorf("%w: no population record for this personal ID number", ErrNotFound)
	case err != nil:
		return Citizen{}, fmt.Errorf("proofing: registry: %w", err)
	}
	c.Person = p
	a, err := s.cfg.Accounts.ByPersonalID(ctx, personalID)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return c, nil
	case err != nil:
		return Citizen{}, fmt.Errorf("proofing: account: %w", err)
	}
	e := audit.Event{Type: audit.HistoryViewed, ActorKind: audit.Officer, ActorID: by.MemberID, AccountID: a.ID,
		Outcome: audit.Success, Reason: "counter_lookup",
		Detail: map[string]string{"action": "counter_lookup", "unit": by.Unit.Code}}
	if err := s.cfg.Audit.Record(ctx, e); err != nil {
		return Citizen{}, fmt.Errorf("proofing: audit: %w", err)
	}
	ev, err := s.cfg.Accounts.Evidence(ctx, a.ID)
	if err != nil {
		return Citizen{}, fmt.Errorf("proofing: evidence: %w", err)
	}
	c.Account, c.Evidence = &a, ev
	return c, nil
}

// VerifiedRead reports whether readID is a chip read of the card of
// personalID that passed every check within ReadTTL: what an officer's
// unlock of a locked account rests on (package lockrequest). It returns
// ErrNotFound, ErrStale or ErrChecksFailed otherwise.
func (s *Service) VerifiedRead(ctx context.Context, readID, personalID string) error {
	r, err := s.cfg.Store.Read(ctx, readID)
	switch {
	case err != nil:
		return err
	case r.PersonalID != personalID:
		return fmt.Errorf("%w: the card read is not this citizen's", ErrNotFound)
	case s.now().Sub(r.CreatedAt) > s.cfg.ReadTTL:
		return ErrStale
	case !r.OK():
		return fmt.Errorf("%w: %v", ErrChecksFailed, r.Failed())
	}
	return nil
}
