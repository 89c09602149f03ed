package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/notify"
	notifypg "github.com/dinhdanh/dinhdanh/notify/postgres"
	"github.com/dinhdanh/dinhdanh/notify/smtpmail"
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

// Not wired yet (issue 11, item 5):
//   - locked and unlocked: accounts.Service.Lock and Unlock are where every
//     lock and unlock passes (citizen, officer, CLI, hard lock, lock
//     requests), but they have no hook for telling the citizen; the clean
//     one is an interface declared by accounts (say AccountNotices, with
//     AccountLocked(ctx, Account, reason) and AccountUnlocked) that Lock and
//     Unlock call after their commit and the top floor implements with this
//     outbox. The hard lock's own SMS (accounts/signinthrottle.go,
//     hardLockSMS) then moves to it too, so that the citizen is not told
//     twice. Hanging it on the lock cascade's logout notifier here would
//     miss unlocks and send the hard lock twice.
//   - registration, activation, recovery, device change, new service: the
//     kinds exist; their flows (accounts, consent) queue them when they land.
//   - the citizen's language: accounts keep no preference, so the top floor
//     writes in Vietnamese.

// emailSender sends a one-time code through the e-mail channel at once
// (accounts.EmailSender): codes never go through the outbox.
type emailSender struct{ ch notify.Channel }

// SendEmail implements accounts.EmailSender.
func (e emailSender) SendEmail(ctx context.Context, address, subject, text string) error {
	return e.ch.Deliver(ctx, address, notify.Message{Subject: subject, Text: text})
}

// emailCodes is the e-mail sender of accounts' codes: the configured
// e-mail channel, nil (the change of e-mail address off) without one.
func emailCodes(o Options, inbox *accountspg.Inbox) (accounts.EmailSender, error) {
	ch, err := emailChannel(o, &accounts.LogSender{Logger: o.Logger, Inbox: inbox, Now: o.Now})
	if err != nil || ch == nil {
		return nil, err
	}
	return emailSender{ch: ch}, nil
}

// newNotify builds the notification outbox on the database, with SMS
// through sms and e-mail as configured. Its worker is started by New only:
// operator commands may queue, serving replicas deliver.
func newNotify(o Options, sms accounts.Sender, dev *accounts.LogSender) (*notify.Service, error) {
	channels := map[notify.ChannelName]notify.Channel{notify.SMS: smsChannel{sender: sms}}
	email, err := emailChannel(o, dev)
	if err != nil {
		return nil, err
	}
	if email != nil {
		channels[notify.Email] = email
	}
	return notify.New(notify.Config{
		Store: notifypg.NewStore(o.Pool), Channels: channels, Logger: o.Logger, Now: o.Now,
	})
}

// outboxNotifier tells a citizen the result of an enrolment through the
// outbox (proofing.Notifier): by SMS to the phone on record, or by e-mail
// when the account has no phone. Accounts keep no language preference yet,
// so it is written in Vietnamese.
type outboxNotifier struct{ notify *notify.Service }

// NotifyEnrolment implements proofing.Notifier.
func (n outboxNotifier) NotifyEnrolment(ctx context.Context, a accounts.Account, level int, approved bool, reason string) error {
	msg := notify.Notification{
		AccountID: a.ID, Kind: notify.EnrolmentResult, Lang: notify.VI,
		Params: map[string]string{"level": fmt.Sprint(level), "approved": fmt.Sprint(approved)},
	}
	if !approved && reason != "" {
		msg.Params["reason"] = reason
	}
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
	// Without an e-mail channel a citizen with no phone is told on the
	// account page only.
	return nil
}
