package cardreader_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// paNow is the verifier's clock; the test PKI is issued a month earlier.
var paNow = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

var issuers sync.Map // name → func() (*emulator.Issuer, error)

// testIssuer returns a shared issuer (RSA keys are slow to make).
func testIssuer(t testing.TB, name string, alg emulator.Algorithm) *emulator.Issuer {
	t.Helper()
	f, _ := issuers.LoadOrStore(name, sync.OnceValues(func() (*emulator.Issuer, error) {
		return emulator.NewIssuer("VN", nil, emulator.WithAlgorithm(alg), emulator.WithTime(paNow.AddDate(0, -1, 0)))
	}))
	is, err := f.(func() (*emulator.Issuer, error))()
	require.NoError(t, err)
	return is
}

var aaKeys sync.Map

func testAAKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	f, _ := aaKeys.LoadOrStore(kind, sync.OnceValues(func() (crypto.Signer, error) {
		switch kind {
		case "rsa":
			return rsa.GenerateKey(rand.Reader, 1024)
		case "brainpool":
			return emulator.GenerateBrainpoolKey(nil)
		case "p384":
			return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case "p521":
			return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		default:
			return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
	}))
	k, err := f.(func() (crypto.Signer, error))()
	require.NoError(t, err)
	return k
}

func trustOf(t *testing.T, is *emulator.Issuer) *cardreader.TrustStore {
	t.Helper()
	ts, err := cardreader.ParseCertificatesPEM(is.CSCAPEM())
	require.NoError(t, err)
	return ts
}

// chipFor returns the data groups of the synthetic holder, with DG15 for
// aaKey when not nil.
func chipFor(t testing.TB, aaKey crypto.Signer) map[int][]byte {
	t.Helper()
	p := emulator.Synthetic()
	dgs := map[int][]byte{
		1:  emulator.EncodeDG1(p.TD1()),
		13: emulator.EncodeDG13(p.DG13Fields()),
	}
	if aaKey != nil {
		dg15, err := emulator.EncodeDG15(aaKey.Public())
		require.NoError(t, err)
		dgs[15] = dg15
	}
	return dgs
}

// signedChip signs dgs with is and answers a fresh challenge with aaKey.
func signedChip(t *testing.T, is *emulator.Issuer, dgs map[int][]byte, aaKey crypto.Signer, aaHash crypto.Hash) cardreader.ChipData {
	t.Helper()
	sod, err := is.SignSOD(dgs)
	require.NoError(t, err)
	chip := cardreader.ChipData{AccessControl: "PACE", SOD: sod, DataGroups: maps.Clone(dgs)}
	if aaKey != nil {
		chip.Challenge = []byte{1, 2, 3, 4, 5, 6, 7, 8}
		chip.ActiveAuthSignature, err = emulator.SignActiveAuth(aaKey, aaHash, chip.Challenge, nil)
		require.NoError(t, err)
	}
	return chip
}

