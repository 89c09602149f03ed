package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// actStart is where the guardianship's clock starts. It is its own test
// clock, not oidctest's (the real time plus an offset, which also dates the
// signing keys): a child's authority ends years later, at 14.
var actStart = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// childBirth is the children's birth date: 14 on 3 March 2032.
var childBirth = time.Date(2018, 3, 3, 0, 0, 0, 0, time.UTC)

// actEnv is the provider with the guardianship registry as the gateway
// wires it: the guardianship service on its PostgreSQL store, adapted by
// guardianship.ForOIDC.
type actEnv struct {
	*env
	guardianship *guardianship.Service
	clock        *testclock.Clock // the guardianship's clock
}

func newActEnv(t *testing.T) *actEnv {
	t.Helper()
	cs := &consentSwitch{}
	a := &actEnv{clock: testclock.New(actStart)}
	a.env = &env{consent: cs, Env: oidctest.New(t, pgtest.New(t).App, oidctest.Options{
		Consent: func(*oidctest.Env) oidc.ConsentDecider { return cs },
		Dependents: func(o *oidctest.Env) oidc.Dependents {
			a.guardianship = oidctest.Guardianship(o, a.clock.Now)
			return guardianship.ForOIDC{Service: a.guardianship}
		},
	})}
	a.bio = biometricspg.NewStore(a.DB, time.Now)
	return a
}

// officer enters and ends guardianship records.
var officer = guardianship.Officer{ID: "officer-7", Unit: "01.001 Công an phường Tràng Tiền"}

// child writes a child born on childBirth to the population registry
// under guardian (guardian_id) and registers it under the guardian's
// account as the guardian would.
func (e *actEnv) child(guardian citizen, name string) oidc.Dependent {
	t := e.T
	t.Helper()
	pid := "001218" + oidctest.RandomDigits(6)
	require.NoError(t, e.People.Write(t.Context(), []attributes.Person{{PersonalID: pid, FullName: name,
		BirthDate: childBirth, Gender: attributes.Female, Nationality: "VN",
		GuardianID: guardian.PersonalID, GuardianRelation: guardianship.RelationChild}}, nil))
	return e.register(guardian, pid)
}

// ward writes an adult to the population registry, an officer's
// guardianship record naming guardian, and registers the ward under the
// guardian's account. It returns the record's id too.
func (e *actEnv) ward(guardian citizen, name string) (oidc.Dependent, string) {
	t := e.T
	t.Helper()
	pid := "001160" + oidctest.RandomDigits(6)
	require.NoError(t, e.People.Write(t.Context(), []attributes.Person{{PersonalID: pid, FullName: name,
		BirthDate: time.Date(1960, 7, 1, 0, 0, 0, 0, time.UTC), Gender: attributes.Female, Nationality: "VN"}}, nil))
	rec, err := e.guardianship.EnterRecord(t.Context(), guardianship.RecordInput{WardID: pid, GuardianID: guardian.PersonalID,
		Number: "12/2026/QĐ-UBND", Starts: actStart.AddDate(0, -1, 0)}, officer)
	require.NoError(t, err)
	return e.register(guardian, pid), rec.ID
}

func (e *actEnv) register(guardian citizen, pid string) oidc.Dependent {
	t := e.T
	t.Helper()
	d, err := e.guardianship.Register(t.Context(), guardian.AccountID, pid, guardianship.Actor{})
	require.NoError(t, err)
	return oidc.Dependent{ID: d.ID, PersonalID: d.PersonalID, Name: d.FullName, Relation: d.Relation}
}

// turn14 advances the guardianship's clock to the children's 14th
// birthday: the guardian's authority over them ends.
func (e *actEnv) turn14() {
	e.clock.Advance(guardianship.AuthorityEndFor(childBirth).Sub(e.clock.Now()))
}

// endRecord ends the guardianship record now, as an officer does.
func (e *actEnv) endRecord(id string) {
	_, err := e.guardianship.EndRecord(e.T.Context(), id, e.clock.Now(), officer)
	require.NoError(e.T, err)
}

var returnToField = regexp.MustCompile(`name="return_to" value="([^"]+)"`)

