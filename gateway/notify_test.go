package gateway_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
	"github.com/dinhdanh/dinhdanh/testsupport/smtptest"
)

// startGateway builds a gateway on db with cfg (not closed by the test's
// cleanup if the test closes it first: Close is called once).
func startGateway(t *testing.T, db *pgtest.DB, cfg config.Config) *gateway.Gateway {
	t.Helper()
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	g, err := gateway.New(t.Context(), gateway.Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: log})
	require.NoError(t, err)
	return g
}

// TestGatewayRestartDeliversQueuedNotifications: notifications queued
// while the gateway is down are delivered by the next gateway on the same
// database, e-mail through the SMTP server of the configuration.
func TestGatewayRestartDeliversQueuedNotifications(t *testing.T) {
	db := pgtest.New(t)
	srv := smtptest.Start(t, "dinhdanh", "smtp-secret")
	cfg := config.Default()
	cfg.DevMode = true
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	cfg.Email = config.Email{SMTPHost: srv.Host, SMTPPort: srv.Port, From: "Định danh điện tử <no-reply@id.example.gov.vn>",
		Username: "dinhdanh", Password: "smtp-secret", TLS: "none"}
	require.NoError(t, cfg.Validate(config.Needs{}))

	first := startGateway(t, db, cfg)
	first.Close()
	// The gateway is down; what is queued now waits in the outbox.
	var ids []string
	for _, n := range []notify.Notification{
		{Channel: notify.Email, Address: "cong.dan@example.vn", Kind: notify.Locked, Lang: notify.VI, Params: map[string]string{"reason": "holder_request"}},
		{Channel: notify.Email, Address: "citizen@example.com", Kind: notify.Unlocked, Lang: notify.EN},
		{Channel: notify.SMS, Address: "+84901000002", Kind: notify.Unlocked, Lang: notify.VI},
	} {
		q, err := first.Notify.Enqueue(t.Context(), n)
		require.NoError(t, err)
		ids = append(ids, q.ID)
	}
	require.Empty(t, srv.Messages())

	second := startGateway(t, db, cfg)
	msgs := srv.Wait(t, 2, 30*time.Second)
	require.Eventually(t, func() bool {
		for _, id := range ids {
			if n, err := second.Notify.Get(t.Context(), id); err != nil || n.State != notify.Sent {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond)
	second.Close()

	subjects := map[string]string{}
	for _, m := range msgs {
		require.Equal(t, "dinhdanh", m.User)
		parsed, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		require.NoError(t, err)
		subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		require.NoError(t, err)
		body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
		require.NoError(t, err)
		subjects[m.To[0]] = subject + "|" + string(body)
	}
	require.Contains(t, subjects["cong.dan@example.vn"], "Tài khoản định danh điện tử đã bị khoá|Tài khoản định danh điện tử của bạn đã bị khoá")
	require.Contains(t, subjects["cong.dan@example.vn"], "Lý do: theo yêu cầu của bạn.")
	require.Contains(t, subjects["citizen@example.com"], "Your electronic identity account was unlocked|Your electronic identity account has been unlocked.")
	// The SMS went to the developer inbox (dev mode).
	var body string
	require.NoError(t, db.App.QueryRow(t.Context(), `SELECT body FROM dev_sms_inbox WHERE phone = '+84901000002'`).Scan(&body))
	require.Contains(t, body, "đã được mở khoá")
}
