package web_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/oidctest"
)

// TestForeignerPassportClaims (issue 13 item 3): the demo foreigner, read
// from the foreigners' registry's demo extract, signs in to a relying
// party through go-oidc and x/oauth2; with the passport and
// residence_permit scopes it receives his passport {number,
// issuing_country, expiry}, his residence card {kind, number, expiry} and
// his nationality from the passport (ISO 3166-1 alpha-2, as for citizens).
// A citizen asking the same scopes gets none of those claims.
func TestForeignerPassportClaims(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, err := population.ImportForeigners(ctx, population.Target{Pool: e.DB}, bytes.NewReader(population.DemoForeignersFile()), population.JSONLines)
	require.NoError(t, err)
	now := time.Now().UTC()
	kim := oidctest.Citizen{AccountID: uuid.NewString(), PersonalID: population.DemoForeignerID, Level: assurance.Level1}
	rec := accounts.Record{Account: accounts.Account{ID: kim.AccountID, PersonalID: kim.PersonalID, Level: assurance.Level1,
		Status: accounts.Active, Phone: "+84901000003", CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}
	require.NoError(t, e.Accounts.Create(ctx, accountstest.WithEvidence(rec), nil))

	scopes := []string{"openid", "profile", "passport", "residence_permit"}
	reg := e.Register(oidc.Client{Scopes: scopes})
	r := e.RP(reg, scopes...)
	e.SignIn(kim.Login(1))
	f := r.Login(e.Browser())
	status, info, body := r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, f.Sub, info["sub"])
	require.Equal(t, map[string]any{"number": "M12345678", "issuing_country": "KOR", "expiry": "2031-03-14"}, info["passport"])
	require.Equal(t, map[string]any{"kind": "temporary_residence_card", "number": "TT01234567", "expiry": "2028-06-30"}, info["residence_permit"])
	require.Equal(t, "KR", info["nationality"])
	require.Equal(t, "MIN JUN KIM", info["name"], "the name as the passport's MRZ spells it")
	require.Equal(t, "1988-11-05", info["birthdate"])

	// A citizen: the scopes are granted, the claims absent.
	c := e.citizen(1)
	b := e.Browser()
	e.signInAs(c, 1)
	f = r.Login(b)
	status, info, body = r.Userinfo(f.Token.AccessToken)
	require.Equal(t, http.StatusOK, status, body)
	require.NotContains(t, info, "passport")
	require.NotContains(t, info, "residence_permit")
	require.Equal(t, "VN", info["nationality"])
}
