package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

var answers = [2]accounts.Answer{{Question: "first_school", Answer: "Trường Kim Đồng"}, {Question: "favourite_food", Answer: "Phở bò"}}

func TestNormalizeAnswer(t *testing.T) {
	for in, want := range map[string]string{
		"  Trường   KIM Đồng ": "trường kim đồng",
		"Phở, bò!":             "phở bò",
		"Nguye\u0302\u0303n":   "nguy\u1ec5n", // NFD typed, NFC kept
	} {
		require.Equal(t, want, accounts.NormalizeAnswer(in), in)
	}
	require.NotEqual(t, accounts.NormalizeAnswer("Hà"), accounts.NormalizeAnswer("Hạ"), "diacritics are kept")
}

// recoveryCitizen is an active citizen with security answers and no
// passcode.
func recoveryCitizen(t *testing.T, env *accountstest.Env) accounts.Account {
	t.Helper()
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	require.NoError(t, env.Service.SetSecurityAnswers(t.Context(), a.ID, answers, officer))
	env.Audit.Reset()
	return a
}

func startAndCode(t *testing.T, env *accountstest.Env, p accounts.RecoveryPurpose, c accounts.Client) (accounts.RecoveryStarted, string) {
	t.Helper()
	ctx := t.Context()
	st, err := env.Service.StartRecovery(ctx, accounts.RecoveryRequest{PersonalID: pid, Purpose: p, Client: c})
	require.NoError(t, err)
	ticket, err := env.Service.VerifyRecoveryCode(ctx, accounts.RecoveryCode{AccountID: st.AccountID, Purpose: p, Code: env.Sender.LastCode(t, phone), Client: c})
	require.NoError(t, err)
	return st, ticket
}

func TestRecoverForgottenPassword(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := recoveryCitizen(t, env)
	c := accounts.Client{IP: ip, RequestID: "req-r"}

	// Unknown number and no phone: one refusal.
	_, err := env.Service.StartRecovery(ctx, accounts.RecoveryRequest{PersonalID: "001090999999", Purpose: accounts.PurposeRecovery, Client: c})
	require.ErrorIs(t, err, accounts.ErrRecoveryUnavailable)
	_, err = env.Service.StartRecovery(ctx, accounts.RecoveryRequest{PersonalID: "12", Purpose: accounts.PurposeRecovery, Client: c})
	require.ErrorIs(t, err, accounts.ErrInvalid)

	st, err := env.Service.StartRecovery(ctx, accounts.RecoveryRequest{PersonalID: pid, Purpose: accounts.PurposeRecovery, Client: c})
	require.NoError(t, err)
	require.Equal(t, []string{"first_school", "favourite_food"}, st.Questions)
	code := env.Sender.LastCode(t, phone)
	_, err = env.Service.VerifyRecoveryCode(ctx, accounts.RecoveryCode{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Code: accountstest.WrongCode(code), Client: c})
	require.ErrorIs(t, err, accounts.ErrInvalidCode)
	ticket, err := env.Service.VerifyRecoveryCode(ctx, accounts.RecoveryCode{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Code: code, Client: c})
	require.NoError(t, err)
	// A used code is not taken again.
	_, err = env.Service.VerifyRecoveryCode(ctx, accounts.RecoveryCode{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Code: code, Client: c})
	require.ErrorIs(t, err, accounts.ErrCodeExpired)

	// The code ticket does not stand for the answers.
	_, err = env.Service.CompleteRecovery(ctx, accounts.NewPassword{AccountID: a.ID, Ticket: ticket, Password: "mật khẩu mới 1", Client: c})
	require.ErrorIs(t, err, accounts.ErrRecoveryExpired)
	_, err = env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket,
		Answers: [2]string{"Truong Kim Dong", "pho bo"}, Client: c})
	require.ErrorIs(t, err, accounts.ErrWrongAnswers, "diacritics count")
	t2, err := env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket,
		Answers: [2]string{"  trường kim ĐỒNG", "Phở Bò"}, Client: c})
	require.NoError(t, err)
	_, err = env.Service.CompleteRecovery(ctx, accounts.NewPassword{AccountID: a.ID, Ticket: t2, Password: "123", Client: c})
	require.ErrorIs(t, err, accounts.ErrWeakPassword)
	_, err = env.Service.CompleteRecovery(ctx, accounts.NewPassword{AccountID: a.ID, Ticket: t2, Password: "mật khẩu mới 1", Client: c})
	require.NoError(t, err)
	// Replaying the ticket fails: the password it was made for is gone.
	_, err = env.Service.CompleteRecovery(ctx, accounts.NewPassword{AccountID: a.ID, Ticket: t2, Password: "mật khẩu mới 2", Client: c})
	require.ErrorIs(t, err, accounts.ErrRecoveryExpired)

	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.True(t, got.SignInEnded(accountstest.Start), "earlier sign-ins ended")
	revoked, logouts := env.Cascade.Ended()
	require.Equal(t, []string{a.ID}, revoked)
	require.Equal(t, []string{a.ID}, logouts)
	require.Equal(t, []accounts.NoticeKind{accounts.NoticeRecovery}, env.Notices.Kinds(a.ID), "told once, by the outbox, not by a direct SMS")
	require.NotContains(t, env.Sender.Last(phone), "dat lai")
	var changed []audit.Event
	for _, e := range env.Audit.Events() {
		if e.Type == audit.PasswordChanged && e.Outcome == audit.Success {
			changed = append(changed, e)
		}
	}
	require.Len(t, changed, 1)
	require.Equal(t, "recovery", changed[0].Detail["method"])

	_, err = signIn(env, pid, password, ip)
	require.ErrorIs(t, err, accounts.ErrBadCredentials)
	_, err = signIn(env, pid, "mật khẩu mới 1", ip)
	require.NoError(t, err)
}

