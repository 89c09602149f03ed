package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/accounts/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) accounts.Store {
		return postgres.NewStore(pgtest.New(t).App)
	})
}

func TestPasskeyStoreConformance(t *testing.T) {
	storetest.RunPasskeys(t, func(t *testing.T) storetest.PasskeyBackend {
		return postgres.NewStore(pgtest.New(t).App)
	})
}

func TestInbox(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	in := postgres.NewInbox(db.App)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	require.NoError(t, in.Add(ctx, accounts.DevMessage{Phone: "+84901000001", Body: "one", SentAt: at}))
	require.NoError(t, in.Add(ctx, accounts.DevMessage{Phone: "+84901000002", Body: "two", SentAt: at.Add(time.Minute)}))
	require.NoError(t, in.Add(ctx, accounts.DevMessage{Phone: "+84901000001", Body: "three", SentAt: at.Add(2 * time.Minute)}))

	msgs, err := in.Messages(ctx, "+84901000001")
	require.NoError(t, err)
	require.Equal(t, []accounts.DevMessage{
		{Phone: "+84901000001", Body: "three", SentAt: at.Add(2 * time.Minute).UTC()},
		{Phone: "+84901000001", Body: "one", SentAt: at.UTC()},
	}, msgs)
	all, err := in.All(ctx)
	require.NoError(t, err)
	require.Len(t, all, 3)
	require.Equal(t, "three", all[0].Body)

	// A restart (a new Inbox on the same database) keeps the messages.
	again, err := postgres.NewInbox(db.App).All(ctx)
	require.NoError(t, err)
	require.Equal(t, all, again)
}
