package proofing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/staff"
)

// SubmitRead verifies chip data a counter's reader sent for an officer:
// the challenge it signed must be one this officer was given (consumed
// here, even when a check fails), then every check of verifyChip runs. The
// read is stored with its checks, passed or not, and audited (in the
// citizen's history when the card names a citizen); the officer's screen
// shows it. A read with a failed check returns it with ErrChecksFailed.
func (s *Service) SubmitRead(ctx context.Context, by staff.Principal, chip cardreader.ChipData) (ChipRead, error) {
	if !by.Has(staff.RoleOfficer) {
		return ChipRead{}, ErrForbidden
	}
	if len(chip.Challenge) != 8 {
		return ChipRead{}, fmt.Errorf("%w: the chip must answer a challenge from this gateway", ErrChallenge)
	}
	if err := s.cfg.Store.UseChallenge(ctx, chip.Challenge, by.MemberID, s.now()); err != nil {
		return ChipRead{}, fmt.Errorf("proofing: %w", err)
	}
	r, err := s.verifyChip(ctx, chip)
	if err != nil {
		return ChipRead{}, err
	}
	r.ReadBy, r.Unit = by.MemberID, by.Unit.Code
	if err := s.saveRead(ctx, r, officerActor(by)); err != nil {
		return ChipRead{}, err
	}
	if !r.OK() {
		return r, fmt.Errorf("%w: %s", ErrChecksFailed, strings.Join(r.Failed(), ", "))
	}
	return r, nil
}

// saveRead stores r with its audit event: in the citizen's history when
// the ID number has an account.
func (s *Service) saveRead(ctx context.Context, r ChipRead, by accounts.Actor) error {
	outcome := audit.Success
	if !r.OK() {
		outcome = audit.Failure
	}
	e := audit.Event{Type: audit.OfficerAction, ActorKind: by.Kind, ActorID: by.ID, Outcome: outcome, Reason: "chip_read",
		Detail: map[string]string{"action": "chip_read", "read_id": r.ID, "access_control": r.AccessControl, "document": r.Document}}
	if r.Unit != "" {
		e.Detail["unit"] = r.Unit
	}
	if f := r.Failed(); len(f) > 0 {
		e.Detail["failed"] = strings.Join(f, ",")
	}
	if r.PersonalID != "" {
		if a, err := s.cfg.Accounts.ByPersonalID(ctx, r.PersonalID); err == nil {
			e.AccountID = a.ID
		} else if !errors.Is(err, accounts.ErrNotFound) {
			return fmt.Errorf("proofing: account: %w", err)
		}
	}
	if err := s.cfg.Store.SaveRead(ctx, r, func() error { return s.cfg.Audit.Record(ctx, e) }); err != nil {
		return fmt.Errorf("proofing: save read: %w", err)
	}
	return nil
}

// Read returns a read for the officer who made it (or a supervisor of the
// same unit).
func (s *Service) Read(ctx context.Context, by staff.Principal, id string) (ChipRead, error) {
	r, err := s.cfg.Store.Read(ctx, id)
	if err != nil {
		return ChipRead{}, err
	}
	if r.ReadBy != by.MemberID && !(by.Has(staff.RoleSupervisor) && r.Unit == by.Unit.Code) {
		return ChipRead{}, ErrForbidden
	}
	return r, nil
}

// RecentReads lists the officer's reads of the last ReadTTL, newest first.
func (s *Service) RecentReads(ctx context.Context, by staff.Principal) ([]ChipRead, error) {
	if !by.Has(staff.RoleOfficer) {
		return nil, ErrForbidden
	}
	return s.cfg.Store.Reads(ctx, by.MemberID, s.now().Add(-s.cfg.ReadTTL))
}

// Capture is what the officer captured from the citizen at the counter.
type Capture struct {
	// Portrait is the photo taken at the counter (JPEG or PNG).
	Portrait       []byte
	PortraitFormat string // "image/jpeg" or "image/png"
	// Fingerprint is the template of one finger, ISO/IEC 19794-2 (see
	// ParseFMR), and FingerPosition its finger (1 right thumb … 10).
	Fingerprint    []byte
	FingerPosition int
	// Consent: the citizen agreed, at the counter, to this enrolment and
	// to the storing of their biometrics.
	Consent bool
	// PortraitCompared: for a passport, the officer compared the chip's
	// portrait (ChipRead.Portrait) with the person at the counter and
	// found them the same.
	PortraitCompared bool
}

