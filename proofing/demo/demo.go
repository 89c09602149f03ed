// Package demo makes the identity documents of the demo citizens, so that
// identity proofing can be tried end to end on one machine (`dinhdanh
// dev`): a demo Vietnamese document PKI (a CSCA and a document signer,
// kept in a folder, the CSCA being the gateway's trust list), and for each
// demo citizen who can enrol a chip card folder (the chip's files signed
// by the demo document signer and its Active Authentication key, which
// `cardreader virtual` serves through pcscd), a portrait and a fingerprint
// probe to upload at the counter, and the matching fingerprint reference,
// as the card production database would hold it.
//
// Everything here is synthetic and deterministic where it can be: the
// card's data agrees with the population registry's record (so the
// registry check passes), the fingerprints are made from the personal ID
// number, the portrait is a drawn silhouette. It must never be used
// outside dev mode: its CSCA is not a state's, and its keys are on disk.
package demo

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing"
)

// Folders and files under the data folder.
const (
	PKIFolder   = "demo-pki"
	CardsFolder = "demo-cards"
	// PortraitFile and ProbeFile are in each card folder: what the officer
	// uploads at the counter as the portrait taken and the fingerprint
	// captured.
	PortraitFile = "portrait.jpg"
	ProbeFile    = "finger-2.fmr"
	// FingerPosition is the finger of the probe and the reference: the
	// right index (ISO/IEC 19794-2 position 2).
	FingerPosition = 2
	// ReferenceSource names the demo data as the references' source.
	ReferenceSource = "demo"
)

// Holders are the demo citizens who get a card, when the registry has
// them: level 1 (Trần Thị Bình, active), level 1 not activated (Lê Văn
// Cường), locked (Phạm Thị Dung, to try unlocking at the counter), and the
// registration example (Võ Thanh Hoàng, level 0 once registered).
var Holders = []string{population.DemoLevel1ID, population.DemoPendingID, population.DemoLockedID, population.DemoRegistrationID}

// PKI returns the demo issuer kept under dataDir/demo-pki, making and
// saving it on first use (created is then true). Its CSCA certificate is
// the file CSCAPath names.
func PKI(dataDir string, now time.Time) (is *emulator.Issuer, created bool, err error) {
	dir := filepath.Join(dataDir, PKIFolder)
	is, err = emulator.LoadIssuer(dir, nil, emulator.WithTime(now))
	if err == nil {
		return is, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("demo: %s: %w (delete the folder to make a new demo PKI)", dir, err)
	}
	if is, err = emulator.NewIssuer("VN", nil, emulator.WithTime(now)); err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	if err := is.Save(dir); err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	return is, true, nil
}

// CSCAPath is the demo CSCA certificate (PEM) under dataDir: the trust
// list (proofing.trust) of a dev gateway.
func CSCAPath(dataDir string) string { return filepath.Join(dataDir, PKIFolder, emulator.CSCAFile) }

// CardPath is the card folder of a demo citizen under dataDir.
func CardPath(dataDir, personalID string) string {
	return filepath.Join(dataDir, CardsFolder, personalID)
}

// References is where the fingerprint templates enrolled when each card
// was made are kept (proofing/postgres.Store).
type References interface {
	FingerprintReference(ctx context.Context, personalID string, position int) ([]byte, error)
	PutFingerprintReference(ctx context.Context, personalID string, position int, template []byte, source string, t time.Time) error
}

// Cards writes the card folder of each of Holders found in records under
// dataDir/demo-cards (rewriting them all when renew, e.g. for a new PKI;
// otherwise keeping a complete folder whose card has not expired), and
// loads each holder's fingerprint reference into refs unless it is there
// already. It returns the folders, by personal ID number.
func Cards(ctx context.Context, dataDir string, is *emulator.Issuer, records []population.Record, refs References, renew bool, now time.Time) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range records {
		if !isHolder(r.PersonalID) {
			continue
		}
		p, err := Person(r, now)
		if err != nil {
			return nil, err
		}
		dir := CardPath(dataDir, p.PersonalID)
		if renew || !complete(dir, now) {
			if err := WriteCard(dir, is, p); err != nil {
				return nil, err
			}
		}
		want, err := Reference(p.PersonalID)
		if err != nil {
			return nil, err
		}
		have, err := refs.FingerprintReference(ctx, p.PersonalID, FingerPosition)
		switch {
		case err == nil && bytes.Equal(have, want):
		case err == nil || errors.Is(err, proofing.ErrNotFound):
			if err := refs.PutFingerprintReference(ctx, p.PersonalID, FingerPosition, want, ReferenceSource, now); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
		default:
			return nil, fmt.Errorf("demo: %w", err)
		}
		out[p.PersonalID] = dir
	}
	return out, nil
}

