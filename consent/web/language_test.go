package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// profile stands in for the accounts service: the account's language.
type profile string

func (p profile) Get(_ context.Context, id string) (accounts.Account, error) {
	return accounts.Account{ID: id, Lang: string(p)}, nil
}

// TestAccountPageNoticeLanguage: the account page offers the choice of
// the notifications' language, with the account's own selected and the
// session's CSRF token, and says when it was saved.
func TestAccountPageNoticeLanguage(t *testing.T) {
	cases := []struct {
		name    string
		profile *profile
		query   string
		want    []string
		absent  []string
	}{
		{name: "no profile reader: no form", absent: []string{`id="notice-lang"`}},
		{name: "English chosen, Vietnamese page", profile: ptr(profile("en")),
			want:   []string{`id="notice-lang"`, `action="/account/language"`, `<option value="en" selected>`, "Ngôn ngữ của thông báo", `name="csrf_token"`},
			absent: []string{`<option value="vi" selected>`}},
		{name: "saved, English page", profile: ptr(profile("")), query: "?done=language&ui_locales=en",
			want: []string{`<option value="vi" selected>`, "The language of notifications was saved."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.profile != nil {
				f.handler.Profile = *tc.profile
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

func ptr[T any](v T) *T { return &v }
