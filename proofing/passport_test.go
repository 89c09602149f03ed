package proofing_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// foreignID is the identification number assigned to the synthetic
// traveller (born 1988, male).
const foreignID = "001088123456"

// resident is the foreigners' registry record of tr's passport.
func resident(tr emulator.Traveller) foreigners.Resident {
	primary, secondary := foreigners.SplitMRZName(tr.MRZName)
	return foreigners.Resident{ID: foreignID, PassportNo: tr.PassportNo, IssuingCountry: tr.IssuingState, Nationality: tr.Nationality,
		PrimaryName: primary, SecondaryName: secondary, BirthDate: tr.BirthDate, Sex: tr.Sex, PassportExpiry: tr.ExpiryDate,
		PermitKind: foreigners.TemporaryResidenceCard, PermitNumber: "TT1234567", PermitExpiry: tr.ExpiryDate.AddDate(-1, 0, 0)}
}

// newPassportEnv is newEnv with the foreigners' registry holding res and
// the gateway trusting the VN and kor CSCAs.
func newPassportEnv(t *testing.T, kor pki, res ...foreigners.Resident) *env {
	t.Helper()
	vn := newPKI(t, kor.issuer.DSNotBefore)
	ts, err := cardreader.ParseCertificatesPEM(append(vn.issuer.CSCAPEM(), kor.issuer.CSCAPEM()...))
	require.NoError(t, err)
	e := newEnv(t, verifier{ts}, func(c *proofing.Config, e *env) {
		reg := foreignerspg.NewStore(e.Pool)
		require.NoError(t, reg.Put(t.Context(), res...))
		c.Foreigners = reg
	})
	return e
}

// foreigner gives the traveller an activated level 0 account whose login
// is the assigned number (accounts are opened on a population record,
// which the foreigner's registration writes).
func (e *env) foreigner(t *testing.T, tr emulator.Traveller) (accounts.Account, error) {
	t.Helper()
	res := resident(tr)
	require.NoError(t, e.Registry.Write(t.Context(), []attributes.Person{res.Person()}, nil))
	return e.Service.Create(t.Context(), accounts.NewAccount{PersonalID: foreignID, Status: accounts.Active, Phone: "+84901123456"},
		accounts.Actor{Kind: audit.System, ID: "test"})
}

func newKorPKI(t *testing.T, at time.Time) pki {
	t.Helper()
	is, err := emulator.NewIssuer("KOR", rand.Reader, emulator.WithTime(at))
	require.NoError(t, err)
	ts, err := cardreader.ParseCertificatesPEM(is.CSCAPEM())
	require.NoError(t, err)
	return pki{issuer: is, trust: ts}
}

// makePassport is tr's passport chip signed by is: PACE with the MRZ,
// DG1 (TD3), DG2 (a face), DG15 and an SOD over them.
func makePassport(t *testing.T, tr emulator.Traveller, is *emulator.Issuer) *emulator.Card {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	o := emulator.PassportOptions(tr, jpeg)
	dg15, err := emulator.EncodeDG15(key.Public())
	require.NoError(t, err)
	o.Files[cardreader.FIDDG15], o.AAKey = dg15, key
	o.Files[cardreader.FIDSOD], err = is.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2], 15: dg15})
	require.NoError(t, err)
	c, err := emulator.NewCard(o)
	require.NoError(t, err)
	return c
}

// readPassport reads a passport as `cardreader enrol --passport` does:
// the chip data with DG2.
func (e *env) readPassport(t *testing.T, card *emulator.Card, tr emulator.Traveller) cardreader.ChipData {
	t.Helper()
	ch, err := e.Proofing.IssueChallenge(t.Context(), officer)
	require.NoError(t, err)
	r, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{Key: tr.Key(), Challenge: ch.Value, Portrait: true})
	require.NoError(t, err)
	require.NotNil(t, r.Passport)
	r.Chip.DataGroups[2] = r.Portrait
	return r.Chip
}

