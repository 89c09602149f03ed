package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// passkeys stands in for the accounts service on the account page.
type passkeys struct {
	on, fresh bool
	keys      []accounts.Passkey
}

func (p passkeys) PasskeysEnabled() bool                                        { return p.on }
func (p passkeys) Reauthenticated(accounts.SignedIn) bool                       { return p.fresh }
func (p passkeys) Passkeys(context.Context, string) ([]accounts.Passkey, error) { return p.keys, nil }

func TestAccountPagePasskeys(t *testing.T) {
	used := t0.Add(time.Hour)
	keys := []accounts.Passkey{{ID: []byte{1, 2, 3, 4}, Name: "điện thoại", CreatedAt: t0, LastUsedAt: &used}}
	cases := []struct {
		name   string
		pk     *passkeys
		query  string
		want   []string
		absent []string
	}{
		{name: "off (an issuer on an IP address): nothing said", pk: &passkeys{on: false, fresh: true, keys: keys},
			absent: []string{"passkey", "Khóa truy cập"}},
		{name: "no handler: nothing said", absent: []string{"passkey", "Khóa truy cập"}},
		{name: "fresh sign-in: list, add and remove", pk: &passkeys{on: true, fresh: true, keys: keys},
			want: []string{"Khóa truy cập (passkey)", "điện thoại", "23/11/2026 09:00", "23/11/2026 10:00",
				`action="/account/passkeys/remove"`, `name="id" value="AQIDBA"`, `id="passkey-add"`,
				`src="/static/js/passkey.js"`, `data-begin="/account/passkeys/begin"`},
			absent: []string{"passkey-reauth"}},
		{name: "old sign-in: sign in again first", pk: &passkeys{on: true, keys: keys},
			want:   []string{"điện thoại", `id="passkey-reauth"`, "/login?return_to=%2Faccount%23passkeys&amp;ui_locales=vi", "vui lòng đăng nhập lại"},
			absent: []string{"passkey-add", "/account/passkeys/remove"}},
		{name: "English", pk: &passkeys{on: true, fresh: true}, query: "?ui_locales=en",
			want: []string{"Passkeys", "You have no passkey yet.", "Add a passkey"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.pk != nil {
				f.handler.Passkeys = *tc.pk
			}
			p := do(t, f.browser(t, "acc-1"), http.MethodGet, f.srv.URL+"/account"+tc.query, nil, nil)
			require.Equal(t, http.StatusOK, p.status, p.body)
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
			for _, a := range tc.absent {
				require.NotContains(t, p.body, a)
			}
		})
	}
}
