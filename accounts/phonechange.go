package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of the change of phone number from the account page.
var (
	// ErrNoOldPhone: the account has no phone number on record; a number is
	// set at the counter.
	ErrNoOldPhone = errors.New("accounts: no phone number on record, go to the counter")
	// ErrSamePhone: the new number is the one on record.
	ErrSamePhone = fmt.Errorf("%w: the new phone number is the one on record", ErrInvalid)
	// ErrOldPhoneCode: the code sent to the number on record is wrong.
	ErrOldPhoneCode = fmt.Errorf("%w (number on record)", ErrInvalidCode)
	// ErrNewPhoneCode: the code sent to the new number is wrong.
	ErrNewPhoneCode = fmt.Errorf("%w (new number)", ErrInvalidCode)
)

// phoneChangeTTL bounds the time from the codes to the change.
const phoneChangeTTL = 10 * time.Minute

// PhoneChange is a change of phone number under way: the caller keeps it
// (in the browser session) between StartPhoneChange and ConfirmPhoneChange.
type PhoneChange struct {
	NewPhone  string    `json:"new_phone"`
	StartedAt time.Time `json:"started_at"`
	// MaskedOld and MaskedNew say where the codes went.
	MaskedOld string `json:"masked_old"`
	MaskedNew string `json:"masked_new"`
}

// phoneChangeCode is the 6-digit code of one side of a change: an
// HMAC-SHA-256 under the code key of the account, both numbers, the start
// time and the side. Nothing is stored: once the number on record changes,
// every code of an earlier change is void, so a code is used once.
func (s *Service) phoneChangeCode(side string, accountID, oldPhone, newPhone string, at time.Time) string {
	m := hmac.New(sha256.New, s.codeKey)
	fmt.Fprintf(m, "phone-change\x00%s\x00%s\x00%s\x00%s\x00%d", side, accountID, oldPhone, newPhone, at.UnixNano())
	n := binary.BigEndian.Uint64(m.Sum(nil)[:8]) % 1_000_000
	return fmt.Sprintf("%06d", n)
}

// StartPhoneChange begins a change of the account's phone number by its
// holder, signed in with password and second factor within ReauthWindow
// (ErrReauthRequired): one code goes to the number on record, one to the
// new number (NormalizePhone). An account with no number on record
// (ErrNoOldPhone) — or a holder who lost the old phone — changes it at
// the counter. Codes count against the account's SMS limits like any code.
// Audit: OTPSent for each code with purpose phone_change.
func (s *Service) StartPhoneChange(ctx context.Context, by SignedIn, newPhone string, c Client) (PhoneChange, error) {
	if !s.Reauthenticated(by) {
		return PhoneChange{}, s.refuse(ctx, c, by.AccountID, audit.PhoneChanged, "reauth_required", ErrReauthRequired)
	}
	rec, err := s.store.Get(ctx, by.AccountID)
	if err != nil {
		return PhoneChange{}, fmt.Errorf("accounts: start phone change: %w", err)
	}
	switch {
	case rec.Status == Locked:
		return PhoneChange{}, ErrLocked
	case rec.Phone == "":
		return PhoneChange{}, ErrNoOldPhone
	}
	np, err := NormalizePhone(newPhone)
	if err != nil {
		return PhoneChange{}, err
	}
	if np == rec.Phone {
		return PhoneChange{}, ErrSamePhone
	}
	now := s.clock()
	pc := PhoneChange{NewPhone: np, StartedAt: now, MaskedOld: MaskPhone(rec.Phone), MaskedNew: MaskPhone(np)}
	none := func(string) error { return nil }
	for _, side := range []struct{ name, phone string }{{"old", rec.Phone}, {"new", np}} {
		code := s.phoneChangeCode(side.name, rec.ID, rec.Phone, np, now)
		if err := s.sendCodeFrom(ctx, c, now, rec.ID, side.phone, "phone_change_"+side.name,
			func() string { return code }, none); err != nil {
			return PhoneChange{}, err
		}
	}
	return pc, nil
}

// PhoneChangeConfirm is the last step: the two codes.
type PhoneChangeConfirm struct {
	Change  PhoneChange
	OldCode string
	NewCode string
	Client
}

// phoneChangedSMS tells the old number that the account moved to another
// one.
const phoneChangedSMS = "So dien thoai cua tai khoan dinh danh dien tu vua duoc doi sang %s. " +
	"Neu khong phai ban, hay khoa tai khoan ngay va lien he Cong an xa, phuong."

