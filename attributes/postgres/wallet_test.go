package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
)

// holders are the accounts of the wallet tests: account id → holder.
type holders map[string]attributes.Holder

func (h holders) Holder(_ context.Context, id string) (attributes.Holder, error) {
	if x, ok := h[id]; ok {
		return x, nil
	}
	return attributes.Holder{}, errors.New("no such account")
}

// recorder keeps the events recorded outside a transaction (the lock).
type recorder struct{ events []audit.Event }

func (r *recorder) Record(_ context.Context, e audit.Event) error {
	r.events = append(r.events, e)
	return nil
}

const (
	other = "001090654321"
	// Accounts: An (level 2, holder), Bình (level 2, other), Cường (level 1, holder's number for the test).
	accAn, accBinh, accLevel1 = "acc-an", "acc-binh", "acc-level1"
)

type walletEnv struct {
	feedEnv
	wallet *attributes.Wallet
	locks  *recorder
	state  func(kind attributes.DocumentKind, number string) string
}

func newWalletEnv(t *testing.T) walletEnv {
	e := newFeedEnv(t)
	pool := e.pool
	ctx := t.Context()
	// The population import's documents are integrated.
	require.NoError(t, e.docs.Write(ctx, nil, []attributes.Document{
		{Kind: attributes.SocialInsurance, Number: "0112345678", HolderID: holder, IssuedOn: d(2010, 7, 1)},
		{Kind: attributes.HealthInsurance, Number: "DN4010123456789", HolderID: other, IssuedOn: d(2026, 1, 1)},
	}))
	// The feed's are not, until their holder integrates them.
	_, err := e.apply(t, 1,
		licence("010000000001"), // valid
		licence("010000000002"), // withdrawn below
		licence("010000000003"), // suspended below
		attributes.FeedEntry{Op: attributes.OpUpsert, Number: "010000000004", HolderID: holder, ExpiresOn: ptr(d(2026, 12, 1))}, // expired by date
		attributes.FeedEntry{Op: attributes.OpUpsert, Number: "010000000005", HolderID: other},                                  // someone else's
	)
	require.NoError(t, err)
	_, err = e.apply(t, 2,
		attributes.FeedEntry{Op: attributes.OpWithdraw, Number: "010000000002"},
		attributes.FeedEntry{Op: attributes.OpSuspend, Number: "010000000003"})
	require.NoError(t, err)
	e.audit.events = nil
	locks := &recorder{}
	w := &attributes.Wallet{
		Store: postgres.NewWalletStore(pool, e.audit.record), Documents: e.docs,
		Holders: holders{accAn: {PersonalID: holder, Level: assurance.Level2}, accBinh: {PersonalID: other, Level: assurance.Level2},
			accLevel1: {PersonalID: holder, Level: assurance.Level1}},
		Limiter: accounts.WalletLimiter{Limiter: accounts.NewLimiter(accountspg.NewStore(pool), accounts.LockoutPolicy{}, e.clock.Now)},
		Audit:   locks, Now: e.clock.Now,
	}
	state := func(kind attributes.DocumentKind, number string) string {
		var s string
		require.NoError(t, pool.QueryRow(ctx, `SELECT wallet FROM documents WHERE kind = $1 AND number = $2`, string(kind), number).Scan(&s))
		return s
	}
	return walletEnv{feedEnv: e, wallet: w, locks: locks, state: state}
}

