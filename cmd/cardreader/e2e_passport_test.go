package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/cardreader/vpcd"
	"github.com/dinhdanh/dinhdanh/foreigners"
	"github.com/dinhdanh/dinhdanh/internal/pcscdtest"
)

// A foreigner's passport end to end: a virtual Korean passport (TD3 MRZ,
// PACE with the MRZ, DG2, DG15, EF.SOD signed under a test KOR CSCA) in a
// real pcscd; `cardreader enrol --passport` sends it with its portrait to
// a real gateway trusting the Vietnamese and the Korean CSCA, which
// matches it with the foreigners' registry; the officer enrols the
// foreigner's account at level 2. A passport signed under a look-alike KOR
// CSCA is refused at the gateway, naming passive authentication.
func TestCounterPassportEndToEnd(t *testing.T) {
	ctx := t.Context()
	d := pcscdtest.Start(t)
	vn, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	kor, err := emulator.NewIssuer("KOR", nil)
	require.NoError(t, err)
	rogue, err := emulator.NewIssuer("KOR", nil)
	require.NoError(t, err)
	trust := filepath.Join(t.TempDir(), "csca.pem")
	require.NoError(t, os.WriteFile(trust, append(vn.CSCAPEM(), kor.CSCAPEM()...), 0o600))

	p := emulator.Synthetic()
	p.ExpiryDate = time.Date(time.Now().Year()+5, p.BirthDate.Month(), p.BirthDate.Day(), 0, 0, 0, 0, time.UTC)
	g := newCounterGateway(t, trust, p, template(t))

	tr := emulator.SyntheticTraveller()
	tr.ExpiryDate = time.Date(time.Now().Year()+5, 3, 8, 0, 0, 0, 0, time.UTC)
	const id = "001088123456"
	require.NoError(t, g.Foreigners.Put(ctx, foreigners.Resident{ID: id, PassportNo: tr.PassportNo, IssuingCountry: "KOR", Nationality: "KOR",
		PrimaryName: "KIM", SecondaryName: "MIN JUN", BirthDate: tr.BirthDate, Sex: "M", PassportExpiry: tr.ExpiryDate,
		PermitKind: foreigners.TemporaryResidenceCard, PermitNumber: "TT1234567", PermitExpiry: tr.ExpiryDate.AddDate(-1, 0, 0)}))
	ev := accounts.ImportedEvidence(assurance.Level1, "e2e test import")
	acct, err := g.Accounts.Create(ctx, accounts.NewAccount{PersonalID: id, Level: assurance.Level1, Status: accounts.Active,
		Phone: "+84901123456", Evidence: &ev}, accounts.Actor{Kind: audit.System, ID: "e2e"})
	require.NoError(t, err)

	face := faceJPEG(t)
	passport := func(is *emulator.Issuer) *emulator.Card {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		o := emulator.PassportOptions(tr, face)
		o.AAKey = key
		o.Files[cardreader.FIDDG15], err = emulator.EncodeDG15(key.Public())
		require.NoError(t, err)
		o.Files[cardreader.FIDSOD], err = is.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
			15: o.Files[cardreader.FIDDG15]})
		require.NoError(t, err)
		c, err := emulator.NewCard(o)
		require.NoError(t, err)
		return c
	}
	k := tr.Key()
	enrol := func(t *testing.T, card *emulator.Card, extra ...string) (bytes.Buffer, error) {
		t.Helper()
		icc, err := vpcd.Insert(ctx, d.Addr(), card, vpcd.Options{})
		require.NoError(t, err)
		d.WaitCard(t, pcscdtest.ReaderName, true, 30*time.Second)
		defer func() {
			_ = icc.Close()
			d.WaitCard(t, pcscdtest.ReaderName, false, 30*time.Second)
		}()
		var out bytes.Buffer
		args := append([]string{"enrol", "--gateway", g.URL, "--token", g.Token, "--socket", d.Socket,
			"--mrz-key", k.DocumentNumber + "," + k.BirthDate + "," + k.ExpiryDate}, extra...)
		return out, run(ctx, args, &out, io.Discard)
	}

	t.Run("untrusted CSCA", func(t *testing.T) {
		out, err := enrol(t, passport(rogue), "--passport")
		require.ErrorIs(t, err, errGateway)
		require.Contains(t, err.Error(), "passive_authentication")
		var answer gatewayAnswer
		require.NoError(t, json.Unmarshal(out.Bytes(), &answer), out.String())
		checks := checksByName(answer.Read.Checks, func(c gatewayCheck) string { return c.Name })
		require.Contains(t, checks["passive_authentication"].Detail, "not trusted")
	})

	t.Run("--passport with an ID card", func(t *testing.T) {
		card := emulator.NewCCCD(p)
		_, err := enrol(t, card, "--passport")
		require.Error(t, err)
	})

	t.Run("a passport without --passport still sends its portrait", func(t *testing.T) {
		out, err := enrol(t, passport(kor))
		require.NoError(t, err, out.String())
		var read gatewayAnswer
		require.NoError(t, json.Unmarshal(out.Bytes(), &read), out.String())
		require.True(t, read.OK, "%+v", read.Checks)
	})

	t.Run("genuine passport", func(t *testing.T) {
		out, err := enrol(t, passport(kor), "--passport")
		require.NoError(t, err, out.String())
		var read struct {
			gatewayAnswer
			Document string `json:"document"`
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &read), out.String())
		require.True(t, read.OK, "%+v", read.Checks)
		require.Equal(t, "passport", read.Document)
		require.Equal(t, id, read.PersonalID)
		require.Contains(t, read.CSCA, "CN=Test CSCA KOR")
		body := level2(read.ID, face, template(t))
		body["portrait_compared"] = true
		code, res := g.post(t, "/counter/api/v1/enrolments", body)
		require.Equal(t, http.StatusOK, code, "%v", res)
		a, err := g.Accounts.Get(ctx, acct.ID)
		require.NoError(t, err)
		require.EqualValues(t, 2, a.Level)
		evs, err := g.Accounts.Evidence(ctx, acct.ID)
		require.NoError(t, err)
		require.Equal(t, accounts.DocumentPassport, evs[0].Document)
		require.Contains(t, evs[0].CSCA, "CN=Test CSCA KOR")
	})
}
