package consent_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/consenttest"
	"github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type recorder = audittest.Spy

type notifier struct{ sent []consent.Logout }

func (n *notifier) NotifyLogout(_ context.Context, l consent.Logout) error {
	n.sent = append(n.sent, l)
	return nil
}

type fixture struct {
	svc    *consent.Service
	store  consent.Store
	clock  *consenttest.Clock
	audit  *recorder
	tokens *consenttest.Tokens
	logout *notifier
	key    *ecdsa.PrivateKey
}

func newFixture(t *testing.T, ttl time.Duration) *fixture {
	t.Helper()
	signer := consenttest.NewSigner(t)
	f := &fixture{
		store: postgres.NewStore(pgtest.New(t).App), clock: consenttest.NewClock(t0),
		audit: &recorder{}, tokens: &consenttest.Tokens{}, logout: &notifier{}, key: signer.Key,
	}
	ids := 0
	var err error
	f.svc, err = consent.NewService(consent.Config{
		Store: f.store, Audit: f.audit, Tokens: f.tokens, Logout: f.logout, Signer: signer,
		Issuer: "https://id.example.vn", TTL: ttl, Now: f.clock.Now,
		NewID: func() string { ids++; return "receipt-" + string(rune('0'+ids)) },
	})
	require.NoError(t, err)
	return f
}

func (f *fixture) grant(t *testing.T, scopes, claims, declined []string, purpose string) consent.Grant {
	t.Helper()
	g, err := f.svc.Grant(t.Context(), consent.Approval{
		AccountID: "acc-1", ClientID: "dvc", Scopes: scopes, Claims: claims, Declined: declined, PurposeVersion: purpose,
	})
	require.NoError(t, err)
	return g
}

func TestNewServiceRequiresDependencies(t *testing.T) {
	_, err := consent.NewService(consent.Config{})
	require.ErrorContains(t, err, "Store, Audit, Tokens")
}

func TestDecide(t *testing.T) {
	profile := []string{"openid", "profile"}
	profileClaims := []string{"name", "birthdate", "gender", "nationality"}
	cases := []struct {
		name        string
		setup       func(t *testing.T, f *fixture)
		req         consent.Request
		wantReason  consent.Reason
		wantScopes  []string
		wantClaims  []string
		wantErr     error
		wantCurrent bool
	}{
		{
			name:       "NothingGranted",
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1"},
			wantReason: consent.ReasonFirst,
		},
		{
			name:       "NothingGrantedPromptNone",
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1", Prompt: "none"},
			wantReason: consent.ReasonFirst, wantErr: consent.ErrConsentRequired,
		},
		{
			name:       "Covered",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: []string{"profile", "openid"}, Claims: []string{"name", "gender"}, PurposeVersion: "1"},
			wantScopes: profile, wantClaims: []string{"gender", "name"}, wantCurrent: true,
		},
		{
			name:       "CoveredPromptNone",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1", Prompt: "none"},
			wantScopes: profile, wantClaims: []string{"birthdate", "gender", "name", "nationality"}, wantCurrent: true,
		},
		{
			name: "DeclinedVoluntaryClaimIsNotAskedAgainNorReleased",
			setup: func(t *testing.T, f *fixture) {
				f.grant(t, profile, []string{"name", "birthdate", "gender"}, []string{"nationality"}, "1")
			},
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1"},
			wantScopes: profile, wantClaims: []string{"birthdate", "gender", "name"}, wantCurrent: true,
		},
		{
			name: "WhollyDeclinedScopeIsNotAskedAgainNorGranted",
			setup: func(t *testing.T, f *fixture) {
				f.grant(t, profile, profileClaims, []string{"phone_number"}, "1")
			},
			req:        consent.Request{Scopes: []string{"openid", "profile", "phone"}, Claims: append([]string{"phone_number"}, profileClaims...), PurposeVersion: "1"},
			wantScopes: profile, wantClaims: []string{"birthdate", "gender", "name", "nationality"}, wantCurrent: true,
		},
		{
			name:       "WidenedScope",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: []string{"openid", "profile", "phone"}, Claims: profileClaims, PurposeVersion: "1"},
			wantReason: consent.ReasonWidened, wantCurrent: true,
		},
		{
			name:       "WidenedClaim",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: profile, Claims: append([]string{"personal_id_number"}, profileClaims...), PurposeVersion: "1"},
			wantReason: consent.ReasonWidened, wantCurrent: true,
		},
		{
			name:       "WidenedPromptNone",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: []string{"openid", "phone"}, PurposeVersion: "1", Prompt: "none"},
			wantReason: consent.ReasonWidened, wantErr: consent.ErrConsentRequired, wantCurrent: true,
		},
		{
			name:       "PurposeChanged",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "2"},
			wantReason: consent.ReasonPurposeChanged, wantCurrent: true,
		},
		{
			name: "Expired",
			setup: func(t *testing.T, f *fixture) {
				f.grant(t, profile, profileClaims, nil, "1")
				f.clock.Advance(365 * 24 * time.Hour)
			},
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1"},
			wantReason: consent.ReasonExpired, wantCurrent: true,
		},
		{
			name: "AlmostExpired",
			setup: func(t *testing.T, f *fixture) {
				f.grant(t, profile, profileClaims, nil, "1")
				f.clock.Advance(365*24*time.Hour - time.Second)
			},
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1"},
			wantScopes: profile, wantClaims: []string{"birthdate", "gender", "name", "nationality"}, wantCurrent: true,
		},
		{
			name: "Revoked",
			setup: func(t *testing.T, f *fixture) {
				f.grant(t, profile, profileClaims, nil, "1")
				require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}))
			},
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1"},
			wantReason: consent.ReasonRevoked, wantCurrent: true,
		},
		{
			name:       "PromptConsentForcesScreen",
			setup:      func(t *testing.T, f *fixture) { f.grant(t, profile, profileClaims, nil, "1") },
			req:        consent.Request{Scopes: profile, Claims: profileClaims, PurposeVersion: "1", Prompt: "login consent"},
			wantReason: consent.ReasonForced, wantCurrent: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 0)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			tc.req.AccountID, tc.req.ClientID = "acc-1", "dvc"
			d, err := f.svc.Decide(t.Context(), tc.req)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantReason, d.Reason)
			require.Equal(t, tc.wantReason != consent.ReasonNone, d.NeedsScreen)
			require.Equal(t, tc.wantScopes, d.Scopes)
			require.Equal(t, tc.wantClaims, d.Claims)
			require.Equal(t, tc.wantCurrent, d.Current != nil)
		})
	}
}

