package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/cardreader/pcsc"
	"github.com/dinhdanh/dinhdanh/cardreader/vpcd"
	"github.com/dinhdanh/dinhdanh/internal/pcscdtest"
)

// fakeJPEG is not a picture: the bytes of a JPEG start marker, then a
// sentinel that must never appear in any JSON.
var fakeJPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("PORTRAIT-SENTINEL-not-a-real-face")...)

// dg2 wraps img as ICAO DG2 around an ISO/IEC 19794-5 facial record.
func dg2(img []byte) []byte {
	face := binary.BigEndian.AppendUint32(nil, uint32(20+12+len(img)))
	face = append(face, make([]byte, 16)...) // no feature points, unspecified fields
	face = append(face, make([]byte, 12)...) // image information
	face = append(face, img...)
	rec := []byte("FAC\x00010\x00")
	rec = binary.BigEndian.AppendUint32(rec, uint32(14+len(face)))
	rec = binary.BigEndian.AppendUint16(rec, 1)
	rec = append(rec, face...)
	return cardreader.TLV(0x75, cardreader.TLV(0x7F61, cardreader.TLV(0x02, []byte{1}),
		cardreader.TLV(0x7F60, cardreader.TLV(0xA1, cardreader.TLV(0x80, []byte{1, 1})), cardreader.TLV(0x5F2E, rec))))
}

// counter starts a daemon with a synthetic card in its first slot.
func counter(t *testing.T) (*pcscdtest.Daemon, emulator.Person, *emulator.Card) {
	t.Helper()
	d := pcscdtest.Start(t)
	p := emulator.Synthetic()
	card := emulator.NewCCCD(p)
	card.SetFile(cardreader.FIDDG2, dg2(fakeJPEG))
	icc, err := vpcd.Insert(t.Context(), d.Addr(), card, vpcd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = icc.Close() })
	d.WaitCard(t, pcscdtest.ReaderName, true, 30*time.Second)
	return d, p, card
}

func mrzKey(p emulator.Person) string {
	k := p.Key()
	return k.DocumentNumber + "," + k.BirthDate + "," + k.ExpiryDate
}

func TestRead(t *testing.T) {
	t.Parallel()
	d, p, card := counter(t)
	face := filepath.Join(t.TempDir(), "face.jpg")

	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"read", "--socket", d.Socket, "--mrz-key", mrzKey(p)}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	var got readOutput
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Equal(t, pcscdtest.ReaderName, got.Reader)
	require.Equal(t, "BAC", got.AccessControl)
	require.Equal(t, p.PersonalID, got.Identity.PersonalID)
	require.Equal(t, p.FullName, got.Identity.FullName)
	require.Equal(t, "1990-05-17", got.Identity.BirthDate)
	require.Equal(t, "2030-05-17", got.Card.ExpiryDate)
	var names []string
	for _, c := range got.Checks {
		require.True(t, c.Passed)
		names = append(names, c.Name)
	}
	require.Equal(t, []string{"access_control", "mrz", "personal_id", "dg13_matches_dg1"}, names)
	require.Len(t, got.NotChecked, 2, "passive authentication and clone detection are not claimed")
	require.Nil(t, got.Face)
	require.Zero(t, card.Selections(cardreader.FIDDG2), "no portrait read without --face")

	// --face: the image goes to the file, never into the JSON.
	out.Reset()
	err = run(t.Context(), []string{"read", "--socket", d.Socket, "--reader", "Virtual PCD 00 00",
		"--mrz-key", p.PersonalID + "," + p.Key().BirthDate + "," + p.Key().ExpiryDate, "--face", face}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	img, err := os.ReadFile(face)
	require.NoError(t, err)
	require.Equal(t, fakeJPEG, img)
	require.NotContains(t, out.String(), "PORTRAIT-SENTINEL")
	require.NotContains(t, out.String(), base64.StdEncoding.EncodeToString(fakeJPEG[:12]))
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Equal(t, &faceFile{File: face, Format: "jpeg", Bytes: len(fakeJPEG)}, got.Face)
	require.Zero(t, card.Selections(cardreader.FIDDG3), "fingerprints are never asked for")

	for _, tc := range []struct {
		name string
		args []string
		err  error
		msg  string
		code int
	}{
		{"wrong access key", []string{"--mrz-key", p.Key().DocumentNumber + ",900517,310517"}, cardreader.ErrAccessDenied, "", 1},
		{"no card in the reader", []string{"--reader", "Virtual PCD 00 01", "--mrz-key", mrzKey(p)}, pcsc.ErrNoCard, "", 1},
		{"no such reader", []string{"--reader", "Omnikey", "--mrz-key", mrzKey(p)}, pcsc.ErrNoReader, "", 1},
		{"CAN on a card without PACE", []string{"--can", p.PersonalID[6:]}, nil, "", 1},
		{"empty trust folder", []string{"--mrz-key", mrzKey(p), "--trust", t.TempDir()}, cardreader.ErrTrust, "--trust", 1},
		{"no key", nil, errUsage, "", 2},
		{"both keys", []string{"--can", "012345", "--mrz-key", mrzKey(p)}, errUsage, "", 2},
		{"malformed key", []string{"--mrz-key", "1,2"}, errUsage, "", 2},
		{"bad date in key", []string{"--mrz-key", p.Key().DocumentNumber + ",901317,310517"}, errUsage, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"read", "--socket", d.Socket}, tc.args...)
			err := run(t.Context(), args, &out, &bytes.Buffer{})
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
			require.Contains(t, err.Error(), tc.msg)
			require.Equal(t, tc.code, exitCode(err))
			require.Empty(t, out.String())
		})
	}
}

