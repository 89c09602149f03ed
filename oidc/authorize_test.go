package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// askingDecider is a consent decider that needs the citizen's answer when
// ask is set, and grants what was asked otherwise.
type askingDecider struct{ ask bool }

func (d *askingDecider) Decide(ctx context.Context, r oidc.ConsentRequest) (oidc.ConsentDecision, error) {
	if d.ask {
		return oidc.ConsentDecision{NeedsPrompt: true, Reason: "first"}, nil
	}
	return oidc.AutoConsent{}.Decide(ctx, r)
}

// TestAuthorizeDecisions drives the provider's authorization decisions
// directly, without an HTTP server in the way: the request is validated and
// decided by calling package oidc, on the real stores.
func TestAuthorizeDecisions(t *testing.T) {
	decider := &askingDecider{}
	e := oidctest.New(t, pgtest.New(t).App, oidctest.Options{
		Consent:       func(*oidctest.Env) oidc.ConsentDecider { return decider },
		ConsentScreen: true,
	})
	ctx := t.Context()
	portal := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	bank := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}, Kind: oidc.KindBank, Profile: oidc.ProfileBaseline})
	require.Equal(t, assurance.Level2, bank.MinLevel, "a bank needs level 2")
	level1, level2, locked := e.SeedCitizen(assurance.Level1), e.SeedCitizen(assurance.Level2), e.SeedCitizen(assurance.Level2)
	_, err := e.DB.Exec(ctx, `UPDATE accounts SET status = 'locked' WHERE id = $1`, locked.AccountID)
	require.NoError(t, err)

	now := time.Now()
	signIn := func(c oidctest.Citizen, strength assurance.Level, ago time.Duration) *oidc.SignIn {
		return &oidc.SignIn{AccountID: c.AccountID, Strength: strength, AMR: []string{"pwd"}, AuthTime: now.Add(-ago), SID: "sid"}
	}
	tests := []struct {
		name    string
		client  oidctest.Registered
		params  url.Values
		attempt oidc.SignInAttempt
		ask     bool
		// want is the step; reason the sign-in's reason or the error code.
		want   oidc.Step
		reason string
		level  assurance.Level
		force  bool
		denied bool // an authorize.denied audit event
	}{
		{name: "nobody signed in", client: portal, want: oidc.StepSignIn, reason: "no_session", level: 1},
		{name: "nobody signed in, prompt=none", client: portal, params: url.Values{"prompt": {"none"}}, want: oidc.StepError, reason: "login_required"},
		{name: "password satisfies level 1", client: portal, attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepRespond},
		{name: "level 2 asked, password only: step-up", client: portal, params: url.Values{"acr_values": {assurance.ACR2}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepSignIn, reason: "step_up", level: 2},
		{name: "level 2 asked, second factor done", client: portal, params: url.Values{"acr_values": {assurance.ACR2}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, time.Minute)}, want: oidc.StepRespond},
		{name: "any listed acr will do", client: portal, params: url.Values{"acr_values": {assurance.ACR2 + " " + assurance.ACR1}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepRespond},
		{name: "level 2 asked of a level 1 account: unmet", client: portal, params: url.Values{"acr_values": {assurance.ACR2}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level1, 2, time.Minute)}, want: oidc.StepUnmet, denied: true},
		{name: "client minimum: a bank and a level 1 account", client: bank,
			attempt: oidc.SignInAttempt{SignIn: signIn(level1, 2, time.Minute)}, want: oidc.StepUnmet, denied: true},
		{name: "client minimum raises level 1 asked", client: bank, params: url.Values{"acr_values": {assurance.ACR1}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepSignIn, reason: "step_up", level: 2},
		{name: "max_age passed", client: portal, params: url.Values{"max_age": {"60"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, 2*time.Minute)}, want: oidc.StepSignIn, reason: "max_age", level: 1, force: true},
		{name: "max_age kept", client: portal, params: url.Values{"max_age": {"600"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, 2*time.Minute)}, want: oidc.StepRespond},
		{name: "max_age passed, prompt=none", client: portal, params: url.Values{"max_age": {"60"}, "prompt": {"none"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, 2*time.Minute)}, want: oidc.StepError, reason: "login_required"},
		{name: "prompt=login before signing in again", client: portal, params: url.Values{"prompt": {"login"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, time.Minute)}, want: oidc.StepSignIn, reason: "prompt_login", level: 1, force: true},
		{name: "prompt=login after signing in again", client: portal, params: url.Values{"prompt": {"login"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 2, 0), Since: now.Add(-time.Minute), Rounds: 1}, want: oidc.StepRespond},
		{name: "step-up never completed", client: portal, params: url.Values{"acr_values": {assurance.ACR2}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, 0), Since: now.Add(-time.Minute), Rounds: oidc.MaxSignInRounds},
			want:    oidc.StepError, reason: "unmet_authentication_requirements"},
		{name: "sign-in never completed", client: portal, attempt: oidc.SignInAttempt{Since: now.Add(-time.Minute), Rounds: oidc.MaxSignInRounds},
			want: oidc.StepError, reason: "login_required"},
		{name: "locked account", client: portal, attempt: oidc.SignInAttempt{SignIn: signIn(locked, 2, time.Minute)},
			want: oidc.StepError, reason: "access_denied", denied: true},
		{name: "consent needed", client: portal, ask: true, attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepConsent},
		{name: "consent needed, prompt=none", client: portal, ask: true, params: url.Values{"prompt": {"none"}},
			attempt: oidc.SignInAttempt{SignIn: signIn(level2, 1, time.Minute)}, want: oidc.StepError, reason: "consent_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			decider.ask = tc.ask
			req := validRequest(t, e, tc.client, tc.params)
			deniedBefore := len(e.Audit.Of(audit.AuthorizeDenied))
			d, err := e.Provider.Authorize(ctx, req, tc.attempt, oidc.Meta{RequestID: "req-1"})
			require.NoError(t, err)
			require.Equal(t, tc.want, d.Step, "decision %+v", d)
			switch tc.want {
			case oidc.StepSignIn:
				assert.Equal(t, tc.reason, d.Reason)
				assert.Equal(t, tc.level, d.Level)
				assert.Equal(t, tc.force, d.Force)
			case oidc.StepError:
				assert.Equal(t, tc.reason, fosite.ErrorToRFC6749Error(d.Err).ErrorField)
			case oidc.StepRespond:
				assert.NotEmpty(t, d.Response.GetCode(), "a code is issued")
			case oidc.StepConsent:
				ch, err := e.Provider.Challenge(ctx, d.ChallengeID)
				require.NoError(t, err, "the request is parked")
				assert.Equal(t, tc.attempt.SignIn.AccountID, ch.AccountID)
			case oidc.StepUnmet:
				assert.ErrorIs(t, d.Err, oidc.ErrUnmetAuthenticationRequirements)
			}
			denied := len(e.Audit.Of(audit.AuthorizeDenied)) - deniedBefore
			if tc.denied {
				require.Equal(t, 1, denied, "the refusal is audited")
				assert.Equal(t, "req-1", e.Audit.Of(audit.AuthorizeDenied)[deniedBefore].RequestID)
			} else {
				assert.Zero(t, denied)
			}
		})
	}
}

