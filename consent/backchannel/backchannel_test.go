package backchannel_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	"github.com/dinhdanh/dinhdanh/consent/consenttest"
	"github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type clients map[string]string

func (c clients) BackchannelLogout(_ context.Context, clientID string) (backchannel.Endpoint, error) {
	return backchannel.Endpoint{URI: c[clientID]}, nil
}

type subjects struct{}

func (subjects) Subject(_ context.Context, accountID, clientID string) (string, error) {
	return "pairwise-" + accountID + "-" + clientID, nil
}

// rp is a relying party's back-channel logout endpoint answering with the
// statuses given, in order, then 200.
type rp struct {
	mu       sync.Mutex
	statuses []int
	tokens   []string
	got      chan string
}

func (p *rp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	tok := r.PostFormValue("logout_token")
	p.tokens = append(p.tokens, tok)
	if p.got != nil {
		p.got <- tok
	}
	status := http.StatusOK
	if len(p.statuses) > 0 {
		status, p.statuses = p.statuses[0], p.statuses[1:]
	}
	w.WriteHeader(status)
}

type fixture struct {
	sender *backchannel.Sender
	queue  *postgres.Deliveries
	clock  *consenttest.Clock
	key    *ecdsa.PrivateKey
}

func newFixture(t *testing.T, uris clients, tweak func(*backchannel.Config)) *fixture {
	t.Helper()
	signer := consenttest.NewSigner(t)
	f := &fixture{queue: postgres.NewDeliveries(pgtest.New(t).App), clock: consenttest.NewClock(t0), key: signer.Key}
	n := 0
	cfg := backchannel.Config{
		Queue: f.queue, Clients: uris, Subjects: subjects{}, Signer: signer,
		Issuer: "https://id.example.vn", Now: f.clock.Now,
		NewID: func() string { n++; return fmt.Sprintf("delivery-%d", n) },
	}
	if tweak != nil {
		tweak(&cfg)
	}
	var err error
	f.sender, err = backchannel.New(cfg)
	require.NoError(t, err)
	return f
}

func (f *fixture) verify(t *testing.T, token string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, backchannel.LogoutTokenType, tok.Headers[0].ExtraHeaders[jose.HeaderType])
	var claims map[string]any
	require.NoError(t, tok.Claims(&f.key.PublicKey, &claims))
	return claims
}

func TestNewRequiresDependencies(t *testing.T) {
	_, err := backchannel.New(backchannel.Config{})
	require.ErrorContains(t, err, "missing")
}