func TestVerify(t *testing.T) {
	t.Parallel()
	p256 := testIssuer(t, "p256", emulator.ECDSAP256)
	other := testIssuer(t, "other", emulator.ECDSAP256)

	type tc struct {
		name    string
		chip    func(t *testing.T) cardreader.ChipData
		trust   func(t *testing.T) *cardreader.TrustStore
		now     time.Time
		wantErr error
		wantAA  bool
		wantDGs []int
	}
	good := func(is *emulator.Issuer, aa string, h crypto.Hash) func(t *testing.T) cardreader.ChipData {
		return func(t *testing.T) cardreader.ChipData {
			var k crypto.Signer
			if aa != "" {
				k = testAAKey(t, aa)
			}
			return signedChip(t, is, chipFor(t, k), k, h)
		}
	}
	cases := []tc{
		{name: "good chip without DG15", chip: good(p256, "", 0), wantDGs: []int{1, 13}},
		{name: "good chip, AA on P-256", chip: good(p256, "p256", 0), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "good chip, AA on P-384", chip: good(p256, "p384", 0), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "good chip, AA on P-521", chip: good(p256, "p521", 0), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "good chip, AA on brainpoolP256r1", chip: good(p256, "brainpool", 0), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "good chip, AA RSA ISO 9796-2 SHA-1", chip: good(p256, "rsa", 0), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "good chip, AA RSA ISO 9796-2 SHA-256", chip: good(p256, "rsa", crypto.SHA256), wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "AA hash named by DG14", chip: func(t *testing.T) cardreader.ChipData {
			k := testAAKey(t, "p256")
			dgs := chipFor(t, k)
			info, err := asn1.Marshal(struct {
				Protocol asn1.ObjectIdentifier
				Version  int
				Alg      asn1.ObjectIdentifier
			}{asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}, 1, asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 4}}) // ecdsa-plain-SHA384
			require.NoError(t, err)
			dgs[14] = cardreader.TLV(0x6E, cardreader.TLV(0x31, info))
			return signedChip(t, p256, dgs, k, crypto.SHA384)
		}, wantAA: true, wantDGs: []int{1, 13, 14, 15}},
		{name: "AA hash other than DG14 names (clone)", chip: func(t *testing.T) cardreader.ChipData {
			k := testAAKey(t, "p256")
			return signedChip(t, p256, chipFor(t, k), k, crypto.SHA384) // key size says SHA-256
		}, wantErr: cardreader.ErrClone},
		{name: "brainpoolP256r1 signer", chip: good(testIssuer(t, "bp", emulator.ECDSABrainpoolP256r1), "p256", 0),
			trust: func(t *testing.T) *cardreader.TrustStore {
				return trustOf(t, testIssuer(t, "bp", emulator.ECDSABrainpoolP256r1))
			}, wantAA: true, wantDGs: []int{1, 13, 15}},
		{name: "RSA PKCS#1 v1.5 signer", chip: good(testIssuer(t, "rsa", emulator.RSAPKCS1), "", 0),
			trust:   func(t *testing.T) *cardreader.TrustStore { return trustOf(t, testIssuer(t, "rsa", emulator.RSAPKCS1)) },
			wantDGs: []int{1, 13}},
		{name: "RSA-PSS signer", chip: good(testIssuer(t, "pss", emulator.RSAPSS), "", 0),
			trust:   func(t *testing.T) *cardreader.TrustStore { return trustOf(t, testIssuer(t, "pss", emulator.RSAPSS)) },
			wantDGs: []int{1, 13}},
		{name: "trust from a master list", chip: good(p256, "", 0),
			trust: func(t *testing.T) *cardreader.TrustStore {
				ml, err := p256.MasterList()
				require.NoError(t, err)
				ts, err := cardreader.ParseMasterList(ml)
				require.NoError(t, err)
				return ts
			}, wantDGs: []int{1, 13}},
		{name: "tampered DG13", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			dg13 := bytes.Clone(c.DataGroups[13])
			dg13[len(dg13)-1] ^= 1
			c.DataGroups[13] = dg13
			return c
		}, wantErr: cardreader.ErrDataGroupHash},
		{name: "DG missing from the SOD", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			c.DataGroups[14] = cardreader.TLV(0x6E, []byte{0x31, 0x00})
			return c
		}, wantErr: cardreader.ErrDataGroupHash},
		{name: "DG1 not read", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			delete(c.DataGroups, 1)
			return c
		}, wantErr: cardreader.ErrDataGroup},
		{name: "unknown signer", chip: good(p256, "", 0),
			trust:   func(t *testing.T) *cardreader.TrustStore { return trustOf(t, other) },
			wantErr: cardreader.ErrUnknownSigner},
		{name: "empty trust store", chip: good(p256, "", 0),
			trust:   func(t *testing.T) *cardreader.TrustStore { return &cardreader.TrustStore{} },
			wantErr: cardreader.ErrUnknownSigner},
		{name: "expired document signer", chip: good(p256, "", 0),
			now: p256.DSNotAfter.Add(24 * time.Hour), wantErr: cardreader.ErrSignerExpired},
		{name: "document signer not yet valid", chip: good(p256, "", 0),
			now: p256.DSNotBefore.Add(-time.Hour), wantErr: cardreader.ErrSignerExpired},
		{name: "revoked document signer", chip: good(p256, "", 0),
			trust: func(t *testing.T) *cardreader.TrustStore {
				ts := trustOf(t, p256)
				crl, err := p256.CRL(p256.DocumentSigner())
				require.NoError(t, err)
				require.NoError(t, ts.AddCRL(crl))
				return ts
			}, wantErr: cardreader.ErrRevoked},
		{name: "CRL revoking another certificate", chip: good(p256, "", 0),
			trust: func(t *testing.T) *cardreader.TrustStore {
				ts := trustOf(t, p256)
				crl, err := p256.CRL(other.DocumentSigner())
				require.NoError(t, err)
				require.NoError(t, ts.AddCRL(crl))
				return ts
			}, wantDGs: []int{1, 13}},
		{name: "bad AA signature (clone)", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "p256", 0)(t)
			c.Challenge = []byte{8, 7, 6, 5, 4, 3, 2, 1}
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "bad RSA AA signature (clone)", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "rsa", 0)(t)
			c.Challenge = []byte{8, 7, 6, 5, 4, 3, 2, 1}
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "AA by another key (clone)", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "p256", 0)(t)
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			c.ActiveAuthSignature, err = emulator.SignActiveAuth(k, 0, c.Challenge, nil)
			require.NoError(t, err)
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "no AA answer with DG15", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "p256", 0)(t)
			c.Challenge, c.ActiveAuthSignature = nil, nil
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "DG15 left out", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "p256", 0)(t)
			delete(c.DataGroups, 15)
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "DG15 sent empty", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "p256", 0)(t)
			c.DataGroups[15] = []byte{}
			return c
		}, wantErr: cardreader.ErrClone},
		{name: "SOD signature altered", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			sod, err := cardreader.ParseSOD(c.SOD)
			require.NoError(t, err)
			i := bytes.Index(c.SOD, sod.Signature)
			require.Positive(t, i)
			c.SOD = bytes.Clone(c.SOD)
			c.SOD[i+len(sod.Signature)-1] ^= 1
			return c
		}, wantErr: cardreader.ErrSOD},
		{name: "SOD of another chip", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			dgs := chipFor(t, nil)
			dgs[13] = append(bytes.Clone(dgs[13]), 0)
			c.SOD = signedChip(t, p256, dgs, nil, 0).SOD
			return c
		}, wantErr: cardreader.ErrDataGroupHash},
		{name: "no SOD", chip: func(t *testing.T) cardreader.ChipData {
			c := good(p256, "", 0)(t)
			c.SOD = nil
			return c
		}, wantErr: cardreader.ErrSOD},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			trust := trustOf(t, p256)
			if c.trust != nil {
				trust = c.trust(t)
			}
			now := paNow
			if !c.now.IsZero() {
				now = c.now
			}
			v, err := cardreader.Verify(c.chip(t), trust, now)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				// Only a clone fails after passive authentication passed.
				require.Equal(t, errors.Is(c.wantErr, cardreader.ErrClone), v.PassiveAuth)
				return
			}
			require.NoError(t, err)
			require.True(t, v.PassiveAuth)
			require.Equal(t, c.wantAA, v.ActiveAuth)
			require.Equal(t, c.wantDGs, v.DataGroups)
			require.Contains(t, v.Signer, "CN=Test Document Signer VN")
			require.Contains(t, v.CSCA, "CN=Test CSCA VN")
			require.Contains(t, v.Signer, "serial ")
		})
	}
}

