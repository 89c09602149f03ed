package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/notify/postgres"
	"github.com/dinhdanh/dinhdanh/notify/smtpmail"
	"github.com/dinhdanh/dinhdanh/notify/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
	"github.com/dinhdanh/dinhdanh/testsupport/smtptest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var start = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) notify.Store { return postgres.NewStore(pgtest.New(t).App) })
}

// recorder is a channel that keeps what it delivered, failing while fail
// is set.
type recorder struct {
	mu   sync.Mutex
	got  []string // address + "|" + text
	fail error
}

func (r *recorder) Deliver(_ context.Context, address string, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, address+"|"+m.Text)
	return nil
}

func (r *recorder) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func newService(t *testing.T, cfg notify.Config) *notify.Service {
	t.Helper()
	svc, err := notify.New(cfg)
	require.NoError(t, err)
	return svc
}

// readMail parses a transmitted message: decoded subject, headers, body.
func readMail(t *testing.T, data []byte) (subject string, h mail.Header, body string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	require.NoError(t, err)
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return subject, m.Header, string(b)
}

// TestDeliversThroughARealSMTPServer: an e-mail notification goes from the
// outbox through smtpmail to an SMTP server listening on a local port,
// authenticated, as a UTF-8 MIME message in the citizen's language.
func TestDeliversThroughARealSMTPServer(t *testing.T) {
	db := pgtest.New(t)
	srv := smtptest.Start(t, "dinhdanh", "smtp-secret")
	email, err := smtpmail.New(smtpmail.Config{
		Host: srv.Host, Port: srv.Port, From: "Định danh điện tử <no-reply@id.example.gov.vn>",
		Username: "dinhdanh", Password: "smtp-secret", TLS: smtpmail.None, Timeout: 10 * time.Second,
	})
	require.NoError(t, err)
	svc := newService(t, notify.Config{Store: postgres.NewStore(db.App), Channels: map[notify.ChannelName]notify.Channel{notify.Email: email}})

	vi, err := svc.Enqueue(t.Context(), notify.Notification{
		Channel: notify.Email, Address: "cong.dan@example.vn", Kind: notify.EnrolmentResult, Lang: notify.VI,
		Params: map[string]string{"level": "2", "approved": "false", "reason": "vân tay không khớp"},
	})
	require.NoError(t, err)
	en, err := svc.Enqueue(t.Context(), notify.Notification{
		Channel: notify.Email, Address: "citizen@example.com", Kind: notify.ServiceConnected, Lang: notify.EN,
		Params: map[string]string{"service": "Cổng dịch vụ công", "claims": "1"},
	})
	require.NoError(t, err)
	n, err := svc.RunOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n)

	msgs := srv.Wait(t, 2, 10*time.Second)
	byTo := map[string]smtptest.Message{}
	for _, m := range msgs {
		require.Len(t, m.To, 1)
		require.Equal(t, "dinhdanh", m.User)
		require.Equal(t, "no-reply@id.example.gov.vn", m.From)
		byTo[m.To[0]] = m
	}

	subject, h, body := readMail(t, byTo["cong.dan@example.vn"].Data)
	require.Equal(t, "Kết quả xác thực tài khoản định danh điện tử", subject)
	require.Equal(t, "<cong.dan@example.vn>", h.Get("To"))
	from, err := mail.ParseAddress(h.Get("From"))
	require.NoError(t, err)
	require.Equal(t, "Định danh điện tử", from.Name)
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "text/plain", mt)
	require.Equal(t, "utf-8", strings.ToLower(params["charset"]))
	require.Equal(t, "auto-generated", h.Get("Auto-Submitted"))
	require.Contains(t, body, "Yêu cầu xác thực tài khoản định danh điện tử mức 2 chưa được chấp thuận. Lý do: vân tay không khớp.")
	require.Contains(t, body, "Đây là thư tự động")

	subject, h, body = readMail(t, byTo["citizen@example.com"].Data)
	require.Equal(t, "A new service is connected to your electronic identity", subject)
	require.Equal(t, "<citizen@example.com>", h.Get("To"))
	require.Contains(t, body, "Cổng dịch vụ công now receives one item of information from your electronic identity account.")

	for _, id := range []string{vi.ID, en.ID} {
		got, err := svc.Get(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, notify.Sent, got.State)
		require.Equal(t, 1, got.Attempts)
	}
}