// TestValidateAuthorizeRefusesEarly: what ValidateAuthorize refuses, with
// the request still carrying a valid redirect URI so that the error goes
// back to the relying party.
func TestValidateAuthorizeRefusesEarly(t *testing.T) {
	e := oidctest.New(t, pgtest.New(t).App, oidctest.Options{})
	portal := e.Register(oidc.Client{Scopes: []string{"openid", "profile"}})
	par := e.Register(oidc.Client{Scopes: []string{"openid"}, RequirePAR: true})
	tests := []struct {
		name   string
		client oidctest.Registered
		params url.Values
		want   string
	}{
		{"no code_challenge", portal, url.Values{"code_challenge": nil, "code_challenge_method": nil}, "invalid_request"},
		{"plain", portal, url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"short challenge", portal, url.Values{"code_challenge": {"abc"}}, "invalid_request"},
		{"unknown scope", portal, url.Values{"scope": {"openid portrait"}}, "invalid_scope"},
		{"negative max_age", portal, url.Values{"max_age": {"-1"}}, "invalid_request"},
		{"PAR required", par, url.Values{"scope": {"openid"}}, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := authorizeParams(tc.client, tc.params)
			req, err := e.Provider.ValidateAuthorize(t.Context(), httptest.NewRequest(http.MethodGet, "/authorize?"+q.Encode(), nil))
			require.Error(t, err)
			assert.Equal(t, tc.want, fosite.ErrorToRFC6749Error(err).ErrorField)
			require.NotNil(t, req)
			assert.True(t, req.Fosite.IsRedirectURIValid(), "the error can go to the relying party")
		})
	}
	_, err := e.Provider.ValidateAuthorize(t.Context(), httptest.NewRequest(http.MethodGet, "/authorize?"+authorizeParams(portal, nil).Encode(), nil))
	require.NoError(t, err)
}

func authorizeParams(c oidctest.Registered, extra url.Values) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]},
		"scope": {"openid profile"}, "state": {oidctest.State}, "nonce": {"nonce-0123456789"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		if v == nil {
			delete(q, k)
		} else {
			q[k] = v
		}
	}
	return q
}

func validRequest(t *testing.T, e *oidctest.Env, c oidctest.Registered, extra url.Values) *oidc.AuthorizeRequest {
	t.Helper()
	req, err := e.Provider.ValidateAuthorize(t.Context(), httptest.NewRequest(http.MethodGet, "/authorize?"+authorizeParams(c, extra).Encode(), nil))
	require.NoError(t, err)
	return req
}
