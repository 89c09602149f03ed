package web_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/biometrics"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// consentSwitch lets a test make consent need the (future) screen.
type consentSwitch struct {
	needsPrompt atomic.Bool
	refuse      atomic.Bool
}

func (c *consentSwitch) Decide(ctx context.Context, r oidc.ConsentRequest) (oidc.ConsentDecision, error) {
	if c.refuse.Load() {
		return oidc.ConsentDecision{}, oidc.ErrConsentRefused
	}
	d, err := oidc.AutoConsent{}.Decide(ctx, r)
	d.NeedsPrompt = c.needsPrompt.Load()
	return d, err
}

const adminToken = "admin-token-for-tests"

// env is the provider with automatic consent (that a test can switch) and
// the admin API, plus the biometric store for the leak probes.
type env struct {
	*oidctest.Env
	consent *consentSwitch
	bio     *biometricspg.Store
}

type (
	citizen    = oidctest.Citizen
	registered = oidctest.Registered
	rp         = oidctest.RP
	flow       = oidctest.Flow
)

func newEnv(t testing.TB) *env {
	t.Helper()
	cs := &consentSwitch{}
	e := &env{consent: cs, Env: oidctest.New(t, pgtest.New(t).App, oidctest.Options{
		Consent:    func(*oidctest.Env) oidc.ConsentDecider { return cs },
		AdminToken: adminToken,
	})}
	e.bio = biometricspg.NewStore(e.DB, time.Now)
	return e
}

// citizen seeds an account with a dependent child, two documents (the
// driving licence carrying a portrait sentinel) and biometric sentinels: a
// portrait, and a fingerprint at level 2.
func (e *env) citizen(level assurance.Level) citizen {
	t := e.T
	t.Helper()
	ctx := t.Context()
	c := e.SeedCitizen(level)
	pid := c.PersonalID
	now := time.Now().UTC()
	child := attributes.Person{PersonalID: "001210" + oidctest.RandomDigits(6), FullName: "Nguyễn Minh Khôi",
		BirthDate: time.Date(2018, 3, 3, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN", GuardianID: pid}
	exp := now.AddDate(5, 0, 0)
	docs := []attributes.Document{
		{Kind: attributes.DrivingLicence, Number: "DL" + oidctest.RandomDigits(10), HolderID: pid, IssuedOn: now.AddDate(-1, 0, 0), ExpiresOn: &exp,
			Issuer: "Sở GTVT Hà Nội", Fields: map[string]string{"class": "B2", "portrait": biometrics.PortraitSentinel(pid)}, Status: "valid"},
		{Kind: attributes.HealthInsurance, Number: "HI" + oidctest.RandomDigits(10), HolderID: pid, Issuer: "BHXH", Status: "valid"},
	}
	require.NoError(t, e.People.Write(ctx, []attributes.Person{child}, docs))
	require.NoError(t, e.bio.Put(ctx, biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Portrait,
		Template: []byte(biometrics.PortraitSentinel(pid)), Format: "image/jpeg", CapturedAt: now, CapturedBy: "app"}))
	if level >= 2 {
		require.NoError(t, e.bio.Put(ctx, biometrics.Record{AccountID: c.AccountID, Kind: biometrics.Fingerprint, Position: 1,
			Template: []byte(biometrics.FingerprintSentinel(pid)), Format: "iso-19794-2", CapturedAt: now, CapturedBy: "officer-1"}))
	}
	return c
}

// signInAs makes the test /login page sign this citizen in.
func (e *env) signInAs(c citizen, strength assurance.Level) { e.SignIn(c.Login(strength)) }

// callback returns the query of the redirect to the relying party.
var callback = oidctest.Callback

// loginAt runs the code flow for a client whose redirect URI is redirect.
func loginAt(r *rp, b *http.Client, redirect string) flow {
	r.Conf.RedirectURL = redirect
	return r.Login(b)
}

// must panics on err: for setup steps whose failure means a broken test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