func TestGrantAuditsAndExpires(t *testing.T) {
	cases := []struct {
		name string
		ttl  time.Duration
		want time.Time
	}{
		{"DefaultTwelveMonths", 0, t0.Add(365 * 24 * time.Hour)},
		{"Configured", 30 * 24 * time.Hour, t0.Add(30 * 24 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.ttl)
			g, err := f.svc.Grant(t.Context(), consent.Approval{
				AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"profile", "openid", "openid"},
				Claims: []string{"name", "birthdate"}, Declined: []string{"nationality", "name"}, PurposeVersion: "4",
				ACR: "urn:vn:eid:loa:2", By: consent.Actor{IP: "203.0.113.9", RequestID: "req-1"},
			})
			require.NoError(t, err)
			require.Equal(t, tc.want, g.ExpiresAt)
			require.Equal(t, t0, g.GrantedAt)
			require.Equal(t, []string{"openid", "profile"}, g.Scopes)
			require.Equal(t, []string{"nationality"}, g.Declined, "an approved claim is not also declined")

			require.Len(t, f.audit.Events(), 1)
			e := f.audit.Events()[0]
			require.Equal(t, audit.ConsentGranted, e.Type)
			require.Equal(t, audit.Citizen, e.ActorKind)
			require.Equal(t, "acc-1", e.ActorID)
			require.Equal(t, "acc-1", e.AccountID)
			require.Equal(t, "dvc", e.ClientID)
			require.Equal(t, []string{"birthdate", "name"}, e.Claims)
			require.Equal(t, "urn:vn:eid:loa:2", e.ACR)
			require.Equal(t, "203.0.113.9", e.IP)
			require.Equal(t, "req-1", e.RequestID)
			require.Equal(t, "4", e.Detail["purpose_version"])
			require.Equal(t, t0, e.Time)
		})
	}
}

func TestGrantFailsWhenAuditFails(t *testing.T) {
	f := newFixture(t, 0)
	f.audit.SetFail(errors.New("audit down"))
	_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid"}})
	require.ErrorContains(t, err, "audit down")
	_, err = f.store.Current(t.Context(), "acc-1", "dvc")
	require.ErrorIs(t, err, consent.ErrNotFound, "nothing unaudited is granted")
}

