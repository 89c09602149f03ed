package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts/web"
	"github.com/dinhdanh/dinhdanh/audit"
)

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"

var sessionRow = regexp.MustCompile(`<li class="session( current)?" data-sid="([^"]+)"`)

// sids returns the sessions the page lists: this browser's and the others.
func sids(t *testing.T, p page) (current string, others []string) {
	t.Helper()
	for _, m := range sessionRow.FindAllStringSubmatch(p.body, -1) {
		if m[1] != "" {
			current = m[2]
		} else {
			others = append(others, m[2])
		}
	}
	return current, others
}

// twoBrowsers signs the citizen in from b, then (a minute later, a new
// TOTP step) from other, a Firefox elsewhere.
func twoBrowsers(t *testing.T, s *site) (b, other *browser) {
	b = s.browser(t)
	b.signedIn(s)
	other = s.browser(t)
	other.ip, other.ua = "198.51.100.7", firefox
	s.env.Clock.Advance(time.Minute)
	other.signedIn(s)
	return b, other
}

func (s *site) signOutEvents(t *testing.T) []audit.Event {
	t.Helper()
	var out []audit.Event
	for _, e := range s.env.Audit.Events() {
		if e.Type == audit.SignedOut {
			out = append(out, e)
		}
	}
	return out
}

func TestSessionsListAndEndOne(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)

	p := s.browser(t).get(web.PathSessions)
	require.Equal(t, "/login", p.url.Path, "signed out: sign in first")
	require.Equal(t, web.PathSessions, p.url.Query().Get("return_to"))

	b, other := twoBrowsers(t, s)
	list := b.get(web.PathSessions)
	require.Equal(t, http.StatusOK, list.status, list.body)
	current, others := sids(t, list)
	require.NotEmpty(t, current)
	require.Len(t, others, 1)
	require.Contains(t, list.body, "Firefox 121 · Linux")
	require.Contains(t, list.body, "198.51.100.0/24", "the address, approximate")
	require.NotContains(t, list.body, "198.51.100.7")
	require.Contains(t, list.body, "Trình duyệt này")

	cases := []struct {
		name   string
		csrf   bool
		sid    string
		status int
		done   string
	}{
		{"no CSRF token", false, others[0], http.StatusForbidden, ""},
		{"unknown session", true, "not-a-session", http.StatusOK, "sessions.not_found"},
		{"the other browser", true, others[0], http.StatusOK, "sessions.ended"},
		{"again", true, others[0], http.StatusOK, "sessions.not_found"},
	}
	for _, tc := range cases {
		f := url.Values{"sid": {tc.sid}}
		if tc.csrf {
			f.Set("csrf_token", csrfOf(t, list))
		}
		p := b.post(web.PathSessionEnd, f)
		require.Equal(t, tc.status, p.status, tc.name)
		if tc.done != "" {
			require.Equal(t, tc.done, errorCode(t, p), tc.name)
		}
		if tc.name == "no CSRF token" {
			require.True(t, shownOf(t, other.get("/account")).SignedIn, "still signed in")
		}
	}
	require.Equal(t, "/login", other.get("/account").url.Path, "ended at its next request")
	require.True(t, shownOf(t, b.get("/account")).SignedIn, "this browser goes on")
	_, others = sids(t, b.get(web.PathSessions))
	require.Empty(t, others)
	ev := s.signOutEvents(t)
	require.Len(t, ev, 1)
	require.Equal(t, "session", ev[0].Detail["scope"])
	require.Equal(t, s.account.ID, ev[0].AccountID)

	// Ending this browser's own session is signing out.
	list = b.get(web.PathSessions)
	current, _ = sids(t, list)
	p = b.submit(list, web.PathSessionEnd, url.Values{"sid": {current}})
	require.Equal(t, "/login", p.url.Path)
	require.Equal(t, "1", p.url.Query().Get("signed_out"))
	require.False(t, shownOf(t, b.get("/account")).SignedIn)
}

func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	b, other := twoBrowsers(t, s)

	// Stale: the sign-in is older than 5 minutes.
	s.env.Clock.Advance(6 * time.Minute)
	list := b.get(web.PathSessions)
	require.Contains(t, list.body, `id="sessions-reauth"`)
	require.NotContains(t, list.body, `id="signout-all"`)
	p := b.submit(list, web.PathSignOutAll, url.Values{})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "sessions.reauth_required", errorCode(t, p))
	require.Contains(t, s.env.Audit.Types(), "signout:reauth_required")

	// Missing CSRF token.
	p = b.post(web.PathSignOutAll, url.Values{})
	require.Equal(t, http.StatusForbidden, p.status)

	a, err := s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.Nil(t, a.SignInsEndedAt, "nothing ended yet")
	require.True(t, shownOf(t, other.get("/account")).SignedIn)

	// Sign in again (fresh), then sign out everywhere.
	b.signedIn(s)
	list = b.get(web.PathSessions)
	require.Contains(t, list.body, `id="signout-all"`)
	_, others := sids(t, list)
	require.Len(t, others, 1, "the replaced sign-in of this browser is not listed")
	p = b.submit(list, web.PathSignOutAll, url.Values{})
	require.Equal(t, "/login", p.url.Path)
	require.Equal(t, "all", p.url.Query().Get("signed_out"))
	require.Contains(t, p.body, "Bạn đã đăng xuất khỏi mọi nơi")

	require.False(t, shownOf(t, b.get("/account")).SignedIn)
	require.Equal(t, "/login", other.get("/account").url.Path)
	a, err = s.env.Service.Get(t.Context(), s.account.ID)
	require.NoError(t, err)
	require.NotNil(t, a.SignInsEndedAt)
	revoked, logouts := s.env.Cascade.Ended()
	require.Equal(t, []string{s.account.ID}, revoked, "tokens at relying parties end")
	require.Equal(t, []string{s.account.ID}, logouts, "back-channel logout")
	list2, err := s.env.Service.BrowserSessions(t.Context(), s.account.ID, "")
	require.NoError(t, err)
	require.Empty(t, list2)
	var all *audit.Event
	for _, e := range s.signOutEvents(t) {
		if e.Outcome == audit.Success && e.Detail["scope"] == "everywhere" {
			all = &e
		}
	}
	require.NotNil(t, all, "audited in the citizen's history")
	require.Equal(t, "kept", all.Detail["consents"])

	// English page.
	s.env.Clock.Advance(time.Minute)
	b.signedIn(s)
	en := b.get(web.PathSessions + "?ui_locales=en")
	require.Contains(t, en.body, "Sign out everywhere")
	require.Contains(t, en.body, "This browser")
}