// Every refusal of Integrate, and what it leaves: nothing written, nothing
// audited.
func TestWalletIntegrateRefusals(t *testing.T) {
	t.Parallel()
	e := newWalletEnv(t)
	dl := attributes.DrivingLicence
	tests := []struct {
		name    string
		account string
		kind    attributes.DocumentKind
		number  string
		want    error
	}{
		{"level 1 account", accLevel1, dl, "010000000001", attributes.ErrWalletLevel},
		{"malformed number", accAn, dl, "01000000000", attributes.ErrMalformedNumber},
		{"letters in a licence number", accAn, dl, "01000000000X", attributes.ErrMalformedNumber},
		{"unknown kind", accAn, "passport", "010000000001", attributes.ErrMalformedNumber},
		{"no such number", accAn, dl, "019999999999", attributes.ErrUnknownDocument},
		{"someone else's number", accAn, dl, "010000000005", attributes.ErrUnknownDocument},
		{"someone else's integrated document", accAn, attributes.HealthInsurance, "DN4010123456789", attributes.ErrUnknownDocument},
		{"right number, wrong kind", accAn, attributes.SocialInsurance, "0100000000", attributes.ErrUnknownDocument},
		{"withdrawn", accAn, dl, "010000000002", attributes.ErrDocumentWithdrawn},
		{"suspended", accAn, dl, "010000000003", attributes.ErrDocumentSuspended},
		{"expired", accAn, dl, "010000000004", attributes.ErrDocumentExpired},
		{"already integrated", accAn, attributes.SocialInsurance, "0112345678", attributes.ErrAlreadyIntegrated},
	}
	var unknownMessage string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Set(time.Date(2026, 12, 9, 8, 0, 0, 0, time.UTC))
			before := map[string]string{}
			for _, n := range []string{"010000000001", "010000000002", "010000000003", "010000000004", "010000000005"} {
				before[n] = e.state(dl, n)
			}
			_, err := e.wallet.Integrate(t.Context(), tc.account, tc.kind, tc.number, attributes.WalletActor{})
			require.ErrorIs(t, err, tc.want)
			for n, s := range before {
				require.Equal(t, s, e.state(dl, n), "nothing written")
			}
			require.Empty(t, e.audit.events, "nothing audited")
			if errors.Is(err, attributes.ErrUnknownDocument) {
				// Not found and not yours read the same: the citizen never
				// learns that someone else holds a number.
				if unknownMessage == "" {
					unknownMessage = err.Error()
				}
				require.Equal(t, unknownMessage, err.Error())
			}
		})
	}
	require.Empty(t, e.locks.events, "four unknown numbers lock nothing")
}

// Integrating puts the document in the claims, removing takes it out; both
// are audited with the kind, never the number; a removed document may be
// integrated again.
func TestWalletIntegrateAndRemove(t *testing.T) {
	t.Parallel()
	e := newWalletEnv(t)
	ctx := t.Context()
	dl := attributes.DrivingLicence
	require.Empty(t, e.released(t), "a document a feed created is not released before it is integrated")
	require.Equal(t, "none", e.state(dl, "010000000001"))

	got, err := e.wallet.Integrate(ctx, accAn, dl, " 0100 0000 0001 ", attributes.WalletActor{IP: "203.0.113.9", RequestID: "r1"})
	require.NoError(t, err)
	require.Equal(t, "010000000001", got.Number)
	require.Equal(t, attributes.StatusValid, got.Status)
	require.Equal(t, "integrated", e.state(dl, "010000000001"))
	claims := e.released(t)
	require.Len(t, claims, 1)
	require.Equal(t, "010000000001", claims[0]["number"])
	require.Len(t, e.audit.events, 1)
	ev := e.audit.events[0]
	require.Equal(t, audit.DocumentIntegrated, ev.Type)
	require.Equal(t, accAn, ev.AccountID)
	require.Equal(t, audit.Citizen, ev.ActorKind)
	require.Equal(t, map[string]string{"kind": "driving_licence"}, ev.Detail)
	require.Equal(t, "203.0.113.9", ev.IP)

	list, err := e.wallet.Integrated(ctx, accAn)
	require.NoError(t, err)
	require.Len(t, list, 2, "the licence and the imported social insurance")

	require.NoError(t, e.wallet.Remove(ctx, accAn, dl, "010000000001", attributes.WalletActor{}))
	require.Equal(t, "removed", e.state(dl, "010000000001"))
	require.Empty(t, e.released(t), "a removed document is not released")
	require.Len(t, e.audit.events, 2)
	require.Equal(t, audit.DocumentRemoved, e.audit.events[1].Type)

	// A registry's update of a removed document leaves it removed.
	_, err = e.apply(t, 3, licence("010000000001"))
	require.NoError(t, err)
	require.Equal(t, "removed", e.state(dl, "010000000001"))
	require.Empty(t, e.released(t))

	audited := len(e.audit.events)
	for _, tc := range []struct {
		name, account string
		kind          attributes.DocumentKind
		number        string
		want          error
	}{
		{"removed already", accAn, dl, "010000000001", attributes.ErrNotIntegrated},
		{"never integrated", accAn, dl, "010000000003", attributes.ErrNotIntegrated},
		{"someone else's", accBinh, attributes.SocialInsurance, "0112345678", attributes.ErrNotIntegrated},
		{"unknown", accAn, dl, "019999999999", attributes.ErrNotIntegrated},
		{"level 1", accLevel1, attributes.SocialInsurance, "0112345678", attributes.ErrWalletLevel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, e.wallet.Remove(ctx, tc.account, tc.kind, tc.number, attributes.WalletActor{}), tc.want)
			require.Len(t, e.audit.events, audited, "nothing audited")
		})
	}
	require.Equal(t, "integrated", e.state(attributes.SocialInsurance, "0112345678"))

	// Integrated again after its removal.
	_, err = e.wallet.Integrate(ctx, accAn, dl, "010000000001", attributes.WalletActor{})
	require.NoError(t, err)
	require.Len(t, e.released(t), 1)

	// A withdrawal of an integrated document shows in the claims at once.
	_, err = e.apply(t, 4, attributes.FeedEntry{Op: attributes.OpWithdraw, Number: "010000000001"})
	require.NoError(t, err)
	require.Equal(t, attributes.StatusWithdrawn, e.released(t)[0]["status"])
}

