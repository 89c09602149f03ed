package cardreader

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2): tag 77
// around a CMS SignedData (RFC 5652) whose encapsulated content is the
// LDSSecurityObject, the hashes of the data groups. The CMS walk is written
// on encoding/asn1 instead of a pkcs7 library: github.com/smallstep/pkcs7
// (and go.mozilla.org/pkcs7) parse the embedded certificates with
// crypto/x509, which rejects Brainpool keys, and verify neither RSA-PSS
// signer infos nor Brainpool signatures. Only DER is accepted.

var (
	oidSignedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigst = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	// oidLDSSecurityObject is id-icao-mrtd-security-ldsSecurityObject
	// (ICAO 9303-10 §4.6.2.2).
	oidLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	// oidCSCAMasterList is id-icao-cscaMasterList (ICAO 9303-12 §9).
	oidCSCAMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}
)

const tagSOD = 0x77

// SOD is a decoded EF.SOD. ParseSOD checks its structure only; Verify
// checks its signature and trust.
type SOD struct {
	// HashAlgorithm hashes the data groups (LDSSecurityObject.hashAlgorithm).
	HashAlgorithm crypto.Hash
	// DataGroupHashes maps a data group number (1..16) to its hash.
	DataGroupHashes map[int][]byte
	// LDSVersion and UnicodeVersion come from ldsVersionInfo (an
	// LDSSecurityObject v1, LDS 1.8); both are empty for v0.
	LDSVersion, UnicodeVersion string
	// SecurityObject is the DER LDSSecurityObject: the signed content.
	SecurityObject []byte
	// Certificates are the DER certificates in SignedData.certificates.
	Certificates [][]byte
	// Signer is the DER certificate of the document signer that the
	// SignerInfo names, nil when the SOD does not carry it.
	Signer []byte
	// DigestAlgorithm is the SignerInfo's digestAlgorithm, the hash of the
	// message digest attribute.
	DigestAlgorithm crypto.Hash
	// SignedAttributes is the DER SET OF Attribute the signature covers
	// (RFC 5652 §5.4: tag 31, not the [0] of the SignerInfo).
	SignedAttributes []byte
	// MessageDigest is the messageDigest signed attribute.
	MessageDigest []byte
	// SignatureAlgorithm and Signature are the SignerInfo's.
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte

	cms *signedCMS
}

// ParseSOD decodes EF.SOD as read from the chip. Errors wrap ErrSOD. DER
// is expected; BER (indefinite or long lengths, a chunked content) is
// re-encoded to DER and parsed again (ber.go).
func ParseSOD(b []byte) (*SOD, error) {
	s, err := parseSOD(b)
	if err != nil {
		if der, berr := berToDER(b); berr == nil && !bytes.Equal(der, b) {
			if s, berr := parseSOD(der); berr == nil {
				return s, nil
			}
		}
		return nil, err
	}
	return s, nil
}

func parseSOD(b []byte) (*SOD, error) {
	t, rest, err := parseTLV(b)
	if err != nil || t.tag != tagSOD || len(rest) > 0 {
		return nil, fmt.Errorf("%w: not an EF.SOD (tag 77)", ErrSOD)
	}
	cms, err := parseSignedData(t.value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSOD, err)
	}
	if !cms.contentType.Equal(oidLDSSecurityObject) {
		return nil, fmt.Errorf("%w: content is not an LDSSecurityObject", ErrSOD)
	}
	lds, err := parseLDSSecurityObject(cms.content)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSOD, err)
	}
	s := &SOD{
		HashAlgorithm:      lds.hash,
		DataGroupHashes:    lds.hashes,
		LDSVersion:         lds.ldsVersion,
		UnicodeVersion:     lds.unicodeVersion,
		SecurityObject:     cms.content,
		Certificates:       cms.certs,
		DigestAlgorithm:    cms.digest,
		SignedAttributes:   cms.signedAttrs,
		MessageDigest:      cms.messageDigest,
		SignatureAlgorithm: cms.sigAlg,
		Signature:          cms.sig,
		cms:                cms,
	}
	if c, err := cms.signerCertificate(); err == nil {
		s.Signer = c.raw
	}
	return s, nil
}

type ldsSecurityObject struct {
	Version        int
	HashAlgorithm  pkix.AlgorithmIdentifier
	DataGroupHashs []dataGroupHash
	VersionInfo    ldsVersionInfo `asn1:"optional"`
}