func TestRecoveryWrongAnswersLockOutThePairOnly(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := recoveryCitizen(t, env)
	stranger := accounts.Client{IP: "198.51.100.7"}
	_, ticket := startAndCode(t, env, accounts.PurposeRecovery, stranger)
	in := accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket, Answers: [2]string{"sai", "sai"}, Client: stranger}
	var err error
	for range accounts.DefaultLockoutPolicy.AccountFailures - 1 {
		_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
		require.ErrorIs(t, err, accounts.ErrWrongAnswers)
	}
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	var le *accounts.LockoutError
	require.ErrorAs(t, err, &le)
	require.Equal(t, accounts.ScopeAnswers, le.Scope)
	// Even the right answers wait now, from that address.
	in.Answers = [2]string{answers[0].Answer, answers[1].Answer}
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	require.ErrorAs(t, err, &le)

	// The citizen, elsewhere, is not locked out: sign-in and recovery work.
	got, err := env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
	_, err = signIn(env, pid, password, ip)
	require.NoError(t, err)
	home := accounts.Client{IP: ip}
	_, ticket = startAndCode(t, env, accounts.PurposeRecovery, home)
	_, err = env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket,
		Answers: [2]string{answers[0].Answer, answers[1].Answer}, Client: home})
	require.NoError(t, err)

	// The pair's lockout ends by itself.
	env.Clock.Advance(accounts.DefaultLockoutPolicy.LockFor + time.Second)
	_, ticket = startAndCode(t, env, accounts.PurposeRecovery, stranger)
	in.Ticket = ticket
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	require.NoError(t, err)
}

func TestRecoveryPasscodeAndLegacyAnswers(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := recoveryCitizen(t, env)
	// An activation before NormalizeAnswer hashed FoldText's form, without
	// a version.
	hash := func(v string) string {
		h, err := accounts.HashPassword(v, accountstest.Params)
		require.NoError(t, err)
		return h
	}
	_, err := env.Store.Update(ctx, a.ID, func(r *accounts.Record) error {
		r.SecurityAnswers = []accounts.SecurityAnswer{
			{Question: "first_school", Hash: hash(accounts.FoldText("Trường Kim Đồng"))},
			{Question: "favourite_food", Hash: hash(accounts.FoldText("Phở bò"))},
		}
		r.PasscodeHash = hash("480917")
		return nil
	})
	require.NoError(t, err)
	c := accounts.Client{IP: ip}
	_, ticket := startAndCode(t, env, accounts.PurposeRecovery, c)
	in := accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket, Passcode: "480918", Client: c}
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	require.ErrorIs(t, err, accounts.ErrWrongAnswers)
	in.Passcode = "480917"
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	require.NoError(t, err)

	// The old form is taken once and replaced by the new one.
	in.Passcode, in.Answers = "", [2]string{"Trường Kim Đồng", "Phở bò"}
	_, err = env.Service.VerifyRecoveryAnswers(ctx, in)
	require.NoError(t, err)
	rec, err := env.Store.Get(ctx, a.ID)
	require.NoError(t, err)
	for _, sa := range rec.SecurityAnswers {
		require.Equal(t, 2, sa.Version)
	}
	ok, err := env.Service.VerifySecurityAnswer(ctx, a.ID, "first_school", "truong kim dong")
	require.NoError(t, err)
	require.False(t, ok, "diacritics now count")
	ok, err = env.Service.VerifySecurityAnswer(ctx, a.ID, "first_school", "TRƯỜNG KIM ĐỒNG")
	require.NoError(t, err)
	require.True(t, ok)
}

