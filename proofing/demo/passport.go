package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/foreigners"
	"github.com/dinhdanh/dinhdanh/population"
)

// The demo foreigners' passports: a test issuing state's document PKI per
// country (a CSCA next to the Vietnamese demo one, in demo-pki-<country>)
// and a passport chip folder for each demo foreigner with an account, so
// that a foreigner's level 2 can be tried at the counter.

// TrustFile is the demo trust list under the data folder: the Vietnamese
// demo CSCA and each foreign demo CSCA, in one PEM bundle, rewritten on
// every start.
const TrustFile = "demo-trust.pem"

// ForeignHolders are the demo foreigners who get a passport chip: Kim
// Min-jun (KOR), level 1.
var ForeignHolders = []string{population.DemoForeignerID}

// TrustPath is the demo trust list (proofing.trust of a dev gateway).
func TrustPath(dataDir string) string { return filepath.Join(dataDir, TrustFile) }

// ForeignPKI returns the demo issuer of country (ICAO alpha-3) kept under
// dataDir/demo-pki-<country>, making it on first use (created is then
// true).
func ForeignPKI(dataDir, country string, now time.Time) (is *emulator.Issuer, created bool, err error) {
	dir := filepath.Join(dataDir, PKIFolder+"-"+strings.ToLower(country))
	is, err = emulator.LoadIssuer(dir, nil, emulator.WithTime(now))
	if err == nil {
		return is, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("demo: %s: %w (delete the folder to make a new demo PKI)", dir, err)
	}
	if is, err = emulator.NewIssuer(country, nil, emulator.WithTime(now)); err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	if err := is.Save(dir); err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	return is, true, nil
}

// WriteTrust writes the CSCAs of issuers to TrustPath(dataDir).
func WriteTrust(dataDir string, issuers ...*emulator.Issuer) error {
	var b []byte
	for _, is := range issuers {
		b = append(b, is.CSCAPEM()...)
	}
	return os.WriteFile(TrustPath(dataDir), b, 0o644)
}

// Traveller is the passport holder of a foreigners' registry record: the
// passport as the registry has it (so that the counter's registry check
// passes).
func Traveller(r foreigners.Resident) emulator.Traveller {
	name := strings.ReplaceAll(r.PrimaryName, " ", "<")
	if r.SecondaryName != "" {
		name += "<<" + strings.ReplaceAll(r.SecondaryName, " ", "<")
	}
	return emulator.Traveller{PassportNo: r.PassportNo, IssuingState: r.IssuingCountry, Nationality: r.Nationality, MRZName: name,
		BirthDate: r.BirthDate, Sex: r.Sex, ExpiryDate: r.PassportExpiry}
}

// Residents finds the demo foreigners with a passport chip.
type Residents interface {
	ByID(ctx context.Context, id string) (foreigners.Resident, error)
}

// Passports writes the passport folder of each of ForeignHolders under
// dataDir/demo-cards (rewriting them when renew, e.g. for a new PKI),
// signed by the issuer of its issuing state in issuers (by ICAO code).
// There is no fingerprint reference: a foreigner's is enrolled at the
// counter. It returns the folders, by assigned number.
func Passports(ctx context.Context, dataDir string, issuers map[string]*emulator.Issuer, residents Residents, renew bool, now time.Time) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ForeignHolders {
		r, err := residents.ByID(ctx, id)
		if errors.Is(err, foreigners.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		is := issuers[r.IssuingCountry]
		if is == nil {
			continue
		}
		dir := CardPath(dataDir, id)
		if renew || !complete(dir, now) {
			if err := WritePassport(dir, is, id, Traveller(r)); err != nil {
				return nil, err
			}
		}
		out[id] = dir
	}
	return out, nil
}

// WritePassport writes tr's passport folder: the chip's files (DG1 with the
// TD3 MRZ, DG2 with the portrait, DG15, EF.SOD signed by is's document
// signer), its Active Authentication key (aa-key.pem, 0600), PACE with the
// MRZ, then portrait.jpg and finger-2.fmr (made from id, the assigned
// number).
func WritePassport(dir string, is *emulator.Issuer, id string, tr emulator.Traveller) error {
	portrait, err := Portrait(id)
	if err != nil {
		return err
	}
	probe, err := Probe(id)
	if err != nil {
		return err
	}
	o := emulator.PassportOptions(tr, portrait)
	aa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	o.AAKey = aa
	if o.Files[cardreader.FIDDG15], err = emulator.EncodeDG15(aa.Public()); err != nil {
		return err
	}
	if o.Files[cardreader.FIDSOD], err = is.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2],
		15: o.Files[cardreader.FIDDG15]}); err != nil {
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
