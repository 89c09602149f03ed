package consentlink_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/biometrics"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/gateway/consentlink"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcweb "github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is the gateway as internal/gateway wires it: the provider, the
// consent service and the real consent pages, joined by one consentlink.Link.
type env struct {
	*oidctest.Env
	consent    *consent.Service
	deliveries *consentpg.Deliveries
	link       *consentlink.Provider
	bio        *biometricspg.Store
	// guardianship is the guardianship service on its own clock.
	guardianship *guardianship.Service
	clock        *testclock.Clock
}

type (
	registered = oidctest.Registered
	flow       = oidctest.Flow
)

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{clock: testclock.New(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))}
	e.Env = oidctest.New(t, pgtest.New(t).App, oidctest.Options{
		Dependents: func(o *oidctest.Env) oidc.Dependents {
			e.guardianship = oidctest.Guardianship(o, e.clock.Now)
			return guardianship.ForOIDC{Service: e.guardianship}
		},
		BackchannelLogout: true,
		ConsentScreen:     true,
		// The wiring of internal/gateway, in its order.
		Consent: func(o *oidctest.Env) oidc.ConsentDecider {
			var err error
			e.link, err = consentlink.NewProvider(consentlink.Config{
				Store: o.Store, Clients: o.Store, Keys: o.Keys, PairwiseKey: oidctest.PairwiseKey,
				Accounts: oidctest.Accounts{Store: o.Accounts}, Registry: o.People, Documents: o.People,
			})
			require.NoError(t, err)
			e.deliveries = consentpg.NewDeliveries(o.DB)
			sender, err := backchannel.New(backchannel.Config{
				Queue: e.deliveries, Clients: e.link, Subjects: e.link,
				Signer: e.link, Issuer: o.Server.URL,
			})
			require.NoError(t, err)
			e.consent, err = consent.NewService(consent.Config{
				Store: consentpg.NewStore(o.DB), Audit: o.Audit, Tokens: e.link, Logout: sender,
				Signer: e.link, Issuer: o.Server.URL,
			})
			require.NoError(t, err)
			d, err := consentlink.NewDecider(e.consent)
			require.NoError(t, err)
			return d
		},
		Routes: func(o *oidctest.Env) {
			csrf := &httpx.CSRF{Sessions: o.Sessions, Skip: oidcweb.CSRFExempt}
			browser := o.Router.NewRoute().Subrouter()
			browser.Use(csrf.Middleware, httpx.NoStore)
			challenges, err := consentlink.NewChallenges(o.Provider, e.link)
			require.NoError(t, err)
			ch := &consentweb.Handler{
				Consent: e.consent, Challenges: challenges, Preview: e.link, Dependents: challenges,
				Clients: e.link, Subjects: e.link, Templates: o.Templates, Sessions: o.Sessions, CSRF: csrf,
			}
			ch.Routes(browser)
		},
	})
	e.bio = biometricspg.NewStore(e.DB, time.Now)
	return e
}

// citizen seeds a level 2 account with a portrait whose sentinel must
// never reach a response, and makes /login sign it in with a second factor.
func (e *env) citizen() oidctest.Citizen {
	t := e.T
	t.Helper()
	c := e.SeedCitizen(2)
	require.NoError(t, e.bio.Put(t.Context(), biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Portrait,
		Template: []byte(biometrics.PortraitSentinel(c.PersonalID)), Format: "image/jpeg", CapturedAt: time.Now().UTC(), CapturedBy: "app"}))
	e.SignIn(c.Login(2))
	return c
}

type page struct {
	resp *http.Response
	body string
}

func (e *env) do(b *http.Client, method, u string, form url.Values) page {
	e.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(e.T, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.Do(req)
	require.NoError(e.T, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{resp: resp, body: string(raw)}
}

var (
	csrfRe      = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	challengeRe = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
)

func field(t testing.TB, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	require.NotNil(t, m, "field %s not in page: %s", re, body)
	return m[1]
}

// rp is a relying party that may stop at the consent screen.
type rp struct {
	*oidctest.RP
	e *env
}

func (e *env) rp(reg registered, scopes ...string) *rp { return &rp{RP: e.RP(reg, scopes...), e: e} }

// attempt is an authorization request under way in a browser.
type attempt struct {
	verifier, nonce string
	last            page
}

// start sends the browser to /authorize and follows our redirects: the
// last page is the consent screen or the redirect to the relying party.
func (r *rp) start(b *http.Client, opts ...oauth2.AuthCodeOption) attempt {
	a := attempt{verifier: oauth2.GenerateVerifier(), nonce: oidctest.NewNonce()}
	a.last = r.e.do(b, http.MethodGet, r.AuthURL(a.verifier, a.nonce, opts...), nil)
	return a
}

// onScreen reports whether the attempt stopped at the consent screen.
func (a attempt) onScreen() bool {
	return a.last.resp.StatusCode == http.StatusOK && a.last.resp.Request.URL.Path == "/consent"
}

// answer posts the consent form with the given action and ticked claims.
func (r *rp) answer(b *http.Client, a attempt, action string, ticked ...string) page {
	t := r.e.T
	t.Helper()
	require.True(t, a.onScreen(), "consent screen expected, got %d at %s", a.last.resp.StatusCode, a.last.resp.Request.URL)
	form := url.Values{
		"challenge":  {field(t, challengeRe, a.last.body)},
		"csrf_token": {field(t, csrfRe, a.last.body)},
		"action":     {action},
		"claim":      ticked,
	}
	return r.e.do(b, http.MethodPost, r.e.Server.URL+"/consent", form)
}

// callback is the query of the redirect to the relying party.
func callback(t testing.TB, p page) url.Values {
	t.Helper()
	q := oidctest.Callback(t, p.resp, p.body)
	require.Equal(t, oidctest.State, q.Get("state"))
	return q
}

// finish exchanges the code of the redirect and verifies the ID token.
func (r *rp) finish(a attempt, p page) flow {
	r.e.T.Helper()
	return r.Redeem(callback(r.e.T, p), a.verifier, a.nonce)
}
