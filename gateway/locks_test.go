package gateway_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// Until the staff console's sign-in is wired, /staff/locks is mounted and
// refuses everybody; no chip read unlocks anything.
func TestStaffLocksWithoutStaffSignIn(t *testing.T) {
	srv := newGateway(t)
	cases := []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodGet, "/staff/locks", http.StatusUnauthorized, "Vui lòng đăng nhập trang cán bộ."},
		{http.MethodGet, "/staff/locks/new?ui_locales=en", http.StatusUnauthorized, "Please sign in to the staff console."},
		{http.MethodPost, "/staff/locks", http.StatusForbidden, ""}, // no CSRF token
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var res *http.Response
			var err error
			if tc.method == http.MethodPost {
				res, err = http.PostForm(srv.URL+tc.path, url.Values{"personal_id": {"001090012345"}})
			} else {
				res, err = http.Get(srv.URL + tc.path)
			}
			require.NoError(t, err)
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			require.Equal(t, tc.status, res.StatusCode, string(b))
			require.Contains(t, string(b), tc.want)
		})
	}
}
