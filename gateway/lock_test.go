package gateway_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// A citizen who lost their phone locks the account with the password alone;
// the account is locked, audited in their history, and can no longer sign in.
func TestCitizenLocksOwnAccount(t *testing.T) {
	srv, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	form := func(path string) string {
		res, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		require.Equal(t, http.StatusOK, res.StatusCode)
		m := csrfField.FindStringSubmatch(string(b))
		require.NotNil(t, m, "no CSRF token on %s", path)
		return m[1]
	}
	post := func(path string, v url.Values) (int, string) {
		res, err := c.PostForm(srv.URL+path, v)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	cases := []struct {
		name, password, token string
		status                int
		want                  string
	}{
		{"no CSRF token", population.DemoPassword, "-", http.StatusForbidden, ""},
		{"wrong password", "wrong password!", "", http.StatusUnauthorized, "không đúng"},
		{"right password", population.DemoPassword, "", http.StatusOK, "Tài khoản của bạn đã bị khóa"},
		{"again", population.DemoPassword, "", http.StatusOK, "đã bị khóa."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := form("/lock")
			if tc.token == "-" {
				tok = ""
			}
			status, body := post("/lock", url.Values{"csrf_token": {tok}, "personal_id": {population.DemoLevel2ID}, "password": {tc.password}, "reason": {"lost_phone"}})
			require.Equal(t, tc.status, status, body)
			require.Contains(t, body, tc.want)
		})
	}

	a, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, a.Status)
	require.Equal(t, "holder request: lost phone", a.LockReason)

	status, body := post("/login", url.Values{"csrf_token": {form("/login")}, "personal_id": {population.DemoLevel2ID}, "password": {population.DemoPassword}})
	require.NotEqual(t, http.StatusSeeOther, status)
	require.Contains(t, body, "khóa")

	page, err := auditpg.NewStore(db.App, nil).History(ctx, a.ID, audit.Filter{Types: []audit.EventType{audit.AccountLocked}})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, audit.Citizen, page.Entries[0].ActorKind)
}
