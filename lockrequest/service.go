package lockrequest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Accounts is what the lock requests need of the accounts domain;
// *accounts.Service is one. Its Lock ends tokens, sessions and back-channel
// logout at once, whoever asks.
type Accounts interface {
	ByPersonalID(ctx context.Context, personalID string) (accounts.Account, error)
	Lock(ctx context.Context, id, reason string, by accounts.Actor) (accounts.Account, error)
	Unlock(ctx context.Context, id string, by accounts.Actor) (accounts.Account, error)
	ChangePhoneAtCounter(ctx context.Context, id, phone, readID string, by accounts.Actor) (accounts.Account, error)
}

// ChipReads answers whether readID is a verified read of the chip card of
// the citizen with personalID (passive authentication, the chip's answer to
// the gateway's challenge, the registry match): nil when it is, an error
// saying why not otherwise. The proofing domain implements it.
type ChipReads interface {
	VerifiedRead(ctx context.Context, readID, personalID string) error
}

// Config builds a Service.
type Config struct {
	Store    Store
	Accounts Accounts
	Reads    ChipReads
	// Audit records every step; when it fails, so does the step.
	Audit audit.Recorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service files, decides and withdraws lock requests, and unlocks at the
// counter.
type Service struct {
	store    Store
	accounts Accounts
	reads    ChipReads
	audit    audit.Recorder
	now      func() time.Time
}

// New checks cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Accounts == nil || cfg.Reads == nil || cfg.Audit == nil {
		return nil, errors.New("lockrequest: a store, the accounts, chip reads and an audit recorder are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: cfg.Store, accounts: cfg.Accounts, reads: cfg.Reads, audit: cfg.Audit, now: cfg.Now}, nil
}

// Origin is where a step came from, for the audit record.
type Origin struct {
	IP, UserAgent, RequestID string
}

// Filing is what an officer files.
type Filing struct {
	PersonalID string
	Reason     Reason
	Text       string
}

// event is the audit record of a step by p about request r.
func event(t audit.EventType, p staff.Principal, accountID string, from Origin) audit.Event {
	d := map[string]string{"username": p.Username, "unit": p.Unit.Code}
	if p.Session != "" {
		d["session"] = p.Session
	}
	return audit.Event{Type: t, ActorKind: audit.Officer, ActorID: p.MemberID, AccountID: accountID,
		Outcome: audit.Success, IP: from.IP, UserAgent: from.UserAgent, RequestID: from.RequestID, Detail: d}
}

func requestEvent(t audit.EventType, p staff.Principal, r Request, from Origin) audit.Event {
	e := event(t, p, r.AccountID, from)
	e.Reason = string(r.Reason)
	e.Detail["lock_request_id"] = r.ID
	e.Detail["filed_unit"] = r.FiledBy.Unit.Code
	return e
}

func (s *Service) record(ctx context.Context, e audit.Event) error {
	e.Time = s.now().UTC()
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("lockrequest: audit %s: %w", e.Type, err)
	}
	return nil
}

// identified refuses a principal that names no member or unit.
func identified(p staff.Principal) error {
	if p.MemberID == "" || p.Unit.Code == "" {
		return fmt.Errorf("%w: the staff member and their unit must be known", ErrForbidden)
	}
	return nil
}

func cleanText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxText {
		return "", fmt.Errorf("%w: text must be valid and at most %d characters", ErrInvalid, MaxText)
	}
	return s, nil
}

