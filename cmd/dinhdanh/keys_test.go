package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeysRotateAndList(t *testing.T) {
	db := toolEnv(t)
	var keys []keyInfo
	require.NoError(t, json.Unmarshal([]byte(dd(t, "keys", "list", "-json")), &keys))
	require.Len(t, keys, 2, "the first start creates an ES256 and an RS256 key")
	for _, k := range keys {
		require.Equal(t, "signing", k.State, k.KID)
	}

	out := dd(t, "keys", "rotate")
	require.Contains(t, out, "added signing keys")
	require.Regexp(t, `es256-\S+\s+ES256\s+signs from \S+ \(in 24h0m0s\)`, out, "keys.activation_delay defaults to 24h")
	require.Regexp(t, `rs256-\S+\s+RS256\s+signs from`, out)

	require.NoError(t, json.Unmarshal([]byte(dd(t, "keys", "list", "-json")), &keys))
	require.Len(t, keys, 4)
	states := map[string]int{}
	for _, k := range keys {
		states[k.State]++
		if k.State == "signing" {
			require.NotNil(t, k.RetireAt, "the old key retires when the new one starts signing")
		}
	}
	require.Equal(t, map[string]int{"signing": 2, "next": 2}, states)
	require.Regexp(t, `(?m)^es256-\S+\s+ES256\s+next\s`, dd(t, "keys", "list"))

	require.Equal(t, 1, countEvents(t, db, "type = 'key.rotated' AND actor_kind = 'operator' AND actor_id = 'alice'"))
}
