package browsertest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/staff"
)

// An officer enrols the level 1 demo citizen to level 2 at the counter:
// the card is read (as cmd/cardreader does, through the counter's API with
// the officer's own credential), the console shows every check passed,
// the officer uploads the portrait and the fingerprint template and ticks
// the citizen's consent. The citizen then signs in to the demo relying
// party asking for level 2, and gets it.
func TestCounterLevel2(t *testing.T) {
	issuer, err := emulator.NewIssuer("VNM", rand.Reader)
	require.NoError(t, err)
	dir := t.TempDir()
	trust := filepath.Join(dir, "csca.pem")
	require.NoError(t, os.WriteFile(trust, issuer.CSCAPEM(), 0o600))
	e := newEnv(t, func(o *gateway.Options) { o.Config.Proofing.Trust = trust })
	ctx := t.Context()
	require.NoError(t, e.g.Staff.LoadDemo(ctx))
	officer := staff.DemoMembers[2]
	require.Contains(t, officer.Roles, staff.RoleOfficer)

	// The citizen's card, agreeing with the registry.
	reg, err := e.g.Registry.Person(ctx, population.DemoLevel1ID)
	require.NoError(t, err)
	holder := emulator.Synthetic()
	holder.PersonalID, holder.FullName, holder.MRZName = reg.PersonalID, reg.FullName, "TRAN<<THI<BINH"
	holder.BirthDate, holder.Gender, holder.OldID = reg.BirthDate, reg.Gender, reg.OldID
	if !reg.IssueDate.IsZero() {
		holder.IssueDate = reg.IssueDate
	}
	holder.ExpiryDate = time.Now().AddDate(10, 0, 0).UTC().Truncate(24 * time.Hour)
	card := counterCard(t, issuer, holder)

	// The fingerprint enrolled when the card was made, and what the
	// counter's scanner captures now; the portrait the counter's camera takes.
	ref, probe := fingerTemplates(t)
	require.NoError(t, e.g.ProofingStore.PutFingerprintReference(ctx, holder.PersonalID, 2, ref, "card production", time.Now()))
	probeFile, portraitFile := filepath.Join(dir, "finger-2.fmr"), filepath.Join(dir, "portrait.jpg")
	require.NoError(t, os.WriteFile(probeFile, probe, 0o600))
	require.NoError(t, os.WriteFile(portraitFile, portraitJPEG(t), 0o600))

	// The counter's reader: a challenge for the officer, the chip's answer,
	// the chip data sent for the gateway to verify.
	m, err := e.g.Staff.FindMember(ctx, officer.Username)
	require.NoError(t, err)
	token, _, err := e.g.Staff.Issue(ctx, m.ID, m.Unit.Code, "test")
	require.NoError(t, err)
	var ch struct{ Challenge []byte }
	require.Equal(t, http.StatusCreated, counterPost(t, e.gatewayURL+"/counter/api/v1/challenges", token, struct{}{}, &ch))
	read, err := (&cardreader.Reader{}).ReadChip(ctx, card, cardreader.Request{CAN: holder.PersonalID[6:], Challenge: ch.Challenge})
	require.NoError(t, err)
	var answer struct {
		ID string
		OK bool
	}
	require.Equal(t, http.StatusCreated, counterPost(t, e.gatewayURL+"/counter/api/v1/reads", token, map[string]any{"chip": read.Chip}, &answer))
	require.True(t, answer.OK)

	// The officer, in the console.
	b := newBrowser(t, "vi")
	staffSignIn(t, b, e.gatewayURL, officer)
	b.open(e.gatewayURL+"/staff/counter?personal_id="+holder.PersonalID, "#citizen")
	assert.Equal(t, "1", b.text("#citizen-level"))
	assert.Contains(t, b.text("#reads"), holder.FullName)
	b.screenshot("counter")
	b.follow("#reads a.read-link", "#enrol-form")
	for _, name := range []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth, proofing.CheckRegistry, proofing.CheckDocumentValid} {
		assert.Contains(t, b.html(), `<tr class="ok" data-check="`+name+`">`, name)
	}
	b.do("attach the portrait and the fingerprint, tick the consent",
		chromedp.SetUploadFiles(chromedp.CSS("#portrait"), []string{portraitFile}),
		chromedp.SetUploadFiles(chromedp.CSS("#fingerprint"), []string{probeFile}),
		chromedp.Click(chromedp.CSS("#consent")),
	)
	b.screenshot("counter-enrol")
	b.follow("#enrol-submit", "#enrolled")
	assert.Contains(t, b.text("#enrolled"), "Đã định danh mức 2")
	acct, err := e.g.Accounts.ByPersonalID(ctx, holder.PersonalID)
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, acct.Level)
	ev, err := e.g.Accounts.Evidence(ctx, acct.ID)
	require.NoError(t, err)
	require.Equal(t, m.ID, ev[0].OfficerID)
	require.Equal(t, m.Unit.Code, ev[0].Unit)

	// The citizen, at the relying party, asking for level 2.
	c := newBrowser(t, "vi")
	c.open(e.rpURL+"/login?acr="+assurance.ACR2, "#personal_id")
	c.do("type the personal id number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoLevel1ID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
	)
	c.follow(`form[action="/login"] button[type=submit]`, `form[action="/login/sms"]`)
	c.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	c.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, "+84901000001")))
	c.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	c.follow(`button[name=action][value=approve]`, "#message")
	c.requireAt(e.rpURL + "/callback")
	idToken := jsonOf(t, c.text("#claims"))
	assert.Equal(t, assurance.ACR2, idToken["acr"])
}

// counterCard is a chip ID card for p issued by is: PACE, DG1, DG2, DG13,
// an active authentication key in DG15 and the SOD over them.
func counterCard(t *testing.T, is *emulator.Issuer, p emulator.Person) *emulator.Card {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	o := emulator.CCCDOptions(p)
	dg15, err := emulator.EncodeDG15(key.Public())
	require.NoError(t, err)
	o.Files[cardreader.FIDDG15] = dg15
	o.Files[cardreader.FIDSOD], err = is.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
		13: o.Files[cardreader.FIDDG13], 15: dg15})
	require.NoError(t, err)
	o.AAKey = key
	c, err := emulator.NewCard(o)
	require.NoError(t, err)
	return c
}

// fingerTemplates are one finger's minutiae as enrolled with the card, and
// as captured again, shifted on the sensor with a few missed.
func fingerTemplates(t *testing.T) (reference, probe []byte) {
	t.Helper()
	var ref, got []proofing.Minutia
	for i := range 30 {
		ref = append(ref, proofing.Minutia{Type: 1 + i%2, X: 40 + (i*97)%320, Y: 40 + (i*53)%400, Angle: float64((i*37)%256) * 1.40625, Quality: 80})
	}
	for _, m := range ref[:26] {
		got = append(got, proofing.Minutia{Type: m.Type, X: m.X + 12, Y: m.Y + 7, Angle: m.Angle, Quality: m.Quality})
	}
	enc := func(ms []proofing.Minutia) []byte {
		b, err := proofing.EncodeFMR(proofing.FMR{Width: 500, Height: 500, ResX: 197, ResY: 197,
			Views: []proofing.FingerView{{Position: 2, Quality: 80, Minutiae: ms}}})
		require.NoError(t, err)
		return b
	}
	return enc(ref), enc(got)
}

func portraitJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 60, 80))
	for x := range 60 {
		for y := range 80 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 3), 160, 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

// counterPost is a call of the counter's API with an officer's credential.
func counterPost(t *testing.T, u, token string, body, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, u, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	return resp.StatusCode
}
