package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/notify"
	notifypg "github.com/dinhdanh/dinhdanh/notify/postgres"
	"github.com/dinhdanh/dinhdanh/notify/smtpmail"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
)

// smsChannel adapts an accounts.Sender (the operator's SMS gateway, or the
// developer inbox) to notify.Channel: an SMS carries the text alone.
type smsChannel struct{ sender accounts.Sender }

// Deliver implements notify.Channel.
func (c smsChannel) Deliver(ctx context.Context, phone string, m notify.Message) error {
	return c.sender.Send(ctx, phone, m.Text)
}

// devEmail is e-mail on a developer's machine with no SMTP server
// configured: the message goes to the log and the developer inbox
// (/dev/sms, under the e-mail address) like a development SMS.
type devEmail struct{ sender *accounts.LogSender }

// Deliver implements notify.Channel.
func (c devEmail) Deliver(ctx context.Context, address string, m notify.Message) error {
	return c.sender.Send(ctx, address, m.Subject+"\n\n"+m.Text)
}

// emailChannel is the e-mail channel the configuration asks for: SMTP when
// email.smtp_host is set, the developer inbox in dev mode without it, and
// none otherwise (e-mail notifications are then refused when queued).
func emailChannel(o Options, dev *accounts.LogSender) (notify.Channel, error) {
	e := o.Config.Email
	switch {
	case e.Enabled():
		c, err := smtpmail.New(smtpmail.Config{
			Host: e.SMTPHost, Port: e.SMTPPort, From: e.From, Username: e.Username, Password: e.Password,
			TLS: smtpmail.TLS(e.TLS), Timeout: 30 * time.Second, Now: o.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("gateway: email: %w", err)
		}
		return c, nil
	case o.Config.DevMode:
		return devEmail{sender: dev}, nil
	}
	return nil, nil
}

// What citizens are told, and how (issue 11, item 5): accounts queue a
// Notice (accounts.Notifier) after each change commits: registration and
// activation results, recovery, change of password, every lock and unlock
// (Lock and Unlock are where the citizen's, an officer's, a supervisor's
// lock request, the counter's, the CLI's and the hard lock all pass), and
// device change (the device binding calls Service.NotifyAccount with
// accounts.NoticeDeviceChanged). consent tells of a newly connected service
// (consent.ConnectedNotifier), proofing of enrolment results
// (proofing.Notifier). All of them land in the one outbox below, written in
// the account's language (accounts.Account.Lang).

// newNotify builds the notification outbox on the database, with SMS
// through sms and e-mail as configured. Its worker is started by New only:
// operator commands may queue, serving replicas deliver.
//
// It also returns the e-mail sender of one-time codes (registration by
// e-mail), straight through the same e-mail channel, or nil without one.
func newNotify(o Options, sms accounts.Sender, dev *accounts.LogSender) (*notify.Service, accounts.EmailSender, error) {
	channels := map[notify.ChannelName]notify.Channel{notify.SMS: o.metrics.channel(smsChannel{sender: sms}, notify.SMS, "notice")}
	email, err := emailChannel(o, dev)
	if err != nil {
		return nil, nil, err
	}
	var codes accounts.EmailSender
	if email != nil {
		channels[notify.Email] = o.metrics.channel(email, notify.Email, "notice")
		codes = emailCodes{ch: o.metrics.channel(email, notify.Email, "code")}
	}
	svc, err := notify.New(notify.Config{
		Store: notifypg.NewStore(o.Pool), Channels: channels, Logger: o.Logger, Now: o.Now,
	})
	return svc, codes, err
}

// newOutboxNotifier is the notifier of accounts, consent and proofing on
// the outbox svc.
func newOutboxNotifier(o Options, svc *notify.Service, clients *oidcpg.Store) outboxNotifier {
	return outboxNotifier{notify: svc, logger: o.Logger, accounts: accountspg.NewStore(o.Pool), clients: clients}
}

// outboxNotifier queues notifications to citizens in the outbox: by SMS to
// the phone on record, or by e-mail when the account has no phone, in the
// account's language. It implements accounts.Notifier, proofing.Notifier
// and consent.ConnectedNotifier.
type outboxNotifier struct {
	notify *notify.Service
	logger *slog.Logger
	// accounts reads an account by id (consent knows only ids).
	accounts interface {
		Get(ctx context.Context, id string) (accounts.Record, error)
	}
	// clients names a relying party (consent knows only its id).
	clients interface {
		LoadClient(ctx context.Context, id string) (oidc.Client, error)
	}
}

// enqueue queues kind for account a. Without an e-mail channel a citizen
// with no phone is told on the account page only; an account with neither
// is not told.
func (n outboxNotifier) enqueue(ctx context.Context, a accounts.Account, kind notify.Kind, params map[string]string) error {
	msg := notify.Notification{AccountID: a.ID, Kind: kind, Lang: notifyLang(a.Lang), Params: params}
	switch {
	case a.Phone != "":
		msg.Channel, msg.Address = notify.SMS, a.Phone
	case a.Email != "":
		msg.Channel, msg.Address = notify.Email, a.Email
	default:
		return nil
	}
	if _, err := n.notify.Enqueue(ctx, msg); err != nil && !errors.Is(err, notify.ErrNoChannel) {
		return err
	}
	return nil
}

func notifyLang(l string) notify.Lang {
	if l == accounts.LangEN {
		return notify.EN
	}
	return notify.VI
}

// Notify implements accounts.Notifier: the notice kinds are the outbox's.
func (n outboxNotifier) Notify(ctx context.Context, in accounts.Notice) error {
	return n.enqueue(ctx, in.Account, notify.Kind(in.Kind), in.Params)
}

// NotifyEnrolment implements proofing.Notifier.
func (n outboxNotifier) NotifyEnrolment(ctx context.Context, a accounts.Account, level int, approved bool, reason string) error {
	params := map[string]string{"level": fmt.Sprint(level), "approved": fmt.Sprint(approved)}
	if !approved && reason != "" {
		params["reason"] = reason
	}
	return n.enqueue(ctx, a, notify.EnrolmentResult, params)
}

// ServiceConnected implements consent.ConnectedNotifier: the service is
// named in the citizen's language. Failures are logged, not returned to
// the sign-in (the consent stands).
func (n outboxNotifier) ServiceConnected(ctx context.Context, accountID, clientID string, claims int) error {
	err := func() error {
		r, err := n.accounts.Get(ctx, accountID)
		if err != nil {
			return err
		}
		c, err := n.clients.LoadClient(ctx, clientID)
		if err != nil {
			return err
		}
		name := c.DisplayName(r.Lang)
		if len(name) > 200 {
			name = strings.ToValidUTF8(name[:200], "")
		}
		return n.enqueue(ctx, r.Account, notify.ServiceConnected, map[string]string{"service": name, "claims": fmt.Sprint(claims)})
	}()
	if err != nil && n.logger != nil {
		n.logger.ErrorContext(ctx, "notification not queued", "kind", string(notify.ServiceConnected), "account_id", accountID, "client_id", clientID, "error", err)
	}
	return err
}

// emailCodes sends e-mails with one-time codes straight through the
// e-mail channel (accounts.EmailSender), never through the outbox.
type emailCodes struct{ ch notify.Channel }

// SendEmail implements accounts.EmailSender.
func (e emailCodes) SendEmail(ctx context.Context, to, subject, text string) error {
	return e.ch.Deliver(ctx, to, notify.Message{Subject: subject, Text: text})
}