type dataGroupHash struct {
	Number int
	Hash   []byte
}

type ldsVersionInfo struct {
	LDSVersion     string `asn1:"printable"`
	UnicodeVersion string `asn1:"printable"`
}

type parsedLDS struct {
	hash                       crypto.Hash
	hashes                     map[int][]byte
	ldsVersion, unicodeVersion string
}

// parseLDSSecurityObject decodes the LDSSecurityObject (ICAO 9303-10
// §4.6.2.2): version 0 or 1, the hash algorithm, and 2..16 data group
// hashes with distinct numbers 1..16.
func parseLDSSecurityObject(b []byte) (parsedLDS, error) {
	var o ldsSecurityObject
	if err := unmarshalLenient(b, &o); err != nil {
		return parsedLDS{}, errors.New("malformed LDSSecurityObject")
	}
	if o.Version != 0 && o.Version != 1 {
		return parsedLDS{}, fmt.Errorf("LDSSecurityObject version %d", o.Version)
	}
	h, err := hashFromOID(o.HashAlgorithm.Algorithm)
	if err != nil {
		return parsedLDS{}, err
	}
	if len(o.DataGroupHashs) < 2 || len(o.DataGroupHashs) > 16 {
		return parsedLDS{}, fmt.Errorf("%d data group hashes", len(o.DataGroupHashs))
	}
	p := parsedLDS{hash: h, hashes: make(map[int][]byte, len(o.DataGroupHashs)),
		ldsVersion: o.VersionInfo.LDSVersion, unicodeVersion: o.VersionInfo.UnicodeVersion}
	for _, d := range o.DataGroupHashs {
		if d.Number < 1 || d.Number > 16 {
			return parsedLDS{}, fmt.Errorf("data group number %d", d.Number)
		}
		if _, dup := p.hashes[d.Number]; dup {
			return parsedLDS{}, fmt.Errorf("data group %d hashed twice", d.Number)
		}
		if len(d.Hash) != h.Size() {
			return parsedLDS{}, fmt.Errorf("data group %d hash of %d bytes", d.Number, len(d.Hash))
		}
		p.hashes[d.Number] = d.Hash
	}
	return p, nil
}

// CMS (RFC 5652) structures, as far as a SOD or a master list needs them.

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// signedCMS is a SignedData with exactly one SignerInfo that has signed
// attributes, as ICAO requires for the SOD and master lists.
type signedCMS struct {
	contentType   asn1.ObjectIdentifier
	content       []byte
	certs         [][]byte
	digest        crypto.Hash
	signedAttrs   []byte
	messageDigest []byte
	attrType      asn1.ObjectIdentifier
	sigAlg        pkix.AlgorithmIdentifier
	sig           []byte

	sidIssuer []byte // issuerAndSerialNumber
	sidSerial *big.Int
	sidSKID   []byte // or subjectKeyIdentifier
}

func parseSignedData(der []byte) (*signedCMS, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed ContentInfo")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("not a SignedData")
	}
	var sd signedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed SignedData")
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%d signer infos, want 1", len(sd.SignerInfos))
	}
	// encoding/asn1 leaves the [0] EXPLICIT wrapper on a RawValue.
	var ec asn1.RawValue
	if rest, err := asn1.Unmarshal(sd.EncapContentInfo.Content.Bytes, &ec); err != nil || len(rest) > 0 ||
		ec.Class != asn1.ClassUniversal || ec.Tag != asn1.TagOctetString || ec.IsCompound {
		return nil, errors.New("missing or constructed encapsulated content")
	}
	s := &signedCMS{contentType: sd.EncapContentInfo.ContentType, content: ec.Bytes}
	if len(sd.Certificates.FullBytes) > 0 {
		if !sd.Certificates.IsCompound {
			return nil, errors.New("malformed certificates")
		}
		for b := sd.Certificates.Bytes; len(b) > 0; {
			var c asn1.RawValue
			rest, err := asn1.Unmarshal(b, &c)
			if err != nil {
				return nil, errors.New("malformed certificates")
			}
			if c.Class == asn1.ClassUniversal && c.Tag == asn1.TagSequence {
				s.certs = append(s.certs, c.FullBytes)
			} // other CertificateChoices (attribute certificates) are of no use here
			b = rest
		}
	}
	si := sd.SignerInfos[0]
	switch {
	case si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if rest, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil || len(rest) > 0 || ias.Serial == nil {
			return nil, errors.New("malformed signer identifier")
		}
		s.sidIssuer, s.sidSerial = ias.Issuer.FullBytes, ias.Serial
	case si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0 && !si.SID.IsCompound:
		s.sidSKID = si.SID.Bytes
	default:
		return nil, errors.New("malformed signer identifier")
	}
	var err error
	if s.digest, err = hashFromOID(si.DigestAlgorithm.Algorithm); err != nil {
		return nil, err
	}
	if len(si.SignedAttrs.FullBytes) == 0 || !si.SignedAttrs.IsCompound {
		return nil, errors.New("no signed attributes")
	}
	// RFC 5652 §5.4: the signature covers the attributes' DER encoding as
	// a SET OF, with the EXPLICIT SET tag in place of the IMPLICIT [0].
	s.signedAttrs = append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	if err := s.parseAttributes(si.SignedAttrs.Bytes); err != nil {
		return nil, err
	}
	s.sigAlg, s.sig = si.SignatureAlgorithm, si.Signature
	return s, nil
}

