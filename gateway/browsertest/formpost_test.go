package browsertest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormPostErrorReachesRelyingParty: a relying party asks for the answer
// by form post (OAuth 2.0 Form Post Response Mode), which the gateway does
// not offer (discovery lists query only). The gateway refuses at once,
// without a sign-in page, with a page that posts the error to the relying
// party; the gateway's strict Content-Security-Policy lets exactly that
// page's script run, and the relying party shows the error (before, the page
// stayed blank).
func TestFormPostErrorReachesRelyingParty(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, lang)
			b.open(e.rpURL+"/login?response_mode=form_post&ui_locales="+lang, "#error")
			b.requireAt(e.rpURL + "/callback")
			errText := b.text("#error")
			assert.True(t, strings.HasPrefix(errText, "unsupported_response_mode"), "the relying party got %q", errText)
			require.NotContains(t, b.html(), `id="personal_id"`, "no sign-in page on the way")
		})
	}
}
