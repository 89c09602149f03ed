package browsertest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/staff"
)

// An officer enrols the demo foreigner (Kim Min-jun, level 1) to level 2
// with his Korean passport: the chip, signed under a test KOR CSCA the
// gateway trusts beside the Vietnamese one, is read and sent with its
// portrait; the console (English, then Vietnamese) shows the passport, the
// assigned number and the chip's portrait; enrolling without confirming
// the portrait comparison is refused and names the check; confirmed, the
// account reaches level 2 on passport evidence.
func TestCounterPassport(t *testing.T) {
	vn, err := emulator.NewIssuer("VNM", rand.Reader)
	require.NoError(t, err)
	kor, err := emulator.NewIssuer("KOR", rand.Reader)
	require.NoError(t, err)
	dir := t.TempDir()
	trust := filepath.Join(dir, "csca.pem")
	require.NoError(t, os.WriteFile(trust, append(vn.CSCAPEM(), kor.CSCAPEM()...), 0o600))
	e := newEnv(t, func(o *gateway.Options) { o.Config.Proofing.Trust = trust })
	ctx := t.Context()
	require.NoError(t, e.g.Staff.LoadDemo(ctx))
	officer := staff.DemoMembers[2]

	res, err := e.g.Foreigners.ByID(ctx, population.DemoForeignerID)
	require.NoError(t, err)
	tr := emulator.Traveller{PassportNo: res.PassportNo, IssuingState: res.IssuingCountry, Nationality: res.Nationality,
		MRZName: "KIM<<MIN<JUN", BirthDate: res.BirthDate, Sex: res.Sex, ExpiryDate: res.PassportExpiry}
	face := portraitJPEG(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	o := emulator.PassportOptions(tr, face)
	o.AAKey = key
	o.Files[cardreader.FIDDG15], err = emulator.EncodeDG15(key.Public())
	require.NoError(t, err)
	o.Files[cardreader.FIDSOD], err = kor.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
		15: o.Files[cardreader.FIDDG15]})
	require.NoError(t, err)
	card, err := emulator.NewCard(o)
	require.NoError(t, err)

	_, probe := fingerTemplates(t)
	probeFile, portraitFile := filepath.Join(dir, "finger-2.fmr"), filepath.Join(dir, "portrait.jpg")
	require.NoError(t, os.WriteFile(probeFile, probe, 0o600))
	require.NoError(t, os.WriteFile(portraitFile, face, 0o600))

	// The counter's reader, as `cardreader enrol --passport` does.
	m, err := e.g.Staff.FindMember(ctx, officer.Username)
	require.NoError(t, err)
	token, _, err := e.g.Staff.Issue(ctx, m.ID, m.Unit.Code, "test")
	require.NoError(t, err)
	var ch struct{ Challenge []byte }
	require.Equal(t, http.StatusCreated, counterPost(t, e.gatewayURL+"/counter/api/v1/challenges", token, struct{}{}, &ch))
	read, err := (&cardreader.Reader{}).ReadChip(ctx, card, cardreader.Request{Key: tr.Key(), Challenge: ch.Challenge, Portrait: true})
	require.NoError(t, err)
	read.Chip.DataGroups[2] = read.Portrait
	var answer struct {
		ID, Document string
		PersonalID   string `json:"personal_id"`
		OK           bool
	}
	require.Equal(t, http.StatusCreated, counterPost(t, e.gatewayURL+"/counter/api/v1/reads", token, map[string]any{"chip": read.Chip}, &answer))
	require.True(t, answer.OK)
	require.Equal(t, "passport", answer.Document)
	require.Equal(t, population.DemoForeignerID, answer.PersonalID)

	b := newBrowser(t, "en")
	staffSignIn(t, b, e.gatewayURL, officer)
	b.open(e.gatewayURL+"/staff/counter/reads/"+answer.ID+"?ui_locales=en", "#enrol-form")
	assert.Contains(t, b.text("#passport"), "Passport")
	assert.Contains(t, b.text("#passport"), "Issuing state")
	assert.Equal(t, "M12345678", b.text("#passport-number"))
	assert.Equal(t, "KOR", b.text("#passport-issuing"))
	assert.Equal(t, population.DemoForeignerID, b.text("#read-personal-id"))
	assert.Contains(t, b.html(), `id="chip-portrait" src="data:image/jpeg;base64,`)
	assert.Contains(t, b.html(), "Matches the foreigners' registry")
	for _, name := range []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth, proofing.CheckPassportData,
		proofing.CheckForeignersRegistry, proofing.CheckDocumentValid} {
		assert.Contains(t, b.html(), `<tr class="ok" data-check="`+name+`">`, name)
	}
	assert.Contains(t, b.text("#enrol-form"), "I compared the chip's portrait with the person at the counter")
	b.screenshot("counter-passport-en")

	// In Vietnamese; the portrait comparison not confirmed: refused.
	b.open(e.gatewayURL+"/staff/counter/reads/"+answer.ID+"?ui_locales=vi", "#enrol-form")
	assert.Contains(t, b.text("#passport"), "Hộ chiếu")
	assert.Contains(t, b.text("#passport"), "Nước cấp")
	assert.Contains(t, b.text("#enrol-form"), "Tôi đã đối chiếu ảnh trên chip")
	attach := func() {
		b.do("attach the portrait and the fingerprint, tick the consent",
			chromedp.SetUploadFiles(chromedp.CSS("#portrait"), []string{portraitFile}),
			chromedp.SetUploadFiles(chromedp.CSS("#fingerprint"), []string{probeFile}),
			chromedp.Click(chromedp.CSS("#consent")),
		)
	}
	attach()
	b.follow("#enrol-submit", "#enrol-error")
	assert.Contains(t, b.html(), `data-failed="`+proofing.CheckChipPortrait+`"`)
	acct, err := e.g.Accounts.ByPersonalID(ctx, population.DemoForeignerID)
	require.NoError(t, err)
	require.Equal(t, assurance.Level1, acct.Level, "nothing granted by a refusal")

	attach()
	b.do("confirm the portrait comparison", chromedp.Click(chromedp.CSS("#chip-portrait-compared")))
	b.screenshot("counter-passport-enrol")
	b.follow("#enrol-submit", "#enrolled")
	assert.Contains(t, b.text("#enrolled"), "Đã định danh mức 2")
	acct, err = e.g.Accounts.ByPersonalID(ctx, population.DemoForeignerID)
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, acct.Level)
	ev, err := e.g.Accounts.Evidence(ctx, acct.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.DocumentPassport, ev[0].Document)
	require.Equal(t, "KOR", ev[0].IssuingState)
	require.Equal(t, res.PassportExpiry, ev[0].DocumentExpiry.UTC().Truncate(24*time.Hour))
	require.Contains(t, ev[0].CSCA, "Test CSCA KOR")
	names := map[string]bool{}
	for _, c := range ev[0].Checks {
		names[c.Name] = c.OK
	}
	assert.True(t, names[proofing.CheckFingerprintEnrolled])

	// The counter finds the foreigner by the assigned number.
	b.open(e.gatewayURL+"/staff/counter?personal_id="+population.DemoForeignerID, "#citizen")
	assert.Equal(t, "2", b.text("#citizen-level"))
	assert.True(t, names[proofing.CheckChipPortrait])
	assert.NotContains(t, names, proofing.CheckFingerprint)
}