func TestDeliveryFailsThenSucceeds(t *testing.T) {
	relying := &rp{statuses: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(relying)
	defer srv.Close()
	f := newFixture(t, clients{"dvc": srv.URL + "/logout"}, nil)

	require.NoError(t, f.sender.NotifyLogout(t.Context(), consent.Logout{
		AccountID: "acc-1", ClientID: "dvc", SID: "sid-9", Reason: consent.LogoutSignedOut,
	}))
	d, err := f.queue.Get(t.Context(), "delivery-1")
	require.NoError(t, err)
	require.Equal(t, srv.URL+"/logout", d.URI)
	require.Equal(t, 0, d.Attempts)

	n, err := f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	d, err = f.queue.Get(t.Context(), "delivery-1")
	require.NoError(t, err)
	require.Equal(t, 1, d.Attempts)
	require.Equal(t, http.StatusServiceUnavailable, d.LastStatus)
	require.Equal(t, "relying party answered 503", d.LastError)
	require.Equal(t, t0.Add(30*time.Second), d.NextAttemptAt, "first backoff")
	require.True(t, d.DeliveredAt.IsZero())

	n, err = f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	require.Zero(t, n, "not due before its backoff")

	f.clock.Advance(30 * time.Second)
	n, err = f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	d, err = f.queue.Get(t.Context(), "delivery-1")
	require.NoError(t, err)
	require.Equal(t, 2, d.Attempts)
	require.Equal(t, http.StatusOK, d.LastStatus)
	require.Empty(t, d.LastError)
	require.Equal(t, t0.Add(30*time.Second), d.DeliveredAt)

	f.clock.Advance(time.Hour)
	n, err = f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	require.Zero(t, n, "delivered once and for all")

	require.Len(t, relying.tokens, 2)
	first, second := f.verify(t, relying.tokens[0]), f.verify(t, relying.tokens[1])
	require.Equal(t, "delivery-1", first["jti"])
	require.Equal(t, first["jti"], second["jti"], "a retry is the same logout")
	require.Equal(t, float64(t0.Add(30*time.Second).Unix()), second["iat"])
	delete(second, "iat")
	delete(second, "exp")
	require.Equal(t, map[string]any{
		"iss": "https://id.example.vn", "aud": "dvc", "jti": "delivery-1",
		"sub": "pairwise-acc-1-dvc", "sid": "sid-9",
		"events": map[string]any{backchannel.LogoutEvent: map[string]any{}},
	}, second, "no nonce (Back-Channel Logout 1.0 §2.4)")
}

func TestClientWithoutURIIsSkipped(t *testing.T) {
	f := newFixture(t, clients{}, nil)
	require.NoError(t, f.sender.NotifyLogout(t.Context(), consent.Logout{AccountID: "acc-1", ClientID: "dvc", Reason: consent.LogoutConsentRevoked}))
	list, err := f.queue.ListForAccount(t.Context(), "acc-1")
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	f := newFixture(t, clients{"bank": url}, func(c *backchannel.Config) {
		c.MaxAttempts = 3
		c.Backoff = func(int) time.Duration { return time.Minute }
	})
	require.NoError(t, f.sender.NotifyLogout(t.Context(), consent.Logout{AccountID: "acc-1", ClientID: "bank", Reason: consent.LogoutAccountLocked}))
	for i := 1; i <= 3; i++ {
		n, err := f.sender.RunOnce(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, n, "attempt %d", i)
		f.clock.Advance(time.Minute)
	}
	d, err := f.queue.Get(t.Context(), "delivery-1")
	require.NoError(t, err)
	require.Equal(t, 3, d.Attempts)
	require.Equal(t, 0, d.LastStatus)
	require.Contains(t, d.LastError, "post:")
	require.Equal(t, t0.Add(2*time.Minute), d.GaveUpAt)
	n, err := f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestRedirectIsNotFollowed(t *testing.T) {
	relying := &rp{}
	target := httptest.NewServer(relying)
	defer target.Close()
	redirector := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirector.Close()
	f := newFixture(t, clients{"dvc": redirector.URL}, nil)
	require.NoError(t, f.sender.NotifyLogout(t.Context(), consent.Logout{AccountID: "acc-1", ClientID: "dvc"}))
	_, err := f.sender.RunOnce(t.Context())
	require.NoError(t, err)
	d, err := f.queue.Get(t.Context(), "delivery-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusTemporaryRedirect, d.LastStatus)
	require.True(t, d.DeliveredAt.IsZero())
	require.Empty(t, relying.tokens)
}

func TestRunWakesOnNotify(t *testing.T) {
	relying := &rp{got: make(chan string, 1)}
	srv := httptest.NewServer(relying)
	defer srv.Close()
	f := newFixture(t, clients{"dvc": srv.URL}, func(c *backchannel.Config) { c.PollInterval = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.sender.Run(ctx) }()

	require.NoError(t, f.sender.NotifyLogout(t.Context(), consent.Logout{AccountID: "acc-1", ClientID: "dvc", Reason: consent.LogoutConsentRevoked}))
	select {
	case tok := <-relying.got:
		claims := f.verify(t, tok)
		require.Equal(t, "pairwise-acc-1-dvc", claims["sub"])
		require.NotContains(t, claims, "sid")
	case <-time.After(10 * time.Second):
		t.Fatal("the worker was not woken by NotifyLogout")
	}
	cancel()
	require.NoError(t, <-done)
}

func TestDefaultBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {10, 256 * time.Minute}, {11, 6 * time.Hour}, {100, 6 * time.Hour},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, backchannel.DefaultBackoff(tc.attempt), "attempt %d", tc.attempt)
	}
}
