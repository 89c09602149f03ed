package cardreader

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha1" // SOD and AA hashes
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// X.509 certificates, public keys and signatures for passive
// authentication, on encoding/asn1. crypto/x509 refuses certificates whose
// key is on a Brainpool curve ("unsupported elliptic curve"), which eMRTD
// issuers commonly use (chip-card.md §7), so certificates are parsed here:
// only what chaining a document signer to a CSCA needs.

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA1RSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA224RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}

	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrimeField    = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	oidECDSASHA1     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA224   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidP256          = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384          = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521          = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	oidBrainpoolP256 = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}

	oidExtSKID             = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtAKID             = asn1.ObjectIdentifier{2, 5, 29, 35}
)

var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{oidSHA1, crypto.SHA1}, {oidSHA224, crypto.SHA224}, {oidSHA256, crypto.SHA256},
	{oidSHA384, crypto.SHA384}, {oidSHA512, crypto.SHA512},
}

// hashFromOID maps a digest AlgorithmIdentifier's OID to its hash.
func hashFromOID(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	for _, h := range hashOIDs {
		if h.oid.Equal(oid) {
			return h.hash, nil
		}
	}
	return 0, fmt.Errorf("unsupported digest algorithm %v", oid)
}

// publicKey is a certificate's or DG15's key: RSA, ECDSA on a NIST curve
// (crypto/ecdsa), or ECDSA on another curve with this package's arithmetic.
type publicKey struct {
	rsa   *rsa.PublicKey
	nist  *ecdsa.PublicKey
	curve *Curve // non-NIST curve
	point Point
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// ecParameters are explicit domain parameters (RFC 3279 §2.3.5), which
// some eMRTD certificates carry instead of a named curve.
type ecParameters struct {
	Version  int
	FieldID  fieldID
	Curve    ecCurve
	Base     []byte
	Order    *big.Int
	Cofactor int `asn1:"optional"`
}

type fieldID struct {
	FieldType asn1.ObjectIdentifier
	Prime     *big.Int
}

type ecCurve struct {
	A, B []byte
	Seed asn1.BitString `asn1:"optional"`
}

// parsePublicKey decodes a DER SubjectPublicKeyInfo.
func parsePublicKey(der []byte) (publicKey, error) {
	var spki subjectPublicKeyInfo
	if rest, err := asn1.Unmarshal(der, &spki); err != nil || len(rest) > 0 {
		return publicKey{}, errors.New("malformed subject public key info")
	}
	return parseSPKI(spki)
}

func parseSPKI(spki subjectPublicKeyInfo) (publicKey, error) {
	bits := spki.PublicKey.RightAlign()
	switch alg := spki.Algorithm.Algorithm; {
	case alg.Equal(oidRSAEncryption), alg.Equal(oidRSAPSS):
		k, err := x509.ParsePKCS1PublicKey(bits)
		if err != nil {
			return publicKey{}, fmt.Errorf("rsa key: %v", err)
		}
		return publicKey{rsa: k}, nil
	case alg.Equal(oidECPublicKey):
		return parseECKey(spki.Algorithm.Parameters, bits)
	default:
		return publicKey{}, fmt.Errorf("unsupported key algorithm %v", alg)
	}
}

var nistCurves = []struct {
	oid   asn1.ObjectIdentifier
	curve elliptic.Curve
}{
	{oidP256, elliptic.P256()}, {oidP384, elliptic.P384()}, {oidP521, elliptic.P521()},
}

func parseECKey(params asn1.RawValue, point []byte) (publicKey, error) {
	var oid asn1.ObjectIdentifier
	switch {
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagOID:
		if _, err := asn1.Unmarshal(params.FullBytes, &oid); err != nil {
			return publicKey{}, errors.New("malformed curve identifier")
		}
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagSequence:
		var ep ecParameters
		if _, err := asn1.Unmarshal(params.FullBytes, &ep); err != nil {
			return publicKey{}, errors.New("malformed explicit curve parameters")
		}
		oid = curveFromParameters(ep)
		if oid == nil {
			return publicKey{}, errors.New("explicit curve parameters of an unsupported curve")
		}
	default:
		return publicKey{}, errors.New("missing curve parameters")
	}
	for _, c := range nistCurves {
		if c.oid.Equal(oid) {
			k, err := ecdsa.ParseUncompressedPublicKey(c.curve, point)
			if err != nil {
				return publicKey{}, fmt.Errorf("ec point: %v", err)
			}
			return publicKey{nist: k}, nil
		}
	}
	if oid.Equal(oidBrainpoolP256) {
		p, err := BrainpoolP256r1.Unmarshal(point)
		if err != nil {
			return publicKey{}, errors.New("ec point not on brainpoolP256r1")
		}
		return publicKey{curve: BrainpoolP256r1, point: p}, nil
	}
	return publicKey{}, fmt.Errorf("unsupported curve %v", oid)
}

// curveFromParameters recognises explicit parameters of a supported curve.
func curveFromParameters(ep ecParameters) asn1.ObjectIdentifier {
	if !ep.FieldID.FieldType.Equal(oidPrimeField) || ep.FieldID.Prime == nil || ep.Order == nil {
		return nil
	}
	known := []struct {
		oid asn1.ObjectIdentifier
		c   *Curve
	}{{oidBrainpoolP256, BrainpoolP256r1}, {oidP256, P256}}
	for _, k := range known {
		c := k.c
		g := c.Marshal(c.Generator())
		if c.P.Cmp(ep.FieldID.Prime) == 0 && c.N.Cmp(ep.Order) == 0 &&
			new(big.Int).SetBytes(ep.Curve.A).Cmp(c.A) == 0 &&
			new(big.Int).SetBytes(ep.Curve.B).Cmp(c.B) == 0 && bytes.Equal(ep.Base, g) {
			return k.oid
		}
	}
	return nil
}

// bitLen is the size of the key: modulus or group order bits.
func (k publicKey) bitLen() int {
	switch {
	case k.rsa != nil:
		return k.rsa.N.BitLen()
	case k.nist != nil:
		return k.nist.Curve.Params().N.BitLen()
	case k.curve != nil:
		return k.curve.N.BitLen()
	}
	return 0
}

func (k publicKey) isEC() bool { return k.nist != nil || k.curve != nil }

// verifyECDSA checks (r, s) over digest.
func (k publicKey) verifyECDSA(digest []byte, r, s *big.Int) bool {
	if k.nist != nil {
		return ecdsa.Verify(k.nist, digest, r, s)
	}
	return k.curve != nil && ecdsaVerify(k.curve, k.point, digest, r, s)
}

// ecdsaVerify is ECDSA verification (SEC 1 §4.1.4) on c.
func ecdsaVerify(c *Curve, q Point, digest []byte, r, s *big.Int) bool {
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(c.N) >= 0 || s.Cmp(c.N) >= 0 {
		return false
	}
	e := hashToInt(digest, c.N)
	w := new(big.Int).ModInverse(s, c.N)
	if w == nil {
		return false
	}
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, c.N)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, c.N)
	x := c.combinedMult(u1, u2, q)
	if x.Infinity() {
		return false
	}
	v := new(big.Int).Mod(x.X, c.N)
	return v.Cmp(r) == 0
}

