package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

func TestAccountLockUnlock(t *testing.T) {
	db := toolEnv(t)
	importDemo(t)
	pid := population.DemoLevel2ID

	require.Regexp(t, `status:\s+active`, dd(t, "account", "show", pid))

	_, _, err := ddErr(t, "account", "lock", pid)
	require.ErrorContains(t, err, "-reason is required")

	out := dd(t, "account", "lock", pid, "-reason", "lost phone")
	require.Contains(t, out, "locked the account of "+pid)
	require.Regexp(t, `status:\s+locked`, out)
	require.Regexp(t, `lock_reason:\s+lost phone`, out)

	var v accountView
	require.NoError(t, json.Unmarshal([]byte(dd(t, "account", "show", pid, "-json")), &v))
	require.Equal(t, "locked", v.Status)
	require.Equal(t, "lost phone", v.LockReason)
	require.Equal(t, 2, v.Level)

	out = dd(t, "account", "unlock", pid, "-actor", "officer-kim")
	require.Regexp(t, `status:\s+active`, out)
	_, _, err = ddErr(t, "account", "unlock", pid)
	require.ErrorContains(t, err, "account is not locked")

	// In the citizen's history, under the operator's name.
	require.Equal(t, 1, countEvents(t, db, "type = 'account.locked' AND actor_kind = 'operator' AND actor_id = 'alice' AND reason = 'lost phone'"))
	require.Equal(t, 1, countEvents(t, db, "type = 'account.unlocked' AND actor_kind = 'operator' AND actor_id = 'officer-kim'"))

	_, _, err = ddErr(t, "account", "lock", "000000000000", "-reason", "x")
	require.ErrorContains(t, err, `no account for personal id "000000000000"`)
	_, _, err = ddErr(t, "account", "lock", "-reason", "x")
	require.ErrorContains(t, err, "PERSONAL_ID is required")
}