func isHolder(id string) bool {
	for _, h := range Holders {
		if h == id {
			return true
		}
	}
	return false
}

// complete reports whether dir holds a card that loads, has an SOD and
// has not expired, with its portrait and probe.
func complete(dir string, now time.Time) bool {
	o, err := emulator.LoadCard(dir)
	if err != nil || o.Files[cardreader.FIDSOD] == nil {
		return false
	}
	mrz, err := cardreader.ParseDG1(o.Files[cardreader.FIDDG1])
	if err != nil || !mrz.Expiry().After(now) {
		return false
	}
	for _, f := range []string{PortraitFile, ProbeFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// Person is the card holder of a registry record: name, birth date,
// gender, issue date and old ID number as the registry has them (so that
// the counter's registry check passes), the rest made up, and an expiry
// in the future: the next of the 25th, 40th and 60th birthdays (the
// CCCD's) after both now and two years past the issue date, or ten years
// from now past 60.
func Person(r population.Record, now time.Time) (emulator.Person, error) {
	birth, err := time.Parse(time.DateOnly, r.BirthDate)
	if err != nil {
		return emulator.Person{}, fmt.Errorf("demo: %s: birth date: %w", r.PersonalID, err)
	}
	issue := now.UTC().AddDate(-1, 0, 0).Truncate(24 * time.Hour)
	if r.IssueDate != "" {
		if issue, err = time.Parse(time.DateOnly, r.IssueDate); err != nil {
			return emulator.Person{}, fmt.Errorf("demo: %s: issue date: %w", r.PersonalID, err)
		}
	}
	var gender attributes.Gender
	switch strings.ToLower(r.Gender) {
	case "male", "nam":
		gender = attributes.Male
	case "female", "nữ":
		gender = attributes.Female
	default:
		return emulator.Person{}, fmt.Errorf("demo: %s: gender %q", r.PersonalID, r.Gender)
	}
	if len(r.PersonalID) != 12 {
		return emulator.Person{}, fmt.Errorf("demo: %q is not a personal ID number", r.PersonalID)
	}
	expiry := now.UTC().AddDate(10, 0, 0).Truncate(24 * time.Hour)
	for _, age := range []int{25, 40, 60} {
		m := birth.AddDate(age, 0, 0)
		if m.After(issue.AddDate(2, 0, 0)) && m.After(now) {
			expiry = m
			break
		}
	}
	words := strings.Fields(r.FullName)
	if len(words) < 2 {
		return emulator.Person{}, fmt.Errorf("demo: %s: a name of one word", r.PersonalID)
	}
	res := r.Residence
	place := strings.Join(nonEmpty(res.Ward, res.District, res.Province), ", ")
	return emulator.Person{
		PersonalID:       r.PersonalID,
		FullName:         r.FullName,
		MRZName:          mrzFold(words[0]) + "<<" + strings.Join(mrzFoldAll(words[1:]), "<"),
		BirthDate:        birth,
		Gender:           gender,
		Ethnicity:        "Kinh",
		Religion:         "Không",
		PlaceOfOrigin:    place,
		Residence:        strings.Join(nonEmpty(res.Street, res.Ward, res.District, res.Province), ", "),
		IdentifyingMarks: "Nốt ruồi C:1cm dưới sau đuôi mắt trái",
		IssueDate:        issue,
		ExpiryDate:       expiry,
		FatherName:       words[0] + " Văn Phụ",
		MotherName:       "Nguyễn Thị Mẫu",
		OldID:            r.OldID,
	}, nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// mrzFold writes a name word as the MRZ does: no diacritics, Đ as D, upper
// case, letters only.
func mrzFold(s string) string {
	s = strings.NewReplacer("đ", "d", "Đ", "D").Replace(s)
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		out = s
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, strings.ToUpper(out))
}

func mrzFoldAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = mrzFold(w)
	}
	return out
}

// WriteCard writes p's card folder: the chip's files (DG1, DG2 with the
// portrait, DG3 a placeholder behind EAC, DG13, DG15, EF.SOD signed by
// is's document signer) and its Active Authentication key (a new P-256
// key, aa-key.pem, 0600), then portrait.jpg and finger-2.fmr.
func WriteCard(dir string, is *emulator.Issuer, p emulator.Person) error {
	portrait, err := Portrait(p.PersonalID)
	if err != nil {
		return err
	}
	probe, err := Probe(p.PersonalID)
	if err != nil {
		return err
	}
	o := emulator.CCCDOptions(p)
	o.Files[cardreader.FIDDG2] = emulator.EncodeDG2(portrait)
	aa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	o.AAKey = aa
	if o.Files[cardreader.FIDDG15], err = emulator.EncodeDG15(aa.Public()); err != nil {
		return err
	}
	dgs := map[int][]byte{}
	for fid, b := range o.Files {
		dgs[int(fid-0x0100)] = b
	}
	if o.Files[cardreader.FIDSOD], err = is.SignSOD(dgs); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := emulator.SaveCard(dir, o); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, PortraitFile), portrait, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ProbeFile), probe, 0o644)
}