// TestCounterEnrolsForeigner: a Korean passport read at the counter,
// verified under the Korean CSCA and matched with the foreigners' registry,
// gives the foreigner's account (login = the assigned number) level 2; the
// fingerprint is enrolled, not matched, and the evidence says so.
func TestCounterEnrolsForeigner(t *testing.T) {
	ctx := t.Context()
	tr := emulator.SyntheticTraveller()
	kor := newKorPKI(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newPassportEnv(t, kor, resident(tr))
	a, err := e.foreigner(t, tr)
	require.NoError(t, err)

	r, err := e.Proofing.SubmitRead(ctx, officer, e.readPassport(t, makePassport(t, tr, kor.issuer), tr))
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Equal(t, proofing.DocumentPassport, r.Document)
	require.Equal(t, foreignID, r.PersonalID)
	require.Equal(t, "KOR", r.IssuingState)
	require.Equal(t, "M12345678", r.DocumentNumber)
	require.Contains(t, r.CSCA, "Test CSCA KOR")
	require.Equal(t, "KR", r.Person.Nationality)
	require.Equal(t, jpeg, r.Portrait, "DG2's face, for the officer")
	require.Equal(t, "image/jpeg", r.PortraitFormat)
	stored, err := e.Proofing.Read(ctx, officer, r.ID)
	require.NoError(t, err)
	require.Equal(t, r.Portrait, stored.Portrait)
	require.Equal(t, proofing.DocumentPassport, stored.Document)

	_, probe := fingerprint(t, 5)
	full := proofing.Capture{Portrait: jpeg, PortraitFormat: "image/jpeg", Fingerprint: probe, FingerPosition: 2, Consent: true,
		PortraitCompared: true}
	for _, tc := range []struct {
		name   string
		change func(*proofing.Capture)
		failed string
	}{
		{"chip portrait not compared", func(c *proofing.Capture) { c.PortraitCompared = false }, proofing.CheckChipPortrait},
		{"not a template", func(c *proofing.Capture) { c.Fingerprint = []byte("FMR?") }, proofing.CheckFingerprintEnrolled},
		{"no consent", func(c *proofing.Capture) { c.Consent = false }, proofing.CheckConsent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := full
			tc.change(&c)
			_, _, err := e.Proofing.EnrolLevel2(ctx, officer, r.ID, c)
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			require.ErrorContains(t, err, tc.failed)
		})
	}
	got, err := e.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, assurance.None, got.Level, "nothing granted by a refusal")
	recs, err := e.Biometrics.Records(ctx, a.ID)
	require.NoError(t, err)
	require.Empty(t, recs, "no partial write")

	acct, ev, err := e.Proofing.EnrolLevel2(ctx, officer, r.ID, full)
	require.NoError(t, err)
	require.Equal(t, assurance.Level2, acct.Level)
	require.Equal(t, accounts.EvidenceCounter, ev.Method)
	require.Equal(t, accounts.DocumentPassport, ev.Document)
	require.Equal(t, "KOR", ev.IssuingState)
	require.Equal(t, "M12345678", ev.DocumentNumber)
	require.Equal(t, tr.ExpiryDate, ev.DocumentExpiry.UTC())
	require.Contains(t, ev.Signer, "Test Document Signer KOR")
	require.Contains(t, ev.CSCA, "Test CSCA KOR")
	checks := map[string]accounts.Check{}
	for _, c := range ev.Checks {
		checks[c.Name] = c
		require.True(t, c.OK, c.Name)
	}
	for _, n := range []string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth, proofing.CheckPassportData,
		proofing.CheckForeignersRegistry, proofing.CheckDocumentValid, proofing.CheckChipPortrait, proofing.CheckPortrait,
		proofing.CheckFingerprintEnrolled, proofing.CheckConsent} {
		require.Contains(t, checks, n)
	}
	require.NotContains(t, checks, proofing.CheckFingerprint, "no match is claimed")
	require.Contains(t, checks[proofing.CheckFingerprintEnrolled].Detail, "becomes the account's enrolled reference")
	all, err := e.Service.Evidence(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.DocumentPassport, all[0].Document)
	require.Contains(t, all[0].CSCA, "Test CSCA KOR")
	recs, err = e.Biometrics.Records(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, biometrics.Fingerprint, recs[1].Kind)
	require.Equal(t, probe, recs[1].Template, "the counter's template is the reference from now on")
	used, err := e.Proofing.Read(ctx, officer, r.ID)
	require.NoError(t, err)
	require.Nil(t, used.Portrait, "the chip's portrait goes once the read is used")
}

