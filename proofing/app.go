package proofing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/staff"
)

// SubmissionState is where an app submission stands.
type SubmissionState string

// Submission states.
const (
	Pending  SubmissionState = "pending"
	Approved SubmissionState = "approved"
	Refused  SubmissionState = "refused"
)

// Channel says how the phone read the card.
type Channel string

// Channels.
const (
	// ChannelNFC: the chip read by NFC, with its answer to a challenge.
	ChannelNFC Channel = "nfc"
	// ChannelQR: only the card's QR text, which proves nothing
	// cryptographically: an officer decides.
	ChannelQR Channel = "qr"
)

// CheckOfficerReview is the check an officer's decision adds.
const CheckOfficerReview = "officer_review"

// Submission is a citizen's request, from the app, for level 1: the card
// as read (a ChipRead for NFC, the QR's identity otherwise), the checks run
// and the decision. The portrait is kept only while the submission waits
// for an officer, and is never part of what Submission returns to the app.
type Submission struct {
	ID             string
	AccountID      string
	PersonalID     string
	Channel        Channel
	ReadID         string // the ChipRead, for ChannelNFC
	DocumentNumber string
	IssuingState   string
	DocumentExpiry *time.Time
	Signer         string
	Checks         []accounts.Check
	State          SubmissionState
	// Portrait and its media type, while Pending (nil afterwards: on
	// approval it moves to the biometric store).
	Portrait       []byte
	PortraitFormat string
	CreatedAt      time.Time
	DecidedAt      *time.Time
	// DecidedBy and Unit name the officer; empty when a rule decided.
	DecidedBy  string
	Unit       string
	Reason     string
	EvidenceID string
}

// AppSubmission is what the app posts.
type AppSubmission struct {
	PersonalID string
	// Chip is the chip data read by NFC, with Challenge from
	// IssueAppChallenge; nil when the phone has no NFC and QR is set.
	Chip *cardreader.ChipData
	// QR is the text of the card's QR code.
	QR             string
	Portrait       []byte
	PortraitFormat string
}

// ruleActor is who approves a submission whose every check passed.
var ruleActor = accounts.Actor{Kind: audit.System, ID: "proofing-rule"}

func appTo(personalID string) string { return "app:" + personalID }

// IssueAppChallenge gives the app a challenge for the chip of the card with
// personalID. The caller rate-limits it.
func (s *Service) IssueAppChallenge(ctx context.Context, personalID string) (Challenge, error) {
	if err := validPersonalID(personalID); err != nil {
		return Challenge{}, err
	}
	return s.issue(ctx, appTo(personalID))
}

func validPersonalID(id string) error {
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("%w: a personal ID number has 12 digits", ErrInvalid)
	}
	return nil
}

// Submit takes the app's request for level 1. With the chip read by NFC,
// the same verification as at a counter runs, and when every check passes
// (and the portrait is usable) the level is granted at once by rule; a
// failed check refuses it with the reason. A QR-only submission is checked
// against the registry and queued for an officer. The citizen is told the
// result (SMS or e-mail) when it is decided.
func (s *Service) Submit(ctx context.Context, in AppSubmission) (Submission, error) {
	if err := validPersonalID(in.PersonalID); err != nil {
		return Submission{}, err
	}
	if (in.Chip == nil) == (in.QR == "") {
		return Submission{}, fmt.Errorf("%w: send either the chip data or the QR text", ErrInvalid)
	}
	if err := validPortrait(in.Portrait, in.PortraitFormat); err != nil {
		return Submission{}, err
	}
	acct, err := s.cfg.Accounts.ByPersonalID(ctx, in.PersonalID)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return Submission{}, ErrNoAccount
	case err != nil:
		return Submission{}, fmt.Errorf("proofing: account: %w", err)
	case acct.Status == accounts.Locked:
		return Submission{}, fmt.Errorf("%w: the account is locked", ErrForbidden)
	case acct.Level >= assurance.Level1:
		return Submission{}, fmt.Errorf("%w: the account is already at level %d", ErrInvalid, acct.Level)
	}
	sub := Submission{ID: uuid.NewString(), AccountID: acct.ID, PersonalID: in.PersonalID, State: Pending,
		Portrait: in.Portrait, PortraitFormat: in.PortraitFormat, CreatedAt: s.now()}
	portrait := accounts.Check{Name: CheckPortrait, OK: true, Detail: "taken by the app"}
	if in.Chip != nil {
		return s.submitChip(ctx, acct, sub, *in.Chip, portrait)
	}
	return s.submitQR(ctx, sub, in.QR, portrait)
}

