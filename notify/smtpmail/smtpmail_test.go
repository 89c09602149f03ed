package smtpmail_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/notify/smtpmail"
	"github.com/dinhdanh/dinhdanh/testsupport/smtptest"
)

func TestNewRefusesBadSettings(t *testing.T) {
	for name, cfg := range map[string]smtpmail.Config{
		"no host":  {From: "no-reply@example.vn"},
		"bad from": {Host: "smtp.example.vn", From: "not an address"},
		"bad tls":  {Host: "smtp.example.vn", From: "no-reply@example.vn", TLS: "ssl3"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := smtpmail.New(cfg)
			require.Error(t, err)
		})
	}
}

// TestStartTLSIsRequired: a server that offers no STARTTLS is refused in
// the default mode, before anything is sent.
func TestStartTLSIsRequired(t *testing.T) {
	srv := smtptest.Start(t, "", "")
	c, err := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "no-reply@example.vn"})
	require.NoError(t, err)
	err = c.Deliver(t.Context(), "a@example.vn", notify.Message{Subject: "s", Text: "t"})
	require.Error(t, err)
	require.Empty(t, srv.Messages())
}