// TestWrongSMTPPasswordIsRetried: a refused AUTH is a failed attempt,
// kept for a retry with the error recorded.
func TestWrongSMTPPasswordIsRetried(t *testing.T) {
	db := pgtest.New(t)
	srv := smtptest.Start(t, "dinhdanh", "smtp-secret")
	email, err := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "no-reply@id.example.gov.vn",
		Username: "dinhdanh", Password: "wrong", TLS: smtpmail.None, Timeout: 10 * time.Second})
	require.NoError(t, err)
	clock := testclock.New(start)
	svc := newService(t, notify.Config{Store: postgres.NewStore(db.App), Now: clock.Now,
		Channels: map[notify.ChannelName]notify.Channel{notify.Email: email}})
	n, err := svc.Enqueue(t.Context(), notify.Notification{Channel: notify.Email, Address: "a@example.vn", Kind: notify.Unlocked, Lang: notify.VI})
	require.NoError(t, err)
	_, err = svc.RunOnce(t.Context())
	require.NoError(t, err)
	got, err := svc.Get(t.Context(), n.ID)
	require.NoError(t, err)
	require.Equal(t, notify.Pending, got.State)
	require.NotEmpty(t, got.LastError)
	require.True(t, got.NextAttemptAt.Equal(start.Add(30*time.Second)), "%v", got.NextAttemptAt)
	require.Empty(t, srv.Messages())
}

// TestRetriesWithBackoffThenFails: a failing channel is retried after 30 s,
// then 60 s, and the notification is marked failed after the last attempt.
func TestRetriesWithBackoffThenFails(t *testing.T) {
	db := pgtest.New(t)
	clock := testclock.New(start)
	sms := &recorder{fail: errors.New("gateway answered 503")}
	svc := newService(t, notify.Config{Store: postgres.NewStore(db.App), Now: clock.Now, MaxAttempts: 3,
		Channels: map[notify.ChannelName]notify.Channel{notify.SMS: sms}})
	n, err := svc.Enqueue(t.Context(), notify.Notification{Channel: notify.SMS, Address: "+84901000002", Kind: notify.Locked, Lang: notify.VI,
		Params: map[string]string{"reason": "holder_request"}})
	require.NoError(t, err)

	step := func(advance time.Duration, attempted int) notify.Notification {
		t.Helper()
		clock.Advance(advance)
		k, err := svc.RunOnce(t.Context())
		require.NoError(t, err)
		require.Equal(t, attempted, k)
		got, err := svc.Get(t.Context(), n.ID)
		require.NoError(t, err)
		return got
	}
	got := step(0, 1)
	require.Equal(t, notify.Pending, got.State)
	require.Equal(t, 1, got.Attempts)
	require.Equal(t, "gateway answered 503", got.LastError)
	require.True(t, got.NextAttemptAt.Equal(start.Add(30*time.Second)))

	step(29*time.Second, 0) // not due yet
	got = step(time.Second, 1)
	require.Equal(t, 2, got.Attempts)
	require.True(t, got.NextAttemptAt.Equal(start.Add(30*time.Second+60*time.Second)), "%v", got.NextAttemptAt)

	got = step(60*time.Second, 1)
	require.Equal(t, notify.Failed, got.State)
	require.Equal(t, 3, got.Attempts)
	require.True(t, got.FailedAt.Equal(start.Add(90*time.Second)))
	step(24*time.Hour, 0) // failed is final
	require.Empty(t, sms.delivered())
	require.Equal(t, notify.Stats{Retried: 2, Failed: 1}, svc.Stats())
}