// account finds the account of a personal id number.
func (s *Service) account(ctx context.Context, personalID string) (accounts.Account, error) {
	if _, err := personalid.Parse(personalID); err != nil {
		return accounts.Account{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	a, err := s.accounts.ByPersonalID(ctx, personalID)
	if errors.Is(err, accounts.ErrNotFound) {
		return accounts.Account{}, fmt.Errorf("%w: no account for this personal id number", ErrNotFound)
	}
	if err != nil {
		return accounts.Account{}, fmt.Errorf("lockrequest: find account: %w", err)
	}
	return a, nil
}

// File records an officer's request to lock the account of in.PersonalID.
// Nothing is locked until a supervisor approves it. One request per account
// may be pending.
func (s *Service) File(ctx context.Context, by staff.Principal, in Filing, from Origin) (Request, error) {
	if err := identified(by); err != nil {
		return Request{}, err
	}
	if !by.Has(staff.RoleOfficer) {
		return Request{}, fmt.Errorf("%w: only an officer files a lock request", ErrForbidden)
	}
	if !in.Reason.Valid() {
		return Request{}, fmt.Errorf("%w: reason %q", ErrInvalid, in.Reason)
	}
	text, err := cleanText(in.Text)
	if err != nil {
		return Request{}, err
	}
	if text == "" {
		return Request{}, fmt.Errorf("%w: say why the account must be locked", ErrInvalid)
	}
	a, err := s.account(ctx, in.PersonalID)
	if err != nil {
		return Request{}, err
	}
	r := Request{
		ID: uuid.NewString(), AccountID: a.ID, PersonalID: a.PersonalID, Reason: in.Reason, Text: text,
		State: Pending, FiledBy: staffOf(by), FiledAt: s.now().UTC(),
	}
	if err := s.store.Create(ctx, r, func() error {
		return s.record(ctx, requestEvent(audit.LockRequested, by, r, from))
	}); err != nil {
		return Request{}, fmt.Errorf("lockrequest: file: %w", err)
	}
	return r, nil
}

// mayDecide says whether p may approve or refuse r: a supervisor of the
// unit r was filed at or of a unit above it, who did not file it.
func mayDecide(p staff.Principal, r Request) error {
	switch {
	case identified(p) != nil:
		return identified(p)
	case !p.Has(staff.RoleSupervisor):
		return fmt.Errorf("%w: only a supervisor decides a lock request", ErrForbidden)
	case p.MemberID == r.FiledBy.MemberID:
		return fmt.Errorf("%w: nobody decides their own request", ErrForbidden)
	case !Within(r.FiledBy.Unit.Code, p.Unit.Code):
		return fmt.Errorf("%w: the request was filed outside the supervisor's unit", ErrForbidden)
	}
	return nil
}

// MayDecide reports whether p may approve or refuse r (pages show the
// buttons only then; Approve and Refuse check again).
func MayDecide(p staff.Principal, r Request) bool {
	return r.State == Pending && mayDecide(p, r) == nil
}

// MayWithdraw reports whether p may withdraw r: its filer, while pending.
func MayWithdraw(p staff.Principal, r Request) bool {
	return r.State == Pending && p.MemberID != "" && p.MemberID == r.FiledBy.MemberID
}

// MayView reports whether p may see r: its filer, an officer of the same
// unit, or a supervisor of that unit or one above it.
func MayView(p staff.Principal, r Request) bool {
	switch {
	case p.MemberID == "":
		return false
	case p.MemberID == r.FiledBy.MemberID:
		return true
	case p.Has(staff.RoleSupervisor) && Within(r.FiledBy.Unit.Code, p.Unit.Code):
		return true
	case p.Has(staff.RoleOfficer) && p.Unit.Code != "" && p.Unit.Code == r.FiledBy.Unit.Code:
		return true
	}
	return false
}

// decide moves a pending request on, with the checks and the audit event
// inside the request's transaction; act runs there too, before the event.
func (s *Service) decide(ctx context.Context, id string, by staff.Principal, check func(Request) error,
	to State, note string, t audit.EventType, from Origin, act func(Request) error,
) (Request, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Request{}, ErrNotFound
	}
	note, err := cleanText(note)
	if err != nil {
		return Request{}, err
	}
	return s.store.Update(ctx, id, func(r *Request) error {
		if r.State != Pending {
			return ErrNotPending
		}
		if err := check(*r); err != nil {
			return err
		}
		now := s.now().UTC()
		who := staffOf(by)
		r.State, r.DecidedBy, r.DecidedAt, r.Note = to, &who, &now, note
		if act != nil {
			if err := act(*r); err != nil {
				return err
			}
		}
		return s.record(ctx, requestEvent(t, by, *r, from))
	})
}

// Approve approves a pending request and locks the account through the
// accounts domain (tokens, sessions and back-channel logout end at once),
// as an officer-kind actor naming the supervisor, with the request's
// reason. The request's row stays locked for the whole step (the account's
// lock runs on its own connection inside that transaction), so it cannot be
// withdrawn or decided twice meanwhile; when the lock fails nothing
// changes. When the lock held but its cascade failed, the approval stands
// and the error wraps ErrLockCascade.
func (s *Service) Approve(ctx context.Context, by staff.Principal, id, note string, from Origin) (Request, error) {
	var cascade error
	r, err := s.decide(ctx, id, by, func(r Request) error { return mayDecide(by, r) }, Approved, note, audit.LockApproved, from,
		func(r Request) error {
			a, err := s.accounts.Lock(ctx, r.AccountID, r.Reason.LockReason(), accounts.Actor{
				Kind: audit.Officer, ID: by.MemberID, IP: from.IP, UserAgent: from.UserAgent, RequestID: from.RequestID,
			})
			if err != nil && a.Status == accounts.Locked {
				cascade = err
				return nil
			}
			if err != nil {
				return fmt.Errorf("lockrequest: lock account: %w", err)
			}
			return nil
		})
	if err != nil {
		return Request{}, fmt.Errorf("lockrequest: approve: %w", err)
	}
	if cascade != nil {
		return r, fmt.Errorf("%w: %w", ErrLockCascade, cascade)
	}
	return r, nil
}

// Refuse refuses a pending request: it is closed and nothing is locked.
func (s *Service) Refuse(ctx context.Context, by staff.Principal, id, note string, from Origin) (Request, error) {
	r, err := s.decide(ctx, id, by, func(r Request) error { return mayDecide(by, r) }, Refused, note, audit.LockRefused, from, nil)
	if err != nil {
		return Request{}, fmt.Errorf("lockrequest: refuse: %w", err)
	}
	return r, nil
}

// Withdraw closes a pending request at the request of the officer who filed
// it.
func (s *Service) Withdraw(ctx context.Context, by staff.Principal, id string, from Origin) (Request, error) {
	r, err := s.decide(ctx, id, by, func(r Request) error {
		if by.MemberID == "" || by.MemberID != r.FiledBy.MemberID {
			return fmt.Errorf("%w: only the officer who filed a request withdraws it", ErrForbidden)
		}
		return nil
	}, Withdrawn, "", audit.LockWithdrawn, from, nil)
	if err != nil {
		return Request{}, fmt.Errorf("lockrequest: withdraw: %w", err)
	}
	return r, nil
}

// Get returns a request p may see (ErrNotFound otherwise, so that ids of
// other units' requests are not confirmed).
func (s *Service) Get(ctx context.Context, by staff.Principal, id string) (Request, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Request{}, ErrNotFound
	}
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Request{}, fmt.Errorf("lockrequest: get: %w", err)
	}
	if !MayView(by, r) {
		return Request{}, fmt.Errorf("lockrequest: get: %w", ErrNotFound)
	}
	return r, nil
}