// hashToInt takes the leftmost bits of digest, as many as n has.
func hashToInt(digest []byte, n *big.Int) *big.Int {
	bits := n.BitLen()
	size := (bits + 7) / 8
	if len(digest) > size {
		digest = digest[:size]
	}
	e := new(big.Int).SetBytes(digest)
	if excess := len(digest)*8 - bits; excess > 0 {
		e.Rsh(e, uint(excess))
	}
	return e
}

type ecdsaSignature struct {
	R, S *big.Int
}

type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// verifySignature checks sig over msg with key under the signature
// algorithm alg. digestHash is the hash to use when alg names only the key
// type (rsaEncryption, id-ecPublicKey), as some CMS signers write.
func verifySignature(key publicKey, alg pkix.AlgorithmIdentifier, digestHash crypto.Hash, msg, sig []byte) error {
	type scheme int
	const (
		pkcs1 scheme = iota
		pss
		ecdsaDER
	)
	var (
		sch  scheme
		hash crypto.Hash
		opts *rsa.PSSOptions
	)
	switch a := alg.Algorithm; {
	case a.Equal(oidSHA1RSA):
		sch, hash = pkcs1, crypto.SHA1
	case a.Equal(oidSHA224RSA):
		sch, hash = pkcs1, crypto.SHA224
	case a.Equal(oidSHA256RSA):
		sch, hash = pkcs1, crypto.SHA256
	case a.Equal(oidSHA384RSA):
		sch, hash = pkcs1, crypto.SHA384
	case a.Equal(oidSHA512RSA):
		sch, hash = pkcs1, crypto.SHA512
	case a.Equal(oidRSAEncryption):
		sch, hash = pkcs1, digestHash
	case a.Equal(oidRSAPSS):
		sch = pss
		var err error
		if hash, opts, err = parsePSS(alg.Parameters); err != nil {
			return err
		}
	case a.Equal(oidECDSASHA1):
		sch, hash = ecdsaDER, crypto.SHA1
	case a.Equal(oidECDSASHA224):
		sch, hash = ecdsaDER, crypto.SHA224
	case a.Equal(oidECDSASHA256):
		sch, hash = ecdsaDER, crypto.SHA256
	case a.Equal(oidECDSASHA384):
		sch, hash = ecdsaDER, crypto.SHA384
	case a.Equal(oidECDSASHA512):
		sch, hash = ecdsaDER, crypto.SHA512
	case a.Equal(oidECPublicKey):
		sch, hash = ecdsaDER, digestHash
	default:
		return fmt.Errorf("unsupported signature algorithm %v", a)
	}
	if hash == 0 || !hash.Available() {
		return errors.New("signature algorithm without a usable hash")
	}
	h := hash.New()
	h.Write(msg)
	digest := h.Sum(nil)
	switch sch {
	case pkcs1, pss:
		if key.rsa == nil {
			return errors.New("rsa signature with a non-rsa key")
		}
		var err error
		if sch == pkcs1 {
			err = rsa.VerifyPKCS1v15(key.rsa, hash, digest, sig)
		} else {
			err = rsa.VerifyPSS(key.rsa, hash, digest, sig, opts)
		}
		if err != nil {
			return errors.New("rsa signature does not verify")
		}
		return nil
	default:
		if !key.isEC() {
			return errors.New("ecdsa signature with a non-ec key")
		}
		var s ecdsaSignature
		if rest, err := asn1.Unmarshal(sig, &s); err != nil || len(rest) > 0 || s.R == nil || s.S == nil {
			return errors.New("malformed ecdsa signature")
		}
		if !key.verifyECDSA(digest, s.R, s.S) {
			return errors.New("ecdsa signature does not verify")
		}
		return nil
	}
}