// TestWaitForCard: the command starts before the card is put down.
func TestWaitForCard(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	p := emulator.Synthetic()
	// Without --wait, an empty reader is an immediate error.
	err := run(t.Context(), []string{"read", "--socket", d.Socket, "--mrz-key", mrzKey(p)}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorIs(t, err, pcsc.ErrNoCard)

	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(t.Context(), []string{"read", "--socket", d.Socket, "--wait", "20s", "--mrz-key", mrzKey(p)}, &out, &bytes.Buffer{})
	}()
	// The officer puts the card down a moment later (the test passes without
	// the pause too; it only makes the command poll at least once).
	time.Sleep(300 * time.Millisecond)
	icc, err := vpcd.Insert(t.Context(), d.Addr(), emulator.NewCCCD(p), vpcd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = icc.Close() })
	require.NoError(t, <-done)
	require.Contains(t, out.String(), p.PersonalID)
}

func TestNoService(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"read", "--socket", filepath.Join(t.TempDir(), "pcscd.comm"), "--mrz-key", mrzKey(emulator.Synthetic())}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorIs(t, err, pcsc.ErrNoService)
	require.Equal(t, 1, exitCode(err))
}

// stubGateway plays the counter API: a challenge, then a read.
type stubGateway struct {
	mu        sync.Mutex
	challenge []byte
	chip      *cardreader.ChipData
	rawBody   []byte
	auth      []string
	status    int // of the reads call; 0: 201
}

