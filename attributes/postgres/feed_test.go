package postgres_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// auditSpy records in-transaction events; it keeps only those of committed
// transactions, as RecordTx would.
type auditSpy struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
}

func (a *auditSpy) record(ctx context.Context, tx pgx.Tx, e audit.Event) error {
	if a.fail != nil {
		return a.fail
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

type feedEnv struct {
	pool  *pgxpool.Pool
	docs  *postgres.Store
	feeds *postgres.FeedStore
	audit *auditSpy
	clock *testclock.Clock
}

const holder = "001090123456"

func newFeedEnv(t *testing.T) feedEnv {
	db := pgtest.New(t)
	clock := testclock.New(time.Date(2026, 12, 9, 8, 0, 0, 0, time.UTC))
	docs := postgres.NewStore(db.App).WithClock(clock.Now)
	require.NoError(t, docs.Write(t.Context(), []attributes.Person{
		{PersonalID: holder, FullName: "Nguyễn Văn An", BirthDate: d(1990, 5, 17), Gender: attributes.Male, Nationality: "VN"},
		{PersonalID: "001090654321", FullName: "Trần Thị Bình", BirthDate: d(1991, 1, 2), Gender: attributes.Female, Nationality: "VN"},
	}, nil))
	spy := &auditSpy{}
	return feedEnv{pool: db.App, docs: docs, feeds: postgres.NewFeedStore(db.App, clock.Now, spy.record), audit: spy, clock: clock}
}

func ptr(t time.Time) *time.Time { return &t }

func licence(number string) attributes.FeedEntry {
	return attributes.FeedEntry{Op: attributes.OpUpsert, Number: number, HolderID: holder, IssuedOn: ptr(d(2020, 1, 1)),
		ExpiresOn: ptr(d(2030, 1, 1)), Issuer: "Sở GTVT Hà Nội", Fields: map[string]string{"classes": "A1,B2"}}
}

func (e feedEnv) apply(t *testing.T, seq int64, entries ...attributes.FeedEntry) (attributes.FeedResult, error) {
	return attributes.ApplyFeed(t.Context(), e.feeds, attributes.FeedBatch{Kind: attributes.DrivingLicence, Seq: seq, Entries: entries}, "registry:driving_licence")
}

// claims are the holder's driving licence claims once the holder has
// integrated every document a feed created (the wallet's rules are
// wallet_test.go's; here only the feed's are tested).
func (e feedEnv) claims(t *testing.T) []map[string]any {
	_, err := e.pool.Exec(t.Context(), `UPDATE documents SET wallet = 'integrated' WHERE wallet = 'none'`)
	require.NoError(t, err)
	return e.released(t)
}

// released are the holder's driving licence claims as they stand.
func (e feedEnv) released(t *testing.T) []map[string]any {
	out, _, err := attributes.Release(t.Context(), e.docs, e.docs, holder, assurance.Level2, []string{attributes.ClaimDrivingLicence})
	require.NoError(t, err)
	return out[attributes.ClaimDrivingLicence].([]map[string]any)
}

func TestFeedReplayIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	res, err := e.apply(t, 1, licence("010000000001"))
	require.NoError(t, err)
	require.Equal(t, attributes.FeedResult{Kind: attributes.DrivingLicence, Seq: 1, Applied: true, Entries: 1}, res)
	require.Len(t, e.audit.events, 1)
	ev := e.audit.events[0]
	require.Equal(t, "document_feed_batch", ev.Reason)
	require.Equal(t, "1", ev.Detail["seq"])
	require.Equal(t, "registry:driving_licence", ev.ActorID)

	res, err = e.apply(t, 1, licence("010000000001"))
	require.NoError(t, err)
	require.False(t, res.Applied, "a replay changes nothing and says so")
	require.Len(t, e.audit.events, 1, "a replay is not a second applied batch")

	other := licence("010000000001")
	other.Issuer = "Sở GTVT TP HCM"
	_, err = e.apply(t, 1, other)
	require.ErrorIs(t, err, attributes.ErrFeedReplayMismatch)
	got := e.claims(t)
	require.Len(t, got, 1)
	require.Equal(t, "Sở GTVT Hà Nội", got[0]["issuer"])
}

func TestFeedGapIsRefusedWithTheExpectedNumber(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	for _, seq := range []int64{2, 0} {
		_, err := e.apply(t, seq, licence("010000000001"))
		require.Error(t, err)
		if seq == 2 {
			var gap *attributes.FeedGapError
			require.ErrorAs(t, err, &gap)
			require.Equal(t, int64(1), gap.Expected)
		}
	}
	_, err := e.apply(t, 1, licence("010000000001"))
	require.NoError(t, err)
	_, err = e.apply(t, 3, licence("010000000002"))
	var gap *attributes.FeedGapError
	require.ErrorAs(t, err, &gap)
	require.Equal(t, int64(2), gap.Expected)
	last, err := e.feeds.LastSeq(t.Context(), attributes.DrivingLicence)
	require.NoError(t, err)
	require.Equal(t, int64(1), last)
	require.Len(t, e.claims(t), 1)
}

// A batch with one bad line applies nothing, and lists every bad line.
func TestFeedBadLineAppliesNothing(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	_, err := e.apply(t, 1, licence("010000000001"))
	require.NoError(t, err)

	unknownHolder := licence("010000000003")
	unknownHolder.HolderID = "079090000001"
	tests := []struct {
		name    string
		entries []attributes.FeedEntry
		lines   []int
	}{
		{"unknown op", []attributes.FeedEntry{licence("010000000002"), {Op: "renew", Number: "010000000001"}}, []int{2}},
		{"upsert without holder", []attributes.FeedEntry{{Op: attributes.OpUpsert, Number: "010000000002"}}, []int{1}},
		{"same number twice", []attributes.FeedEntry{licence("010000000002"), licence("010000000002")}, []int{2}},
		{"biometric field", []attributes.FeedEntry{{Op: attributes.OpUpsert, Number: "010000000002", HolderID: holder,
			Fields: map[string]string{"portrait": "x"}}}, []int{1}},
		{"holder not in the registry", []attributes.FeedEntry{licence("010000000002"), unknownHolder}, []int{2}},
		{"withdraw an unknown document", []attributes.FeedEntry{{Op: attributes.OpWithdraw, Number: "019999999999"}, licence("010000000002")}, []int{1}},
		{"wrong holder", []attributes.FeedEntry{licence("010000000002"),
			{Op: attributes.OpSuspend, Number: "010000000001", HolderID: "001090654321"}}, []int{2}},
	}
	for _, tc := range tests {
		_, err := e.apply(t, 2, tc.entries...)
		var bad *attributes.FeedInvalidError
		require.ErrorAs(t, err, &bad, tc.name)
		var lines []int
		for _, l := range bad.Lines {
			lines = append(lines, l.Line)
		}
		require.Equal(t, tc.lines, lines, tc.name)
	}
	got := e.claims(t)
	require.Len(t, got, 1, "the good lines of refused batches were not applied")
	require.Equal(t, "valid", got[0]["status"])
	last, err := e.feeds.LastSeq(t.Context(), attributes.DrivingLicence)
	require.NoError(t, err)
	require.Equal(t, int64(1), last)
	require.Len(t, e.audit.events, 1)

	// An audit failure refuses the batch too.
	e.audit.fail = context.DeadlineExceeded
	_, err = e.apply(t, 2, licence("010000000002"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, e.claims(t), 1)
}

// A withdrawal, suspension or expiry is in the claims at once, and an expiry
// date that passes makes a valid document expired without any feed.
func TestFeedStatusIsVisibleInClaimsAtOnce(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	_, err := e.apply(t, 1, licence("010000000001"), licence("010000000002"), licence("010000000003"), licence("010000000004"))
	require.NoError(t, err)
	for _, c := range e.claims(t) {
		require.Equal(t, "valid", c["status"])
	}
	_, err = e.apply(t, 2,
		attributes.FeedEntry{Op: attributes.OpWithdraw, Number: "010000000001", HolderID: holder},
		attributes.FeedEntry{Op: attributes.OpSuspend, Number: "010000000002"},
		attributes.FeedEntry{Op: attributes.OpExpire, Number: "010000000003", ExpiresOn: ptr(d(2026, 12, 1))})
	require.NoError(t, err)
	status := func() map[string]string {
		m := map[string]string{}
		for _, c := range e.claims(t) {
			m[c["number"].(string)] = c["status"].(string)
		}
		return m
	}
	require.Equal(t, map[string]string{"010000000001": "withdrawn", "010000000002": "suspended",
		"010000000003": "expired", "010000000004": "valid"}, status())

	e.clock.Set(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC))
	require.Equal(t, "expired", status()["010000000004"], "expires_on passed by the clock")

	// An upsert restores a document.
	_, err = e.apply(t, 3, licence("010000000002"))
	require.NoError(t, err)
	e.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	require.Equal(t, "valid", status()["010000000002"])
}

func TestFeedKindsHaveTheirOwnSequence(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	_, err := e.apply(t, 1, licence("010000000001"))
	require.NoError(t, err)
	res, err := attributes.ApplyFeed(t.Context(), e.feeds, attributes.FeedBatch{Kind: attributes.HealthInsurance, Seq: 1,
		Entries: []attributes.FeedEntry{{Op: attributes.OpUpsert, Number: "DN4010123456789", HolderID: holder}}}, "registry:health_insurance")
	require.NoError(t, err)
	require.True(t, res.Applied)
	_, err = attributes.ApplyFeed(t.Context(), e.feeds, attributes.FeedBatch{Kind: "passport", Seq: 1,
		Entries: []attributes.FeedEntry{licence("1")}}, "x")
	require.Error(t, err)
}

// The same batch pushed concurrently applies once: the kind's feed row is
// locked for the whole transaction.
func TestFeedConcurrentReplaysApplyOnce(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t)
	var wg sync.WaitGroup
	results := make([]attributes.FeedResult, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = e.apply(t, 1, licence("010000000001"), licence("010000000002")) })
	}
	wg.Wait()
	applied := 0
	for i := range results {
		require.NoError(t, errs[i])
		if results[i].Applied {
			applied++
		}
	}
	require.Equal(t, 1, applied)
	require.Len(t, e.audit.events, 1)
}

