package browsertest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

// TestRequester: the sign-in and second-factor pages name the service that
// sent the citizen, with its logo, in the page's language; a sign-in
// nobody sent, or one whose request names a redirect_uri the service never
// registered, names no one.
func TestRequester(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ lang, name, alt string }{
		{"vi", "Cổng dịch vụ công (minh hoạ) đề nghị bạn đăng nhập", "Biểu trưng của Cổng dịch vụ công (minh hoạ)"},
		{"en", "Public service portal (demo) asks you to sign in", "Logo of Public service portal (demo)"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t, tc.lang)
			b.open(e.rpURL+"/login?ui_locales="+tc.lang, "#requester")
			b.requireAt(e.gatewayURL + "/login?")
			assert.Contains(t, b.text("#requester-name"), tc.name)
			logo := func() {
				t.Helper()
				got, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](`(() => {
				  const i = document.querySelector("#requester-logo");
				  return {alt: i.alt, src: i.getAttribute("src").slice(0, 26), w: i.getAttribute("width"), h: i.getAttribute("height"),
				    loaded: i.complete && i.naturalWidth > 0, shown: i.getBoundingClientRect().width};
				})()`))
				require.NoError(t, err)
				assert.Equal(t, tc.alt, got["alt"])
				assert.Equal(t, "data:image/svg+xml;base64,", got["src"])
				assert.Equal(t, "48", got["w"])
				assert.Equal(t, "48", got["h"])
				assert.Equal(t, true, got["loaded"], "the logo loads under the page's Content-Security-Policy")
				assert.EqualValues(t, 48, got["shown"])
			}
			logo()
			b.screenshot("requester-" + tc.lang)

			// The second factor names it too.
			b.do("type the personal id number and password",
				chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel2ID),
				chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
			)
			b.follow(`form[action="/login"] button[type=submit]`, "#code")
			assert.Contains(t, b.text("#requester-name"), tc.name)
			logo()

			// A made-up request naming the service with another
			// redirect_uri names no one; nor does a sign-in of the
			// citizen's own.
			forged := "/authorize?" + url.Values{
				"client_id": {demoClientID}, "redirect_uri": {"https://attacker.example/cb"},
				"response_type": {"code"}, "scope": {"openid"},
			}.Encode()
			for _, u := range []string{
				e.gatewayURL + "/login?ui_locales=" + tc.lang + "&return_to=" + url.QueryEscape(forged),
				e.gatewayURL + "/login?ui_locales=" + tc.lang + "&return_to=/account",
			} {
				b.open(u, "#personal_id")
				html := b.html()
				assert.NotContains(t, html, `id="requester"`, "at %s", u)
				assert.False(t, strings.Contains(html, "minh hoạ") || strings.Contains(html, "(demo)"), "at %s", u)
			}
		})
	}
}