// seed derives a deterministic random source from a personal ID number.
func seed(personalID, what string) *mrand.Rand {
	h := sha256.Sum256([]byte(what + ":" + personalID))
	return mrand.New(mrand.NewPCG(binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:16])))
}

// Fingerprint image size of the demo templates, in pixels (500 dpi).
const fingerWidth, fingerHeight = 400, 500

// minutiae are the demo citizen's finger as the probe sees it.
func minutiae(personalID string) []proofing.Minutia {
	r := seed(personalID, "finger")
	out := make([]proofing.Minutia, 36)
	for i := range out {
		out[i] = proofing.Minutia{Type: 1 + r.IntN(2), X: 60 + r.IntN(fingerWidth-120), Y: 60 + r.IntN(fingerHeight-120),
			Angle: float64(r.IntN(256)) * 1.40625, Quality: 60 + r.IntN(40)}
	}
	return out
}

func encode(ms []proofing.Minutia) ([]byte, error) {
	return proofing.EncodeFMR(proofing.FMR{Width: fingerWidth, Height: fingerHeight, ResX: 197, ResY: 197,
		Views: []proofing.FingerView{{Position: FingerPosition, Quality: 80, Minutiae: ms}}})
}

// Probe is the fingerprint template (ISO/IEC 19794-2) the counter's
// capture device would send for the demo citizen's right index finger.
func Probe(personalID string) ([]byte, error) { return encode(minutiae(personalID)) }

// Reference is the template enrolled when the demo citizen's card was
// made: the same finger placed differently (rotated a few degrees,
// shifted, each minutia jittered by a pixel or two), with a few minutiae
// missed and a few spurious ones, so that it matches the probe without
// being equal to it.
func Reference(personalID string) ([]byte, error) {
	r := seed(personalID, "reference")
	theta := (float64(r.IntN(17)) - 8) * math.Pi / 180
	dx, dy := float64(r.IntN(31)-15), float64(r.IntN(31)-15)
	cx, cy := float64(fingerWidth)/2, float64(fingerHeight)/2
	sin, cos := math.Sincos(theta)
	var out []proofing.Minutia
	for i, m := range minutiae(personalID) {
		if i%12 == 5 { // missed by the enrolment scanner
			continue
		}
		x, y := float64(m.X)-cx, float64(m.Y)-cy
		nx := cx + x*cos - y*sin + dx + float64(r.IntN(5)-2)
		ny := cy + x*sin + y*cos + dy + float64(r.IntN(5)-2)
		out = append(out, proofing.Minutia{Type: m.Type, X: clamp(nx, fingerWidth), Y: clamp(ny, fingerHeight),
			Angle: m.Angle + theta*180/math.Pi, Quality: m.Quality})
	}
	for range 3 { // spurious
		out = append(out, proofing.Minutia{Type: 1, X: 30 + r.IntN(fingerWidth-60), Y: 30 + r.IntN(fingerHeight-60),
			Angle: float64(r.IntN(256)) * 1.40625, Quality: 40})
	}
	return encode(out)
}

func clamp(v float64, n int) int { return max(0, min(n-1, int(math.Round(v)))) }

// Portrait draws the demo citizen's portrait: a silhouette on a plain
// background (JPEG, 120×160), its colours from the personal ID number. It
// is no one's face.
func Portrait(personalID string) ([]byte, error) {
	r := seed(personalID, "portrait")
	const w, h = 120, 160
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(200 + r.IntN(50)), uint8(210 + r.IntN(40)), 245, 255}
	skin := color.RGBA{uint8(200 + r.IntN(40)), uint8(160 + r.IntN(40)), uint8(120 + r.IntN(40)), 255}
	hair := color.RGBA{uint8(20 + r.IntN(40)), uint8(15 + r.IntN(30)), uint8(10 + r.IntN(20)), 255}
	shirt := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	in := func(x, y, cx, cy, rx, ry float64) bool {
		return (x-cx)*(x-cx)/(rx*rx)+(y-cy)*(y-cy)/(ry*ry) <= 1
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			c := bg
			switch {
			case in(fx, fy, 60, 62, 30, 38) && fy < 50:
				c = hair
			case in(fx, fy, 60, 66, 27, 35):
				c = skin
			case fy > 112 && in(fx, fy, 60, 175, 58, 68):
				c = shirt
			case fy > 96 && fy <= 112 && math.Abs(fx-60) < 10:
				c = skin
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
