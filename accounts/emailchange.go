package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// EmailSender sends a one-time code by e-mail, at once (never through the
// notification outbox, which carries no codes).
type EmailSender interface {
	SendEmail(ctx context.Context, address, subject, text string) error
}

// Errors of the change of e-mail address.
var (
	// ErrEmailOff: no e-mail is configured, so no code can be sent.
	ErrEmailOff = errors.New("accounts: e-mail is not configured")
	// ErrInvalidEmail: not a plain e-mail address.
	ErrInvalidEmail = fmt.Errorf("%w: e-mail address", ErrInvalid)
	// ErrSameEmail: the new address is the one on record.
	ErrSameEmail = fmt.Errorf("%w: the new e-mail address is the one on record", ErrInvalid)
)

// maxEmail bounds an e-mail address (RFC 5321 §4.5.3.1.3).
const maxEmail = 254

// NormalizeEmail reads a plain e-mail address ("An <an@x.vn>" is refused)
// and returns it trimmed, with its domain in lower case.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > maxEmail || a.Name != "" {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", ErrInvalidEmail
	}
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}

// MaskEmail shows the first letter and the domain: "a***@example.vn".
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 1 {
		return "***"
	}
	return s[:1] + "***" + s[at:]
}

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
	rec, err := s.store.Get(ctx, by.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: confirm e-mail change: %w", err)
	}
	if rec.Status == Locked {
		return Account{}, ErrLocked
	}
	pairK := ThrottleKey{Scope: ScopeSecondFactor, Key: rec.PersonalID + " " + ipKey(c.IP)}
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(c.IP)}
	lock, seen, err := s.lockedOut(ctx, now, pairK, ipK)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: confirm e-mail change: %w", err)
	}
	if lock != nil {
		return Account{}, s.refuse(ctx, c, rec.ID, audit.EmailChanged, string(lock.Scope)+"_locked_out", lock)
	}
	if ch.Address == "" || now.Sub(ch.StartedAt) > phoneChangeTTL || ch.StartedAt.After(now.Add(time.Minute)) {
		return Account{}, s.refuse(ctx, c, rec.ID, audit.EmailChanged, "expired", ErrCodeExpired)
	}
	want := s.emailChangeCode(rec.ID, rec.Email, ch.Address, ch.StartedAt)
	if !hmac.Equal([]byte(strings.ReplaceAll(strings.TrimSpace(code), " ", "")), []byte(want)) {
		return Account{}, s.failed(ctx, now, "confirm e-mail change",
			c.event(audit.EmailChanged, rec.ID, audit.Failure, "wrong_code"), ErrInvalidCode, pairK, ipK)
	}
	if err := s.clearFailures(ctx, now, pairK, seen); err != nil {
		return Account{}, fmt.Errorf("accounts: confirm e-mail change: %w", err)
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
	s.notify(ctx, a, emailChangedSMS, c.RequestID)
	return a, nil
}

// emailChangedSMS tells the phone on record that the e-mail address changed.
const emailChangedSMS = "Dia chi thu dien tu cua tai khoan dinh danh dien tu vua duoc thay doi. " +
	"Neu khong phai ban, hay khoa tai khoan ngay va lien he Cong an xa, phuong."