// parsePSS reads RSASSA-PSS-params (RFC 4055 §3.1); only MGF1 with the
// same hash as the message, and trailer field 1, are accepted.
func parsePSS(params asn1.RawValue) (crypto.Hash, *rsa.PSSOptions, error) {
	p := pssParameters{SaltLength: 20, TrailerField: 1}
	if len(params.FullBytes) > 0 {
		if rest, err := asn1.Unmarshal(params.FullBytes, &p); err != nil || len(rest) > 0 {
			return 0, nil, errors.New("malformed rsassa-pss parameters")
		}
	}
	hash := crypto.SHA1
	if p.Hash.Algorithm != nil {
		h, err := hashFromOID(p.Hash.Algorithm)
		if err != nil {
			return 0, nil, err
		}
		hash = h
	}
	mgfHash := crypto.SHA1
	if p.MGF.Algorithm != nil {
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return 0, nil, errors.New("unsupported pss mask generation function")
		}
		var ha pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &ha); err != nil {
			return 0, nil, errors.New("malformed mgf1 parameters")
		}
		h, err := hashFromOID(ha.Algorithm)
		if err != nil {
			return 0, nil, err
		}
		mgfHash = h
	}
	if mgfHash != hash || p.TrailerField != 1 || p.SaltLength < 0 {
		return 0, nil, errors.New("unsupported rsassa-pss parameters")
	}
	return hash, &rsa.PSSOptions{SaltLength: p.SaltLength, Hash: hash}, nil
}

