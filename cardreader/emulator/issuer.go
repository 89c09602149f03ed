package emulator

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// A test PKI made at test time, so that passive and active authentication
// run end to end without real keys: a CSCA (self-signed), a document
// signer it issues, a master list signer, CRLs, EF.SOD signing, and the
// DG15 key a chip answers INTERNAL AUTHENTICATE with. Certificates, CMS and
// CRLs are encoded here on encoding/asn1 rather than with crypto/x509,
// which cannot hold Brainpool keys.

// Algorithm is the key and signature algorithm of an Issuer's certificates.
type Algorithm string

// Algorithms of an Issuer.
const (
	ECDSAP256            Algorithm = "P-256"           // ecdsa-with-SHA256 (default)
	ECDSABrainpoolP256r1 Algorithm = "brainpoolP256r1" // ecdsa-with-SHA256
	RSAPKCS1             Algorithm = "RSA"             // sha256WithRSAEncryption, 2048 bits
	RSAPSS               Algorithm = "RSA-PSS"         // RSASSA-PSS, SHA-256, salt 32
)

// IssuerOption configures NewIssuer.
type IssuerOption func(*issuerOptions)

type issuerOptions struct {
	alg Algorithm
	now time.Time
}

// WithAlgorithm chooses the algorithm of the CSCA, document signer and
// master list signer keys.
func WithAlgorithm(a Algorithm) IssuerOption { return func(o *issuerOptions) { o.alg = a } }

// WithTime sets the issue time: certificates are valid from a day before
// it, the document signer for 10 years and the CSCA for 15 (the default
// is time.Now()).
func WithTime(t time.Time) IssuerOption { return func(o *issuerOptions) { o.now = t } }

// Issuer is a test state's document PKI. Its methods are safe for
// concurrent use; its fields must not be changed.
type Issuer struct {
	Country   string
	Algorithm Algorithm
	// CSCACert, DSCert and MLSignerCert are the DER certificates of the
	// CSCA, the document signer and the master list signer.
	CSCACert, DSCert, MLSignerCert []byte
	// DSSerial, DSNotBefore and DSNotAfter describe the document signer.
	DSSerial                *big.Int
	DSNotBefore, DSNotAfter time.Time

	rnd                   io.Reader
	now                   time.Time
	cscaKey, dsKey, mlKey crypto.Signer
	cscaName              []byte
	cscaSKID              []byte
	crlNumber             atomic.Int64
}