// TestTwoWorkersNeverSendOneTwice: two workers on their own pools (two
// replicas) drain one outbox at once; every notification is sent exactly
// once.
func TestTwoWorkersNeverSendOneTwice(t *testing.T) {
	db := pgtest.New(t)
	other, err := pg.Open(t.Context(), db.AppURL, 4)
	require.NoError(t, err)
	t.Cleanup(other.Close)
	sms := &recorder{}
	channels := map[notify.ChannelName]notify.Channel{notify.SMS: sms}
	a := newService(t, notify.Config{Store: postgres.NewStore(db.App), Channels: channels, Batch: 2})
	b := newService(t, notify.Config{Store: postgres.NewStore(other), Channels: channels, Batch: 2})
	const total = 50
	for i := range total {
		_, err := a.Enqueue(t.Context(), notify.Notification{Channel: notify.SMS, Address: fmt.Sprintf("+8490100%04d", i), Kind: notify.Unlocked, Lang: notify.VI})
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, svc := range []*notify.Service{a, b} {
		wg.Go(func() {
			n, err := svc.RunOnce(t.Context())
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	require.Equal(t, total, counts[0]+counts[1])
	got := sms.delivered()
	require.Len(t, got, total)
	seen := map[string]bool{}
	for _, g := range got {
		require.False(t, seen[g], "sent twice: %s", g)
		seen[g] = true
	}
}

// TestRestartDeliversWhatWasQueued: a worker stops while a message is
// being sent and more are queued while no worker runs; a new worker (a
// restarted gateway: new pool, same database) delivers them all.
func TestRestartDeliversWhatWasQueued(t *testing.T) {
	db := pgtest.New(t)
	clock := testclock.New(start)
	srv := smtptest.Start(t, "", "")

	// The first worker's SMS gateway hangs until the worker is stopped.
	started := make(chan struct{}, 1)
	hanging := notify.ChannelFunc(func(ctx context.Context, _ string, _ notify.Message) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	first := newService(t, notify.Config{Store: postgres.NewStore(db.App), Now: clock.Now,
		Channels: map[notify.ChannelName]notify.Channel{notify.SMS: hanging, notify.Email: notify.ChannelFunc(func(context.Context, string, notify.Message) error {
			return errors.New("unreachable")
		})}})
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.Run(ctx)
	}()
	inFlight, err := first.Enqueue(t.Context(), notify.Notification{Channel: notify.SMS, Address: "+84901000002", Kind: notify.Unlocked, Lang: notify.VI})
	require.NoError(t, err)
	<-started
	stop()
	<-done

	// Queued while no worker runs.
	queued, err := first.Enqueue(t.Context(), notify.Notification{Channel: notify.Email, Address: "cong.dan@example.vn", Kind: notify.Locked, Lang: notify.VI})
	require.NoError(t, err)
	got, err := first.Get(t.Context(), inFlight.ID)
	require.NoError(t, err)
	require.Equal(t, notify.Pending, got.State)

	// The restart: a new pool and a new worker, after the lease of the
	// interrupted attempt.
	pool, err := pg.Open(t.Context(), db.AppURL, 4)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	clock.Advance(3 * time.Minute)
	email, err := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "no-reply@id.example.gov.vn", TLS: smtpmail.None})
	require.NoError(t, err)
	sms := &recorder{}
	second := newService(t, notify.Config{Store: postgres.NewStore(pool), Now: clock.Now,
		Channels: map[notify.ChannelName]notify.Channel{notify.SMS: sms, notify.Email: email}})
	n, err := second.RunOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n)

	require.Equal(t, []string{"+84901000002|Tài khoản định danh điện tử của bạn đã được mở khoá. Nếu không phải bạn yêu cầu, hãy liên hệ cơ quan công an ngay."}, sms.delivered())
	msgs := srv.Wait(t, 1, 10*time.Second)
	require.Equal(t, []string{"cong.dan@example.vn"}, msgs[0].To)
	subject, _, _ := readMail(t, msgs[0].Data)
	require.Equal(t, "Tài khoản định danh điện tử đã bị khoá", subject)
	for _, id := range []string{inFlight.ID, queued.ID} {
		got, err := second.Get(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, notify.Sent, got.State, id)
	}
	got, err = second.Get(t.Context(), inFlight.ID)
	require.NoError(t, err)
	require.Equal(t, 2, got.Attempts)
}

// TestEnqueueInTheCallersTransaction: a notification written with
// EnqueueTx exists only if the transaction commits.
func TestEnqueueInTheCallersTransaction(t *testing.T) {
	db := pgtest.New(t)
	svc := newService(t, notify.Config{Store: postgres.NewStore(db.App), Channels: map[notify.ChannelName]notify.Channel{notify.SMS: &recorder{}}})
	for _, commit := range []bool{false, true} {
		n, err := svc.Prepare(notify.Notification{Channel: notify.SMS, Address: "+84901000002", Kind: notify.Unlocked, Lang: notify.EN})
		require.NoError(t, err)
		tx, err := db.App.Begin(t.Context())
		require.NoError(t, err)
		require.NoError(t, postgres.EnqueueTx(t.Context(), tx, n))
		if commit {
			require.NoError(t, tx.Commit(t.Context()))
		} else {
			require.NoError(t, tx.Rollback(t.Context()))
		}
		_, err = svc.Get(t.Context(), n.ID)
		if commit {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, notify.ErrNotFound)
		}
	}
	// The allow-list holds on this path too.
	bad := notify.Notification{ID: "00000000-0000-0000-0000-000000000001", Channel: notify.SMS, Address: "+84901000002", Kind: "otp", Lang: notify.VI}
	require.ErrorIs(t, postgres.EnqueueTx(t.Context(), db.App, bad), notify.ErrKindNotAllowed)
}