func TestParseSOD(t *testing.T) {
	t.Parallel()
	is := testIssuer(t, "p256", emulator.ECDSAP256)
	dgs := chipFor(t, testAAKey(t, "p256"))
	sod, err := is.SignSOD(dgs)
	require.NoError(t, err)
	s, err := cardreader.ParseSOD(sod)
	require.NoError(t, err)
	require.Equal(t, crypto.SHA256, s.HashAlgorithm)
	require.Equal(t, crypto.SHA256, s.DigestAlgorithm)
	require.Len(t, s.DataGroupHashes, 3)
	for n, b := range dgs {
		h := crypto.SHA256.New()
		h.Write(b)
		require.Equal(t, h.Sum(nil), s.DataGroupHashes[n], "dg%d", n)
	}
	require.Equal(t, is.DSCert, s.Signer)
	require.Len(t, s.Certificates, 1)
	require.Equal(t, byte(0x31), s.SignedAttributes[0])
	require.NotEmpty(t, s.Signature)

	for name, b := range map[string][]byte{
		"empty":          nil,
		"wrong tag":      append([]byte{0x78}, sod[1:]...),
		"truncated":      sod[:len(sod)-1],
		"trailing bytes": append(bytes.Clone(sod), 0),
		"not cms":        cardreader.TLV(0x77, []byte{0x30, 0x00}),
	} {
		_, err := cardreader.ParseSOD(b)
		require.ErrorIs(t, err, cardreader.ErrSOD, name)
	}
}