// NewIssuer makes a CSCA for country (ISO 3166 alpha-2 or alpha-3) and a
// document signer. rnd feeds serial numbers, key identifiers and keys this
// package generates itself (Brainpool); crypto/rsa and crypto/ecdsa may
// ignore it. A nil rnd means crypto/rand.
func NewIssuer(country string, rnd io.Reader, opts ...IssuerOption) (*Issuer, error) {
	o := issuerOptions{alg: ECDSAP256, now: time.Now()}
	for _, f := range opts {
		f(&o)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	is := &Issuer{Country: country, Algorithm: o.alg, rnd: rnd, now: o.now.UTC().Truncate(time.Second)}
	var err error
	if is.cscaKey, err = is.newKey(); err != nil {
		return nil, err
	}
	if is.dsKey, err = is.newKey(); err != nil {
		return nil, err
	}
	if is.mlKey, err = is.newKey(); err != nil {
		return nil, err
	}
	start := is.now.Add(-24 * time.Hour)
	is.cscaName, err = asn1.Marshal(pkix.Name{Country: []string{country}, Organization: []string{"Test State"},
		CommonName: "Test CSCA " + country}.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	if is.CSCACert, _, err = is.certificate(is.cscaName, is.cscaKey, start, start.AddDate(15, 0, 0), true); err != nil {
		return nil, err
	}
	is.DSNotBefore, is.DSNotAfter = start, start.AddDate(10, 0, 0)
	dsName, err := asn1.Marshal(pkix.Name{Country: []string{country}, Organization: []string{"Test State"},
		CommonName: "Test Document Signer " + country}.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	if is.DSCert, is.DSSerial, err = is.certificate(dsName, is.dsKey, is.DSNotBefore, is.DSNotAfter, false); err != nil {
		return nil, err
	}
	mlName, err := asn1.Marshal(pkix.Name{Country: []string{country}, Organization: []string{"Test State"},
		CommonName: "Test Master List Signer " + country}.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	if is.MLSignerCert, _, err = is.certificate(mlName, is.mlKey, start, start.AddDate(5, 0, 0), false); err != nil {
		return nil, err
	}
	return is, nil
}

func (is *Issuer) newKey() (crypto.Signer, error) {
	switch is.Algorithm {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), is.rnd)
	case ECDSABrainpoolP256r1:
		return GenerateBrainpoolKey(is.rnd)
	case RSAPKCS1, RSAPSS:
		return rsa.GenerateKey(is.rnd, 2048)
	default:
		return nil, fmt.Errorf("emulator: unknown algorithm %q", is.Algorithm)
	}
}

// DocumentSigner returns the document signer certificate as
// crypto/x509 parses it, or, for a Brainpool key it cannot parse, a
// Certificate with Raw, SerialNumber, NotBefore and NotAfter set (enough
// for CRL).
func (is *Issuer) DocumentSigner() *x509.Certificate {
	if c, err := x509.ParseCertificate(is.DSCert); err == nil {
		return c
	}
	return &x509.Certificate{Raw: is.DSCert, SerialNumber: is.DSSerial, NotBefore: is.DSNotBefore, NotAfter: is.DSNotAfter}
}

// CSCAPEM returns the CSCA certificate as PEM.
func (is *Issuer) CSCAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.CSCACert})
}

var (
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA256RSA      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSAPSS         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECDSASHA256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidBrainpoolP256  = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidLDSSecurityObj = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidCSCAMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}
	oidExtSKID        = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicCons   = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtAKID        = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtCRLNumber   = asn1.ObjectIdentifier{2, 5, 29, 20}
)

var sha256AlgID = pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}

// signatureAlgorithm is the AlgorithmIdentifier of is's signatures.
func (is *Issuer) signatureAlgorithm() (pkix.AlgorithmIdentifier, error) {
	switch is.Algorithm {
	case ECDSAP256, ECDSABrainpoolP256r1:
		return pkix.AlgorithmIdentifier{Algorithm: oidECDSASHA256}, nil
	case RSAPKCS1:
		return pkix.AlgorithmIdentifier{Algorithm: oidSHA256RSA, Parameters: asn1.NullRawValue}, nil
	case RSAPSS:
		hashDER, err := asn1.Marshal(sha256AlgID)
		if err != nil {
			return pkix.AlgorithmIdentifier{}, err
		}
		params, err := asn1.Marshal(struct {
			Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
			MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
			Salt int                      `asn1:"explicit,tag:2"`
		}{sha256AlgID, pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: hashDER}}, 32})
		if err != nil {
			return pkix.AlgorithmIdentifier{}, err
		}
		return pkix.AlgorithmIdentifier{Algorithm: oidRSAPSS, Parameters: asn1.RawValue{FullBytes: params}}, nil
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("emulator: unknown algorithm %q", is.Algorithm)
}

// sign signs msg (SHA-256) with key in is's algorithm.
func (is *Issuer) sign(key crypto.Signer, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	var opts crypto.SignerOpts = crypto.SHA256
	if is.Algorithm == RSAPSS {
		opts = &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}
	}
	return key.Sign(is.rnd, d[:], opts)
}

// MarshalPublicKey encodes a SubjectPublicKeyInfo for an RSA, ECDSA or
// Brainpool public key.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if bp, ok := pub.(*BrainpoolPublicKey); ok {
		curveOID, err := asn1.Marshal(oidBrainpoolP256)
		if err != nil {
			return nil, err
		}
		point := cardreader.BrainpoolP256r1.Marshal(bp.Point)
		return asn1.Marshal(struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}{pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: curveOID}},
			asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	}
	return x509.MarshalPKIXPublicKey(pub)
}

