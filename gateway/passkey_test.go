package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/config"
)

// Citizens' passkeys follow the issuer: on for a host name (its relying
// party id), off for an IP address, where their routes are not even
// mounted.
func TestCitizenPasskeysFollowTheIssuer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		issuer string
		on     bool
	}{
		{"http://localhost:8080", true},
		{"http://127.0.0.1:8080", false},
	} {
		t.Run(tc.issuer, func(t *testing.T) {
			srv, g, _ := newGatewayWithParts(t, func(c *config.Config) { c.Issuer = tc.issuer })
			require.Equal(t, tc.on, g.Accounts.PasskeysEnabled())
			res, err := http.Post(srv.URL+"/login/passkey/begin", "application/json", strings.NewReader("{}"))
			require.NoError(t, err)
			res.Body.Close()
			if tc.on {
				require.Equal(t, http.StatusForbidden, res.StatusCode, "mounted, behind CSRF")
			} else {
				require.Equal(t, http.StatusNotFound, res.StatusCode)
			}
		})
	}
}
