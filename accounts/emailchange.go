package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of the change of e-mail address.
var (
	// ErrEmailOff: no e-mail is configured, so no code can be sent.
	ErrEmailOff = errors.New("accounts: e-mail is not configured")
	// ErrSameEmail: the new address is the one on record.
	ErrSameEmail = fmt.Errorf("%w: the new e-mail address is the one on record", ErrInvalid)
)

// EmailChange is a change of e-mail address under way, kept by the caller
// between StartEmailChange and ConfirmEmailChange.
type EmailChange struct {
	Address   string    `json:"address"`
	StartedAt time.Time `json:"started_at"`
}

func (s *Service) emailChangeCode(accountID, oldAddress, newAddress string, at time.Time) string {
	m := hmac.New(sha256.New, s.codeKey)
	fmt.Fprintf(m, "email-change\x00%s\x00%s\x00%s\x00%d", accountID, oldAddress, newAddress, at.UnixNano())
	return fmt.Sprintf("%06d", binary.BigEndian.Uint64(m.Sum(nil)[:8])%1_000_000)
}

// EmailEnabled reports whether codes can be sent by e-mail.
func (s *Service) EmailEnabled() bool { return s.email != nil }

// StartEmailChange sends a code to the new e-mail address of a holder
// signed in with password and second factor within ReauthWindow
// (ErrReauthRequired). Codes count against the account's and the address's
// limits of codes sent, as SMS codes do. Audit: OTPSent with channel email.
func (s *Service) StartEmailChange(ctx context.Context, by SignedIn, address string, c Client) (EmailChange, error) {
	if s.email == nil {
		return EmailChange{}, ErrEmailOff
	}
	if !s.Reauthenticated(by) {
		return EmailChange{}, s.refuse(ctx, c, by.AccountID, audit.EmailChanged, "reauth_required", ErrReauthRequired)
	}
	rec, err := s.store.Get(ctx, by.AccountID)
	if err != nil {
		return EmailChange{}, fmt.Errorf("accounts: start e-mail change: %w", err)
	}
	if rec.Status == Locked {
		return EmailChange{}, ErrLocked
	}
	addr, err := NormalizeEmail(address)
	if err != nil {
		return EmailChange{}, err
	}
	if strings.EqualFold(addr, rec.Email) {
		return EmailChange{}, ErrSameEmail
	}
	now := s.clock()
	ev := c.event(audit.OTPSent, rec.ID, audit.Success, "")
	ev.Detail = map[string]string{"channel": "email", "purpose": "email_change"}
	lock, err := s.countFailure(ctx, now, ThrottleKey{Scope: ScopeSMS, Key: rec.ID}, ThrottleKey{Scope: ScopeSMSAddress, Key: ipKey(c.IP)})
	if err != nil {
		return EmailChange{}, fmt.Errorf("accounts: start e-mail change: %w", err)
	}
	if lock != nil {
		ev.Outcome, ev.Reason = audit.Denied, "code_rate_limited"
		if err := s.record(ctx, ev); err != nil {
			return EmailChange{}, err
		}
		return EmailChange{}, lock
	}
	code := s.emailChangeCode(rec.ID, rec.Email, addr, now)
	body := fmt.Sprintf("Mã xác thực đổi địa chỉ thư điện tử của tài khoản định danh điện tử: %s (hiệu lực %d phút). KHÔNG cung cấp mã này cho bất kỳ ai.\n\n"+
		"Your code to change the e-mail address of your electronic identity account: %s (valid %d minutes). Do NOT give it to anyone.",
		code, int(phoneChangeTTL/time.Minute), code, int(phoneChangeTTL/time.Minute))
	if err := s.email.SendEmail(ctx, addr, "Mã xác thực / Verification code", body); err != nil {
		ev.Outcome, ev.Reason = audit.Failure, "send_failed"
		_ = s.record(ctx, ev)
		return EmailChange{}, fmt.Errorf("accounts: start e-mail change: %w", err)
	}
	if err := s.record(ctx, ev); err != nil {
		return EmailChange{}, err
	}
	return EmailChange{Address: addr, StartedAt: now}, nil
}

// ConfirmEmailChange checks the code StartEmailChange sent and sets the new
// address. Wrong codes count against the (personal id number, client
// address) pair and the address (ErrInvalidCode, then a lockout), never
// the account. A change older than 10 minutes, or whose address on record
// changed since, is ErrCodeExpired. Audit: EmailChanged with detail
// method=self_service; the phone on record is told by SMS.
func (s *Service) ConfirmEmailChange(ctx context.Context, by SignedIn, ch EmailChange, code string, c Client) (Account, error) {
	now := s.clock()
	const op = "confirm e-mail change"
	rec, g, err := s.openChange(ctx, now, by.AccountID, c, audit.EmailChanged, op)
	if err != nil {
		return Account{}, err
	}
	if ch.Address == "" || now.Sub(ch.StartedAt) > phoneChangeTTL || ch.StartedAt.After(now.Add(time.Minute)) {
		return Account{}, s.refuse(ctx, c, rec.ID, audit.EmailChanged, "expired", ErrCodeExpired)
	}
	want := s.emailChangeCode(rec.ID, rec.Email, ch.Address, ch.StartedAt)
	if !hmac.Equal([]byte(cleanCode(code)), []byte(want)) {
		return Account{}, s.miss(ctx, now, op, g, c.event(audit.EmailChanged, rec.ID, audit.Failure, "wrong_code"), ErrInvalidCode)
	}
	if err := s.passed(ctx, now, op, g); err != nil {
		return Account{}, err
	}
	old := rec.Email
	a, err := s.updateThenRecord(ctx, rec.ID, func(r *Record) (audit.Event, error) {
		if r.Email != old {
			return audit.Event{}, ErrCodeExpired
		}
		r.Email = ch.Address
		e := c.event(audit.EmailChanged, r.ID, audit.Success, "")
		e.Detail = map[string]string{"method": "self_service", "new": MaskEmail(ch.Address)}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: confirm e-mail change: %w", err)
	}
	s.notice(ctx, a, NoticeEmailChanged, nil, c.RequestID)
	return a, nil
}