type tbsCertificate struct {
	Version    int `asn1:"explicit,tag:0"`
	Serial     *big.Int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   struct{ NotBefore, NotAfter time.Time }
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Extensions []pkix.Extension `asn1:"explicit,tag:3"`
}

type signed struct {
	TBS       asn1.RawValue
	SigAlg    pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

func (is *Issuer) serial() (*big.Int, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(is.rnd, b); err != nil {
		return nil, err
	}
	b[0] &= 0x7F
	b[0] |= 0x10
	return new(big.Int).SetBytes(b), nil
}

// certificate issues a certificate for key under subject, signed by the
// CSCA (or self-signed when ca).
func (is *Issuer) certificate(subject []byte, key crypto.Signer, notBefore, notAfter time.Time, ca bool) ([]byte, *big.Int, error) {
	spki, err := MarshalPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	serial, err := is.serial()
	if err != nil {
		return nil, nil, err
	}
	skid := sha256.Sum256(spki)
	skidDER, err := asn1.Marshal(skid[:20])
	if err != nil {
		return nil, nil, err
	}
	var exts []pkix.Extension
	if ca {
		is.cscaSKID = skid[:20]
		bc, err := asn1.Marshal(struct {
			IsCA    bool
			PathLen int
		}{true, 0})
		if err != nil {
			return nil, nil, err
		}
		ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x06}, BitLength: 7}) // keyCertSign, cRLSign
		exts = append(exts, pkix.Extension{Id: oidExtBasicCons, Critical: true, Value: bc},
			pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: ku})
	} else {
		ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1}) // digitalSignature
		akid, err := asn1.Marshal(struct {
			ID []byte `asn1:"tag:0"`
		}{is.cscaSKID})
		if err != nil {
			return nil, nil, err
		}
		exts = append(exts, pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: ku},
			pkix.Extension{Id: oidExtAKID, Value: akid})
	}
	exts = append(exts, pkix.Extension{Id: oidExtSKID, Value: skidDER})
	alg, err := is.signatureAlgorithm()
	if err != nil {
		return nil, nil, err
	}
	tbs := tbsCertificate{
		Version: 2, Serial: serial, SigAlg: alg,
		Issuer: asn1.RawValue{FullBytes: is.cscaName}, Subject: asn1.RawValue{FullBytes: subject},
		PublicKey: asn1.RawValue{FullBytes: spki}, Extensions: exts,
	}
	tbs.Validity.NotBefore, tbs.Validity.NotAfter = notBefore.UTC(), notAfter.UTC()
	der, err := is.signObject(tbs, is.cscaKey, alg)
	return der, serial, err
}