// actLogin runs the code flow through the choice page, choosing choice
// ("self" or a dependent's id), and redeems the code.
func actLogin(t *testing.T, e *actEnv, r *rp, b *http.Client, choice string, opts ...oauth2.AuthCodeOption) flow {
	t.Helper()
	verifier, nonce := oauth2.GenerateVerifier(), oidctest.NewNonce()
	resp, body := e.Visit(b, r.AuthURL(verifier, nonce, opts...))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, oidcwebPathChoose, resp.Request.URL.Path, "the choice page after sign-in")
	m := returnToField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	returnTo := html.UnescapeString(m[1])
	resp, err := b.PostForm(e.Server.URL+oidcwebPathChoose, url.Values{"return_to": {returnTo}, "acting_for": {choice}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return r.Redeem(loc.Query(), verifier, nonce)
}

const oidcwebPathChoose = "/authorize/choose"

func TestActingForDependent(t *testing.T) {
	cases := []struct {
		name string
		// add registers the dependent under the guardian and returns how
		// the guardian's authority over it ends.
		add func(e *actEnv, guardian citizen) (oidc.Dependent, func())
	}{
		{"child turns 14", func(e *actEnv, g citizen) (oidc.Dependent, func()) {
			return e.child(g, "Nguyễn Thu Hà"), e.turn14
		}},
		{"ward's record ends", func(e *actEnv, g citizen) (oidc.Dependent, func()) {
			d, rec := e.ward(g, "Nguyễn Thu Hà")
			return d, func() { e.endRecord(rec) }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testActingForDependent(t, tc.add)
		})
	}
}

func testActingForDependent(t *testing.T, add func(e *actEnv, guardian citizen) (oidc.Dependent, func())) {
	e := newActEnv(t)
	alice := e.citizen(2)
	kid, end := add(e, alice)
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile", "personal_id", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "personal_id", "offline_access", oidc.ScopeActForDependent)
	b := e.Browser()

	// The page lists the dependent, in Vietnamese by default.
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce()))
	require.Equal(t, oidcwebPathChoose, resp.Request.URL.Path)
	assert.Contains(t, body, "Bạn đăng nhập cho ai?")
	assert.Contains(t, body, "Nguyễn Thu Hà")
	assert.Contains(t, body, "Chính tôi")
	assert.NotContains(t, body, kid.PersonalID, "the page never shows the child's number")

	f := actLogin(t, e, r, b, kid.ID)
	clientReg := &reg.Client
	guardianSub := e.Provider.Subjects.For(clientReg, alice.AccountID)
	assert.Equal(t, e.Provider.Subjects.For(clientReg, kid.ID), f.Sub, "sub is the dependent's pairwise subject")
	assert.NotEqual(t, guardianSub, f.Sub)
	assert.Equal(t, map[string]any{"sub": guardianSub}, f.Claims["act"], "RFC 8693 §4.1 act names the guardian")
	assert.Equal(t, assurance.ACR2, f.Claims["acr"], "acr is the guardian's sign-in")
	assert.NotContains(t, f.RawID, kid.PersonalID)

	status, ui, raw := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, f.Sub, ui["sub"])
	assert.Equal(t, map[string]any{"sub": guardianSub}, ui["act"])
	assert.Equal(t, "Nguyễn Thu Hà", ui["name"], "the dependent's attributes")
	assert.Equal(t, kid.PersonalID, ui["personal_id_number"])
	assert.NotContains(t, raw, alice.PersonalID)

	in := r.Introspect(f.Token.AccessToken)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, f.Sub, in["sub"])
	assert.Equal(t, map[string]any{"sub": guardianSub}, in["act"])

	// Both histories show the use.
	issued := e.Audit.Of(audit.TokenIssued)
	require.Len(t, issued, 2)
	assert.Equal(t, alice.AccountID, issued[0].AccountID)
	assert.Equal(t, kid.ID, issued[0].Detail["acting_for"])
	assert.Equal(t, kid.ID, issued[1].AccountID)
	assert.Equal(t, alice.AccountID, issued[1].Detail["guardian"])
	reads := e.Audit.Of(audit.UserinfoRead)
	require.Len(t, reads, 2)
	assert.ElementsMatch(t, []string{alice.AccountID, kid.ID}, []string{reads[0].AccountID, reads[1].AccountID})

	// Refresh keeps acting.
	tok, err := r.Refresh(f.Token.RefreshToken)
	require.NoError(t, err)
	f2 := r.Verify(tok, "")
	assert.Equal(t, f.Sub, f2.Sub)
	assert.Equal(t, map[string]any{"sub": guardianSub}, f2.Claims["act"])

	// The guardian's authority ends (the child turns 14, the ward's
	// record ends): refresh, userinfo and introspection stop at once.
	end()
	_, err = r.Refresh(tok.RefreshToken)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	status, _, _ = r.Userinfo(tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, false, r.Introspect(tok.AccessToken)["active"])
}

func TestActingForMyselfHasNoAct(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile"}})
	r := e.RP(reg, "openid", "profile", oidc.ScopeActForDependent)
	f := actLogin(t, e, r, e.Browser(), oidc.ActSelf)
	assert.Equal(t, e.Provider.Subjects.For(&reg.Client, alice.AccountID), f.Sub)
	assert.Nil(t, f.Claims["act"], "no act when the guardian signs in as themselves")
	_, ui, _ := r.Userinfo(f.Token.AccessToken)
	assert.Nil(t, ui["act"])
	assert.Equal(t, "Nguyễn Văn An", ui["name"])

	// An opted-in client that does not ask never shows the page either.
	f = e.RP(reg, "openid", "profile").Login(e.Browser())
	assert.Nil(t, f.Claims["act"])
}

