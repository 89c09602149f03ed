package staff_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/staff/passkeytest"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestPasskey(t *testing.T) {
	db := pgtest.New(t)
	spy := &audittest.Spy{}
	svc, err := staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"),
		Audit: spy, Now: time.Now, TOTPKey: []byte("totp-key-totp-key-totp-key-01234"), Argon2Params: testParams,
		Passkeys: &staff.PasskeyConfig{RPID: "gateway.example", Origins: []string{"https://gateway.example"}}})
	require.NoError(t, err)
	ctx := t.Context()
	m, _, err := svc.Bootstrap(ctx, staff.NewMember{Username: "admin", Name: "A"}, staff.Unit{Code: "79", Name: "HCM", Level: staff.Province}, "t")
	require.NoError(t, err)
	me := m.Principal("s1")

	has, err := svc.HasPasskeys(ctx, m.ID)
	require.NoError(t, err)
	assert.False(t, has)
	_, _, err = svc.BeginPasskeyLogin(ctx, m.ID)
	require.ErrorIs(t, err, staff.ErrNoPasskeys)

	auth, err := passkeytest.New("https://gateway.example")
	require.NoError(t, err)
	opts, state, err := svc.BeginPasskeyRegistration(ctx, me)
	require.NoError(t, err)
	resp, err := auth.Create(opts)
	require.NoError(t, err)
	p, err := svc.FinishPasskeyRegistration(ctx, staff.Actor{Principal: me}, state, resp, "laptop")
	require.NoError(t, err)
	assert.Equal(t, "laptop", p.Name)
	assert.Len(t, spy.Of(audit.FactorChanged), 1)

	signIn := func(a *passkeytest.Authenticator) (staff.Principal, error) {
		opts, state, err := svc.BeginPasskeyLogin(ctx, m.ID)
		require.NoError(t, err)
		resp, err := a.Get(opts)
		require.NoError(t, err)
		return svc.VerifyPasskey(ctx, staff.PasskeyRequest{MemberID: m.ID, State: state, Response: resp, Session: "s2", IP: "192.0.2.1"})
	}
	got, err := signIn(auth)
	require.NoError(t, err)
	assert.Equal(t, m.ID, got.MemberID)
	assert.Equal(t, "s2", got.Session)

	tests := []struct {
		name   string
		mutate func(a *passkeytest.Authenticator)
	}{
		{"counter goes backwards (a clone)", func(a *passkeytest.Authenticator) { a.Count = 0 }},
		{"wrong origin", func(a *passkeytest.Authenticator) { a.Origin = "https://evil.example" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clone := *auth
			tc.mutate(&clone)
			_, err := signIn(&clone)
			require.ErrorIs(t, err, staff.ErrPasskeyFailed)
		})
	}
	other, err := passkeytest.New("https://gateway.example")
	require.NoError(t, err)
	_, err = signIn(other)
	require.ErrorIs(t, err, staff.ErrPasskeyFailed, "an unregistered key")

	// A replayed answer fails.
	opts, state, err = svc.BeginPasskeyLogin(ctx, m.ID)
	require.NoError(t, err)
	resp, err = auth.Get(opts)
	require.NoError(t, err)
	req := staff.PasskeyRequest{MemberID: m.ID, State: state, Response: resp, IP: "192.0.2.1"}
	_, err = svc.VerifyPasskey(ctx, req)
	require.NoError(t, err)
	_, err = svc.VerifyPasskey(ctx, req)
	require.ErrorIs(t, err, staff.ErrPasskeyFailed)

	var reasons []string
	for _, e := range spy.Of(audit.SecondFactorFailed) {
		reasons = append(reasons, e.Detail["factor"]+":"+e.Reason)
	}
	assert.Equal(t, []string{"passkey:bad_passkey", "passkey:bad_passkey", "passkey:bad_passkey", "passkey:bad_passkey"}, reasons)
}