// maxPortrait bounds a portrait's size.
const maxPortrait = 2 << 20

// EnrolLevel2 grants level 2 on a verified read made by the same officer
// within ReadTTL: the read's checks, the portrait, the fingerprint matched
// against the template enrolled for the card, and the citizen's consent
// become the evidence. Any failed check refuses with ErrChecksFailed and
// names it; nothing is stored then (the refusal is audited). The read is
// used once.
func (s *Service) EnrolLevel2(ctx context.Context, by staff.Principal, readID string, c Capture) (accounts.Account, accounts.Evidence, error) {
	if !by.Has(staff.RoleOfficer) {
		return accounts.Account{}, accounts.Evidence{}, ErrForbidden
	}
	r, err := s.cfg.Store.Read(ctx, readID)
	switch {
	case err != nil:
		return accounts.Account{}, accounts.Evidence{}, err
	case r.ReadBy != by.MemberID:
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("%w: the read is another officer's", ErrForbidden)
	case r.UsedAt != nil || s.now().Sub(r.CreatedAt) > s.cfg.ReadTTL:
		return accounts.Account{}, accounts.Evidence{}, ErrStale
	case !r.OK():
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("%w: %s", ErrChecksFailed, strings.Join(r.Failed(), ", "))
	}
	acct, err := s.cfg.Accounts.ByPersonalID(ctx, r.PersonalID)
	if errors.Is(err, accounts.ErrNotFound) {
		e := audit.Event{Type: audit.OfficerAction, ActorKind: audit.Officer, ActorID: by.MemberID, Outcome: audit.Failure,
			Reason: "enrol_level2", Detail: map[string]string{"action": "enrol_level2", "read_id": r.ID, "failed": "no_account",
				"document": r.Document, "unit": by.Unit.Code}}
		if err := s.cfg.Audit.Record(ctx, e); err != nil {
			return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("proofing: audit: %w", err)
		}
		return accounts.Account{}, accounts.Evidence{}, ErrNoAccount
	} else if err != nil {
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("proofing: account: %w", err)
	}

	checks := append([]accounts.Check(nil), r.Checks...)
	portrait := accounts.Check{Name: CheckPortrait, OK: true, Detail: "taken at the counter"}
	if err := validPortrait(c.Portrait, c.PortraitFormat); err != nil {
		portrait.OK, portrait.Detail = false, "a JPEG or PNG portrait of at most 2 MiB is required"
	}
	passport := r.Document == DocumentPassport
	fp := accounts.Check{Name: CheckFingerprint}
	switch {
	case c.FingerPosition < 1 || c.FingerPosition > 10 || len(c.Fingerprint) == 0:
		fp.Detail = "a fingerprint template and its finger (1-10) are required"
		if passport {
			fp.Name = CheckFingerprintEnrolled
		}
	case passport:
		// No state keeps a fingerprint of a foreigner for this gateway to
		// match: the template taken here becomes the account's reference,
		// and the evidence says so instead of claiming a match.
		fp.Name = CheckFingerprintEnrolled
		if _, err := ParseFMR(c.Fingerprint); err != nil {
			fp.Detail = err.Error()
		} else {
			fp.OK = true
			fp.Detail = fmt.Sprintf("no national fingerprint reference exists for a foreigner: the template of finger %d taken at the counter becomes the account's enrolled reference; nothing was matched", c.FingerPosition)
		}
	default:
		if m, err := s.cfg.Matcher.Match(ctx, r.PersonalID, c.FingerPosition, c.Fingerprint); err != nil {
			fp.Detail = err.Error()
		} else {
			fp.OK = m.OK()
			fp.Detail = fmt.Sprintf("score %d, threshold %d", m.Score, m.Threshold)
		}
	}
	if passport {
		cp := accounts.Check{Name: CheckChipPortrait, OK: c.PortraitCompared,
			Detail: "the officer compared the passport chip's portrait (DG2, signed by the issuing state) with the person at the counter"}
		if !c.PortraitCompared {
			cp.Detail = "the officer did not confirm that the passport chip's portrait shows the person at the counter"
		}
		checks = append(checks, cp)
	}
	consent := accounts.Check{Name: CheckConsent, OK: c.Consent}
	if !c.Consent {
		consent.Detail = "the citizen's consent was not recorded"
	}
	checks = append(checks, portrait, fp, consent)

	doc := r.Document
	if doc == "" {
		doc = DocumentIDCard
	}
	ev := accounts.Evidence{Level: assurance.Level2, Method: accounts.EvidenceCounter, DocumentNumber: r.DocumentNumber,
		IssuingState: r.IssuingState, DocumentExpiry: &r.DocumentExpiry, Signer: r.Signer, Document: doc, CSCA: r.CSCA,
		Checks: checks, OfficerID: by.MemberID, Unit: by.Unit.Code}
	if f := ev.Failed(); len(f) > 0 {
		e := audit.Event{Type: audit.OfficerAction, ActorKind: audit.Officer, ActorID: by.MemberID, AccountID: acct.ID,
			Outcome: audit.Failure, Reason: "enrol_level2",
			Detail: map[string]string{"action": "enrol_level2", "read_id": r.ID, "failed": strings.Join(f, ","), "unit": by.Unit.Code, "document": r.Document}}
		if err := s.cfg.Audit.Record(ctx, e); err != nil {
			return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("proofing: audit: %w", err)
		}
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("%w: %s", ErrChecksFailed, strings.Join(f, ", "))
	}

	// The read is used first (so that a second click cannot enrol twice),
	// then the biometrics stored and the level raised, each in its own
	// transaction: no connection is held while another is awaited. When a
	// later step fails the read is released, on a context the caller
	// cannot cancel, so that the officer can try again.
	if err := s.cfg.Store.UseRead(ctx, r.ID, s.now()); err != nil {
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("proofing: %w", err)
	}
	out, outEv, err := s.enrolWith(ctx, acct.ID, ev, c, by)
	if err != nil {
		if rerr := s.cfg.Store.ReleaseRead(context.WithoutCancel(ctx), r.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("proofing: enrol: %w", err)
	}
	if r.Document == DocumentPassport {
		// The visual comparison is over: the chip's portrait goes. Should
		// this fail, PurgePortraits drops it once the read is too old.
		_, _ = s.cfg.Store.DropPortraits(context.WithoutCancel(ctx), r.ID, time.Time{})
	}
	s.notify(ctx, out, 2, true, "")
	return out, outEv, nil
}

// PurgePortraits drops the chip portraits of reads older than ReadTTL,
// which no enrolment can use any more (a periodic job).
func (s *Service) PurgePortraits(ctx context.Context) (int64, error) {
	return s.cfg.Store.DropPortraits(ctx, "", s.now().Add(-s.cfg.ReadTTL))
}

func (s *Service) enrolWith(ctx context.Context, accountID string, ev accounts.Evidence, c Capture, by staff.Principal) (accounts.Account, accounts.Evidence, error) {
	now := s.now()
	for _, b := range []biometrics.Record{
		{AccountID: accountID, Kind: biometrics.Portrait, Template: c.Portrait, Format: c.PortraitFormat, CapturedAt: now, CapturedBy: by.MemberID},
		{AccountID: accountID, Kind: biometrics.Fingerprint, Position: c.FingerPosition, Template: c.Fingerprint, Format: FMRFormat, CapturedAt: now, CapturedBy: by.MemberID},
	} {
		if err := s.cfg.Biometrics.Put(ctx, b); err != nil {
			return accounts.Account{}, accounts.Evidence{}, fmt.Errorf("biometrics: %w", err)
		}
	}
	return s.cfg.Accounts.Enrol(ctx, accountID, ev, officerActor(by))
}

// notify tells the citizen, best effort: the enrolment stands even when
// the message cannot be sent (the account page shows the level).
func (s *Service) notify(ctx context.Context, a accounts.Account, level int, approved bool, reason string) {
	if s.cfg.Notifier != nil {
		_ = s.cfg.Notifier.NotifyEnrolment(context.WithoutCancel(ctx), a, level, approved, reason)
	}
}
