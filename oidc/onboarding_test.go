package oidc_test

import (
	"context"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// memAudit keeps the events recorded.
type memAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (a *memAudit) Record(_ context.Context, e audit.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

func (a *memAudit) last() audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.events[len(a.events)-1]
}

func newRegistry(t *testing.T) (*oidc.Clients, *oidcpg.Store, *memAudit, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	hasher, err := oidc.NewSecretHasher([]byte("pepper-pepper-pepper-pepper-0123"))
	require.NoError(t, err)
	rec := &memAudit{}
	return &oidc.Clients{Store: store, Hasher: hasher, Audit: rec}, store, rec, db
}

func proposal() oidc.Client {
	return oidc.Client{
		Name: oidc.Text{VI: "Ngân hàng Thử"}, Kind: oidc.KindBank, Profile: oidc.ProfileBaseline,
		Organisation: oidc.Organisation{Name: "Ngân hàng TMCP Thử", Code: "0101234567"},
		Purpose:      oidc.Text{VI: "Mở tài khoản thanh toán"}, LegalBasis: "Thông tư 16/2020/TT-NHNN",
		RedirectURIs: []string{"https://bank.example/cb"}, MinLevel: 2,
	}
}

var (
	opA = oidc.Operator{MemberID: "member-a", Username: "an", Name: "Nguyễn An"}
	opB = oidc.Operator{MemberID: "member-b", Username: "binh", Name: "Trần Bình"}
)

// TestProposedClientNeedsAnotherOperator: a client proposed from the
// console is not found by fosite (every endpoint refuses it) until another
// operator approves it; its proposer cannot; nobody decides twice; each
// step is audited with the operator's member id.
func TestProposedClientNeedsAnotherOperator(t *testing.T) {
	ctx := t.Context()
	cs, store, rec, _ := newRegistry(t)

	c, secret, err := cs.Propose(ctx, opA, proposal())
	require.NoError(t, err)
	require.NotEmpty(t, secret, "a client secret, shown once")
	assert.Equal(t, oidc.StatusPending, c.Status())
	assert.Equal(t, "member-a", c.Approval.ProposedBy)
	ev := rec.last()
	assert.Equal(t, audit.ClientChanged, ev.Type)
	assert.Equal(t, audit.Operator, ev.ActorKind)
	assert.Equal(t, "member-a", ev.ActorID)
	assert.Equal(t, "proposed", ev.Reason)
	assert.Equal(t, "an", ev.Detail["member_username"])
	assert.Equal(t, "0101234567", ev.Detail["organisation_code"])

	_, err = store.GetClient(ctx, c.ID)
	require.ErrorIs(t, err, fosite.ErrNotFound, "pending: refused like a disabled client")

	_, err = cs.Approve(ctx, opA, c.ID)
	require.ErrorIs(t, err, oidc.ErrSelfApproval)
	_, err = cs.Reject(ctx, opA, c.ID, "")
	require.ErrorIs(t, err, oidc.ErrSelfApproval)

	// Neither an update (the admin API's JSON merge) nor the CLI's path
	// approves it or forges who did.
	_, err = cs.Update(ctx, "admin-api", c.ID, func(c *oidc.Client) error {
		c.Approval = oidc.Approval{State: oidc.ApprovalApproved, DecidedBy: "someone"}
		return nil
	})
	require.NoError(t, err)
	got, err := cs.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusPending, got.Status())
	_, err = store.GetClient(ctx, c.ID)
	require.ErrorIs(t, err, fosite.ErrNotFound)

	approved, err := cs.Approve(ctx, opB, c.ID)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusActive, approved.Status())
	assert.Equal(t, "member-b", approved.Approval.DecidedBy)
	ev = rec.last()
	assert.Equal(t, "member-b", ev.ActorID)
	assert.Equal(t, "approved", ev.Reason)
	assert.Equal(t, "member-a", ev.Detail["proposed_by"])
	fc, err := store.GetClient(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c.ID, fc.GetID())

	_, err = cs.Approve(ctx, opB, c.ID)
	require.ErrorIs(t, err, oidc.ErrNotPending)
	_, err = cs.Approve(ctx, opB, "nobody")
	require.ErrorIs(t, err, oidc.ErrNotFound)

	_, err = cs.RotateSecretBy(ctx, opB, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "secret_rotated", rec.last().Reason)
	assert.Equal(t, "member-b", rec.last().ActorID)
	disabled, err := cs.DisableBy(ctx, opA, c.ID)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusDisabled, disabled.Status())
	assert.Equal(t, "disabled", rec.last().Reason)
	assert.Equal(t, "member-a", rec.last().ActorID)
	_, err = store.GetClient(ctx, c.ID)
	require.ErrorIs(t, err, fosite.ErrNotFound)
}