// signObject DER-encodes tbs and wraps it with the signature of key.
func (is *Issuer) signObject(tbs any, key crypto.Signer, alg pkix.AlgorithmIdentifier) ([]byte, error) {
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, err
	}
	sig, err := is.sign(key, tbsDER)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(signed{TBS: asn1.RawValue{FullBytes: tbsDER}, SigAlg: alg,
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

type revokedEntry struct {
	Serial *big.Int
	Date   time.Time
}

type tbsCRL struct {
	Version    int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	ThisUpdate time.Time
	NextUpdate time.Time
	Revoked    []revokedEntry   `asn1:"optional,omitempty"`
	Extensions []pkix.Extension `asn1:"explicit,tag:0"`
}

// CRL returns a DER CRL of the CSCA revoking the given certificates (by
// serial number; only SerialNumber is read).
func (is *Issuer) CRL(revoked ...*x509.Certificate) ([]byte, error) {
	alg, err := is.signatureAlgorithm()
	if err != nil {
		return nil, err
	}
	num, err := asn1.Marshal(big.NewInt(is.crlNumber.Add(1)))
	if err != nil {
		return nil, err
	}
	akid, err := asn1.Marshal(struct {
		ID []byte `asn1:"tag:0"`
	}{is.cscaSKID})
	if err != nil {
		return nil, err
	}
	tbs := tbsCRL{Version: 1, SigAlg: alg, Issuer: asn1.RawValue{FullBytes: is.cscaName},
		ThisUpdate: is.now, NextUpdate: is.now.AddDate(0, 3, 0),
		Extensions: []pkix.Extension{{Id: oidExtAKID, Value: akid}, {Id: oidExtCRLNumber, Value: num}}}
	for _, c := range revoked {
		tbs.Revoked = append(tbs.Revoked, revokedEntry{Serial: c.SerialNumber, Date: is.now})
	}
	return is.signObject(tbs, is.cscaKey, alg)
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// signedData builds a CMS SignedData ContentInfo (RFC 5652 §5) over
// content of type contentType, signed by key with certificate cert.
func (is *Issuer) signedData(contentType asn1.ObjectIdentifier, content, cert []byte, key crypto.Signer) ([]byte, error) {
	var c struct {
		TBS struct {
			Raw     asn1.RawContent
			Version int `asn1:"optional,explicit,default:0,tag:0"`
			Serial  *big.Int
			SigAlg  pkix.AlgorithmIdentifier
			Issuer  asn1.RawValue
		}
	}
	if _, err := asn1.Unmarshal(cert, &c); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(content)
	var attrs [][]byte
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		val any
	}{{oidContentType, contentType}, {oidSigningTime, is.now}, {oidMessageDigest, digest[:]}} {
		v, err := asn1.Marshal(a.val)
		if err != nil {
			return nil, err
		}
		b, err := asn1.Marshal(attribute{Type: a.oid, Values: []asn1.RawValue{{FullBytes: v}}})
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, b)
	}
	// DER orders a SET OF by its elements' encodings (X.690 §11.6).
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	attrSet, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(attrs, nil)})
	if err != nil {
		return nil, err
	}
	sig, err := is.sign(key, attrSet)
	if err != nil {
		return nil, err
	}
	alg, err := is.signatureAlgorithm()
	if err != nil {
		return nil, err
	}
	sid, err := asn1.Marshal(struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}{c.TBS.Issuer, c.TBS.Serial})
	if err != nil {
		return nil, err
	}
	signedAttrs := slices.Clone(attrSet)
	signedAttrs[0] = 0xA0 // [0] IMPLICIT
	si, err := asn1.Marshal(struct {
		Version     int
		SID         asn1.RawValue
		DigestAlg   pkix.AlgorithmIdentifier
		SignedAttrs asn1.RawValue
		SigAlg      pkix.AlgorithmIdentifier
		Signature   []byte
	}{1, asn1.RawValue{FullBytes: sid}, sha256AlgID, asn1.RawValue{FullBytes: signedAttrs}, alg, sig})
	if err != nil {
		return nil, err
	}
	octets, err := asn1.Marshal(content)
	if err != nil {
		return nil, err
	}
	// A RawValue is written as is, struct tags ignored: the [0] EXPLICIT
	// wrappers are built by hand.
	type typed struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}
	sd, err := asn1.Marshal(struct {
		Version     int
		DigestAlgs  []pkix.AlgorithmIdentifier `asn1:"set"`
		Encap       typed
		Certs       asn1.RawValue
		SignerInfos asn1.RawValue
	}{
		Version:     3,
		DigestAlgs:  []pkix.AlgorithmIdentifier{sha256AlgID},
		Encap:       typed{contentType, explicit0(octets)},
		Certs:       asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert},
		SignerInfos: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: si},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(typed{oidSignedData, explicit0(sd)})
}

func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}

