package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/cardreader/vpcd"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/internal/pcscdtest"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// The counter end to end: a virtual chip ID card (PACE on
// brainpoolP256r1, a TD1 MRZ, DG13, a face in DG2, an active
// authentication key in DG15, EF.SOD signed by a CSCA made here) goes into
// a real pcscd through vsmartcard's vpcd driver; `cardreader read --trust`
// verifies it locally and `cardreader enrol` sends it to a real gateway on
// a real database, where an officer's API credential turns it into level
// 2. Every way a card can be wrong fails at the reader with its own error
// and at the gateway with its own failed check, and enrols nothing.

// officerID and officerUnit are the officer at the counter.
const (
	officerID   = "officer-e2e"
	officerUnit = "01.001.00001"
)

// fingerPosition is the finger captured (2: right index).
const fingerPosition = 2

// counterGateway is a gateway on its own database trusting the CSCA in
// the PEM file trust, with the citizen p in the population registry and a
// level 1 account, p's right index finger enrolled, and an officer's API
// credential.
type counterGateway struct {
	*gateway.Gateway
	URL     string
	Token   string
	Account accounts.Account
}

func newCounterGateway(t *testing.T, trust string, p emulator.Person, fingerprint []byte) *counterGateway {
	t.Helper()
	ctx := t.Context()
	db := pgtest.New(t)
	cfg := config.Default()
	cfg.DevMode = true
	cfg.Proofing.Trust = trust
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.AuditKey, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	log, err := audit.NewLog(auditpg.NewStore(db.App, nil), key, audit.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	g, err := gateway.New(ctx, gateway.Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: log})
	require.NoError(t, err)
	t.Cleanup(g.Close)
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(srv.Close)

	require.NoError(t, g.Registry.Write(ctx, []attributes.Person{{
		PersonalID: p.PersonalID, OldID: p.OldID, FullName: p.FullName, BirthDate: p.BirthDate, Gender: p.Gender,
		Nationality: "VN", IssueDate: p.IssueDate,
	}}, nil))
	ev := accounts.ImportedEvidence(assurance.Level1, "e2e test import")
	a, err := g.Accounts.Create(ctx, accounts.NewAccount{PersonalID: p.PersonalID, Level: assurance.Level1, Status: accounts.Active,
		Phone: "+84901" + p.PersonalID[6:], Evidence: &ev}, accounts.Actor{Kind: audit.System, ID: "e2e"})
	require.NoError(t, err)
	require.EqualValues(t, 1, a.Level)
	require.NoError(t, g.ProofingStore.PutFingerprintReference(ctx, p.PersonalID, fingerPosition, fingerprint, "card production database (test)", time.Now()))
	token, _, err := g.Staff.Issue(ctx, officerID, officerUnit, "operator-e2e")
	require.NoError(t, err)
	return &counterGateway{Gateway: g, URL: srv.URL, Token: token, Account: a}
}

