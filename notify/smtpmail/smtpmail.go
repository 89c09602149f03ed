// Package smtpmail delivers notifications by e-mail through an SMTP server
// (a submission service, RFC 6409), with github.com/wneessen/go-mail
// writing the MIME message: UTF-8 text, quoted-printable, RFC 2047 encoded
// subject. It implements notify.Channel.
package smtpmail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/dinhdanh/dinhdanh/notify"
)

// TLS is how the connection to the server is protected.
type TLS string

// TLS modes.
const (
	// STARTTLS upgrades a plain connection (submission, port 587) and
	// refuses a server that does not offer it.
	STARTTLS TLS = "starttls"
	// Implicit is TLS from the first byte (submissions, port 465, RFC 8314).
	Implicit TLS = "tls"
	// None sends in clear: a relay on the same host or a test server only.
	None TLS = "none"
)

// Config builds a Channel.
type Config struct {
	Host string
	// Port is 587 for STARTTLS, 465 for Implicit, 25 for None when zero.
	Port int
	// From is the sender address, e.g. "Định danh điện tử <no-reply@id.example.gov.vn>".
	From string
	// Username and Password authenticate (SMTP AUTH); none when Username is
	// empty.
	Username, Password string
	TLS                TLS
	// Timeout bounds a connection and a delivery; 30 s when zero.
	Timeout time.Duration
	// Now dates messages; time.Now when nil.
	Now func() time.Time
}

// Channel sends each message in its own SMTP session.
type Channel struct {
	cfg  Config
	opts []mail.Option
}

var _ notify.Channel = (*Channel)(nil)

// New checks cfg and builds the channel.
func New(cfg Config) (*Channel, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtpmail: no host")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	probe := mail.NewMsg()
	if err := probe.From(cfg.From); err != nil {
		return nil, fmt.Errorf("smtpmail: from %q: %w", cfg.From, err)
	}
	opts := []mail.Option{mail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case STARTTLS, "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithPort(portOr(cfg.Port, 587)))
	case Implicit:
		opts = append(opts, mail.WithSSL(), mail.WithPort(portOr(cfg.Port, 465)))
	case None:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS), mail.WithPort(portOr(cfg.Port, 25)))
	default:
		return nil, fmt.Errorf("smtpmail: tls %q is not starttls, tls or none", cfg.TLS)
	}
	if cfg.Username != "" {
		// PLAIN over TLS (go-mail refuses it in clear except to localhost).
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	// Fail early on options go-mail refuses.
	if _, err := mail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("smtpmail: %w", err)
	}
	return &Channel{cfg: cfg, opts: opts}, nil
}

func portOr(p, def int) int {
	if p > 0 {
		return p
	}
	return def
}

// Deliver implements notify.Channel: one text/plain UTF-8 message to
// address, the footer below a signature separator.
func (c *Channel) Deliver(ctx context.Context, address string, m notify.Message) error {
	msg := mail.NewMsg(mail.WithCharset(mail.CharsetUTF8), mail.WithEncoding(mail.EncodingQP))
	if err := msg.From(c.cfg.From); err != nil {
		return fmt.Errorf("smtpmail: from: %w", err)
	}
	if err := msg.To(address); err != nil {
		return fmt.Errorf("smtpmail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(c.cfg.Now())
	msg.SetMessageID()
	// RFC 3834: an automatic message; mail systems should not answer it.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	body := m.Text
	if m.Footer != "" {
		body += "\r\n\r\n-- \r\n" + m.Footer
	}
	msg.SetBodyString(mail.TypeTextPlain, body+"\r\n")
	client, err := mail.NewClient(c.cfg.Host, c.opts...)
	if err != nil {
		return fmt.Errorf("smtpmail: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtpmail: send: %w", err)
	}
	return nil
}
