package accounts_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
)

// TestNoticesFollowCommittedChangesOnly: a lock and an unlock each tell
// the citizen once, with the account as the change left it (its language);
// a change that is refused or rolled back (the audit log down) tells
// nothing.
func TestNoticesFollowCommittedChangesOnly(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	officer := accounts.Actor{Kind: audit.Officer, ID: "officer-1", RequestID: "req-9"}

	_, err := env.Service.Unlock(ctx, a.ID, officer)
	require.ErrorIs(t, err, accounts.ErrInvalid, "not locked")
	env.Audit.Fail = errors.New("audit down")
	_, err = env.Service.Lock(ctx, a.ID, "lost_phone", officer)
	require.ErrorContains(t, err, "audit down")
	env.Audit.Fail = nil
	require.Empty(t, env.Notices.Kinds(a.ID), "nothing refused or rolled back is told")

	_, err = env.Service.SetLanguage(ctx, a.ID, "fr", officer)
	require.ErrorIs(t, err, accounts.ErrInvalid)
	_, err = env.Service.SetLanguage(ctx, a.ID, accounts.LangEN, accounts.Actor{Kind: audit.Citizen, ID: a.ID})
	require.NoError(t, err)
	_, err = env.Service.Lock(ctx, a.ID, accounts.SelfLockPrefix+" lost it at the market", officer)
	require.NoError(t, err)
	_, err = env.Service.Unlock(ctx, a.ID, officer)
	require.NoError(t, err)

	all := env.Notices.All()
	require.Len(t, all, 2)
	require.Equal(t, accounts.NoticeLocked, all[0].Kind)
	require.Equal(t, map[string]string{"reason": "holder_request"}, all[0].Params, "the holder's own words are not sent")
	require.Equal(t, accounts.Locked, all[0].Account.Status)
	require.Equal(t, accounts.LangEN, all[0].Account.Lang)
	require.Equal(t, "req-9", all[0].RequestID)
	require.Equal(t, accounts.NoticeUnlocked, all[1].Kind)
	require.Equal(t, accounts.Active, all[1].Account.Status)
}

func TestNormalizeLangAndEmail(t *testing.T) {
	for in, want := range map[string]string{"en": "en", "EN-gb": "en", "vi": "vi", "vi-VN": "vi", "": "vi", "fr": "vi", "english": "vi"} {
		require.Equal(t, want, accounts.NormalizeLang(in), in)
	}
	for in, want := range map[string]string{" An.Le@Example.VN ": "An.Le@example.vn", "a@b.vn": "a@b.vn"} {
		got, err := accounts.NormalizeEmail(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, bad := range []string{"", "a@", "@b.vn", "a@localhost", "A <a@b.vn>", "a@b.vn, c@d.vn", "a b@c.vn"} {
		_, err := accounts.NormalizeEmail(bad)
		require.ErrorIs(t, err, accounts.ErrInvalidEmail, bad)
	}
	require.Equal(t, "A***@example.vn", accounts.MaskEmail("An.Le@example.vn"))
}

// TestDeviceChangeNoticeIsClipped: a device change is told through
// NotifyAccount (the call the device binding makes), with an over-long
// device name cut on a character boundary rather than refused.
func TestDeviceChangeNoticeIsClipped(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	a := env.Citizen(t, pid, password, phone, assurance.Level1)
	long := strings.Repeat("Điện thoại ", 40)
	require.NoError(t, env.Service.NotifyAccount(t.Context(), a.ID, accounts.NoticeDeviceChanged, map[string]string{"device": long}, "req-1"))
	all := env.Notices.All()
	require.Len(t, all, 1)
	require.Equal(t, accounts.NoticeDeviceChanged, all[0].Kind)
	got := all[0].Params["device"]
	require.LessOrEqual(t, len(got), 200)
	require.True(t, utf8.ValidString(got))
	require.True(t, strings.HasPrefix(long, got))
	require.ErrorIs(t, env.Service.NotifyAccount(t.Context(), "00000000-0000-0000-0000-000000000000", accounts.NoticeDeviceChanged, nil, ""), accounts.ErrNotFound)
}