// SignSOD returns EF.SOD (tag 77) over the data groups (full files, as the
// chip stores them): an LDSSecurityObject v0 of their SHA-256 hashes,
// signed by the document signer.
func (is *Issuer) SignSOD(dataGroups map[int][]byte) ([]byte, error) {
	type dgHash struct {
		Number int
		Hash   []byte
	}
	var hashes []dgHash
	for _, n := range slices.Sorted(maps.Keys(dataGroups)) {
		h := sha256.Sum256(dataGroups[n])
		hashes = append(hashes, dgHash{n, h[:]})
	}
	lds, err := asn1.Marshal(struct {
		Version int
		HashAlg pkix.AlgorithmIdentifier
		Hashes  []dgHash
	}{0, sha256AlgID, hashes})
	if err != nil {
		return nil, err
	}
	cms, err := is.signedData(oidLDSSecurityObj, lds, is.DSCert, is.dsKey)
	if err != nil {
		return nil, err
	}
	return cardreader.TLV(0x77, cms), nil
}

// MasterList returns an ICAO CSCA master list (DER) holding the CSCA and
// the other DER certificates given (other states' CSCAs), signed by the
// master list signer.
func (is *Issuer) MasterList(others ...[]byte) ([]byte, error) {
	certs := append([][]byte{is.CSCACert}, others...)
	// DER orders a SET OF by its elements' encodings (X.690 §11.6).
	slices.SortFunc(certs, bytes.Compare)
	set, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(certs, nil)})
	if err != nil {
		return nil, err
	}
	content, err := asn1.Marshal(struct {
		Version int
		Certs   asn1.RawValue
	}{0, asn1.RawValue{FullBytes: set}})
	if err != nil {
		return nil, err
	}
	return is.signedData(oidCSCAMasterList, content, is.MLSignerCert, is.mlKey)
}

// BrainpoolPublicKey is a brainpoolP256r1 public key.
type BrainpoolPublicKey struct {
	Point cardreader.Point
}

// BrainpoolKey is a brainpoolP256r1 ECDSA private key, which crypto/ecdsa
// cannot hold. Its Sign returns an ASN.1 DER ECDSA signature of a digest.
// Test use only: the arithmetic is not constant time.
type BrainpoolKey struct {
	D   *big.Int
	Pub BrainpoolPublicKey
}

var _ crypto.Signer = (*BrainpoolKey)(nil)

// GenerateBrainpoolKey makes a brainpoolP256r1 key from rnd (crypto/rand
// when nil).
func GenerateBrainpoolKey(rnd io.Reader) (*BrainpoolKey, error) {
	c := cardreader.BrainpoolP256r1
	d, err := randScalar(c.N, rnd)
	if err != nil {
		return nil, err
	}
	return &BrainpoolKey{D: d, Pub: BrainpoolPublicKey{Point: c.ScalarBaseMult(d.Bytes())}}, nil
}

func randScalar(n *big.Int, rnd io.Reader) (*big.Int, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, (n.BitLen()+7)/8+8)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, err
	}
	k := new(big.Int).SetBytes(b)
	k.Mod(k, new(big.Int).Sub(n, big.NewInt(1)))
	return k.Add(k, big.NewInt(1)), nil
}

// Public returns *BrainpoolPublicKey.
func (k *BrainpoolKey) Public() crypto.PublicKey { return &k.Pub }