// certificate is the part of an X.509 certificate (RFC 5280) that passive
// authentication needs.
type certificate struct {
	raw, rawTBS           []byte
	rawIssuer, rawSubject []byte
	serial                *big.Int
	issuer, subject       string
	notBefore, notAfter   time.Time
	key                   publicKey
	keyErr                error // the key did not parse: the certificate verifies nothing
	sigAlg                pkix.AlgorithmIdentifier
	sig                   []byte
	skid, akid            []byte
	isCA                  bool
}

type rawCertificate struct {
	TBS       asn1.RawValue
	SigAlg    pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

type tbsCertificate struct {
	Version    int `asn1:"optional,explicit,default:0,tag:0"`
	Serial     *big.Int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   validity
	Subject    asn1.RawValue
	PublicKey  subjectPublicKeyInfo
	IssuerUID  asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUID asn1.BitString   `asn1:"optional,tag:2"`
	Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type validity struct {
	NotBefore, NotAfter time.Time
}

type basicConstraints struct {
	IsCA       bool `asn1:"optional"`
	MaxPathLen int  `asn1:"optional,default:-1"`
}

type authorityKeyID struct {
	ID []byte `asn1:"optional,tag:0"`
}

// parseCertificate decodes one DER certificate. A key of an unsupported
// type does not fail the parse (a master list holds every state's CSCA);
// it leaves keyErr set.
func parseCertificate(der []byte) (*certificate, error) {
	var rc rawCertificate
	if rest, err := asn1.Unmarshal(der, &rc); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed certificate")
	}
	var tbs tbsCertificate
	if rest, err := asn1.Unmarshal(rc.TBS.FullBytes, &tbs); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed tbsCertificate")
	}
	if tbs.Serial == nil || !tbs.SigAlg.Algorithm.Equal(rc.SigAlg.Algorithm) {
		return nil, errors.New("inconsistent certificate")
	}
	c := &certificate{
		raw: der, rawTBS: rc.TBS.FullBytes,
		rawIssuer: tbs.Issuer.FullBytes, rawSubject: tbs.Subject.FullBytes,
		serial:    tbs.Serial,
		notBefore: tbs.Validity.NotBefore, notAfter: tbs.Validity.NotAfter,
		sigAlg: rc.SigAlg, sig: rc.Signature.RightAlign(),
	}
	var err error
	if c.issuer, err = nameString(c.rawIssuer); err != nil {
		return nil, err
	}
	if c.subject, err = nameString(c.rawSubject); err != nil {
		return nil, err
	}
	c.key, c.keyErr = parseSPKI(tbs.PublicKey)
	for _, e := range tbs.Extensions {
		switch {
		case e.Id.Equal(oidExtBasicConstraints):
			var bc basicConstraints
			if _, err := asn1.Unmarshal(e.Value, &bc); err != nil {
				return nil, errors.New("malformed basic constraints")
			}
			c.isCA = bc.IsCA
		case e.Id.Equal(oidExtSKID):
			if _, err := asn1.Unmarshal(e.Value, &c.skid); err != nil {
				return nil, errors.New("malformed subject key identifier")
			}
		case e.Id.Equal(oidExtAKID):
			var a authorityKeyID
			if _, err := asn1.Unmarshal(e.Value, &a); err != nil {
				return nil, errors.New("malformed authority key identifier")
			}
			c.akid = a.ID
		}
	}
	return c, nil
}

func nameString(der []byte) (string, error) {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return "", errors.New("malformed name")
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String(), nil
}

// label is how Verification names a certificate: subject and serial.
func (c *certificate) label() string {
	return fmt.Sprintf("%s, serial %X", c.subject, c.serial)
}

// validAt reports whether t is inside the validity period.
func (c *certificate) validAt(t time.Time) bool {
	return !t.Before(c.notBefore) && !t.After(c.notAfter)
}

// issuedBy reports whether parent's key signed c (names and key
// identifiers must agree first).
func (c *certificate) issuedBy(parent *certificate) bool {
	if !bytes.Equal(c.rawIssuer, parent.rawSubject) && c.issuer != parent.subject {
		return false
	}
	if len(c.akid) > 0 && len(parent.skid) > 0 && subtle.ConstantTimeCompare(c.akid, parent.skid) != 1 {
		return false
	}
	if parent.keyErr != nil {
		return false
	}
	return verifySignature(parent.key, c.sigAlg, 0, c.rawTBS, c.sig) == nil
}