// post sends a JSON body to the gateway with the officer's credential.
func (g *counterGateway) post(t *testing.T, path string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, g.URL+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

// level2 is what the enrolment posts besides the read: the counter's
// portrait, the captured finger and the citizen's consent.
func level2(readID string, portrait, fingerprint []byte) map[string]any {
	return map[string]any{"read_id": readID, "portrait": portrait, "portrait_format": "image/jpeg",
		"fingerprint": fingerprint, "finger_position": fingerPosition, "consent": true}
}

// faceJPEG is a small real JPEG, the face DG2 carries.
func faceJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 32))
	for x := range 24 {
		for y := range 32 {
			img.Set(x, y, color.RGBA{R: uint8(8 * x), G: uint8(6 * y), B: 128, A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

// template is a finger minutiae record (ISO/IEC 19794-2) of one finger.
func template(t *testing.T) []byte {
	t.Helper()
	v := proofing.FingerView{Position: fingerPosition, Quality: 80}
	for i := range 24 {
		v.Minutiae = append(v.Minutiae, proofing.Minutia{Type: 1 + i%2, X: 40 + (i*37)%300, Y: 50 + (i*53)%400,
			Angle: float64((i * 47) % 360), Quality: 70})
	}
	b, err := proofing.EncodeFMR(proofing.FMR{Width: 400, Height: 500, ResX: 197, ResY: 197, Views: []proofing.FingerView{v}})
	require.NoError(t, err)
	return b
}

// issuedCard is a card as the state issued it: its files, EF.SOD signed
// over DG1, DG2, DG13 and DG15, and the chip's own AA key.
type issuedCard struct {
	person emulator.Person
	files  map[uint16][]byte
	aaKey  crypto.Signer
}

func issueCard(t *testing.T, is *emulator.Issuer, p emulator.Person, face []byte) issuedCard {
	t.Helper()
	aa, err := emulator.GenerateBrainpoolKey(rand.Reader)
	require.NoError(t, err)
	o := emulator.CCCDOptions(p)
	o.Files[cardreader.FIDDG2] = dg2(face)
	dg15, err := emulator.EncodeDG15(aa.Public())
	require.NoError(t, err)
	o.Files[cardreader.FIDDG15] = dg15
	sod, err := is.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
		13: o.Files[cardreader.FIDDG13], 15: dg15})
	require.NoError(t, err)
	o.Files[cardreader.FIDSOD] = sod
	return issuedCard{person: p, files: o.Files, aaKey: aa}
}

// chip builds a fresh software chip of c (each insertion gets its own, so
// a pulled one stays pulled).
func (c issuedCard) chip(t *testing.T) *emulator.Card {
	t.Helper()
	o := emulator.CCCDOptions(c.person)
	for fid, b := range c.files {
		o.Files[fid] = b
	}
	o.AAKey = c.aaKey
	card, err := emulator.NewCard(o)
	require.NoError(t, err)
	return card
}

// withFile returns a copy of c with one file replaced.
func (c issuedCard) withFile(fid uint16, b []byte) issuedCard {
	files := map[uint16][]byte{}
	for k, v := range c.files {
		files[k] = v
	}
	files[fid] = b
	c.files = files
	return c
}

// gatewayCheck is one check of the gateway's read.
type gatewayCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// gatewayAnswer is the counter API's read, or its refusal around the read.
type gatewayAnswer struct {
	ID             string         `json:"id"`
	PersonalID     string         `json:"personal_id"`
	DocumentNumber string         `json:"document_number"`
	Signer         string         `json:"signer"`
	CSCA           string         `json:"csca"`
	Checks         []gatewayCheck `json:"checks"`
	OK             bool           `json:"ok"`
	Error          string         `json:"error"`
	Read           *gatewayAnswer `json:"read"`
}

func checksByName[C any](cs []C, name func(C) string) map[string]C {
	out := map[string]C{}
	for _, c := range cs {
		out[name(c)] = c
	}
	return out
}

func TestCounterEndToEnd(t *testing.T) {
	ctx := t.Context()
	d := pcscdtest.Start(t)

	p := emulator.Synthetic()
	// The card is valid for a while yet, whatever the day the test runs.
	p.ExpiryDate = time.Date(time.Now().Year()+5, p.BirthDate.Month(), p.BirthDate.Day(), 0, 0, 0, 0, time.UTC)
	state, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	stranger, err := emulator.NewIssuer("VN", nil) // a look-alike CSCA nobody trusts
	require.NoError(t, err)
	trust := filepath.Join(t.TempDir(), "csca.pem")
	require.NoError(t, os.WriteFile(trust, state.CSCAPEM(), 0o600))

	face := faceJPEG(t)
	finger := template(t)
	g := newCounterGateway(t, trust, p, finger)
	genuine := issueCard(t, state, p, face)
	can := p.PersonalID[6:]

	// Forgeries, each from the genuine card.
	tampered := p
	tampered.Residence = "Số 99 Phố Khác, Quận Ba Đình, Hà Nội" // not compared with DG1 or the registry
	unknownSOD, err := stranger.SignSOD(map[int][]byte{1: genuine.files[cardreader.FIDDG1], 2: genuine.files[cardreader.FIDDG2],
		13: genuine.files[cardreader.FIDDG13], 15: genuine.files[cardreader.FIDDG15]})
	require.NoError(t, err)
	clonerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	clonerDG15, err := emulator.EncodeDG15(clonerKey.Public())
	require.NoError(t, err)
	cloneCopiedDG15 := genuine // every file copied; the copier's chip holds its own key
	cloneCopiedDG15.aaKey = clonerKey
	cloneOwnDG15 := genuine.withFile(cardreader.FIDDG15, clonerDG15)
	cloneOwnDG15.aaKey = clonerKey

	insert := func(t *testing.T, card *emulator.Card) (remove func()) {
		t.Helper()
		icc, err := vpcd.Insert(ctx, d.Addr(), card, vpcd.Options{})
		require.NoError(t, err)
		d.WaitCard(t, pcscdtest.ReaderName, true, 30*time.Second)
		return func() {
			_ = icc.Close()
			d.WaitCard(t, pcscdtest.ReaderName, false, 30*time.Second)
		}
	}
	evidence := func(t *testing.T) []accounts.Evidence {
		t.Helper()
		ev, err := g.Accounts.Evidence(ctx, g.Account.ID)
		require.NoError(t, err)
		return ev
	}
	reads := func(t *testing.T) int {
		t.Helper()
		rs, err := g.ProofingStore.Reads(ctx, officerID, time.Now().Add(-time.Hour))
		require.NoError(t, err)
		return len(rs)
	}

	for _, tc := range []struct {
		name string
		card issuedCard
		// pull, when set, pulls the card after that many APDUs.
		pull int
		can  string
		// readErr is the error of `cardreader read --trust` (and of enrol
		// when the reader cannot finish the read); readMsg a part of it.
		readErr error
		readMsg string
		// failedCheck is the check the reader (when it finished the read)
		// and the gateway name as failed; "" when they never get to it.
		failedCheck, gatewayMsg string
	}{
		{name: "wrong access key", card: genuine, can: "999999", readErr: cardreader.ErrAccessDenied},
		{name: "tampered data group (DG13 changed after signing)", card: genuine.withFile(cardreader.FIDDG13, emulator.EncodeDG13(tampered.DG13Fields())),
			readErr: cardreader.ErrDataGroupHash, readMsg: "failed passive authentication", failedCheck: "passive_authentication", gatewayMsg: "dg13"},
		{name: "SOD from an unknown signer", card: genuine.withFile(cardreader.FIDSOD, unknownSOD),
			readErr: cardreader.ErrUnknownSigner, readMsg: "failed passive authentication", failedCheck: "passive_authentication", gatewayMsg: "not trusted"},
		{name: "cloned chip, DG15 copied, another key", card: cloneCopiedDG15,
			readErr: cardreader.ErrClone, readMsg: "failed active authentication", failedCheck: "active_authentication", gatewayMsg: "possible clone"},
		{name: "cloned chip with its own DG15", card: cloneOwnDG15,
			readErr: cardreader.ErrDataGroupHash, readMsg: "dg15", failedCheck: "passive_authentication", gatewayMsg: "dg15"},
		// PACE takes about a dozen APDUs; the 20th is among the data groups.
		{name: "card pulled mid-read", card: genuine, pull: 20, readErr: cardreader.ErrCardRemoved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.can == "" {
				tc.can = can
			}
			before, readsBefore := evidence(t), reads(t)

			// At the reader: the command fails with the precise error.
			card := tc.card.chip(t)
			if tc.pull > 0 {
				card.PullAfter(tc.pull)
			}
			remove := insert(t, card)
			var out bytes.Buffer
			err := run(ctx, []string{"read", "--socket", d.Socket, "--can", tc.can, "--trust", trust}, &out, io.Discard)
			remove()
			if tc.pull > 0 {
				require.Positive(t, card.Selections(cardreader.FIDDG1), "pulled after PACE, among the data groups")
			}
			require.ErrorIs(t, err, tc.readErr)
			require.Contains(t, err.Error(), tc.readMsg)
			require.Equal(t, 1, exitCode(err))
			if tc.failedCheck == "" {
				require.Empty(t, out.String(), "nothing read, nothing printed")
			} else {
				var got readOutput
				require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
				checks := checksByName(got.Checks, func(c check) string { return c.Name })
				require.Contains(t, checks, tc.failedCheck)
				require.False(t, checks[tc.failedCheck].Passed)
				require.Contains(t, checks[tc.failedCheck].Detail, tc.gatewayMsg)
				require.Nil(t, got.Face)
			}

			// At the gateway.
			card = tc.card.chip(t)
			if tc.pull > 0 {
				card.PullAfter(tc.pull)
			}
			remove = insert(t, card)
			out.Reset()
			err = run(ctx, []string{"enrol", "--gateway", g.URL, "--token", g.Token, "--socket", d.Socket, "--can", tc.can}, &out, io.Discard)
			remove()
			require.Error(t, err)
			require.Equal(t, 1, exitCode(err))
			if tc.failedCheck == "" {
				// The reader never finished: nothing reached the gateway
				// but the spent challenge.
				require.ErrorIs(t, err, tc.readErr)
				require.Empty(t, out.String())
				require.Equal(t, readsBefore, reads(t))
			} else {
				require.ErrorIs(t, err, errGateway)
				require.Contains(t, err.Error(), "HTTP 422")
				require.Contains(t, err.Error(), tc.failedCheck+": ")
				var answer gatewayAnswer
				require.NoError(t, json.Unmarshal(out.Bytes(), &answer), out.String())
				require.Equal(t, "verification_failed", answer.Error)
				require.NotNil(t, answer.Read)
				require.False(t, answer.Read.OK)
				checks := checksByName(answer.Read.Checks, func(c gatewayCheck) string { return c.Name })
				require.False(t, checks[tc.failedCheck].OK, "%+v", answer.Read.Checks)
				require.Contains(t, checks[tc.failedCheck].Detail, tc.gatewayMsg)
				var failed []string
				for _, c := range answer.Read.Checks {
					if !c.OK {
						failed = append(failed, c.Name)
					}
				}
				want := []string{tc.failedCheck}
				if tc.failedCheck == "passive_authentication" {
					want = append(want, "active_authentication") // not attempted
				}
				require.Equal(t, want, failed)
				require.Equal(t, p.PersonalID, answer.Read.PersonalID)
				require.Equal(t, readsBefore+1, reads(t), "the refused read is kept, for the officer and the audit")

				// The officer cannot enrol on it anyway.
				code, body := g.post(t, "/counter/api/v1/enrolments", level2(answer.Read.ID, face, finger))
				require.Equal(t, http.StatusUnprocessableEntity, code, "%v", body)
				require.Equal(t, "verification_failed", body["error"])
				require.Contains(t, body["error_description"], tc.failedCheck)
			}

			// Nothing enrolled.
			a, err := g.Accounts.Get(ctx, g.Account.ID)
			require.NoError(t, err)
			require.EqualValues(t, 1, a.Level)
			require.Equal(t, before, evidence(t))
		})
	}

	t.Run("genuine card", func(t *testing.T) {
		// `cardreader read --trust`: every check passed, the face goes to
		// its file only.
		facePath := filepath.Join(t.TempDir(), "face.jpg")
		remove := insert(t, genuine.chip(t))
		var out bytes.Buffer
		err := run(ctx, []string{"read", "--socket", d.Socket, "--can", can, "--trust", trust, "--face", facePath}, &out, io.Discard)
		remove()
		require.NoError(t, err)
		var got readOutput
		require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
		require.Equal(t, "PACE", got.AccessControl)
		require.Equal(t, p.PersonalID, got.Identity.PersonalID)
		require.Equal(t, p.PersonalID[3:], got.Identity.DocumentNumber)
		require.Equal(t, p.FullName, got.Identity.FullName)
		var names []string
		for _, c := range got.Checks {
			require.True(t, c.Passed, "%+v", c)
			names = append(names, c.Name)
		}
		require.Equal(t, []string{"access_control", "mrz", "personal_id", "dg13_matches_dg1", "passive_authentication", "active_authentication"}, names)
		require.Empty(t, got.NotChecked)
		require.NotNil(t, got.Verification)
		require.True(t, got.Verification.PassiveAuth)
		require.True(t, got.Verification.ActiveAuth)
		require.Equal(t, []int{1, 2, 13, 15}, got.Verification.DataGroups, "the face read is checked too")
		require.Contains(t, got.Verification.Signer, "CN=Test Document Signer VN")
		require.Contains(t, got.Verification.CSCA, "CN=Test CSCA VN")
		img, err := os.ReadFile(facePath)
		require.NoError(t, err)
		require.Equal(t, face, img)
		require.Equal(t, &faceFile{File: facePath, Format: "jpeg", Bytes: len(face)}, got.Face)
		require.NotContains(t, out.String(), base64.StdEncoding.EncodeToString(face[:30]))

		// `cardreader enrol`: the gateway verifies the chip itself.
		remove = insert(t, genuine.chip(t))
		out.Reset()
		err = run(ctx, []string{"enrol", "--gateway", g.URL, "--token", g.Token, "--socket", d.Socket, "--can", can}, &out, io.Discard)
		remove()
		require.NoError(t, err)
		var read gatewayAnswer
		require.NoError(t, json.Unmarshal(out.Bytes(), &read), out.String())
		require.True(t, read.OK, "%+v", read.Checks)
		checks := checksByName(read.Checks, func(c gatewayCheck) string { return c.Name })
		for _, name := range []string{"passive_authentication", "active_authentication", "card_data_consistent", "registry_match", "document_valid"} {
			require.True(t, checks[name].OK, "%s: %+v", name, checks[name])
		}
		require.Equal(t, p.PersonalID, read.PersonalID)
		require.Equal(t, p.PersonalID[3:], read.DocumentNumber)
		require.Contains(t, read.Signer, "CN=Test Document Signer VN")
		require.NotContains(t, out.String(), base64.StdEncoding.EncodeToString(face[:30]), "the face never leaves the counter's reader")

		// The counter: portrait, finger, consent: level 2.
		code, body := g.post(t, "/counter/api/v1/enrolments", level2(read.ID, img, finger))
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.EqualValues(t, 2, body["level"])
		a, err := g.Accounts.Get(ctx, g.Account.ID)
		require.NoError(t, err)
		require.EqualValues(t, 2, a.Level)
		evs := evidence(t)
		var ev *accounts.Evidence
		for i := range evs {
			if evs[i].ID == body["evidence_id"] {
				ev = &evs[i]
			}
		}
		require.NotNil(t, ev, "the level points to its evidence")
		require.Equal(t, accounts.EvidenceCounter, ev.Method)
		require.EqualValues(t, 2, ev.Level)
		require.Equal(t, officerID, ev.OfficerID)
		require.Equal(t, officerUnit, ev.Unit)
		require.Equal(t, p.PersonalID[3:], ev.DocumentNumber)
		require.Equal(t, "VNM", ev.IssuingState)
		require.Equal(t, read.Signer, ev.Signer)
		require.Empty(t, ev.Failed())
		evChecks := checksByName(ev.Checks, func(c accounts.Check) string { return c.Name })
		for _, name := range []string{"passive_authentication", "active_authentication", "registry_match", "portrait_captured", "fingerprint_match", "consent"} {
			require.True(t, evChecks[name].OK, name)
		}

		// The read is spent.
		code, body = g.post(t, "/counter/api/v1/enrolments", level2(read.ID, img, finger))
		require.Equal(t, http.StatusConflict, code, "%v", body)
		require.Equal(t, "stale", body["error"])
	})
}