func TestTrustStore(t *testing.T) {
	t.Parallel()
	is := testIssuer(t, "p256", emulator.ECDSAP256)
	other := testIssuer(t, "other", emulator.ECDSAP256)
	bp := testIssuer(t, "bp", emulator.ECDSABrainpoolP256r1)
	chip := signedChip(t, is, chipFor(t, nil), nil, 0)

	t.Run("master list", func(t *testing.T) {
		ml, err := bp.MasterList()
		require.NoError(t, err)
		ts, err := cardreader.ParseMasterList(ml)
		require.NoError(t, err)
		require.Len(t, ts.CSCAs(), 1)

		bad := bytes.Clone(ml)
		bad[len(bad)-3] ^= 1 // inside the signature
		_, err = cardreader.ParseMasterList(bad)
		require.ErrorIs(t, err, cardreader.ErrTrust)

		sod, err := is.SignSOD(chipFor(t, nil))
		require.NoError(t, err)
		_, err = cardreader.ParseMasterList(sod[2:]) // a SOD is no master list
		require.ErrorIs(t, err, cardreader.ErrTrust)
	})

	t.Run("PEM rejects a non-CA certificate", func(t *testing.T) {
		_, err := cardreader.ParseCertificatesPEM([]byte("nothing"))
		require.ErrorIs(t, err, cardreader.ErrTrust)
		ts := &cardreader.TrustStore{}
		require.ErrorIs(t, ts.AddCertificate(is.DSCert), cardreader.ErrTrust)
		require.NoError(t, ts.AddCertificate(is.CSCACert))
		require.NoError(t, ts.AddCertificate(is.CSCACert))
		require.Len(t, ts.CSCAs(), 1)
	})

	t.Run("CRL from an untrusted CSCA", func(t *testing.T) {
		ts := trustOf(t, is)
		crl, err := other.CRL(is.DocumentSigner())
		require.NoError(t, err)
		require.ErrorIs(t, ts.AddCRL(crl), cardreader.ErrTrust)
		require.ErrorIs(t, ts.AddCRL([]byte{0x30, 0}), cardreader.ErrTrust)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.NoError(t, err)
	})

	t.Run("brainpool CRL", func(t *testing.T) {
		ts := trustOf(t, bp)
		crl, err := bp.CRL(bp.DocumentSigner())
		require.NoError(t, err)
		require.NoError(t, ts.AddCRL(crl))
	})

	t.Run("LoadTrust directory", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "vn.pem"), is.CSCAPEM(), 0o600))
		ml, err := bp.MasterList()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "bp.ml"), ml, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("ignored"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "other.cer"), other.CSCACert, 0o600)) // DER
		ts, err := cardreader.LoadTrust(dir)
		require.NoError(t, err)
		require.Len(t, ts.CSCAs(), 3)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.NoError(t, err)

		crl, err := is.CRL(is.DocumentSigner())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "vn.crl"), crl, 0o600))
		ts, err = cardreader.LoadTrust(dir)
		require.NoError(t, err)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.ErrorIs(t, err, cardreader.ErrRevoked)

		require.NoError(t, os.WriteFile(filepath.Join(dir, "x.crl"), []byte("junk"), 0o600))
		_, err = cardreader.LoadTrust(dir)
		require.ErrorIs(t, err, cardreader.ErrTrust)

		_, err = cardreader.LoadTrust(t.TempDir())
		require.ErrorIs(t, err, cardreader.ErrTrust)
	})

	t.Run("LoadTrust files", func(t *testing.T) {
		dir := t.TempDir()
		ml, err := is.MasterList()
		require.NoError(t, err)
		mlPath := filepath.Join(dir, "list.ml")
		require.NoError(t, os.WriteFile(mlPath, ml, 0o600))
		ts, err := cardreader.LoadTrust(mlPath)
		require.NoError(t, err)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.NoError(t, err)

		crl, err := is.CRL(is.DocumentSigner())
		require.NoError(t, err)
		bundle := append(is.CSCAPEM(), pemBlock("X509 CRL", crl)...)
		pemPath := filepath.Join(dir, "bundle.pem")
		require.NoError(t, os.WriteFile(pemPath, bundle, 0o600))
		ts, err = cardreader.LoadTrust(pemPath)
		require.NoError(t, err)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.ErrorIs(t, err, cardreader.ErrRevoked)

		derPath := filepath.Join(dir, "csca.der")
		require.NoError(t, os.WriteFile(derPath, is.CSCACert, 0o600))
		ts, err = cardreader.LoadTrust(derPath)
		require.NoError(t, err)
		_, err = cardreader.Verify(chip, ts, paNow)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(derPath, is.DSCert, 0o600)) // not a CA
		_, err = cardreader.LoadTrust(derPath)
		require.ErrorIs(t, err, cardreader.ErrTrust)

		_, err = cardreader.LoadTrust(filepath.Join(dir, "missing"))
		require.ErrorIs(t, err, cardreader.ErrTrust)
	})
}