func TestNotOptedInNeverSeesTheChoice(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})

	// Asking is refused at /authorize before any page (no sign-in).
	b := e.Browser()
	logins := e.Logins()
	r := e.RP(reg, "openid", "profile", oidc.ScopeActForDependent)
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce()))
	q := callback(t, resp, body)
	assert.Equal(t, "invalid_scope", q.Get("error"))
	assert.Equal(t, logins, e.Logins(), "refused before sign-in")

	// And at /par.
	status, m, raw := r.Post(oidc.PathPAR, url.Values{"response_type": {"code"}, "client_id": {reg.ID},
		"redirect_uri": {reg.RedirectURIs[0]}, "scope": {"openid " + oidc.ScopeActForDependent},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}})
	assert.Equal(t, http.StatusBadRequest, status, raw)
	assert.Equal(t, "invalid_scope", m["error"])

	// Without asking: straight through, no act, whoever the guardian has.
	f := e.RP(reg, "openid", "profile").Login(b)
	assert.Nil(t, f.Claims["act"])
	assert.Equal(t, e.Provider.Subjects.For(&reg.Client, alice.AccountID), f.Sub)
}

func TestTokenExchangeForDependent(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	kid := e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile", "personal_id", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "personal_id", oidc.ScopeActForDependent)
	b := e.Browser()
	// The client learns the dependent's sub from a sign-in as the child;
	// it holds the guardian's own token from a sign-in as herself.
	kidFlow := actLogin(t, e, r, b, kid.ID)
	own := actLogin(t, e, r, b, oidc.ActSelf)
	kidSub := kidFlow.Sub

	base := func() url.Values {
		return url.Values{"grant_type": {oidc.GrantTokenExchange}, "subject_token": {own.Token.AccessToken},
			"subject_token_type": {oidc.TokenTypeAccessToken}, "requested_subject": {kidSub}}
	}
	other := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	otherOpted := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile"}})
	cases := []struct {
		name   string
		rp     *rp
		edit   func(url.Values)
		status int
		code   string
	}{
		{"client not opted in", e.RP(other), nil, http.StatusBadRequest, "unauthorized_client"},
		{"subject token of another client", e.RP(otherOpted), nil, http.StatusBadRequest, "invalid_grant"},
		{"no subject_token_type", r, func(v url.Values) { v.Del("subject_token_type") }, http.StatusBadRequest, "invalid_request"},
		{"id token type", r, func(v url.Values) { v.Set("subject_token_type", "urn:ietf:params:oauth:token-type:id_token") }, http.StatusBadRequest, "invalid_request"},
		{"no requested_subject", r, func(v url.Values) { v.Del("requested_subject") }, http.StatusBadRequest, "invalid_request"},
		{"actor token", r, func(v url.Values) { v.Set("actor_token", "x") }, http.StatusBadRequest, "invalid_request"},
		{"unknown subject token", r, func(v url.Values) { v.Set("subject_token", "nope.nope") }, http.StatusBadRequest, "invalid_grant"},
		{"not a dependent", r, func(v url.Values) { v.Set("requested_subject", own.Sub) }, http.StatusBadRequest, "invalid_target"},
		{"audience", r, func(v url.Values) { v.Set("audience", "https://api.example") }, http.StatusBadRequest, "invalid_target"},
		{"more scopes than the subject token", r, func(v url.Values) { v.Set("scope", "openid offline_access") }, http.StatusBadRequest, "invalid_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := base()
			if tc.edit != nil {
				tc.edit(form)
			}
			status, m, raw := tc.rp.Post(oidc.PathToken, form)
			assert.Equal(t, tc.status, status, raw)
			assert.Equal(t, tc.code, m["error"], raw)
		})
	}

	t.Run("no consent for the dependent", func(t *testing.T) {
		e.consent.needsPrompt.Store(true)
		defer e.consent.needsPrompt.Store(false)
		status, m, raw := r.Post(oidc.PathToken, base())
		assert.Equal(t, http.StatusBadRequest, status, raw)
		assert.Equal(t, "invalid_grant", m["error"])
	})

	form := base()
	form.Set("scope", "openid profile")
	status, m, raw := r.Post(oidc.PathToken, form)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, oidc.TokenTypeAccessToken, m["issued_token_type"])
	assert.Equal(t, "bearer", strings.ToLower(fmt.Sprint(m["token_type"])))
	assert.Equal(t, "openid profile", m["scope"])
	assert.Nil(t, m["refresh_token"])
	at := m["access_token"].(string)
	guardianSub := own.Sub
	in := r.Introspect(at)
	assert.Equal(t, true, in["active"])
	assert.Equal(t, kidSub, in["sub"])
	assert.Equal(t, map[string]any{"sub": guardianSub}, in["act"])
	status, ui, raw := r.Userinfo(at)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, kidSub, ui["sub"])
	assert.Equal(t, "Nguyễn Thu Hà", ui["name"])
	assert.Nil(t, ui["personal_id_number"], "only the scopes asked")

	// The authority ends (the child turns 14): the exchange is refused,
	// the token stops.
	e.turn14()
	status, m, _ = r.Post(oidc.PathToken, base())
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_target", m["error"])
	assert.Equal(t, false, r.Introspect(at)["active"])
}

