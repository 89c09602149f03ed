package consentlink_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcweb "github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

var returnToRe = regexp.MustCompile(`name="return_to" value="([^"]+)"`)

// TestAuthorityEndsWhileOnScreen: the guardian chose the child and is on
// the consent screen when the child turns 14. Submitting the screen
// records no consent on the child's records and sends the browser back to
// the relying party with access_denied, no code; the denial is audited.
func TestAuthorityEndsWhileOnScreen(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	guardian := e.citizen()
	birth := time.Date(2018, 3, 3, 0, 0, 0, 0, time.UTC)
	pid := "001218" + oidctest.RandomDigits(6)
	require.NoError(t, e.People.Write(ctx, []attributes.Person{{PersonalID: pid, FullName: "Nguyễn Thu Hà",
		BirthDate: birth, Gender: attributes.Female, Nationality: "VN",
		GuardianID: guardian.PersonalID, GuardianRelation: guardianship.RelationChild}}, nil))
	kid, err := e.guardianship.Register(ctx, guardian.AccountID, pid, guardianship.Actor{})
	require.NoError(t, err)

	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile"}})
	r := e.rp(reg, "openid", "profile", oidc.ScopeActForDependent)
	b := e.Browser()
	a := r.start(b)
	require.Equal(t, oidcweb.PathChoose, a.last.resp.Request.URL.Path, a.last.body)
	returnTo := field(t, returnToRe, a.last.body)
	a.last = e.do(b, http.MethodPost, e.Server.URL+oidcweb.PathChoose,
		url.Values{"return_to": {html.UnescapeString(returnTo)}, "acting_for": {kid.ID}})
	require.True(t, a.onScreen(), "consent screen expected, got %d at %s", a.last.resp.StatusCode, a.last.resp.Request.URL)
	assert.Contains(t, a.last.body, "Nguyễn Thu Hà", "the screen names the child")

	// The child turns 14 while the screen is open.
	e.clock.Advance(guardianship.AuthorityEndFor(birth).Sub(e.clock.Now()))
	e.Audit.Reset()

	// Another citizen with the challenge id cannot withdraw it.
	id := field(t, challengeRe, a.last.body)
	e.citizen()
	other := e.Browser()
	e.do(other, http.MethodGet, e.Server.URL+"/login?return_to=/account", nil)
	p := e.do(other, http.MethodGet, e.Server.URL+"/consent?challenge="+url.QueryEscape(id), nil)
	assert.Equal(t, http.StatusForbidden, p.resp.StatusCode)
	e.SignIn(guardian.Login(2))

	q := callback(t, r.answer(b, a, "approve", "name"))
	assert.Equal(t, "access_denied", q.Get("error"))
	assert.Empty(t, q.Get("code"))
	denied := e.Audit.Of(audit.AuthorizeDenied)
	require.Len(t, denied, 1)
	assert.Equal(t, "no_authority", denied[0].Reason)
	assert.Equal(t, guardian.AccountID, denied[0].AccountID)
	assert.Equal(t, reg.ID, denied[0].ClientID)

	conns, err := e.consent.Connections(ctx, kid.ID)
	require.NoError(t, err)
	assert.Empty(t, conns, "no consent on the child's records")
	assert.Empty(t, e.Audit.Of(audit.ConsentGranted), "no consent recorded")
	assert.Empty(t, e.Audit.Of(audit.TokenIssued))
}