func TestVerifyConcurrentCRL(t *testing.T) {
	t.Parallel()
	is := testIssuer(t, "p256", emulator.ECDSAP256)
	ts := trustOf(t, is)
	chip := signedChip(t, is, chipFor(t, nil), nil, 0)
	crl, err := is.CRL()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := cardreader.Verify(chip, ts, paNow)
			require.NoError(t, err)
			require.NoError(t, ts.AddCRL(crl))
		})
	}
	wg.Wait()
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// TestVerifyOpenSSLFixtures checks Verify against SODs and certificates
// made by OpenSSL 3 (testdata/pa/openssl/make.sh), an encoder independent
// of the emulator: LDSSecurityObject v1, a signer named by its subject key
// identifier (brainpool) or by issuer and serial number (RSA-PSS).
func TestVerifyOpenSSLFixtures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "pa", "openssl")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	dgs := map[int][]byte{1: read("dg1.bin"), 13: read("dg13.bin")}
	for _, alg := range []string{"brainpool", "brainpool-explicit", "rsapss"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			ts, err := cardreader.LoadTrust(filepath.Join(dir, "csca-"+alg+".pem"))
			require.NoError(t, err)
			sod := cardreader.TLV(0x77, read("sod-"+alg+".cms"))
			s, err := cardreader.ParseSOD(sod)
			require.NoError(t, err)
			require.Equal(t, "0108", s.LDSVersion)
			require.Equal(t, "040000", s.UnicodeVersion)
			require.NotNil(t, s.Signer)

			chip := cardreader.ChipData{SOD: sod, DataGroups: maps.Clone(dgs)}
			v, err := cardreader.Verify(chip, ts, paNow)
			require.NoError(t, err)
			require.Equal(t, []int{1, 13}, v.DataGroups)
			require.Contains(t, v.Signer, "CN=Fixture DS")
			require.Contains(t, v.CSCA, "CN=Fixture CSCA")

			chip.DataGroups[1] = append(bytes.Clone(dgs[1]), 0)
			_, err = cardreader.Verify(chip, ts, paNow)
			require.ErrorIs(t, err, cardreader.ErrDataGroupHash)
			_, err = cardreader.Verify(cardreader.ChipData{SOD: sod, DataGroups: dgs}, ts, time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
			require.ErrorIs(t, err, cardreader.ErrSignerExpired)
		})
	}
}

// TestIssuerX509Interop checks the emulator's hand-encoded certificates
// and CRLs with crypto/x509, an independent parser, where it can (not
// Brainpool).
func TestIssuerX509Interop(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		alg  emulator.Algorithm
	}{{"p256", emulator.ECDSAP256}, {"rsa", emulator.RSAPKCS1}, {"pss", emulator.RSAPSS}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			is := testIssuer(t, c.name, c.alg)
			csca, err := x509.ParseCertificate(is.CSCACert)
			require.NoError(t, err)
			require.True(t, csca.IsCA)
			require.NoError(t, csca.CheckSignatureFrom(csca))
			for _, der := range [][]byte{is.DSCert, is.MLSignerCert} {
				cert, err := x509.ParseCertificate(der)
				require.NoError(t, err)
				require.NoError(t, cert.CheckSignatureFrom(csca))
				require.Equal(t, csca.SubjectKeyId, cert.AuthorityKeyId)
			}
			require.Equal(t, is.DSSerial, is.DocumentSigner().SerialNumber)
			der, err := is.CRL(is.DocumentSigner())
			require.NoError(t, err)
			crl, err := x509.ParseRevocationList(der)
			require.NoError(t, err)
			require.NoError(t, crl.CheckSignatureFrom(csca))
			require.Len(t, crl.RevokedCertificateEntries, 1)
			require.Equal(t, is.DSSerial, crl.RevokedCertificateEntries[0].SerialNumber)
		})
	}
}

// TestMasterListOfSeveralStates: a master list with another state's CSCA
// and one whose key this package cannot use (P-224), which is skipped.
func TestMasterListOfSeveralStates(t *testing.T) {
	t.Parallel()
	vn := testIssuer(t, "p256", emulator.ECDSAP256)
	bp := testIssuer(t, "bp", emulator.ECDSABrainpoolP256r1)
	k224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "P-224 CSCA", Country: []string{"UT"}},
		NotBefore: paNow.AddDate(-1, 0, 0), NotAfter: paNow.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	p224, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k224.Public(), k224)
	require.NoError(t, err)

	ml, err := vn.MasterList(bp.CSCACert, p224)
	require.NoError(t, err)
	ts, err := cardreader.ParseMasterList(ml)
	require.NoError(t, err)
	require.Len(t, ts.CSCAs(), 2)
	for _, is := range []*emulator.Issuer{vn, bp} {
		_, err := cardreader.Verify(signedChip(t, is, chipFor(t, nil), nil, 0), ts, paNow)
		require.NoError(t, err)
	}
}