// parseAttributes reads contentType and messageDigest, each required once
// with a single value (RFC 5652 §11.1, §11.2).
func (s *signedCMS) parseAttributes(b []byte) error {
	seen := map[string]bool{}
	for len(b) > 0 {
		var a attribute
		rest, err := asn1.Unmarshal(b, &a)
		if err != nil || a.Values.Tag != asn1.TagSet || a.Values.Class != asn1.ClassUniversal {
			return errors.New("malformed signed attribute")
		}
		b = rest
		key := a.Type.String()
		if seen[key] {
			return fmt.Errorf("signed attribute %s repeated", key)
		}
		seen[key] = true
		switch {
		case a.Type.Equal(oidAttrContentType):
			if rest, err := asn1.Unmarshal(a.Values.Bytes, &s.attrType); err != nil || len(rest) > 0 {
				return errors.New("malformed content type attribute")
			}
		case a.Type.Equal(oidAttrMessageDigst):
			if rest, err := asn1.Unmarshal(a.Values.Bytes, &s.messageDigest); err != nil || len(rest) > 0 {
				return errors.New("malformed message digest attribute")
			}
		}
	}
	if s.attrType == nil || s.messageDigest == nil {
		return errors.New("content type or message digest attribute missing")
	}
	if !s.attrType.Equal(s.contentType) {
		return errors.New("content type attribute differs from the content")
	}
	return nil
}

// signerCertificate finds the certificate the SignerInfo names among the
// SignedData's certificates.
func (s *signedCMS) signerCertificate() (*certificate, error) {
	for _, der := range s.certs {
		c, err := parseCertificate(der)
		if err != nil {
			continue
		}
		if s.sidSKID != nil {
			if bytes.Equal(c.skid, s.sidSKID) {
				return c, nil
			}
			continue
		}
		if c.serial.Cmp(s.sidSerial) == 0 && bytes.Equal(c.rawIssuer, s.sidIssuer) {
			return c, nil
		}
	}
	return nil, errors.New("signer certificate not in the SignedData")
}

// verify checks the message digest over the content and the signature
// over the signed attributes with signer's key.
func (s *signedCMS) verify(signer *certificate) error {
	h := s.digest.New()
	h.Write(s.content)
	if subtle.ConstantTimeCompare(h.Sum(nil), s.messageDigest) != 1 {
		return errors.New("message digest does not match the content")
	}
	if signer.keyErr != nil {
		return fmt.Errorf("signer key: %v", signer.keyErr)
	}
	return verifySignature(signer.key, s.sigAlg, s.digest, s.signedAttrs, s.sig)
}

// unmarshalLenient decodes exactly b into v, retrying on b re-encoded from
// BER; b itself (signed or hashed bytes) is left as it is.
func unmarshalLenient(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err == nil && len(rest) == 0 {
		return nil
	}
	der, berr := berToDER(b)
	if berr != nil {
		return errBER
	}
	if rest, err := asn1.Unmarshal(der, v); err != nil || len(rest) > 0 {
		return errBER
	}
	return nil
}
