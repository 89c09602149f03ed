package gateway

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

type sentSMS struct {
	mu  sync.Mutex
	got []string
}

func (s *sentSMS) Send(_ context.Context, phone, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, phone+"|"+message)
	return nil
}

// TestEnrolmentResultGoesThroughTheOutbox: the counter's result reaches the
// citizen's phone as an enrolment_result notification, the SMS it always
// was; without a phone and without an e-mail channel nothing is queued.
func TestEnrolmentResultGoesThroughTheOutbox(t *testing.T) {
	db := pgtest.New(t)
	sms := &sentSMS{}
	cfg := config.Default() // not dev mode, no SMTP server: no e-mail channel
	svc, _, err := newNotify(Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler)}, sms, nil)
	require.NoError(t, err)
	n := outboxNotifier{notify: svc}

	withPhone := accounts.Account{ID: uuid.NewString(), Phone: "+84901000002", Email: "a@example.vn"}
	require.NoError(t, n.NotifyEnrolment(t.Context(), withPhone, 2, true, ""))
	require.NoError(t, n.NotifyEnrolment(t.Context(), withPhone, 2, false, "vân tay không khớp"))
	emailOnly := accounts.Account{ID: uuid.NewString(), Email: "b@example.vn"}
	require.NoError(t, n.NotifyEnrolment(t.Context(), emailOnly, 1, true, ""))

	queued, err := svc.ListForAccount(t.Context(), withPhone.ID)
	require.NoError(t, err)
	require.Len(t, queued, 2)
	for _, q := range queued {
		require.Equal(t, notify.EnrolmentResult, q.Kind)
		require.Equal(t, notify.SMS, q.Channel)
	}
	none, err := svc.ListForAccount(t.Context(), emailOnly.ID)
	require.NoError(t, err)
	require.Empty(t, none)

	k, err := svc.RunOnce(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, k)
	require.ElementsMatch(t, []string{
		"+84901000002|Tài khoản định danh điện tử của bạn đã được xác thực mức 2.",
		"+84901000002|Yêu cầu xác thực tài khoản định danh điện tử mức 2 chưa được chấp thuận. Lý do: vân tay không khớp.",
	}, sms.got)
}