// The guardian's lock ends the tokens acting for a dependent; withdrawing
// the dependent's consent at the client ends them too.
func TestActingEndsWithLockAndConsent(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	kid := e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile", "offline_access"}})
	r := e.RP(reg, "openid", "profile", "offline_access", oidc.ScopeActForDependent)

	// The dependent's consent withdrawn: the guardian's acting tokens end,
	// the guardian's own stay.
	b := e.Browser()
	acting := actLogin(t, e, r, b, kid.ID)
	own := actLogin(t, e, r, b, oidc.ActSelf)
	n, err := e.Store.RevokeClientTokens(t.Context(), kid.ID, reg.ID)
	require.NoError(t, err)
	assert.Positive(t, n)
	st, _, _ := r.Userinfo(acting.Token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st)
	_, err = r.Refresh(acting.Token.RefreshToken)
	require.Error(t, err)
	st, _, _ = r.Userinfo(own.Token.AccessToken)
	assert.Equal(t, http.StatusOK, st, "the guardian's own grant is another consent")

	// The guardian's account locked: refresh and userinfo stop.
	acting = actLogin(t, e, r, b, kid.ID)
	_, err = e.Accounts.Update(t.Context(), alice.AccountID, func(rec *accounts.Record) error {
		rec.Status, rec.LockReason = accounts.Locked, "lost phone"
		return nil
	})
	require.NoError(t, err)
	st, _, _ = r.Userinfo(acting.Token.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st)
	_, tok, _ := r.Post(oidc.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {acting.Token.RefreshToken}})
	assert.Equal(t, "invalid_grant", tok["error"])
	assert.Equal(t, false, r.Introspect(acting.Token.AccessToken)["active"])
}

// A DPoP-bound subject token is exchanged only with a proof by its key, and
// the token issued is bound to that key (RFC 9449 §5): a stolen bound token
// cannot become a bearer one.
func TestTokenExchangeKeepsDPoPBinding(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	kid := e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid", "profile"}})
	d := newDPoPRP(t, e.RP(reg, "openid", "profile"))
	own := d.exchange(e.Browser())
	require.Equal(t, "DPoP", own.body["token_type"], own.raw)
	form := url.Values{"grant_type": {oidc.GrantTokenExchange}, "subject_token": {own.body["access_token"].(string)},
		"subject_token_type": {oidc.TokenTypeAccessToken}, "requested_subject": {e.Provider.Subjects.For(&reg.Client, kid.ID)}}

	a := d.token(form)
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Equal(t, "invalid_dpop_proof", a.body["error"], "no proof for a bound subject token")
	other := newDPoPRP(t, d.rp)
	other.nonce = d.nonce
	a = d.token(form, other.proof(http.MethodPost, oidc.PathToken, ""))
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Equal(t, "invalid_dpop_proof", a.body["error"], "another key's proof")

	a = d.token(form, d.proof(http.MethodPost, oidc.PathToken, ""))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "DPoP", a.body["token_type"])
	assert.Equal(t, oidc.TokenTypeAccessToken, a.body["issued_token_type"])
	in := d.Introspect(a.body["access_token"].(string))
	assert.Equal(t, e.Provider.Subjects.For(&reg.Client, kid.ID), in["sub"])
	assert.NotEmpty(t, in["cnf"], "bound to the same key")
	assert.Equal(t, "DPoP", in["token_type"])
}

// prompt=none cannot show the choice: interaction_required.
func TestActingPromptNone(t *testing.T) {
	e := newActEnv(t)
	alice := e.citizen(2)
	e.child(alice, "Nguyễn Thu Hà")
	e.signInAs(alice, 2)
	reg := e.Register(oidc.Client{AcceptDependents: true, Scopes: []string{"openid"}})
	r := e.RP(reg, "openid")
	b := e.Browser()
	r.Login(b) // signed in, without the choice
	r = e.RP(reg, "openid", oidc.ScopeActForDependent)
	resp, body := e.Visit(b, r.AuthURL(oauth2.GenerateVerifier(), oidctest.NewNonce(), oauth2.SetAuthURLParam("prompt", "none")))
	assert.Equal(t, "interaction_required", callback(t, resp, body).Get("error"))
}