// Sign signs digest (already hashed) with ECDSA, DER-encoded.
func (k *BrainpoolKey) Sign(rnd io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	r, s, err := k.sign(rnd, digest)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

func (k *BrainpoolKey) sign(rnd io.Reader, digest []byte) (r, s *big.Int, err error) {
	c := cardreader.BrainpoolP256r1
	e := new(big.Int).SetBytes(digest)
	if excess := len(digest)*8 - c.N.BitLen(); excess > 0 {
		e.Rsh(e, uint(excess))
	}
	for {
		kk, err := randScalar(c.N, rnd)
		if err != nil {
			return nil, nil, err
		}
		p := c.ScalarBaseMult(kk.Bytes())
		r = new(big.Int).Mod(p.X, c.N)
		if r.Sign() == 0 {
			continue
		}
		s = new(big.Int).Mul(r, k.D)
		s.Add(s, e)
		s.Mul(s, new(big.Int).ModInverse(kk, c.N))
		s.Mod(s, c.N)
		if s.Sign() != 0 {
			return r, s, nil
		}
	}
}

// EncodeDG15 returns DG15 (tag 6F around the SubjectPublicKeyInfo) for an
// Active Authentication public key.
func EncodeDG15(pub crypto.PublicKey) ([]byte, error) {
	spki, err := MarshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return cardreader.TLV(0x6F, spki), nil
}

// SignActiveAuth returns what a chip answers to INTERNAL AUTHENTICATE with
// challenge (ICAO 9303-11 §6.1). For RSA it is ISO/IEC 9796-2 scheme 1
// with partial recovery: hash SHA-1 (trailer BC) when hash is 0 or SHA-1,
// otherwise the two-byte trailer. For ECDSA (NIST curves or
// brainpoolP256r1) it is plain r ‖ s over the challenge hashed with hash;
// when 0, the hash follows the key size (SHA-256 up to 256 bits, SHA-384
// up to 384, SHA-512 above), as Verify assumes without DG14.
func SignActiveAuth(key crypto.Signer, hash crypto.Hash, challenge []byte, rnd io.Reader) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return signISO9796(k, hash, challenge, rnd)
	case *ecdsa.PrivateKey, *BrainpoolKey:
		bits := 256
		if e, ok := k.(*ecdsa.PrivateKey); ok {
			bits = e.Curve.Params().N.BitLen()
		}
		if hash == 0 { // as the verifier does without DG14: by key size
			switch {
			case bits <= 256:
				hash = crypto.SHA256
			case bits <= 384:
				hash = crypto.SHA384
			default:
				hash = crypto.SHA512
			}
		}
		h := hash.New()
		h.Write(challenge)
		var r, s *big.Int
		var err error
		l := (bits + 7) / 8
		if e, ok := k.(*ecdsa.PrivateKey); ok {
			r, s, err = ecdsa.Sign(rnd, e, h.Sum(nil))
		} else {
			r, s, err = k.(*BrainpoolKey).sign(rnd, h.Sum(nil))
		}
		if err != nil {
			return nil, err
		}
		out := make([]byte, 2*l)
		r.FillBytes(out[:l])
		s.FillBytes(out[l:])
		return out, nil
	}
	return nil, errors.New("emulator: unsupported active authentication key")
}

var iso9796HashID = map[crypto.Hash]byte{crypto.SHA256: 0x34, crypto.SHA384: 0x36, crypto.SHA512: 0x35, crypto.SHA224: 0x38}

func signISO9796(k *rsa.PrivateKey, hash crypto.Hash, m2 []byte, rnd io.Reader) ([]byte, error) {
	trailer := []byte{0xBC}
	if hash == 0 {
		hash = crypto.SHA1
	}
	if hash != crypto.SHA1 {
		id, ok := iso9796HashID[hash]
		if !ok {
			return nil, errors.New("emulator: unsupported iso 9796-2 hash")
		}
		trailer = []byte{id, 0xCC}
	}
	size := k.Size()
	m1 := make([]byte, size-1-hash.Size()-len(trailer))
	if _, err := io.ReadFull(rnd, m1); err != nil {
		return nil, err
	}
	h := hash.New()
	h.Write(m1)
	h.Write(m2)
	f := append(append(append([]byte{0x6A}, m1...), h.Sum(nil)...), trailer...)
	j := new(big.Int).SetBytes(f)
	s := new(big.Int).Exp(j, k.D, k.N)
	if alt := new(big.Int).Sub(k.N, s); alt.Cmp(s) < 0 {
		s = alt
	}
	return s.FillBytes(make([]byte, size)), nil
}
