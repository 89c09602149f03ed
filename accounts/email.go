package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// EmailSender delivers an e-mail straight away (SMTP, or the developer
// inbox in dev mode). Like Sender it carries one-time codes, so it is never
// the notification outbox: a code must not rest in a table.
type EmailSender interface {
	SendEmail(ctx context.Context, to, subject, text string) error
}

// Errors of e-mail contacts.
var (
	// ErrInvalidEmail: the e-mail address cannot be read as one bare
	// address.
	ErrInvalidEmail = fmt.Errorf("%w: e-mail address is not valid", ErrInvalid)
	// ErrNoEmail: the service was built without an EmailSender, so e-mail
	// cannot be a registration's contact.
	ErrNoEmail = errors.New("accounts: e-mail not configured")
)

// maxEmailLen is RFC 5321's bound on a forward path (254 characters of
// address).
const maxEmailLen = 254

// NormalizeEmail reads an e-mail address as typed ("  Ten@Example.VN ")
// and returns it bare, with its domain in lower case (the local part is the
// mailbox owner's to interpret, RFC 5321 §2.4).
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || len(s) > maxEmailLen {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !strings.Contains(s[at+1:], ".") {
		return "", ErrInvalidEmail
	}
	return s[:at+1] + strings.ToLower(s[at+1:]), nil
}

// MaskEmail keeps the first character of the mailbox and the domain, and
// hides the mailbox's length: t***@example.vn.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	return addr[:1] + "***" + addr[at:]
}

// emailCode is the subject and text of an e-mail carrying a code, in lang.
func emailCode(lang, code string, ttl time.Duration) (subject, text string) {
	minutes := int(ttl / time.Minute)
	if lang == LangEN {
		valid := fmt.Sprintf("%d minutes", minutes)
		if minutes == 1 {
			valid = "one minute"
		}
		return "Your electronic identity verification code",
			fmt.Sprintf("Your electronic identity verification code is %s. It is valid for %s. Never give this code to anyone.\n\n"+
				"If you did not ask for it, ignore this message.", code, valid)
	}
	return "Mã xác thực định danh điện tử",
		fmt.Sprintf("Mã xác thực định danh điện tử của bạn là %s, có hiệu lực trong %d phút. KHÔNG cung cấp mã này cho bất kỳ ai.\n\n"+
			"Nếu bạn không yêu cầu mã này, hãy bỏ qua thư.", code, minutes)
}
