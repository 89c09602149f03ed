package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/staff"
)

func TestParseUnit(t *testing.T) {
	tests := []struct {
		in   string
		want staff.Unit
		err  bool
	}{
		{"79", staff.Unit{Code: "79", Level: staff.Province}, false},
		{"79.760:Công an Quận 1", staff.Unit{Code: "79.760", Name: "Công an Quận 1", Level: staff.District}, false},
		{"79.760.26734:Công an phường Bến Nghé:commune", staff.Unit{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: staff.Commune}, false},
		{"79:X:city", staff.Unit{}, true},
		{"", staff.Unit{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := parseUnit(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u)
		})
	}
}

func TestStaffBootstrapAndList(t *testing.T) {
	db := toolEnv(t)
	var out struct {
		Member     memberView `json:"member"`
		Password   string     `json:"password"`
		TOTPURI    string     `json:"totp_uri"`
		TOTPSecret string     `json:"totp_secret"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "staff", "bootstrap", "--username", "admin", "--name", "Quản trị viên",
		"--unit", "01:Công an TP Hà Nội", "-actor", "root", "-json")), &out))
	assert.Equal(t, []string{"operator"}, out.Member.Roles)
	assert.Equal(t, "01", out.Member.Unit)
	assert.True(t, out.Member.Bootstrap)
	assert.NotEmpty(t, out.Password)
	assert.True(t, strings.HasPrefix(out.TOTPURI, "otpauth://totp/"))
	require.Equal(t, 1, countEvents(t, db, "type = 'operator.action' AND detail->>'action' = 'staff_bootstrap' AND actor_id = 'root'"))

	_, _, err := ddErr(t, "staff", "bootstrap", "-username", "admin2", "-name", "X", "-unit", "01", "-actor", "root")
	require.ErrorIs(t, err, staff.ErrBootstrapDone)

	list := dd(t, "staff", "list")
	assert.Contains(t, list, "admin")
	assert.Contains(t, list, "operator")

	// An officer credential issued to a member belongs to them.
	var issued struct {
		Credential credentialView `json:"credential"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "officer", "issue", "admin", "-json", "-actor", "root")), &issued))
	assert.Equal(t, out.Member.ID, issued.Credential.OfficerID)
	assert.Equal(t, "01 Công an TP Hà Nội", issued.Credential.Unit)
}

func TestStaffBootstrapPasswordFromStdin(t *testing.T) {
	toolEnv(t)
	old := stdin
	stdin = strings.NewReader("Chosen-Password-1\n")
	t.Cleanup(func() { stdin = old })
	text := dd(t, "staff", "bootstrap", "-username", "admin", "-name", "Quản trị viên", "-unit", "01:Hà Nội", "-password-stdin", "-actor", "root")
	assert.NotContains(t, text, "initial password", "a password the operator chose is not printed")
	assert.Contains(t, text, "otpauth://totp/")
}