// Pending lists the pending requests a supervisor may decide: filed at
// their unit or a unit under it, newest first (their own included, which
// pages show without buttons).
func (s *Service) Pending(ctx context.Context, by staff.Principal) ([]Request, error) {
	if err := identified(by); err != nil {
		return nil, err
	}
	if !by.Has(staff.RoleSupervisor) {
		return nil, fmt.Errorf("%w: only a supervisor lists the requests to decide", ErrForbidden)
	}
	rs, err := s.store.List(ctx, Query{State: Pending, Unit: by.Unit.Code})
	if err != nil {
		return nil, fmt.Errorf("lockrequest: list pending: %w", err)
	}
	return rs, nil
}

// Filed lists the requests the staff member filed, newest first.
func (s *Service) Filed(ctx context.Context, by staff.Principal) ([]Request, error) {
	if err := identified(by); err != nil {
		return nil, err
	}
	rs, err := s.store.List(ctx, Query{FiledBy: by.MemberID})
	if err != nil {
		return nil, fmt.Errorf("lockrequest: list filed: %w", err)
	}
	return rs, nil
}

// Unlock unlocks the locked account of personalID at the counter: an
// officer, only with readID naming a verified read of that citizen's chip
// card. The unlock record and its audit event commit together. The
// account's own unlock (accounts.Service.Unlock, audited there as the
// officer) runs on its own connection inside that transaction, before the
// event: when it fails, no unlock record or event is left; when only the
// event fails afterwards, the account stays unlocked with accounts' own
// AccountUnlocked event and no unlock record. Sign-ins the lock ended stay
// ended.
func (s *Service) Unlock(ctx context.Context, by staff.Principal, personalID, readID string, from Origin) (accounts.Account, error) {
	if err := identified(by); err != nil {
		return accounts.Account{}, err
	}
	if !by.Has(staff.RoleOfficer) {
		return accounts.Account{}, fmt.Errorf("%w: only an officer unlocks at the counter", ErrForbidden)
	}
	readID = strings.TrimSpace(readID)
	if readID == "" || len(readID) > 128 {
		return accounts.Account{}, fmt.Errorf("%w: the chip read id is required (at most 128 characters)", ErrInvalid)
	}
	a, err := s.account(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	if a.Status != accounts.Locked {
		return accounts.Account{}, ErrNotLocked
	}
	if err := s.reads.VerifiedRead(ctx, readID, a.PersonalID); err != nil {
		return accounts.Account{}, fmt.Errorf("%w: %w", ErrNoVerifiedRead, err)
	}
	u := Unlock{ID: uuid.NewString(), AccountID: a.ID, PersonalID: a.PersonalID, ReadID: readID, By: staffOf(by), At: s.now().UTC()}
	var out accounts.Account
	err = s.store.CreateUnlock(ctx, u, func() error {
		var err error
		out, err = s.accounts.Unlock(ctx, a.ID, accounts.Actor{
			Kind: audit.Officer, ID: by.MemberID, IP: from.IP, UserAgent: from.UserAgent, RequestID: from.RequestID,
		})
		if errors.Is(err, accounts.ErrInvalid) {
			return ErrNotLocked
		}
		if err != nil {
			return fmt.Errorf("unlock account: %w", err)
		}
		e := event(audit.UnlockedAtCounter, by, a.ID, from)
		e.Detail["chip_read_id"] = readID
		e.Detail["unlock_id"] = u.ID
		return s.record(ctx, e)
	})
	if err != nil {
		return accounts.Account{}, fmt.Errorf("lockrequest: unlock: %w", err)
	}
	return out, nil
}

// ChangePhone sets the phone number of the citizen personalID at the
// counter: an officer, only with readID naming a verified read of that
// citizen's chip card, for a citizen who lost the old phone (who cannot
// receive the old number's code the account page asks for). The account
// (locked or not) gets the new number; accounts audits it as the officer's,
// with the chip read, and tells the old number by SMS. Sign-ins and tokens
// are not ended: a citizen who fears misuse locks the account or signs out
// everywhere.
func (s *Service) ChangePhone(ctx context.Context, by staff.Principal, personalID, readID, phone string, from Origin) (accounts.Account, error) {
	if err := identified(by); err != nil {
		return accounts.Account{}, err
	}
	if !by.Has(staff.RoleOfficer) {
		return accounts.Account{}, fmt.Errorf("%w: only an officer changes a phone number at the counter", ErrForbidden)
	}
	readID = strings.TrimSpace(readID)
	if readID == "" || len(readID) > 128 {
		return accounts.Account{}, fmt.Errorf("%w: the chip read id is required (at most 128 characters)", ErrInvalid)
	}
	a, err := s.account(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	if err := s.reads.VerifiedRead(ctx, readID, a.PersonalID); err != nil {
		return accounts.Account{}, fmt.Errorf("%w: %w", ErrNoVerifiedRead, err)
	}
	out, err := s.accounts.ChangePhoneAtCounter(ctx, a.ID, phone, readID, accounts.Actor{
		Kind: audit.Officer, ID: by.MemberID, IP: from.IP, UserAgent: from.UserAgent, RequestID: from.RequestID,
	})
	if err != nil {
		return accounts.Account{}, fmt.Errorf("lockrequest: change phone: %w", err)
	}
	return out, nil
}