// validPortrait accepts a JPEG or PNG of at most 2 MiB whose bytes are
// what the format says.
func validPortrait(b []byte, format string) error {
	ok := len(b) <= maxPortrait && (format == "image/jpeg" && bytes.HasPrefix(b, []byte("\xff\xd8\xff")) ||
		format == "image/png" && bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")))
	if !ok {
		return fmt.Errorf("%w: a JPEG or PNG portrait of at most 2 MiB is required", ErrInvalid)
	}
	return nil
}

func (s *Service) submitChip(ctx context.Context, acct accounts.Account, sub Submission, chip cardreader.ChipData, portrait accounts.Check) (Submission, error) {
	if len(chip.Challenge) != 8 {
		return Submission{}, fmt.Errorf("%w: the chip must answer a challenge from this gateway", ErrChallenge)
	}
	if err := s.cfg.Store.UseChallenge(ctx, chip.Challenge, appTo(sub.PersonalID), s.now()); err != nil {
		return Submission{}, fmt.Errorf("proofing: %w", err)
	}
	r, err := s.verifyChip(ctx, chip)
	if err != nil {
		return Submission{}, err
	}
	if r.Document != DocumentIDCard {
		return Submission{}, fmt.Errorf("%w: a passport is read at a counter, not in the app", ErrInvalid)
	}
	if r.PersonalID != "" && r.PersonalID != sub.PersonalID {
		return Submission{}, fmt.Errorf("%w: the card read is not the card of this personal ID number", ErrInvalid)
	}
	if err := s.saveRead(ctx, r, accounts.Actor{Kind: audit.Citizen, ID: acct.ID}); err != nil {
		return Submission{}, err
	}
	sub.Channel, sub.ReadID = ChannelNFC, r.ID
	sub.DocumentNumber, sub.IssuingState, sub.Signer = r.DocumentNumber, r.IssuingState, r.Signer
	if !r.DocumentExpiry.IsZero() {
		exp := r.DocumentExpiry
		sub.DocumentExpiry = &exp
	}
	sub.Checks = append(append([]accounts.Check(nil), r.Checks...), portrait)
	if f := failed(sub.Checks); len(f) > 0 {
		now := s.now()
		sub.State, sub.DecidedAt, sub.Reason, sub.Portrait = Refused, &now, "failed: "+strings.Join(f, ", "), nil
		if err := s.createSubmission(ctx, sub); err != nil {
			return Submission{}, err
		}
		s.notify(ctx, acct, 1, false, sub.Reason)
		return sub, fmt.Errorf("%w: %s", ErrChecksFailed, strings.Join(f, ", "))
	}
	// Every check passed: the rule approves. The submission is stored
	// pending first, so that a failure of the enrolment leaves it for an
	// officer rather than losing it.
	if err := s.createSubmission(ctx, sub); err != nil {
		return Submission{}, err
	}
	return s.decide(ctx, sub.ID, true, "", ruleActor, staff.Principal{})
}

func (s *Service) submitQR(ctx context.Context, sub Submission, text string, portrait accounts.Check) (Submission, error) {
	q, err := cardreader.ParseQR(text)
	if err != nil {
		return Submission{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if q.PersonalID != sub.PersonalID {
		return Submission{}, fmt.Errorf("%w: the QR code is not the card of this personal ID number", ErrInvalid)
	}
	reg := accounts.Check{Name: CheckRegistry}
	p, err := s.cfg.Registry.Person(ctx, q.PersonalID)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		reg.Detail = "no population record for this personal ID number"
	case err != nil:
		return Submission{}, fmt.Errorf("proofing: registry: %w", err)
	default:
		bad := compareQR(q, p)
		reg.OK = len(bad) == 0
		if !reg.OK {
			reg.Detail = "differs from the registry: " + strings.Join(bad, ", ")
		}
	}
	sub.Channel, sub.DocumentNumber, sub.IssuingState = ChannelQR, q.PersonalID, "VNM"
	// A QR code proves nothing cryptographically: the submission always
	// waits for an officer, whose review becomes a check of its own.
	sub.Checks = []accounts.Check{reg, portrait}
	if err := s.createSubmission(ctx, sub); err != nil {
		return Submission{}, err
	}
	return sub, nil
}

func compareQR(q cardreader.QR, p attributes.Person) []string {
	var bad []string
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	if norm(q.FullName) != norm(p.FullName) {
		bad = append(bad, "full_name")
	}
	if !q.BirthDate.Equal(p.BirthDate) {
		bad = append(bad, "birth_date")
	}
	if q.Gender != p.Gender {
		bad = append(bad, "gender")
	}
	return bad
}

func failed(cs []accounts.Check) []string {
	var out []string
	for _, c := range cs {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

func (s *Service) createSubmission(ctx context.Context, sub Submission) error {
	e := audit.Event{Type: audit.OfficerAction, ActorKind: audit.Citizen, ActorID: sub.AccountID, AccountID: sub.AccountID,
		Outcome: audit.Success, Reason: "enrolment_submitted",
		Detail: map[string]string{"action": "enrolment_submitted", "submission_id": sub.ID, "channel": string(sub.Channel), "state": string(sub.State)}}
	if f := failed(sub.Checks); len(f) > 0 {
		e.Detail["failed"] = strings.Join(f, ",")
	}
	if err := s.cfg.Store.CreateSubmission(ctx, sub, func() error { return s.cfg.Audit.Record(ctx, e) }); err != nil {
		return fmt.Errorf("proofing: save submission: %w", err)
	}
	return nil
}

// Submission returns a submission, without its portrait, for the app
// (which names it by id) or an officer.
func (s *Service) Submission(ctx context.Context, id string) (Submission, error) {
	sub, err := s.cfg.Store.Submission(ctx, id)
	if err != nil {
		return Submission{}, err
	}
	sub.Portrait = nil
	return sub, nil
}

// PendingSubmissions lists what waits for an officer, oldest first, with
// the portraits (for the officer's screen only).
func (s *Service) PendingSubmissions(ctx context.Context, by staff.Principal, limit int) ([]Submission, error) {
	if !by.Has(staff.RoleOfficer) {
		return nil, ErrForbidden
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.cfg.Store.PendingSubmissions(ctx, limit)
}

// DecideSubmission is an officer's decision on a pending submission: on
// approval the officer's review joins the checks and level 1 is granted
// with that evidence; on refusal the reason is recorded. The citizen is
// told either way.
func (s *Service) DecideSubmission(ctx context.Context, by staff.Principal, id string, approve bool, reason string) (Submission, error) {
	if !by.Has(staff.RoleOfficer) {
		return Submission{}, ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Submission{}, fmt.Errorf("%w: a refusal says why", ErrInvalid)
	}
	if len(reason) > 500 {
		return Submission{}, fmt.Errorf("%w: the reason is too long", ErrInvalid)
	}
	return s.decide(ctx, id, approve, reason, officerActor(by), by)
}

// decide settles a pending submission. The submission's row is locked
// while the level is raised: the enrolment runs on its own transaction
// (accounts'), after the decision is written, and a failed enrolment puts
// the submission back to pending (on a context the caller cannot cancel).
func (s *Service) decide(ctx context.Context, id string, approve bool, reason string, actor accounts.Actor, by staff.Principal) (Submission, error) {
	now := s.now()
	var portrait []byte
	var format string
	sub, err := s.cfg.Store.UpdateSubmission(ctx, id, func(sub *Submission) error {
		if sub.State != Pending {
			return fmt.Errorf("%w: the submission was decided already", ErrStale)
		}
		portrait, format = sub.Portrait, sub.PortraitFormat
		sub.DecidedAt, sub.DecidedBy, sub.Unit, sub.Reason, sub.Portrait = &now, by.MemberID, by.Unit.Code, reason, nil
		sub.State = Refused
		if approve {
			sub.State = Approved
			if by.MemberID != "" {
				sub.Checks = append(sub.Checks, accounts.Check{Name: CheckOfficerReview, OK: true,
					Detail: "the officer compared the portrait and the card with the registry"})
			}
			if f := failed(sub.Checks); len(f) > 0 {
				return fmt.Errorf("%w: %s", ErrChecksFailed, strings.Join(f, ", "))
			}
		}
		e := audit.Event{Type: audit.OfficerAction, ActorKind: actor.Kind, ActorID: actor.ID, AccountID: sub.AccountID,
			Outcome: audit.Success, Reason: "enrolment_decided",
			Detail: map[string]string{"action": "enrolment_decided", "submission_id": sub.ID, "state": string(sub.State)}}
		if by.Unit.Code != "" {
			e.Detail["unit"] = by.Unit.Code
		}
		return s.cfg.Audit.Record(ctx, e)
	})
	if err != nil {
		return Submission{}, fmt.Errorf("proofing: decide: %w", err)
	}
	acct, err := s.accountByID(ctx, sub)
	if err != nil {
		return Submission{}, err
	}
	if sub.State == Refused {
		s.notify(ctx, acct, 1, false, reason)
		return sub, nil
	}
	ev := accounts.Evidence{Level: assurance.Level1, Method: accounts.EvidenceApp, DocumentNumber: sub.DocumentNumber,
		IssuingState: sub.IssuingState, DocumentExpiry: sub.DocumentExpiry, Signer: sub.Signer, Checks: sub.Checks,
		OfficerID: by.MemberID, Unit: by.Unit.Code}
	if err := s.cfg.Biometrics.Put(ctx, biometrics.Record{AccountID: sub.AccountID, Kind: biometrics.Portrait, Template: portrait,
		Format: format, CapturedAt: sub.CreatedAt, CapturedBy: "app"}); err != nil {
		return Submission{}, s.reopen(ctx, sub.ID, portrait, fmt.Errorf("proofing: biometrics: %w", err))
	}
	out, outEv, err := s.cfg.Accounts.Enrol(ctx, sub.AccountID, ev, actor)
	if err != nil {
		return Submission{}, s.reopen(ctx, sub.ID, portrait, fmt.Errorf("proofing: enrol: %w", err))
	}
	if _, err := s.cfg.Store.UpdateSubmission(context.WithoutCancel(ctx), sub.ID, func(x *Submission) error {
		x.EvidenceID = outEv.ID
		return nil
	}); err != nil {
		return Submission{}, fmt.Errorf("proofing: record evidence: %w", err)
	}
	sub.EvidenceID = outEv.ID
	s.notify(ctx, out, 1, true, "")
	return sub, nil
}

func (s *Service) accountByID(ctx context.Context, sub Submission) (accounts.Account, error) {
	a, err := s.cfg.Accounts.ByPersonalID(ctx, sub.PersonalID)
	if err != nil {
		return accounts.Account{}, fmt.Errorf("proofing: account: %w", err)
	}
	return a, nil
}

// reopen puts an approved submission whose enrolment failed back to
// pending, with its portrait, so that it is not lost.
func (s *Service) reopen(ctx context.Context, id string, portrait []byte, cause error) error {
	_, err := s.cfg.Store.UpdateSubmission(context.WithoutCancel(ctx), id, func(x *Submission) error {
		x.State, x.DecidedAt, x.DecidedBy, x.Unit, x.Reason, x.EvidenceID, x.Portrait = Pending, nil, "", "", "", "", portrait
		return nil
	})
	return errors.Join(cause, err)
}
