package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/staff"
)

func TestOfficerCredentials(t *testing.T) {
	db := toolEnv(t)
	_, _, err := ddErr(t, "officer", "issue", "officer-7")
	require.ErrorContains(t, err, "police unit is required")

	var issued struct {
		Credential credentialView `json:"credential"`
		Token      string         `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "officer", "issue", "officer-7", "-unit", "Công an phường Hàng Bài", "-json")), &issued))
	require.True(t, strings.HasPrefix(issued.Token, staff.TokenPrefix))
	require.Equal(t, "officer-7", issued.Credential.OfficerID)
	require.Equal(t, 1, countEvents(t, db, "type = 'operator.action' AND detail->>'action' = 'officer_credential_issued'"))

	require.Contains(t, dd(t, "officer", "list"), "active")
	require.Contains(t, dd(t, "officer", "revoke", issued.Credential.ID), "revoked credential "+issued.Credential.ID)
	_, _, err = ddErr(t, "officer", "revoke", issued.Credential.ID)
	require.ErrorContains(t, err, "no active credential")
	var list []credentialView
	require.NoError(t, json.Unmarshal([]byte(dd(t, "officer", "list", "-json")), &list))
	require.Len(t, list, 1)
	require.NotNil(t, list[0].RevokedAt)
}