func TestRegistryCredentials(t *testing.T) {
	env := newFeedEnv(t)
	ctx := t.Context()
	first, err := env.feeds.SetCredential(ctx, attributes.DrivingLicence, []byte("hash-1"), "ops")
	require.NoError(t, err)
	_, err = env.feeds.Authenticate(ctx, []byte("nope"))
	require.ErrorIs(t, err, attributes.ErrNotFound)

	env.clock.Advance(time.Minute)
	c, err := env.feeds.Authenticate(ctx, []byte("hash-1"))
	require.NoError(t, err)
	require.Equal(t, first, c.ID)
	require.Equal(t, attributes.DrivingLicence, c.Kind)
	require.Equal(t, env.clock.Now().UTC(), *c.LastUsedAt, "its use is recorded")

	env.clock.Advance(time.Minute)
	second, err := env.feeds.SetCredential(ctx, attributes.DrivingLicence, []byte("hash-2"), "ops")
	require.NoError(t, err)
	_, err = env.feeds.Authenticate(ctx, []byte("hash-1"))
	require.ErrorIs(t, err, attributes.ErrNotFound, "a new credential revokes the one before")
	other, err := env.feeds.SetCredential(ctx, attributes.HealthInsurance, []byte("hash-3"), "ops")
	require.NoError(t, err)

	list, err := env.feeds.Credentials(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []int64{other, second, first}, []int64{list[0].ID, list[1].ID, list[2].ID}, "newest first")
	require.NotNil(t, list[2].RevokedAt)
	require.Equal(t, "ops", list[2].RevokedBy)
	require.NotNil(t, list[2].LastUsedAt)
	require.Nil(t, list[1].RevokedAt)
	require.Nil(t, list[1].LastUsedAt)

	revoked, err := env.feeds.RevokeCredential(ctx, second, "alice")
	require.NoError(t, err)
	require.Equal(t, "alice", revoked.RevokedBy)
	_, err = env.feeds.Authenticate(ctx, []byte("hash-2"))
	require.ErrorIs(t, err, attributes.ErrNotFound, "revoked at once")
	_, err = env.feeds.RevokeCredential(ctx, second, "alice")
	require.ErrorIs(t, err, attributes.ErrRevoked)
	_, err = env.feeds.RevokeCredential(ctx, 999999, "alice")
	require.ErrorIs(t, err, attributes.ErrNotFound)
	_, err = env.feeds.Authenticate(ctx, []byte("hash-3"))
	require.NoError(t, err, "another registry's credential is untouched")

	var reasons []string
	for _, e := range env.audit.events {
		reasons = append(reasons, e.Reason+" "+e.Detail["credential"])
	}
	require.Equal(t, []string{
		"registry_credential_created " + itoa(first),
		"registry_credential_revoked " + itoa(first), "registry_credential_created " + itoa(second),
		"registry_credential_created " + itoa(other),
		"registry_credential_revoked " + itoa(second),
	}, reasons)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
