package cardreader_test

import (
	"maps"
	"testing"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// Fuzz tests of the passive authentication parsers: EF.SOD, CSCA master
// lists, certificates and CRLs, and Verify over chip data a phone posts.
// Seeds under testdata/fuzz hold SODs and master lists of the emulator's
// test PKI for each algorithm (P-256, brainpoolP256r1, RSA, RSA-PSS).

func FuzzParseSOD(f *testing.F) {
	f.Add([]byte{0x77, 0x00})
	f.Add([]byte{0x77, 0x02, 0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := cardreader.ParseSOD(b)
		if err != nil {
			return
		}
		if s.HashAlgorithm == 0 || len(s.DataGroupHashes) < 2 || len(s.SignedAttributes) == 0 || s.SignedAttributes[0] != 0x31 {
			t.Fatalf("ParseSOD accepted an incomplete SOD: %+v", s)
		}
		for n, h := range s.DataGroupHashes {
			if n < 1 || n > 16 || len(h) != s.HashAlgorithm.Size() {
				t.Fatalf("dg%d hash of %d bytes", n, len(h))
			}
		}
	})
}

func FuzzParseMasterList(f *testing.F) {
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := cardreader.ParseMasterList(b)
		if err != nil {
			return
		}
		if len(ts.CSCAs()) == 0 {
			t.Fatal("an accepted master list with no CSCA")
		}
	})
}

func FuzzTrustStoreAdd(f *testing.F) {
	f.Add([]byte{0x30, 0x00}, []byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, cert, crl []byte) {
		ts := &cardreader.TrustStore{}
		_ = ts.AddCertificate(cert)
		_ = ts.AddCRL(crl)
		_, _ = cardreader.ParseCertificatesPEM(cert)
	})
}

// FuzzVerify runs Verify on a genuine SOD over fuzzed DG15, DG14 and
// active authentication answer, so that the AA parsers and verifiers see
// outside input past passive authentication.
func FuzzVerify(f *testing.F) {
	is := testIssuer(f, "p256", emulator.ECDSAP256)
	trust, err := cardreader.ParseCertificatesPEM(is.CSCAPEM())
	if err != nil {
		f.Fatal(err)
	}
	for _, kind := range []string{"p256", "brainpool", "rsa"} {
		k := testAAKey(f, kind)
		dg15, err := emulator.EncodeDG15(k.Public())
		if err != nil {
			f.Fatal(err)
		}
		sig, err := emulator.SignActiveAuth(k, 0, fuzzChallenge, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dg15, []byte{}, sig)
	}
	f.Add([]byte{0x6F, 0x00}, []byte{0x6E, 0x02, 0x31, 0x00}, []byte{1})
	base := chipFor(f, nil)
	f.Fuzz(func(t *testing.T, dg15, dg14, sig []byte) {
		dgs := maps.Clone(base)
		if len(dg15) > 0 {
			dgs[15] = dg15
		}
		if len(dg14) > 0 {
			dgs[14] = dg14
		}
		sod, err := is.SignSOD(dgs)
		if err != nil {
			t.Fatal(err)
		}
		chip := cardreader.ChipData{SOD: sod, DataGroups: dgs, Challenge: fuzzChallenge, ActiveAuthSignature: sig}
		v, err := cardreader.Verify(chip, trust, paNow)
		switch {
		case err == nil:
			if v.ActiveAuth != (len(dg15) > 0) {
				t.Fatalf("ActiveAuth %v with dg15 of %d bytes", v.ActiveAuth, len(dg15))
			}
		case !errorsIsAny(err, cardreader.ErrClone, cardreader.ErrDataGroup):
			t.Fatalf("unexpected error %v", err)
		}
	})
}

var fuzzChallenge = []byte{1, 2, 3, 4, 5, 6, 7, 8}