func TestCitizenUnlock(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := recoveryCitizen(t, env)
	c := accounts.Client{IP: ip}
	self := accounts.Actor{Kind: audit.Citizen, ID: a.ID}
	_, err := env.Service.Lock(ctx, a.ID, "holder request: lost phone", self)
	require.NoError(t, err)

	// A self-locked account cannot get a new password before it is unlocked.
	_, ticket := startAndCode(t, env, accounts.PurposeRecovery, c)
	t2, err := env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeRecovery, Ticket: ticket,
		Answers: [2]string{answers[0].Answer, answers[1].Answer}, Client: c})
	require.NoError(t, err)
	_, err = env.Service.CompleteUnlock(ctx, accounts.UnlockRequest{AccountID: a.ID, Ticket: t2, Client: c})
	require.ErrorIs(t, err, accounts.ErrRecoveryExpired, "a recovery ticket does not unlock")
	_, err = env.Service.CompleteRecovery(ctx, accounts.NewPassword{AccountID: a.ID, Ticket: t2, Password: "mật khẩu mới 1", Client: c})
	require.ErrorIs(t, err, accounts.ErrLocked)

	_, ticket = startAndCode(t, env, accounts.PurposeUnlock, c)
	t2, err = env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeUnlock, Ticket: ticket,
		Answers: [2]string{answers[0].Answer, answers[1].Answer}, Client: c})
	require.NoError(t, err)
	got, err := env.Service.CompleteUnlock(ctx, accounts.UnlockRequest{AccountID: a.ID, Ticket: t2, Client: c})
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
	require.Equal(t, accounts.NoticeUnlocked, lastNotice(env, a.ID))
	_, err = env.Service.CompleteUnlock(ctx, accounts.UnlockRequest{AccountID: a.ID, Ticket: t2, Client: c})
	require.ErrorIs(t, err, accounts.ErrRecoveryExpired, "replayed")

	// An authority's lock is lifted at the counter only.
	_, err = env.Service.Lock(ctx, a.ID, "authority_breach", officer)
	require.NoError(t, err)
	_, ticket = startAndCode(t, env, accounts.PurposeUnlock, c)
	t2, err = env.Service.VerifyRecoveryAnswers(ctx, accounts.RecoveryAnswers{AccountID: a.ID, Purpose: accounts.PurposeUnlock, Ticket: ticket,
		Answers: [2]string{answers[0].Answer, answers[1].Answer}, Client: c})
	require.NoError(t, err)
	_, err = env.Service.CompleteUnlock(ctx, accounts.UnlockRequest{AccountID: a.ID, Ticket: t2, Client: c})
	require.ErrorIs(t, err, accounts.ErrNotSelfLocked)
	got, err = env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, got.Status)
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := recoveryCitizen(t, env)
	c := accounts.Client{IP: ip}
	// A change needs a complete sign-in within the last 5 minutes (the
	// password alone, or an older sign-in, is refused before the password
	// is even checked).
	fresh := accounts.SignedIn{AccountID: a.ID, AuthTime: env.Clock.Now(), Strength: assurance.Level2}
	for name, by := range map[string]accounts.SignedIn{
		"password only":   {AccountID: a.ID, AuthTime: env.Clock.Now(), Strength: assurance.Level1},
		"stale":           {AccountID: a.ID, AuthTime: env.Clock.Now().Add(-6 * time.Minute), Strength: assurance.Level2},
		"another account": {AccountID: "00000000-0000-4000-8000-000000000000", AuthTime: env.Clock.Now(), Strength: assurance.Level2},
	} {
		_, err := env.Service.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: by, Current: password, New: "mật khẩu mới 1", Client: c})
		require.ErrorIs(t, err, accounts.ErrReauthRequired, name)
	}
	_, err := env.Service.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: fresh, Current: "sai mật khẩu", New: "mật khẩu mới 1", Client: c})
	require.ErrorIs(t, err, accounts.ErrBadCredentials)
	_, err = env.Service.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: fresh, Current: password, New: password, Client: c})
	require.ErrorIs(t, err, accounts.ErrWeakPassword)
	env.Clock.Advance(time.Minute)
	got, err := env.Service.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID, SignedIn: fresh, Current: password, New: "mật khẩu mới 1", Client: c})
	require.NoError(t, err)
	require.True(t, got.SignInEnded(env.Clock.Now().Add(-time.Second)))
	revoked, _ := env.Cascade.Ended()
	require.Equal(t, []string{a.ID}, revoked)
	_, err = signIn(env, pid, "mật khẩu mới 1", ip)
	require.NoError(t, err)
}

// lastNotice is the kind of the last notice told to accountID, or "".
func lastNotice(env *accountstest.Env, accountID string) accounts.NoticeKind {
	kinds := env.Notices.Kinds(accountID)
	if len(kinds) == 0 {
		return ""
	}
	return kinds[len(kinds)-1]
}