// TestRejectedClientStaysUnusable: a rejected client is disabled for good,
// with its reason.
func TestRejectedClientStaysUnusable(t *testing.T) {
	ctx := t.Context()
	cs, store, rec, _ := newRegistry(t)
	c, _, err := cs.Propose(ctx, opA, proposal())
	require.NoError(t, err)
	r, err := cs.Reject(ctx, opB, c.ID, "Thiếu hợp đồng")
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusRejected, r.Status())
	assert.Equal(t, "rejected", rec.last().Reason)
	assert.Equal(t, "Thiếu hợp đồng", rec.last().Detail["reason"])
	_, err = store.GetClient(ctx, c.ID)
	require.ErrorIs(t, err, fosite.ErrNotFound)
	_, err = cs.Approve(ctx, opB, c.ID)
	require.ErrorIs(t, err, oidc.ErrNotPending)
	// Enabling it through an update does not make it usable.
	_, err = cs.Update(ctx, "op", c.ID, func(c *oidc.Client) error { c.Disabled = false; return nil })
	require.NoError(t, err)
	_, err = store.GetClient(ctx, c.ID)
	require.ErrorIs(t, err, fosite.ErrNotFound)
}

// TestProposalNeedsOrganisationPurposeAndLegalBasis: every missing field
// is named at once and nothing is written.
func TestProposalNeedsOrganisationPurposeAndLegalBasis(t *testing.T) {
	cases := []struct {
		name   string
		change func(*oidc.Client)
		fields []string
	}{
		{"no organisation", func(c *oidc.Client) { c.Organisation = oidc.Organisation{} }, []string{"organisation_name", "organisation_code"}},
		{"code not digits", func(c *oidc.Client) { c.Organisation.Code = "ABC-12" }, []string{"organisation_code"}},
		{"code two hyphens", func(c *oidc.Client) { c.Organisation.Code = "0101-2-3" }, []string{"organisation_code"}},
		{"no purpose", func(c *oidc.Client) { c.Purpose = oidc.Text{VI: "  "} }, []string{"purpose"}},
		{"no legal basis", func(c *oidc.Client) { c.LegalBasis = " " }, []string{"legal_basis"}},
		{"all", func(c *oidc.Client) { c.Organisation, c.Purpose, c.LegalBasis = oidc.Organisation{}, oidc.Text{}, "" },
			[]string{"organisation_name", "organisation_code", "purpose", "legal_basis"}},
	}
	cs, _, _, _ := newRegistry(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := proposal()
			tc.change(&p)
			_, _, err := cs.Propose(t.Context(), opA, p)
			require.ErrorIs(t, err, oidc.ErrInvalidClient)
			var oe *oidc.OnboardingError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tc.fields, oe.Fields)
		})
	}
	all, err := cs.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, all, "nothing written")
}

