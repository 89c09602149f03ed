package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
)

// ErrLevel: the enrolment would lower the account's level.
var ErrLevel = errors.New("accounts: account level does not allow this enrolment")

// Enrol raises an account to ev.Level on the strength of ev, which the
// proofing service built from the checks it ran (the chip read, the
// registry comparison, biometrics, the citizen's consent): the evidence is
// written in the same transaction as the level, and the account points to
// it. Every check must have passed. A new card read at the same level
// replaces the evidence the level rests on; a lower level is refused
// (ErrLevel), as is a locked account (ErrLocked).
//
// Audit: OfficerAction with action "enrol_level1" or "enrol_level2", the
// old and new level, the evidence id and method; the actor is the officer,
// or the system for an app enrolment approved by rule.
func (s *Service) Enrol(ctx context.Context, accountID string, ev Evidence, by Actor) (Account, Evidence, error) {
	if by.ID == "" {
		return Account{}, Evidence{}, fmt.Errorf("%w: who enrols must be named", ErrInvalid)
	}
	if ev.Method == EvidenceImport {
		return Account{}, Evidence{}, fmt.Errorf("%w: an imported level comes with the account, not by enrolment", ErrInvalid)
	}
	ev.ID, ev.AccountID, ev.CreatedAt = uuid.NewString(), accountID, s.clock()
	ev.RevokedAt, ev.RevokedReason = nil, ""
	if err := ev.validate(); err != nil {
		return Account{}, Evidence{}, err
	}
	a, err := s.update(ctx, accountID, func(r *Record) (audit.Event, error) {
		switch {
		case r.Status == Locked:
			return audit.Event{}, ErrLocked
		case ev.Level < r.Level:
			return audit.Event{}, fmt.Errorf("%w: account is level %d, the evidence is for level %d", ErrLevel, r.Level, ev.Level)
		}
		from := r.Level
		r.Level, r.EvidenceID, r.Enrolment = ev.Level, ev.ID, &ev
		e := by.event(audit.OfficerAction, r.ID, audit.Success)
		e.Reason = fmt.Sprintf("enrol_level%d", ev.Level)
		e.Detail = map[string]string{"action": e.Reason, "from_level": fmt.Sprint(int(from)), "to_level": fmt.Sprint(int(ev.Level)),
			"evidence_id": ev.ID, "method": string(ev.Method)}
		if ev.Unit != "" {
			e.Detail["unit"] = ev.Unit
		}
		return e, nil
	})
	if err != nil {
		return Account{}, Evidence{}, fmt.Errorf("accounts: enrol level %d: %w", ev.Level, err)
	}
	return a, ev, nil
}

// Evidence returns the account's enrolment evidence, newest first.
func (s *Service) Evidence(ctx context.Context, accountID string) ([]Evidence, error) {
	out, err := s.store.EvidenceOf(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: evidence: %w", err)
	}
	return out, nil
}

// RevokeEvidence withdraws one evidence record (its card was revoked, its
// signer certificate distrusted, it was made in error): the account's level
// falls to that of its newest evidence still valid, or 0. by names the
// officer or operator; reason is required.
//
// Audit: OfficerAction "evidence_revoked" with the evidence id and the old
// and new level.
func (s *Service) RevokeEvidence(ctx context.Context, accountID, evidenceID, reason string, by Actor) (Account, error) {
	reason = strings.TrimSpace(reason)
	if by.ID == "" || reason == "" || len(reason) > 500 {
		return Account{}, fmt.Errorf("%w: who revokes and why (at most 500 bytes) are required", ErrInvalid)
	}
	now := s.clock()
	r, err := s.store.RevokeEvidence(ctx, accountID, evidenceID, now, reason, func(r *Record, valid []Evidence) error {
		from := r.Level
		r.Level, r.EvidenceID = assurance.None, ""
		for _, e := range valid { // newest first: the newest of the highest level
			if e.Level > r.Level {
				r.Level, r.EvidenceID = e.Level, e.ID
			}
		}
		r.UpdatedAt = now
		e := by.event(audit.OfficerAction, r.ID, audit.Success)
		e.Reason = "evidence_revoked"
		e.Detail = map[string]string{"action": e.Reason, "evidence_id": evidenceID,
			"from_level": fmt.Sprint(int(from)), "to_level": fmt.Sprint(int(r.Level))}
		return s.record(ctx, e)
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: revoke evidence: %w", err)
	}
	return r.Account, nil
}