func TestRefuseIsAuditedAndKeepsConsent(t *testing.T) {
	f := newFixture(t, 0)
	before := f.grant(t, []string{"openid"}, nil, nil, "1")
	require.NoError(t, f.svc.Refuse(t.Context(), consent.Refusal{
		AccountID: "acc-1", ClientID: "dvc", Scopes: []string{"openid", "phone"}, Claims: []string{"phone_number"}, PurposeVersion: "1",
	}))
	require.Equal(t, []audit.EventType{audit.ConsentGranted, audit.ConsentRefused}, f.audit.Types())
	e := f.audit.Events()[1]
	require.Equal(t, audit.Denied, e.Outcome)
	require.Equal(t, []string{"phone_number"}, e.Claims)
	after, err := f.store.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, before, after)

	f.audit.SetFail(errors.New("audit down"))
	require.Error(t, f.svc.Refuse(t.Context(), consent.Refusal{AccountID: "acc-1", ClientID: "dvc"}))
}

func TestRevoke(t *testing.T) {
	f := newFixture(t, 0)
	f.grant(t, []string{"openid", "profile"}, []string{"name"}, nil, "1")
	f.clock.Advance(time.Hour)
	require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}))

	g, err := f.store.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Hour), g.RevokedAt)
	require.Equal(t, consent.Actor{Kind: audit.Citizen, ID: "acc-1"}, g.RevokedBy)
	require.Equal(t, []string{"acc-1/dvc"}, f.tokens.Revoked())
	require.Equal(t, []consent.Logout{{AccountID: "acc-1", ClientID: "dvc", Reason: consent.LogoutConsentRevoked}}, f.logout.sent)
	require.Equal(t, []audit.EventType{audit.ConsentGranted, audit.ConsentRevoked}, f.audit.Types())
	require.Equal(t, []string{"name"}, f.audit.Events()[1].Claims)

	// Repeating ends the tokens again (a retry after a failed token step)
	// but appends, audits and notifies nothing more.
	require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}))
	require.Len(t, f.tokens.Revoked(), 2)
	require.Len(t, f.logout.sent, 1)
	require.Len(t, f.audit.Events(), 2)
	hist, err := f.store.History(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Len(t, hist, 2)

	// An officer revoking is recorded as such.
	f.grant(t, []string{"openid"}, nil, nil, "1")
	officer := consent.Actor{Kind: audit.Officer, ID: "officer-9"}
	require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", officer))
	g, err = f.store.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, consent.Actor{Kind: audit.Officer, ID: "officer-9"}, g.RevokedBy)
	require.Equal(t, audit.Officer, f.audit.Events()[len(f.audit.Events())-1].ActorKind)
}

func TestRevokeNothingGranted(t *testing.T) {
	f := newFixture(t, 0)
	require.ErrorIs(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}), consent.ErrNotFound)
	require.Empty(t, f.tokens.Revoked())
	require.Empty(t, f.audit.Events())
}

func TestRevokeFailsWhenAuditFails(t *testing.T) {
	f := newFixture(t, 0)
	f.grant(t, []string{"openid"}, nil, nil, "1")
	f.audit.SetFail(errors.New("audit down"))
	require.ErrorContains(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}), "audit down")
	g, err := f.store.Current(t.Context(), "acc-1", "dvc")
	require.NoError(t, err)
	require.Equal(t, consent.StatusActive, g.Status(t0))
	require.Empty(t, f.tokens.Revoked())
	require.Empty(t, f.logout.sent)
}

func TestEndSessionsNotifiesConnectedClients(t *testing.T) {
	f := newFixture(t, 0)
	for _, c := range []string{"dvc", "bank", "tax"} {
		_, err := f.svc.Grant(t.Context(), consent.Approval{AccountID: "acc-1", ClientID: c, Scopes: []string{"openid"}})
		require.NoError(t, err)
	}
	require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "tax", consent.Actor{}))
	f.logout.sent = nil
	require.NoError(t, f.svc.EndSessions(t.Context(), "acc-1", "sid-1", consent.LogoutSignedOut))
	require.ElementsMatch(t, []consent.Logout{
		{AccountID: "acc-1", ClientID: "dvc", SID: "sid-1", Reason: consent.LogoutSignedOut},
		{AccountID: "acc-1", ClientID: "bank", SID: "sid-1", Reason: consent.LogoutSignedOut},
	}, f.logout.sent)
}

