package gateway_test

import (
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// TestSignInNamesRequester: the sign-in page names a registered, enabled
// client whose authorization request it answers, in the page's language,
// with its logo kept intact in the <img>; anything else names no one.
func TestSignInNamesRequester(t *testing.T) {
	srv, g, _ := newGatewayWithParts(t)
	ctx := t.Context()
	logo := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nrest"))
	for _, c := range []oidc.Client{
		{ID: "tax", Name: oidc.Text{VI: "Cổng thuế", EN: "Tax portal"}, LogoURL: logo, RedirectURIs: []string{"https://tax.example/cb"}},
		{ID: "bank", Name: oidc.Text{VI: "Ngân hàng A"}, LogoURL: "https://bank.example/logo.svg", RedirectURIs: []string{"https://bank.example/cb"}},
		{ID: "gone", Name: oidc.Text{VI: "Dịch vụ đã tắt"}, RedirectURIs: []string{"https://gone.example/cb"}},
	} {
		_, _, err := g.Clients.Create(ctx, "test", c)
		require.NoError(t, err)
	}
	_, err := g.Clients.Update(ctx, "test", "gone", func(c *oidc.Client) error { c.Disabled = true; return nil })
	require.NoError(t, err)

	authorize := func(kv ...string) string {
		v := url.Values{"response_type": {"code"}, "scope": {"openid"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return oidc.PathAuthorize + "?" + v.Encode()
	}
	for _, tc := range []struct {
		name, returnTo, lang string
		want, wantLogo       string // empty: nobody named
	}{
		{"vi", authorize("client_id", "tax", "redirect_uri", "https://tax.example/cb"), "vi", "Cổng thuế đề nghị bạn đăng nhập", logo},
		{"en", authorize("client_id", "tax", "redirect_uri", "https://tax.example/cb"), "en", "Tax portal asks you to sign in", logo},
		{"no English name", authorize("client_id", "bank", "redirect_uri", "https://bank.example/cb"), "en", "Ngân hàng A asks you", "https://bank.example/logo.svg"},
		{"pushed request", authorize("client_id", "tax", "request_uri", "urn:ietf:params:oauth:request_uri:x"), "vi", "Cổng thuế", logo},
		{"unregistered redirect_uri", authorize("client_id", "tax", "redirect_uri", "https://evil.example/cb"), "vi", "", ""},
		{"unknown client", authorize("client_id", "nobody", "redirect_uri", "https://tax.example/cb"), "vi", "", ""},
		{"disabled client", authorize("client_id", "gone", "redirect_uri", "https://gone.example/cb"), "vi", "", ""},
		{"not an authorization request", "/account?client_id=tax&redirect_uri=https://tax.example/cb", "vi", "", ""},
		{"no return_to", "", "vi", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"ui_locales": {tc.lang}}
			if tc.returnTo != "" {
				q.Set("return_to", tc.returnTo)
			}
			res, err := http.Get(srv.URL + "/login?" + q.Encode())
			require.NoError(t, err)
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			body := html.UnescapeString(string(b))
			require.Equal(t, http.StatusOK, res.StatusCode)
			if tc.want == "" {
				require.NotContains(t, body, `id="requester"`)
				return
			}
			require.Contains(t, body, tc.want)
			require.Contains(t, body, `src="`+tc.wantLogo+`"`, "the logo reaches the <img> unaltered")
			require.True(t, strings.Contains(body, `width="48" height="48"`))
		})
	}
}
