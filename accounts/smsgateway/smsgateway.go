// Package smsgateway sends one-time codes through an operator's SMS gateway
// over HTTPS: a JSON POST {"to": E.164 number, "message": text} with a
// bearer token. It implements accounts.Sender; the domain package itself
// speaks no HTTP.
package smsgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// Sender posts messages to URL.
type Sender struct {
	URL   string
	Token string
	HTTP  *http.Client
}

var _ accounts.Sender = (*Sender)(nil)

// Send implements accounts.Sender. Any answer but 2xx is an error, so the
// citizen is told the code was not sent rather than waiting for it.
func (s *Sender) Send(ctx context.Context, phone, message string) error {
	body, _ := json.Marshal(map[string]string{"to": phone, "message": message})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("smsgateway: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("smsgateway: send: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("smsgateway: send: gateway answered %s", res.Status)
	}
	return nil
}