func TestTouchLastUsed(t *testing.T) {
	f := newFixture(t, 0)
	require.ErrorIs(t, f.svc.TouchLastUsed(t.Context(), "acc-1", "dvc"), consent.ErrNotFound)
	f.grant(t, []string{"openid"}, nil, nil, "1")
	f.clock.Advance(time.Minute)
	require.NoError(t, f.svc.TouchLastUsed(t.Context(), "acc-1", "dvc"))
	list, err := f.svc.Connections(t.Context(), "acc-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, t0.Add(time.Minute), list[0].LastUsedAt)
}

func TestReceiptVerifiesAgainstPublicKey(t *testing.T) {
	f := newFixture(t, 0)
	f.grant(t, []string{"openid", "profile"}, []string{"name", "birthdate"}, nil, "3")
	f.clock.Advance(time.Hour)
	client := consent.Client{
		ID: "dvc", Name: "Cổng Dịch vụ công quốc gia", NameEN: "National Public Service Portal",
		Purpose: "Xác thực người nộp hồ sơ", PurposeEN: "Identify applicants", PurposeVersion: "3",
	}
	jws, r, err := f.svc.Receipt(t.Context(), consent.ReceiptRequest{AccountID: "acc-1", Client: client, Subject: "pairwise-sub-xyz"})
	require.NoError(t, err)
	require.Equal(t, "receipt-1", r.ID)

	tok, err := jwt.ParseSigned(jws, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, consent.ReceiptType, tok.Headers[0].ExtraHeaders[jose.HeaderType])
	var got map[string]any
	require.NoError(t, tok.Claims(&f.key.PublicKey, &got))
	want := map[string]any{
		"receipt_version": consent.ReceiptVersion, "jti": "receipt-1", "iss": "https://id.example.vn",
		"sub": "pairwise-sub-xyz", "iat": float64(t0.Add(time.Hour).Unix()),
		"client_id": "dvc", "client_name": "Cổng Dịch vụ công quốc gia", "client_name_en": "National Public Service Portal",
		"scopes": []any{"openid", "profile"}, "claims": []any{"birthdate", "name"},
		"purpose":    map[string]any{"version": "3", "text": "Xác thực người nộp hồ sơ", "text_en": "Identify applicants"},
		"granted_at": "2026-11-23T09:00:00Z", "expires_at": "2027-11-23T09:00:00Z", "status": "active",
	}
	require.Equal(t, want, got)

	// A receipt signed by another key does not verify.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	require.Error(t, tok.Claims(&other.PublicKey, &got))

	// Its payload never names the internal account id.
	raw, err := json.Marshal(got)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "acc-1")

	require.Equal(t, []audit.EventType{audit.ConsentGranted, audit.ReceiptDownloaded}, f.audit.Types())
	require.Equal(t, "receipt-1", f.audit.Events()[1].Detail["receipt_id"])
}

func TestReceiptOfRevokedConsentAndNotFound(t *testing.T) {
	f := newFixture(t, 0)
	client := consent.Client{ID: "dvc", Name: "DVC", PurposeVersion: "4", Purpose: "new text"}
	_, _, err := f.svc.Receipt(t.Context(), consent.ReceiptRequest{AccountID: "acc-1", Client: client, Subject: "s"})
	require.ErrorIs(t, err, consent.ErrNotFound)

	f.grant(t, []string{"openid"}, nil, nil, "3")
	f.clock.Advance(time.Minute)
	require.NoError(t, f.svc.Revoke(t.Context(), "acc-1", "dvc", consent.Actor{}))
	_, r, err := f.svc.Receipt(t.Context(), consent.ReceiptRequest{AccountID: "acc-1", Client: client, Subject: "s"})
	require.NoError(t, err)
	require.Equal(t, consent.StatusRevoked, r.Status)
	require.Equal(t, "2026-11-23T09:01:00Z", r.RevokedAt)
	require.Empty(t, r.Purpose.Text, "the current purpose text is not the one granted")
	require.Equal(t, "3", r.Purpose.Version)

	f.audit.SetFail(errors.New("audit down"))
	_, _, err = f.svc.Receipt(t.Context(), consent.ReceiptRequest{AccountID: "acc-1", Client: client, Subject: "s"})
	require.Error(t, err, "no receipt without its audit event")
}

func TestReceiptIssuedAtIsAnInteger(t *testing.T) {
	r := consent.NewReceipt(consent.Grant{ClientID: "dvc", GrantedAt: t0, ExpiresAt: t0.Add(time.Hour)}, consent.Client{ID: "dvc"}, "https://id.example.vn", "s", "id", t0)
	claims, err := r.JWTClaims()
	require.NoError(t, err)
	require.Equal(t, t0.Unix(), claims["iat"])
	signer := consenttest.NewSigner(t)
	jws, err := signer.Sign(t.Context(), claims, consent.ReceiptType)
	require.NoError(t, err)
	tok, err := jwt.ParseSigned(jws, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	var std jwt.Claims
	require.NoError(t, tok.Claims(&signer.Key.PublicKey, &std))
	require.Equal(t, t0, std.IssuedAt.Time().UTC())
}
