package emulator

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// An Issuer and a card can be kept in a folder, so that a demo (dinhdanh
// dev, cardreader virtual) signs and serves the same synthetic cards
// across restarts. Private keys are written with mode 0600; they are
// synthetic test keys, never a state's.

// Files of an issuer folder.
const (
	issuerMeta = "issuer.json"
	// CSCAFile is the CSCA certificate (PEM) in an issuer folder: the trust
	// list a verifier loads.
	CSCAFile = "csca.pem"
)

var issuerFiles = []struct{ cert, key string }{{CSCAFile, "csca.key"}, {"ds.pem", "ds.key"}, {"ml.pem", "ml.key"}}

// Save writes is to dir (created 0700 when missing): issuer.json, the
// CSCA, document signer and master list signer certificates (csca.pem,
// ds.pem, ml.pem) and their private keys (*.key, mode 0600).
func (is *Issuer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	meta, err := json.Marshal(struct {
		Country   string    `json:"country"`
		Algorithm Algorithm `json:"algorithm"`
	}{is.Country, is.Algorithm})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, issuerMeta), meta, 0o644); err != nil {
		return err
	}
	certs := [][]byte{is.CSCACert, is.DSCert, is.MLSignerCert}
	keys := []crypto.Signer{is.cscaKey, is.dsKey, is.mlKey}
	for i, f := range issuerFiles {
		if err := os.WriteFile(filepath.Join(dir, f.cert), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[i]}), 0o644); err != nil {
			return err
		}
		if err := WriteKey(filepath.Join(dir, f.key), keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// LoadIssuer reads an issuer Save wrote. rnd and WithTime play the parts
// they play in NewIssuer (the time stamps SODs and CRLs signed from now
// on); WithAlgorithm is ignored: the folder says it.
func LoadIssuer(dir string, rnd io.Reader, opts ...IssuerOption) (*Issuer, error) {
	o := issuerOptions{now: time.Now()}
	for _, f := range opts {
		f(&o)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	b, err := os.ReadFile(filepath.Join(dir, issuerMeta))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Country   string    `json:"country"`
		Algorithm Algorithm `json:"algorithm"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("emulator: %s: %w", issuerMeta, err)
	}
	is := &Issuer{Country: meta.Country, Algorithm: meta.Algorithm, rnd: rnd, now: o.now.UTC().Truncate(time.Second)}
	if _, err := is.signatureAlgorithm(); err != nil {
		return nil, err
	}
	certs := []*[]byte{&is.CSCACert, &is.DSCert, &is.MLSignerCert}
	keys := []*crypto.Signer{&is.cscaKey, &is.dsKey, &is.mlKey}
	tbs := make([]tbsCertificate, len(issuerFiles))
	for i, f := range issuerFiles {
		if *certs[i], err = readCertificate(filepath.Join(dir, f.cert)); err != nil {
			return nil, err
		}
		if tbs[i], err = parseTBS(*certs[i]); err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", f.cert, err)
		}
		if *keys[i], err = ReadKey(filepath.Join(dir, f.key)); err != nil {
			return nil, err
		}
		spki, err := MarshalPublicKey((*keys[i]).Public())
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(spki, tbs[i].PublicKey.FullBytes) {
			return nil, fmt.Errorf("emulator: %s does not hold the key of %s", f.key, f.cert)
		}
	}
	is.cscaName = tbs[0].Subject.FullBytes
	for _, e := range tbs[0].Extensions {
		if e.Id.Equal(oidExtSKID) {
			if _, err := asn1.Unmarshal(e.Value, &is.cscaSKID); err != nil {
				return nil, fmt.Errorf("emulator: %s: subject key identifier: %w", CSCAFile, err)
			}
		}
	}
	is.DSSerial, is.DSNotBefore, is.DSNotAfter = tbs[1].Serial, tbs[1].Validity.NotBefore, tbs[1].Validity.NotAfter
	return is, nil
}

func parseTBS(der []byte) (tbsCertificate, error) {
	var s signed
	if _, err := asn1.Unmarshal(der, &s); err != nil {
		return tbsCertificate{}, err
	}
	var t tbsCertificate
	if _, err := asn1.Unmarshal(s.TBS.FullBytes, &t); err != nil {
		return tbsCertificate{}, err
	}
	if t.Serial == nil {
		t.Serial = new(big.Int)
	}
	return t, nil
}

func readCertificate(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("emulator: %s: no PEM certificate", path)
	}
	return blk.Bytes, nil
}

// pemBrainpoolKey is the PEM type of a brainpoolP256r1 private key, which
// PKCS #8 in crypto/x509 cannot hold: the block holds the scalar.
const pemBrainpoolKey = "BRAINPOOLP256R1 PRIVATE KEY"

// WriteKey writes a private key as PEM with mode 0600: PKCS #8 for RSA and
// ECDSA, the bare scalar for a BrainpoolKey.
func WriteKey(path string, key crypto.Signer) error {
	var blk *pem.Block
	if bp, ok := key.(*BrainpoolKey); ok {
		blk = &pem.Block{Type: pemBrainpoolKey, Bytes: bp.D.FillBytes(make([]byte, 32))}
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		blk = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // an older file kept its mode
		_ = f.Close()
		return err
	}
	if err := pem.Encode(f, blk); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// ReadKey reads a private key WriteKey wrote.
func ReadKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	switch {
	case blk == nil:
		return nil, fmt.Errorf("emulator: %s: no PEM block", path)
	case blk.Type == pemBrainpoolKey:
		c := cardreader.BrainpoolP256r1
		d := new(big.Int).SetBytes(blk.Bytes)
		if d.Sign() == 0 || d.Cmp(c.N) >= 0 {
			return nil, fmt.Errorf("emulator: %s: bad brainpoolP256r1 key", path)
		}
		return &BrainpoolKey{D: d, Pub: BrainpoolPublicKey{Point: c.ScalarBaseMult(d.Bytes())}}, nil
	case blk.Type == "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", path, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("emulator: %s: not a signing key", path)
		}
		return s, nil
	}
	return nil, fmt.Errorf("emulator: %s: PEM type %q", path, blk.Type)
}

// Files of a card folder (SaveCard, LoadCard): each chip file under its
// ICAO name, the Active Authentication key apart.
var cardFiles = []struct {
	fid  uint16
	name string
}{
	{cardreader.FIDCOM, "EF.COM"}, {cardreader.FIDSOD, "EF.SOD"},
	{cardreader.FIDDG1, "DG1"}, {cardreader.FIDDG2, "DG2"}, {cardreader.FIDDG3, "DG3"},
	{cardreader.FIDDG13, "DG13"}, {cardreader.FIDDG14, "DG14"}, {cardreader.FIDDG15, "DG15"},
}

// AAKeyFile is the Active Authentication private key in a card folder.
const AAKeyFile = "aa-key.pem"

// SaveCard writes o's files (EF.SOD, DG1, DG2, DG13, DG15, … as
// <name>.bin) and its Active Authentication key (aa-key.pem, 0600) to dir,
// created 0700 when missing. Files of other identifiers are refused.
func SaveCard(dir string, o Options) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	left := len(o.Files)
	for _, f := range cardFiles {
		b, ok := o.Files[f.fid]
		if !ok {
			continue
		}
		left--
		if err := os.WriteFile(filepath.Join(dir, f.name+".bin"), b, 0o644); err != nil {
			return err
		}
	}
	if left != 0 {
		return errors.New("emulator: the card has a file a card folder cannot name")
	}
	if o.AAKey != nil {
		return WriteKey(filepath.Join(dir, AAKeyFile), o.AAKey)
	}
	return nil
}

// LoadCard reads a card folder SaveCard wrote as the options of a CCCD:
// the MRZ key from DG1, PACE on brainpoolP256r1 with the CAN = the last 6 digits of the ID in DG1, the
// Active Authentication key when aa-key.pem is there, and DG3, if any,
// behind EAC. A passport's folder (DG1 holding a TD3 MRZ) loads as a
// passport: PACE with the MRZ only, no CAN.
func LoadCard(dir string) (Options, error) {
	o := Options{Files: map[uint16][]byte{}, PACE: true, Curve: CurveBrainpoolP256r1}
	for _, f := range cardFiles {
		b, err := os.ReadFile(filepath.Join(dir, f.name+".bin"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return Options{}, err
		}
		o.Files[f.fid] = b
	}
	dg1, ok := o.Files[cardreader.FIDDG1]
	if !ok {
		return Options{}, fmt.Errorf("emulator: %s holds no DG1.bin", dir)
	}
	mrz, err := cardreader.ParseDG1(dg1)
	if err != nil {
		return Options{}, fmt.Errorf("emulator: %s: %w", dir, err)
	}
	switch {
	case mrz.Passport():
		o.Key = mrz.Key()
	case len(mrz.PersonalID) != 12:
		return Options{}, fmt.Errorf("emulator: %s: DG1 carries no 12-digit ID number", dir)
	default:
		o.Key, o.CAN = mrz.Key(), mrz.PersonalID[6:]
	}
	if _, ok := o.Files[cardreader.FIDDG3]; ok {
		o.Protected = []uint16{cardreader.FIDDG3}
	}
	switch k, err := ReadKey(filepath.Join(dir, AAKeyFile)); {
	case err == nil:
		o.AAKey = k
	case !errors.Is(err, os.ErrNotExist):
		return Options{}, err
	}
	return o, nil
}