// ConfirmPhoneChange checks both codes of StartPhoneChange and sets the new
// number. Wrong codes count against the (personal id number, client
// address) pair and the address, never against the account, so a stranger
// cannot lock the holder out; each side has its own error (ErrOldPhoneCode,
// ErrNewPhoneCode). A change older than 10 minutes, or whose number on
// record changed since, is ErrCodeExpired. A number held by another
// account is ErrPhoneTaken: only the holder of both phones learns it.
// Audit: PhoneChanged with detail method=self_service; the old number is
// told by SMS.
func (s *Service) ConfirmPhoneChange(ctx context.Context, by SignedIn, in PhoneChangeConfirm) (Account, error) {
	now := s.clock()
	const op = "confirm phone change"
	rec, g, err := s.openChange(ctx, now, by.AccountID, in.Client, audit.PhoneChanged, op)
	if err != nil {
		return Account{}, err
	}
	pc := in.Change
	if pc.NewPhone == "" || now.Sub(pc.StartedAt) > phoneChangeTTL || pc.StartedAt.After(now.Add(time.Minute)) {
		return Account{}, s.refuse(ctx, in.Client, rec.ID, audit.PhoneChanged, "expired", ErrCodeExpired)
	}
	wantOld := s.phoneChangeCode("old", rec.ID, rec.Phone, pc.NewPhone, pc.StartedAt)
	wantNew := s.phoneChangeCode("new", rec.ID, rec.Phone, pc.NewPhone, pc.StartedAt)
	if !hmac.Equal([]byte(cleanCode(in.OldCode)), []byte(wantOld)) {
		return Account{}, s.miss(ctx, now, op, g, in.event(audit.PhoneChanged, rec.ID, audit.Failure, "wrong_old_code"), ErrOldPhoneCode)
	}
	if !hmac.Equal([]byte(cleanCode(in.NewCode)), []byte(wantNew)) {
		return Account{}, s.miss(ctx, now, op, g, in.event(audit.PhoneChanged, rec.ID, audit.Failure, "wrong_new_code"), ErrNewPhoneCode)
	}
	if err := s.passed(ctx, now, op, g); err != nil {
		return Account{}, err
	}
	old := rec.Phone
	a, err := s.updateThenRecord(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		if r.Phone != old {
			return audit.Event{}, ErrCodeExpired
		}
		r.Phone = pc.NewPhone
		e := in.event(audit.PhoneChanged, r.ID, audit.Success, "")
		e.Detail = map[string]string{"method": "self_service", "old": MaskPhone(old), "new": MaskPhone(pc.NewPhone)}
		return e, nil
	})
	if errors.Is(err, ErrAlreadyExists) {
		return Account{}, s.refuse(ctx, in.Client, rec.ID, audit.PhoneChanged, "phone_taken", ErrPhoneTaken)
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: confirm phone change: %w", err)
	}
	if err := s.sender.Send(context.WithoutCancel(ctx), old, fmt.Sprintf(phoneChangedSMS, MaskPhone(pc.NewPhone))); err != nil {
		s.logger.ErrorContext(ctx, "notification SMS failed", "account_id", a.ID, "error", err, "request_id", in.RequestID)
	}
	return a, nil
}

// ChangePhoneAtCounter sets the account's phone number for a citizen who
// came to the counter (the old phone lost, or none on record): the caller
// (package lockrequest) has checked the officer's role and a verified read
// of the citizen's chip card, named by readID. The number is read by
// NormalizePhone; the one on record is ErrSamePhone, a number held by
// another account ErrPhoneTaken. Audit: PhoneChanged by the officer with
// detail method=counter and the chip read; the old number, if any, is told
// by SMS.
func (s *Service) ChangePhoneAtCounter(ctx context.Context, id, phone, readID string, by Actor) (Account, error) {
	np, err := NormalizePhone(phone)
	if err != nil {
		return Account{}, err
	}
	old := ""
	a, err := s.updateThenRecord(ctx, id, func(r *Record) (audit.Event, error) {
		if r.Phone == np {
			return audit.Event{}, ErrSamePhone
		}
		old, r.Phone = r.Phone, np
		e := by.event(audit.PhoneChanged, r.ID, audit.Success)
		e.Detail = map[string]string{"method": "counter", "chip_read_id": readID, "new": MaskPhone(np)}
		if old != "" {
			e.Detail["old"] = MaskPhone(old)
		}
		return e, nil
	})
	if errors.Is(err, ErrAlreadyExists) {
		return Account{}, ErrPhoneTaken
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: change phone at counter: %w", err)
	}
	if old != "" {
		if err := s.sender.Send(context.WithoutCancel(ctx), old, fmt.Sprintf(phoneChangedSMS, MaskPhone(np))); err != nil {
			s.logger.ErrorContext(ctx, "notification SMS failed", "account_id", a.ID, "error", err, "request_id", by.RequestID)
		}
	}
	return a, nil
}