// TestCounterRefusesPassports: an untrusted CSCA, an expired passport, a
// registry that disagrees or has no record, a reader that sent no portrait,
// and a foreigner without an account: each refused with the check (or
// error) named, audited, and nothing granted.
func TestCounterRefusesPassports(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kor := newKorPKI(t, at)
	rogue := newKorPKI(t, at)
	tr := emulator.SyntheticTraveller()
	expired := tr
	expired.ExpiryDate = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	otherName := resident(tr)
	otherName.SecondaryName = "MIN SEO"
	otherNat := resident(tr)
	otherNat.Nationality = "PRK"
	otherSex := resident(tr)
	otherSex.Sex = "F"
	otherExpiry := resident(tr)
	otherExpiry.PassportExpiry = tr.ExpiryDate.AddDate(0, 0, 1)
	otherBirth := resident(tr)
	otherBirth.BirthDate = tr.BirthDate.AddDate(0, 0, 1)

	for _, tc := range []struct {
		name     string
		holder   emulator.Traveller
		issuer   *emulator.Issuer
		registry []foreigners.Resident
		noDG2    bool
		failed   []string
		detail   string
	}{
		{"untrusted CSCA", tr, rogue.issuer, []foreigners.Resident{resident(tr)}, false,
			[]string{proofing.CheckPassiveAuth, proofing.CheckActiveAuth}, "no trusted csca issued"},
		{"expired passport", expired, kor.issuer, []foreigners.Resident{resident(expired)}, false,
			[]string{proofing.CheckDocumentValid}, "the passport expired on 2026-01-02"},
		{"name differs", tr, kor.issuer, []foreigners.Resident{otherName}, false, []string{proofing.CheckForeignersRegistry}, "name"},
		{"nationality differs", tr, kor.issuer, []foreigners.Resident{otherNat}, false, []string{proofing.CheckForeignersRegistry}, "nationality"},
		{"sex differs", tr, kor.issuer, []foreigners.Resident{otherSex}, false, []string{proofing.CheckForeignersRegistry}, "sex"},
		{"expiry differs", tr, kor.issuer, []foreigners.Resident{otherExpiry}, false, []string{proofing.CheckForeignersRegistry}, "passport_expiry"},
		{"birth date differs", tr, kor.issuer, []foreigners.Resident{otherBirth}, false, []string{proofing.CheckForeignersRegistry}, "birth_date"},
		{"not in the registry", tr, kor.issuer, nil, false, []string{proofing.CheckForeignersRegistry}, "no foreigners' registry record"},
		{"no portrait sent", tr, kor.issuer, []foreigners.Resident{resident(tr)}, true, []string{proofing.CheckPassportData}, "cardreader enrol sends it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPassportEnv(t, kor, tc.registry...)
			ctx := t.Context()
			a, err := e.foreigner(t, tc.holder)
			require.NoError(t, err)
			chip := e.readPassport(t, makePassport(t, tc.holder, tc.issuer), tc.holder)
			if tc.noDG2 {
				delete(chip.DataGroups, 2)
			}
			r, err := e.Proofing.SubmitRead(ctx, officer, chip)
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			require.Equal(t, tc.failed, r.Failed(), "%+v", r.Checks)
			var details string
			for _, c := range r.Checks {
				details += c.Detail + "\n"
			}
			require.Contains(t, details, tc.detail)
			if tc.name == "untrusted CSCA" {
				require.Nil(t, r.Portrait, "a portrait the issuer did not sign is not shown")
			}
			_, probe := fingerprint(t, 5)
			_, _, err = e.Proofing.EnrolLevel2(ctx, officer, r.ID, proofing.Capture{Portrait: jpeg, PortraitFormat: "image/jpeg",
				Fingerprint: probe, FingerPosition: 2, Consent: true, PortraitCompared: true})
			require.ErrorIs(t, err, proofing.ErrChecksFailed)
			got, err := e.Service.Get(ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, assurance.None, got.Level)
			recs, err := e.Biometrics.Records(ctx, a.ID)
			require.NoError(t, err)
			require.Empty(t, recs)
			require.Contains(t, e.auditReasons(t), "chip_read:failure")
		})
	}

	t.Run("no account", func(t *testing.T) {
		e := newPassportEnv(t, kor, resident(tr))
		ctx := t.Context()
		r, err := e.Proofing.SubmitRead(ctx, officer, e.readPassport(t, makePassport(t, tr, kor.issuer), tr))
		require.NoError(t, err)
		_, probe := fingerprint(t, 5)
		_, _, err = e.Proofing.EnrolLevel2(ctx, officer, r.ID, proofing.Capture{Portrait: jpeg, PortraitFormat: "image/jpeg",
			Fingerprint: probe, FingerPosition: 2, Consent: true, PortraitCompared: true})
		require.ErrorIs(t, err, proofing.ErrNoAccount)
		require.Contains(t, e.auditReasons(t), "enrol_level2:failure")

		// The read is abandoned: its chip portrait goes once it is too old
		// to enrol on.
		n, err := e.Proofing.PurgePortraits(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		e.Clock.Advance(31 * time.Minute)
		n, err = e.Proofing.PurgePortraits(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		stored, err := e.Store.Read(ctx, r.ID)
		require.NoError(t, err)
		require.Nil(t, stored.Portrait)
	})

	t.Run("a passport in the app", func(t *testing.T) {
		e := newPassportEnv(t, kor, resident(tr))
		ctx := t.Context()
		_, err := e.foreigner(t, tr)
		require.NoError(t, err)
		ch, err := e.Proofing.IssueAppChallenge(ctx, foreignID)
		require.NoError(t, err)
		rd, err := (&cardreader.Reader{}).ReadChip(ctx, makePassport(t, tr, kor.issuer), cardreader.Request{Key: tr.Key(), Challenge: ch.Value})
		require.NoError(t, err)
		_, err = e.Proofing.Submit(ctx, proofing.AppSubmission{PersonalID: foreignID, Chip: &rd.Chip, Portrait: jpeg, PortraitFormat: "image/jpeg"})
		require.ErrorIs(t, err, proofing.ErrInvalid)
	})

	t.Run("an ID card's DG2 is still refused", func(t *testing.T) {
		k := newPKI(t, at)
		e := newEnv(t, verifier{k.trust})
		p := emulator.Synthetic()
		chip := e.read(t, makeCard(t, p, cardSpec{issuer: k.issuer}), p)
		chip.DataGroups[2] = []byte{0x75, 0}
		_, err := e.Proofing.SubmitRead(t.Context(), officer, chip)
		require.ErrorIs(t, err, proofing.ErrInvalid)
	})
}