// TestCLIClientsNeedNoApproval: the CLI's and the admin API's
// registrations are usable at once (the demo data relies on it), and an
// approval they send is ignored.
func TestCLIClientsNeedNoApproval(t *testing.T) {
	ctx := t.Context()
	cs, store, _, _ := newRegistry(t)
	reg := proposal()
	reg.ID = "cli-bank"
	reg.Approval = oidc.Approval{State: oidc.ApprovalPending, ProposedBy: "x"}
	c, _, err := cs.Create(ctx, "ops", reg)
	require.NoError(t, err)
	assert.Equal(t, oidc.StatusActive, c.Status())
	_, err = store.GetClient(ctx, "cli-bank")
	require.NoError(t, err)
}

// TestClientsByOrganisation: an organisation's relying parties, by its
// code, whatever path registered them.
func TestClientsByOrganisation(t *testing.T) {
	ctx := t.Context()
	cs, _, _, _ := newRegistry(t)
	a, _, err := cs.Propose(ctx, opA, proposal())
	require.NoError(t, err)
	other := proposal()
	other.Organisation = oidc.Organisation{Name: "Khác", Code: "0309999999"}
	_, _, err = cs.Propose(ctx, opA, other)
	require.NoError(t, err)
	cli := proposal()
	cli.ID = "cli"
	_, _, err = cs.Create(ctx, "ops", cli)
	require.NoError(t, err)

	got, err := cs.ByOrganisation(ctx, "0101234567")
	require.NoError(t, err)
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
		assert.Nil(t, c.SecretHash)
	}
	assert.ElementsMatch(t, []string{a.ID, "cli"}, ids)
	none, err := cs.ByOrganisation(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, none)

	// Moving the client to another organisation moves it in the index.
	_, err = cs.Update(ctx, "ops", "cli", func(c *oidc.Client) error { c.Organisation.Code = "0309999999"; return nil })
	require.NoError(t, err)
	got, err = cs.ByOrganisation(ctx, "0101234567")
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// auditRange reads a real audit log by sequence number.
type auditRange struct{ s *auditpg.Store }

func (a auditRange) HeadSeq(ctx context.Context) (int64, error) {
	h, err := a.s.Head(ctx)
	return h.End.Seq, err
}

func (a auditRange) Entries(ctx context.Context, from, to int64) iter.Seq2[audit.Entry, error] {
	return a.s.Entries(ctx, from, to)
}

