package oidc_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestDefaultKindPolicy(t *testing.T) {
	p := oidc.DefaultKindPolicy()
	const (
		dl  = attributes.ScopeDrivingLicence
		vr  = attributes.ScopeVehicleRegistration
		hi  = attributes.ScopeHealthInsurance
		si  = attributes.ScopeSocialInsurance
		yes = true
		no  = false
	)
	tests := []struct {
		kind  oidc.Kind
		scope string
		want  bool
	}{
		{oidc.KindPublicService, dl, yes}, {oidc.KindPublicService, vr, yes}, {oidc.KindPublicService, hi, yes}, {oidc.KindPublicService, si, yes},
		{oidc.KindBank, dl, yes}, {oidc.KindBank, vr, yes}, {oidc.KindBank, hi, no}, {oidc.KindBank, si, no},
		{oidc.KindInsurer, dl, no}, {oidc.KindInsurer, vr, yes}, {oidc.KindInsurer, hi, yes}, {oidc.KindInsurer, si, yes},
		{oidc.KindOther, dl, no}, {oidc.KindOther, vr, no}, {oidc.KindOther, hi, no}, {oidc.KindOther, si, no},
		// Scopes that release no document are every kind's.
		{oidc.KindOther, attributes.ScopeProfile, yes}, {oidc.KindBank, attributes.ScopePersonalID, yes},
		// A kind the policy does not know has no document.
		{oidc.Kind("shop"), dl, no}, {oidc.Kind("shop"), attributes.ScopeOpenID, yes},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, p.Allows(tc.kind, tc.scope), "%s %s", tc.kind, tc.scope)
	}
}

func TestBuildKindPolicy(t *testing.T) {
	tests := []struct {
		name  string
		rules []oidc.KindRule
		kind  oidc.Kind
		want  []string
	}{
		{"none: default", nil, oidc.KindBank, []string{attributes.ScopeDrivingLicence, attributes.ScopeVehicleRegistration}},
		{"refuse one", []oidc.KindRule{{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence}}, oidc.KindBank, []string{attributes.ScopeVehicleRegistration}},
		{"allow one, kept in order", []oidc.KindRule{{Kind: oidc.KindOther, Scope: attributes.ScopeSocialInsurance, Allowed: true}, {Kind: oidc.KindOther, Scope: attributes.ScopeDrivingLicence, Allowed: true}},
			oidc.KindOther, []string{attributes.ScopeDrivingLicence, attributes.ScopeSocialInsurance}},
		{"allow twice is once", []oidc.KindRule{{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence, Allowed: true}}, oidc.KindBank, []string{attributes.ScopeDrivingLicence, attributes.ScopeVehicleRegistration}},
		{"refuse then allow", []oidc.KindRule{{Kind: oidc.KindInsurer, Scope: attributes.ScopeHealthInsurance}, {Kind: oidc.KindInsurer, Scope: attributes.ScopeHealthInsurance, Allowed: true}},
			oidc.KindInsurer, []string{attributes.ScopeVehicleRegistration, attributes.ScopeHealthInsurance, attributes.ScopeSocialInsurance}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, []string(oidc.BuildKindPolicy(tc.rules)[tc.kind]))
		})
	}
}