// A change whose audit row cannot be written is not made.
func TestWalletChangeWithoutAuditIsNotMade(t *testing.T) {
	t.Parallel()
	e := newWalletEnv(t)
	e.audit.fail = errors.New("audit down")
	_, err := e.wallet.Integrate(t.Context(), accAn, attributes.DrivingLicence, "010000000001", attributes.WalletActor{})
	require.ErrorContains(t, err, "audit down")
	require.Equal(t, "none", e.state(attributes.DrivingLicence, "010000000001"))
	err = e.wallet.Remove(t.Context(), accAn, attributes.SocialInsurance, "0112345678", attributes.WalletActor{})
	require.ErrorContains(t, err, "audit down")
	require.Equal(t, "integrated", e.state(attributes.SocialInsurance, "0112345678"))
}

// Guessing numbers is bounded per account: the fifth unknown number within
// the window locks the account's tries (audited), even the right number is
// then refused, another account is not affected, and the lock ends.
func TestWalletThrottlesUnknownNumbers(t *testing.T) {
	t.Parallel()
	e := newWalletEnv(t)
	ctx := t.Context()
	dl := attributes.DrivingLicence
	for i, n := range []string{"019999999991", "019999999992", "019999999993", "010000000005"} {
		_, err := e.wallet.Integrate(ctx, accAn, dl, n, attributes.WalletActor{})
		require.ErrorIs(t, err, attributes.ErrUnknownDocument, "try %d", i+1)
	}
	for range 3 {
		_, err := e.wallet.Integrate(ctx, accAn, dl, "0100000", attributes.WalletActor{})
		require.ErrorIs(t, err, attributes.ErrMalformedNumber, "a malformed number is refused before any lookup and not counted")
	}
	_, err := e.wallet.Integrate(ctx, accAn, dl, "019999999995", attributes.WalletActor{})
	var we *attributes.WalletError
	require.ErrorAs(t, err, &we)
	require.Equal(t, attributes.ReasonWalletThrottled, we.Reason)
	require.Equal(t, 15*time.Minute, we.RetryAfter)
	require.Len(t, e.locks.events, 1)
	require.Equal(t, attributes.ReasonWalletLockedOut, e.locks.events[0].Reason)
	require.Equal(t, accAn, e.locks.events[0].AccountID)

	_, err = e.wallet.Integrate(ctx, accAn, dl, "010000000001", attributes.WalletActor{})
	require.ErrorIs(t, err, attributes.ErrWalletThrottled, "locked: the right number waits too")
	require.Equal(t, "none", e.state(dl, "010000000001"))

	// Bình's account guessed nothing: the lock is An's alone.
	_, err = e.wallet.Integrate(ctx, accBinh, dl, "010000000005", attributes.WalletActor{})
	require.NoError(t, err)

	e.clock.Advance(15*time.Minute + time.Second)
	_, err = e.wallet.Integrate(ctx, accAn, dl, "010000000001", attributes.WalletActor{})
	require.NoError(t, err)
}