// TestUsageRollsUpTheAuditLog: the usage figures count what the audit log
// holds per client and day, incrementally: a second run adds only what
// came after the first, and a run that lost the race adds nothing.
func TestUsageRollsUpTheAuditLog(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	astore := auditpg.NewStore(db.App, clock)
	log, err := audit.NewLog(astore, key, audit.Options{Now: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	u := &oidc.Usage{Store: store, Audit: auditRange{astore}, Batch: 2, Now: clock}

	record := func(at time.Time, e audit.Event) {
		t.Helper()
		e.Time = at
		require.NoError(t, log.Record(ctx, e))
	}
	yesterday := now.Add(-24 * time.Hour)
	code := map[string]string{"grant_type": oidc.GrantAuthorizationCode}
	record(yesterday, audit.Event{Type: audit.TokenIssued, ClientID: "bank", Outcome: audit.Success, Detail: code})
	// 18:30 UTC is 01:30 the next day in Vietnam: today's.
	record(time.Date(2026, 12, 9, 18, 30, 0, 0, time.UTC), audit.Event{Type: audit.TokenIssued, ClientID: "bank", Outcome: audit.Success, Detail: code})
	record(now, audit.Event{Type: audit.TokenIssued, ClientID: "bank", Outcome: audit.Success, Detail: code})
	record(now, audit.Event{Type: audit.TokenRefreshed, ClientID: "bank", Outcome: audit.Success, Detail: map[string]string{"grant_type": oidc.GrantRefreshToken}})
	record(now, audit.Event{Type: audit.AuthorizeDenied, ClientID: "bank", Outcome: audit.Denied})
	record(now, audit.Event{Type: audit.TokenIssued, ClientID: "other", Outcome: audit.Success, Detail: code})
	record(now, audit.Event{Type: audit.SignInSucceeded, Outcome: audit.Success})
	record(now, audit.Event{Type: audit.ClientChanged, ClientID: "bank", Outcome: audit.Success})

	n, err := u.CatchUp(ctx, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 8, n, "every entry read once, in ranges of 2")
	days, err := u.Last7Days(ctx, "bank")
	require.NoError(t, err)
	require.Len(t, days, oidc.UsageDays)
	assert.Equal(t, now.Truncate(24*time.Hour), days[6].Day)
	assert.Equal(t, oidc.UsageDay{Day: days[5].Day, SignIns: 1, Tokens: 1}, days[5])
	assert.Equal(t, oidc.UsageDay{Day: days[6].Day, SignIns: 2, Tokens: 3, Failures: 1}, days[6])
	assert.InDelta(t, 1.0/4, days[6].ErrorRate(), 1e-9)

	n, err = u.CatchUp(ctx, 0)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing new")
	record(now, audit.Event{Type: audit.TokenIssued, ClientID: "bank", Outcome: audit.Success, Detail: code})
	_, err = u.CatchUp(ctx, 0)
	require.NoError(t, err)
	days, err = u.Last7Days(ctx, "bank")
	require.NoError(t, err)
	assert.EqualValues(t, 3, days[6].SignIns)

	// A replica that read the cursor before another moved it adds nothing.
	cur, ok, err := store.UsageCursor(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	err = store.AddUsage(ctx, cur-1, cur+5, []oidc.UsageCount{{ClientID: "bank", Day: now, Metric: oidc.MetricTokens, N: 100}})
	require.ErrorIs(t, err, oidc.ErrUsageMoved)
	days, err = u.Last7Days(ctx, "bank")
	require.NoError(t, err)
	assert.EqualValues(t, 4, days[6].Tokens)
}

// TestUsageStartsAtTheHeadOfALongLog: installed on a log longer than
// Backfill, the roll-up starts at its head instead of walking it.
func TestUsageStartsAtTheHeadOfALongLog(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	astore := auditpg.NewStore(db.App, nil)
	log, err := audit.NewLog(astore, key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	for range 3 {
		require.NoError(t, log.Record(ctx, audit.Event{Type: audit.TokenIssued, ClientID: "bank", Outcome: audit.Success}))
	}
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	u := &oidc.Usage{Store: store, Audit: auditRange{astore}, Backfill: 2}
	n, err := u.CatchUp(ctx, 0)
	require.NoError(t, err)
	assert.Zero(t, n)
	cur, _, err := store.UsageCursor(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, cur)
	days, err := u.Last7Days(ctx, "bank")
	require.NoError(t, err)
	assert.Zero(t, days[6].Tokens)
}

// TestUsagePrune: counts older than UsageKeptDays go, the rest stay.
func TestUsagePrune(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	u := &oidc.Usage{Store: store, Now: func() time.Time { return now }}
	today := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	require.NoError(t, store.AddUsage(ctx, -1, 0, nil))
	require.NoError(t, store.AddUsage(ctx, 0, 1, []oidc.UsageCount{
		{ClientID: "bank", Day: today.AddDate(0, 0, -oidc.UsageKeptDays-1), Metric: oidc.MetricTokens, N: 5},
		{ClientID: "bank", Day: today.AddDate(0, 0, -oidc.UsageKeptDays), Metric: oidc.MetricTokens, N: 6},
		{ClientID: "bank", Day: today, Metric: oidc.MetricTokens, N: 7},
	}))
	n, err := u.Prune(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	left, err := store.ClientUsage(ctx, "bank", today.AddDate(-2, 0, 0), today.AddDate(0, 0, 1))
	require.NoError(t, err)
	require.Len(t, left, 2)
	assert.EqualValues(t, 6, left[0].N)
	assert.EqualValues(t, 7, left[1].N)
}