// TestKindPolicyAtRegistration: a client cannot register a document scope
// its kind may not have; a policy change is audited, refused when its audit
// fails, and a scope registered before a tightening stays in the
// registration (the client can still be edited or disabled) but not in what
// fosite sees.
func TestKindPolicyAtRegistration(t *testing.T) {
	ctx := t.Context()
	db := pgtest.New(t)
	store := oidcpg.NewStore(db.App, oidc.NewFositeSession)
	hasher, err := oidc.NewSecretHasher([]byte("pepper-pepper-pepper-pepper-0123"))
	require.NoError(t, err)
	rec := &switchableAudit{}
	cs := &oidc.Clients{Store: store, Hasher: hasher, Audit: rec}
	reg := func(id string, kind oidc.Kind, scopes ...string) oidc.Client {
		return oidc.Client{ID: id, Kind: kind, Profile: oidc.ProfileBaseline, Name: oidc.Text{VI: "RP " + id}, Scopes: scopes,
			RedirectURIs: []string{"https://" + id + ".example/cb"}}
	}

	tests := []struct {
		name   string
		client oidc.Client
		ok     bool
	}{
		{"bank, driving licence", reg("bank-ok", oidc.KindBank, attributes.ScopeDrivingLicence), true},
		{"bank, health insurance", reg("bank-hi", oidc.KindBank, attributes.ScopeHealthInsurance), false},
		{"insurer, health insurance", reg("ins-ok", oidc.KindInsurer, attributes.ScopeHealthInsurance, attributes.ScopeVehicleRegistration), true},
		{"insurer, driving licence", reg("ins-dl", oidc.KindInsurer, attributes.ScopeDrivingLicence), false},
		{"other, any document", reg("other-vr", oidc.KindOther, attributes.ScopeVehicleRegistration), false},
		{"other, profile", reg("other-ok", oidc.KindOther, attributes.ScopeProfile), true},
		{"public service, all", reg("pub-ok", oidc.KindPublicService, oidc.DocumentScopes()...), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cs.Create(ctx, "op-1", tc.client)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, oidc.ErrInvalidClient)
			assert.Contains(t, err.Error(), "may not have scope")
			_, err = cs.Get(ctx, tc.client.ID)
			require.ErrorIs(t, err, oidc.ErrNotFound, "nothing saved")
		})
	}

	// Update: adding a forbidden scope, or changing kind to one that may not
	// have the scopes, is refused.
	_, err = cs.Update(ctx, "op-1", "bank-ok", func(c *oidc.Client) error {
		c.Scopes = append(c.Scopes, attributes.ScopeSocialInsurance)
		return nil
	})
	require.ErrorIs(t, err, oidc.ErrInvalidClient)
	_, err = cs.Update(ctx, "op-1", "ins-ok", func(c *oidc.Client) error { c.Kind = oidc.KindOther; return nil })
	require.ErrorIs(t, err, oidc.ErrInvalidClient)

	// A bad rule is refused.
	require.ErrorIs(t, cs.SetKindRule(ctx, "op-1", oidc.KindRule{Kind: "shop", Scope: attributes.ScopeDrivingLicence}), oidc.ErrInvalidRule)
	require.ErrorIs(t, cs.SetKindRule(ctx, "op-1", oidc.KindRule{Kind: oidc.KindBank, Scope: attributes.ScopeProfile}), oidc.ErrInvalidRule)

	// An unaudited change is not made.
	rec.fail.Store(true)
	require.Error(t, cs.SetKindRule(ctx, "op-1", oidc.KindRule{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence}))
	rec.fail.Store(false)
	p, err := cs.KindPolicy(ctx)
	require.NoError(t, err)
	assert.True(t, p.Allows(oidc.KindBank, attributes.ScopeDrivingLicence), "unchanged")

	// Tightened: the registration keeps the scope, fosite no longer sees it.
	before := rec.events.Load()
	require.NoError(t, cs.SetKindRule(ctx, "op-1", oidc.KindRule{Kind: oidc.KindBank, Scope: attributes.ScopeDrivingLicence}))
	assert.Equal(t, before+1, rec.events.Load(), "audited")
	fc, err := store.GetClient(ctx, "bank-ok")
	require.NoError(t, err)
	assert.NotContains(t, []string(fc.GetScopes()), attributes.ScopeDrivingLicence)
	stored, err := cs.Get(ctx, "bank-ok")
	require.NoError(t, err)
	assert.Contains(t, stored.Scopes, attributes.ScopeDrivingLicence)
	_, err = cs.Disable(ctx, "op-1", "bank-ok")
	require.NoError(t, err, "a client whose scope the policy took away can still be disabled")

	// Loosened: an other-kind client may now register a vehicle registration.
	require.NoError(t, cs.SetKindRule(ctx, "op-1", oidc.KindRule{Kind: oidc.KindOther, Scope: attributes.ScopeVehicleRegistration, Allowed: true}))
	_, _, err = cs.Create(ctx, "op-1", reg("other-vr", oidc.KindOther, attributes.ScopeVehicleRegistration))
	require.NoError(t, err)
}
