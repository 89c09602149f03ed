package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
)

// Sender delivers a text message to a phone number (E.164). Production
// wires an SMS gateway; development uses LogSender.
type Sender interface {
	Send(ctx context.Context, phone, message string) error
}

// DevMessage is one message kept by a DevInbox.
type DevMessage struct {
	Phone  string
	Body   string
	SentAt time.Time
}

// DevInbox keeps the messages LogSender "sent", so a developer can read SMS
// codes on the /dev/sms page. accounts/postgres keeps it in the
// dev_sms_inbox table, so it survives restarts and every replica sees the
// same inbox.
type DevInbox interface {
	Add(ctx context.Context, m DevMessage) error
	// Messages returns the messages sent to phone, newest first.
	Messages(ctx context.Context, phone string) ([]DevMessage, error)
	// All returns every message, newest first.
	All(ctx context.Context) ([]DevMessage, error)
}

// LogSender is the development Sender: it logs that a message went out and
// keeps it in Inbox. It never reaches a phone. The body (which holds the
// code) is logged only when LogBody is set, because operational logs must
// not carry codes.
type LogSender struct {
	Logger  *slog.Logger
	Inbox   DevInbox
	Now     func() time.Time
	LogBody bool
}

// Send implements Sender.
func (s *LogSender) Send(ctx context.Context, phone, message string) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if s.Inbox != nil {
		if err := s.Inbox.Add(ctx, DevMessage{Phone: phone, Body: message, SentAt: now().UTC()}); err != nil {
			return fmt.Errorf("accounts: dev inbox: %w", err)
		}
	}
	if s.Logger != nil {
		attrs := []any{"phone", MaskPhone(phone), "inbox", "/dev/sms"}
		if s.LogBody {
			attrs = append(attrs, "body", message)
		}
		s.Logger.InfoContext(ctx, "sms sent (development sender, not delivered)", attrs...)
	}
	return nil
}

// MaskPhone keeps the country code and the last three digits: +84*****789.
func MaskPhone(phone string) string {
	if len(phone) <= 6 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-6) + phone[len(phone)-3:]
}

// newSMSCode draws 6 uniformly random digits.
func newSMSCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("accounts: SMS code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash is HMAC-SHA-256(key, id ":" code). Binding the id means two
// accounts given the same code store different hashes.
func codeHash(key []byte, id, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{':'})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// smsMessage is the text sent. Vietnamese without diacritics fits one GSM-7
// SMS; the warning follows the practice of Vietnamese banks.
func smsMessage(code string, ttl time.Duration) string {
	return fmt.Sprintf("Ma xac thuc dinh danh dien tu cua ban la %s, hieu luc %d phut. KHONG cung cap ma nay cho bat ky ai.", code, int(ttl/time.Minute))
}
