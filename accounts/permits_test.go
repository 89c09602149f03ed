package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
)

// TestPermitExpiryLocksTheAccount (issue 13 item 3): with the test clock,
// a foreigner is told 30 and 7 days before the residence permit's last
// day, once each; the day after, the account locks itself through the
// lock path (audited, tokens and relying parties ended); a renewal
// imported later lifts that lock, and only that lock.
func TestPermitExpiryLocksTheAccount(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	// The clock starts on 2026-11-23, 40 days before the permit's end.
	kim := kimResident()
	kim.PermitExpiry = day(2027, 1, 2)
	require.NoError(t, env.Foreigners.Put(ctx, kim))
	a := env.Citizen(t, kim.ID, "một mật khẩu dài", "+84901000003", 1)
	// A second foreigner whose account was locked for another reason: the
	// permit's expiry and renewal leave that lock alone.
	other := kimResident()
	other.ID, other.PassportNo, other.PermitExpiry = "001090000031", "X1234567", day(2026, 12, 31)
	require.NoError(t, env.Foreigners.Put(ctx, other))
	b := env.Citizen(t, other.ID, "một mật khẩu dài", "+84901000031", 1)
	_, err := env.Service.Lock(ctx, b.ID, "lost_phone", accounts.Actor{Kind: audit.Officer, ID: "o1"})
	require.NoError(t, err)

	permitNotices := func() []accounts.Notice {
		var out []accounts.Notice
		for _, n := range env.Notices.All() {
			if n.Kind == accounts.NoticePermitExpiring {
				out = append(out, n)
			}
		}
		return out
	}
	at := func(d time.Time) { env.Clock.Set(d.Add(9 * time.Hour)) }
	sweep := func(want accounts.PermitSweepReport) {
		t.Helper()
		got, err := env.Service.SweepPermits(ctx, env.Foreigners)
		require.NoError(t, err)
		require.Equal(t, want, got, "at %s", env.Clock.Now())
	}

	sweep(accounts.PermitSweepReport{}) // 40 days before: nothing yet
	at(day(2026, 12, 3))                // 30 days before
	sweep(accounts.PermitSweepReport{Notices: 1})
	sweep(accounts.PermitSweepReport{}) // once
	ns := permitNotices()
	require.Len(t, ns, 1)
	require.Equal(t, a.ID, ns[0].Account.ID)
	require.Equal(t, map[string]string{"days": "30", "expiry": "2027-01-02"}, ns[0].Params)

	at(day(2026, 12, 20))
	sweep(accounts.PermitSweepReport{})
	at(day(2026, 12, 27)) // 6 days before: the 7-day notice
	sweep(accounts.PermitSweepReport{Notices: 1})
	sweep(accounts.PermitSweepReport{})
	ns = permitNotices()
	require.Len(t, ns, 2)
	require.Equal(t, "6", ns[1].Params["days"])

	at(day(2027, 1, 2)) // the last day of the stay: still open
	sweep(accounts.PermitSweepReport{})
	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)

	env.Audit.Reset()
	at(day(2027, 1, 3)) // the day after: locked
	sweep(accounts.PermitSweepReport{Locked: 1})
	sweep(accounts.PermitSweepReport{})
	got, err = env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, got.Status)
	require.Equal(t, accounts.LockPermitExpired, got.LockReason)
	locks := env.Audit.Of(audit.AccountLocked)
	require.Len(t, locks, 1)
	require.Equal(t, a.ID, locks[0].AccountID)
	require.Equal(t, audit.System, locks[0].ActorKind)
	require.Equal(t, "permit_sweep", locks[0].ActorID)
	require.Equal(t, accounts.LockPermitExpired, locks[0].Reason)
	revoked, _ := env.Cascade.Ended()
	require.Contains(t, revoked, a.ID, "the lock ends the account's tokens")
	require.Contains(t, env.Notices.Kinds(a.ID), accounts.NoticeLocked)
	_, err = signIn(env, kim.ID, "một mật khẩu dài", "192.0.2.1")
	require.Error(t, err, "no sign-in while locked")

	// A renewal is imported: the next sweep lifts the permit's lock, not
	// the other account's.
	env.Audit.Reset()
	kim.PermitNumber, kim.PermitExpiry = "TT07654321", day(2028, 1, 2)
	other.PermitExpiry = day(2028, 1, 2)
	require.NoError(t, env.Foreigners.Put(ctx, kim, other))
	at(day(2027, 1, 10))
	sweep(accounts.PermitSweepReport{Lifted: 1})
	sweep(accounts.PermitSweepReport{})
	got, err = env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
	unlocks := env.Audit.Of(audit.AccountUnlocked)
	require.Len(t, unlocks, 1)
	require.Equal(t, "permit_sweep", unlocks[0].ActorID)
	gotB, err := env.Service.Get(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, gotB.Status)
	require.Equal(t, "lost_phone", gotB.LockReason)
	require.Empty(t, env.Notices.Kinds(b.ID)[1:], "nothing told to the other holder but the officer's lock")
}