func (g *stubGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.auth = append(g.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer ddo_test" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"unauthorized","error_description":"unknown officer credential"}`))
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/counter/api/v1/challenges":
		_ = json.NewEncoder(w).Encode(map[string]any{"challenge": g.challenge})
	case r.Method == http.MethodPost && r.URL.Path == "/counter/api/v1/reads":
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		g.rawBody = body.Bytes()
		var in struct {
			Chip *cardreader.ChipData `json:"chip"`
		}
		if err := json.Unmarshal(g.rawBody, &in); err != nil || in.Chip == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		g.chip = in.Chip
		if g.status != 0 {
			w.WriteHeader(g.status)
			_, _ = w.Write([]byte(`{"error":"chip_refused","error_description":"passive authentication failed: unknown signer"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"read_id":"r-1","personal_id":"` + in.Chip.AccessControl + `"}`))
	default:
		http.NotFound(w, r)
	}
}

func TestEnrol(t *testing.T) {
	t.Parallel()
	d, p, card := counter(t)
	sod := cardreader.TLV(0x77, []byte("opaque here: nothing in this build verifies it"))
	card.SetFile(cardreader.FIDSOD, sod)
	g := &stubGateway{challenge: []byte{1, 2, 3, 4, 5, 6, 7, 8}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)

	args := []string{"enrol", "--gateway", srv.URL + "/", "--token", "ddo_test", "--socket", d.Socket, "--mrz-key", mrzKey(p)}
	var out, errOut bytes.Buffer
	require.NoError(t, run(t.Context(), args, &out, &errOut), errOut.String())
	var answer map[string]string
	require.NoError(t, json.Unmarshal(out.Bytes(), &answer))
	require.Equal(t, "r-1", answer["read_id"])

	g.mu.Lock()
	chip, raw := g.chip, string(g.rawBody)
	require.Equal(t, []string{"Bearer ddo_test", "Bearer ddo_test"}, g.auth)
	g.mu.Unlock()
	require.Equal(t, "BAC", chip.AccessControl)
	require.Equal(t, sod, chip.SOD, "EF.SOD travels byte for byte")
	require.Equal(t, emulator.EncodeDG1(p.TD1()), chip.DataGroups[1])
	require.Equal(t, emulator.EncodeDG13(p.DG13Fields()), chip.DataGroups[13])
	require.NotContains(t, chip.DataGroups, 2)
	require.NotContains(t, chip.DataGroups, 3)
	require.NotContains(t, raw, `"2"`)
	require.NotContains(t, raw, base64.StdEncoding.EncodeToString(fakeJPEG))
	require.Empty(t, chip.ActiveAuthSignature, "no answer to the challenge is invented")
	require.Zero(t, card.Selections(cardreader.FIDDG2))

	// The gateway refuses: exit code 1 with its message.
	g.mu.Lock()
	g.status = http.StatusUnprocessableEntity
	g.mu.Unlock()
	out.Reset()
	err := run(t.Context(), args, &out, &errOut)
	require.ErrorIs(t, err, errGateway)
	require.Contains(t, err.Error(), "HTTP 422")
	require.Contains(t, err.Error(), "passive authentication failed: unknown signer")
	require.Equal(t, 1, exitCode(err))
	require.Empty(t, out.String())

	// A wrong credential is refused before the card is read.
	before := card.Selections(cardreader.FIDDG1)
	bad := append([]string(nil), args...)
	bad[4] = "ddo_wrong"
	err = run(t.Context(), bad, &out, &errOut)
	require.ErrorIs(t, err, errGateway)
	require.Contains(t, err.Error(), "unknown officer credential")
	require.Equal(t, before, card.Selections(cardreader.FIDDG1))

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no gateway", []string{"enrol", "--token", "ddo_test", "--mrz-key", mrzKey(p)}},
		{"not a URL", []string{"enrol", "--gateway", "ftp://x", "--token", "ddo_test", "--mrz-key", mrzKey(p)}},
		{"no token", []string{"enrol", "--gateway", srv.URL, "--mrz-key", mrzKey(p)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "no token" && os.Getenv("CARDREADER_TOKEN") != "" {
				t.Skip("CARDREADER_TOKEN is set in this environment")
			}
			err := run(t.Context(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
			require.ErrorIs(t, err, errUsage)
			require.Equal(t, 2, exitCode(err))
		})
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"-h"}, &out, &bytes.Buffer{}))
	require.Contains(t, out.String(), "cardreader read")
	err := run(t.Context(), nil, &bytes.Buffer{}, &bytes.Buffer{})
	require.Equal(t, 2, exitCode(err))
	err = run(t.Context(), []string{"frobnicate"}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Equal(t, 2, exitCode(err))
	require.Equal(t, 0, exitCode(nil))
	require.Equal(t, 1, exitCode(errors.New("x")))
}

// TestReadPassport: a passport (TD3 MRZ, PACE with the MRZ) read through
// pcscd, then passive authentication under its state's CSCA, and refused
// under a trust list without it.
func TestReadPassport(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	tr := emulator.SyntheticTraveller()
	kor, err := emulator.NewIssuer("KOR", nil)
	require.NoError(t, err)
	o := emulator.PassportOptions(tr, fakeJPEG)
	o.Files[cardreader.FIDSOD], err = kor.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2]})
	require.NoError(t, err)
	card, err := emulator.NewCard(o)
	require.NoError(t, err)
	icc, err := vpcd.Insert(t.Context(), d.Addr(), card, vpcd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = icc.Close() })
	d.WaitCard(t, pcscdtest.ReaderName, true, 30*time.Second)

	dir := t.TempDir()
	trusted, untrusted := filepath.Join(dir, "kor.pem"), filepath.Join(dir, "vn.pem")
	require.NoError(t, os.WriteFile(trusted, kor.CSCAPEM(), 0o600))
	vn, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(untrusted, vn.CSCAPEM(), 0o600))
	k := tr.Key()
	key := k.DocumentNumber + "," + k.BirthDate + "," + k.ExpiryDate

	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"read", "--socket", d.Socket, "--mrz-key", key, "--trust", trusted}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	var got readOutput
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Equal(t, "PACE", got.AccessControl)
	require.Equal(t, identity{Document: "passport", IssuingState: "KOR", DocumentNumber: "M12345678", FullName: "KIM MIN JUN",
		MRZName: "KIM MIN JUN", BirthDate: "1988-03-09", Gender: "male", Nationality: "KOR"}, got.Identity)
	require.Equal(t, "2033-03-08", got.Card.ExpiryDate)
	require.NotNil(t, got.Verification)
	require.True(t, got.Verification.PassiveAuth)
	require.Contains(t, got.Verification.CSCA, "Test CSCA KOR")

	out.Reset()
	err = run(t.Context(), []string{"read", "--socket", d.Socket, "--mrz-key", key, "--trust", untrusted}, &out, &errOut)
	require.ErrorIs(t, err, cardreader.ErrUnknownSigner)
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.False(t, got.Verification.PassiveAuth)
}
