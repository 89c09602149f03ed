package cardreader

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// TrustStore holds the Country Signing CA certificates (CSCAs) that
// document signers must chain to, and the serial numbers their CRLs
// revoke. Its zero value is empty and usable; it is safe for concurrent
// use (CRLs can be added while Verify runs).
type TrustStore struct {
	mu      sync.RWMutex
	anchors []*anchor
}

type anchor struct {
	cert    *certificate
	revoked map[string]bool // serial numbers (hex) revoked by this CSCA's CRLs
}

// CSCAs lists the trusted certificates as subject and serial.
func (ts *TrustStore) CSCAs() []string {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	out := make([]string, 0, len(ts.anchors))
	for _, a := range ts.anchors {
		out = append(out, a.cert.label())
	}
	return out
}

// AddCertificate trusts a DER CSCA certificate. It must be a CA
// certificate (basic constraints cA) with a key this package can verify
// with. Adding the same certificate twice has no effect.
func (ts *TrustStore) AddCertificate(der []byte) error {
	c, err := parseCertificate(der)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTrust, err)
	}
	if !c.isCA {
		return fmt.Errorf("%w: certificate %s is not a CA", ErrTrust, c.label())
	}
	if c.keyErr != nil {
		return fmt.Errorf("%w: certificate %s: %v", ErrTrust, c.label(), c.keyErr)
	}
	ts.add(c)
	return nil
}

func (ts *TrustStore) add(c *certificate) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, a := range ts.anchors {
		if bytes.Equal(a.cert.raw, c.raw) {
			return
		}
	}
	ts.anchors = append(ts.anchors, &anchor{cert: c, revoked: map[string]bool{}})
}

// merge adds o's CSCAs and their revocations to ts.
func (ts *TrustStore) merge(o *TrustStore) {
	for _, a := range o.anchors {
		ts.add(a.cert)
		ts.mu.Lock()
		for _, b := range ts.anchors {
			if bytes.Equal(b.cert.raw, a.cert.raw) {
				for s := range a.revoked {
					b.revoked[s] = true
				}
			}
		}
		ts.mu.Unlock()
	}
}

// crlOuter is CertificateList (RFC 5280 §5.1), for the signature algorithm
// with its parameters (x509.RevocationList keeps only an enum).
type crlOuter struct {
	TBS       asn1.RawValue
	SigAlg    pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// AddCRL records the serial numbers revoked by a DER (or PEM "X509 CRL")
// certificate revocation list. The CRL must be signed by a CSCA already in
// the store; its revocations then apply to document signers that CSCA
// issued. Its validity period is not enforced: a CRL past its nextUpdate
// still revokes.
func (ts *TrustStore) AddCRL(der []byte) error {
	if b, _ := pem.Decode(der); b != nil && b.Type == "X509 CRL" {
		der = b.Bytes
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return fmt.Errorf("%w: crl: %v", ErrTrust, err)
	}
	var outer crlOuter
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return fmt.Errorf("%w: crl: malformed", ErrTrust)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	matched := false
	for _, a := range ts.anchors {
		if !bytes.Equal(a.cert.rawSubject, rl.RawIssuer) || a.cert.keyErr != nil {
			continue
		}
		if verifySignature(a.cert.key, outer.SigAlg, 0, rl.RawTBSRevocationList, outer.Signature.RightAlign()) != nil {
			continue
		}
		matched = true
		for _, e := range rl.RevokedCertificateEntries {
			a.revoked[serialKey(e.SerialNumber)] = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: crl not signed by a trusted csca", ErrTrust)
	}
	return nil
}

func serialKey(n *big.Int) string { return n.Text(16) }

// issuerOf returns the trusted CSCA that signed c, and whether c is on its
// CRL. When several match (a CSCA renewed under the same name and key),
// the first that signed it wins.
func (ts *TrustStore) issuerOf(c *certificate) (*certificate, bool) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	for _, a := range ts.anchors {
		if a.cert.isCA && c.issuedBy(a.cert) {
			return a.cert, a.revoked[serialKey(c.serial)]
		}
	}
	return nil, false
}

type cscaMasterList struct {
	Version  int
	CertList asn1.RawValue
}

// ParseMasterList decodes an ICAO CSCA master list (ICAO 9303-12 §9): a
// CMS SignedData whose content (id-icao-cscaMasterList) is a SET OF CSCA
// certificates. The master list signer's signature must verify and its
// certificate must be issued by one of the listed CSCAs. Certificates that
// do not parse, are not CA certificates or have keys this package cannot
// use (other states' exotic curves) are left out; CSCAs lists what was
// kept. An error wraps ErrTrust.
func ParseMasterList(der []byte) (*TrustStore, error) {
	cms, err := parseSignedData(der)
	if err != nil {
		// Retry BER as DER (ber.go).
		if d, berr := berToDER(der); berr == nil && !bytes.Equal(d, der) {
			cms, err = parseSignedData(d)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: master list: %v", ErrTrust, err)
	}
	if !cms.contentType.Equal(oidCSCAMasterList) {
		return nil, fmt.Errorf("%w: not a csca master list", ErrTrust)
	}
	var ml cscaMasterList
	if err := unmarshalLenient(cms.content, &ml); err != nil ||
		ml.CertList.Class != asn1.ClassUniversal || ml.CertList.Tag != asn1.TagSet {
		return nil, fmt.Errorf("%w: malformed master list content", ErrTrust)
	}
	var certs []*certificate
	for b := ml.CertList.Bytes; len(b) > 0; {
		var raw asn1.RawValue
		rest, err := asn1.Unmarshal(b, &raw)
		if err != nil {
			return nil, fmt.Errorf("%w: malformed master list certificate", ErrTrust)
		}
		b = rest
		// A certificate this parser refuses (another state's oddity) is
		// left out rather than failing the whole list.
		if c, err := parseCertificate(raw.FullBytes); err == nil {
			certs = append(certs, c)
		}
	}
	signer, err := cms.signerCertificate()
	if err != nil {
		return nil, fmt.Errorf("%w: master list: %v", ErrTrust, err)
	}
	if err := cms.verify(signer); err != nil {
		return nil, fmt.Errorf("%w: master list signature: %v", ErrTrust, err)
	}
	if !slices.ContainsFunc(certs, signer.issuedBy) {
		return nil, fmt.Errorf("%w: master list signer not issued by a listed csca", ErrTrust)
	}
	ts := &TrustStore{}
	for _, c := range certs {
		if c.isCA && c.keyErr == nil {
			ts.add(c)
		}
	}
	if len(ts.anchors) == 0 {
		return nil, fmt.Errorf("%w: master list holds no usable csca", ErrTrust)
	}
	return ts, nil
}

// ParseCertificatesPEM reads CSCA certificates from PEM "CERTIFICATE"
// blocks (other block types are ignored). Every certificate must be a
// usable CA certificate; at least one is required.
func ParseCertificatesPEM(b []byte) (*TrustStore, error) {
	ts := &TrustStore{}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if err := ts.AddCertificate(blk.Bytes); err != nil {
			return nil, err
		}
	}
	if len(ts.anchors) == 0 {
		return nil, fmt.Errorf("%w: no certificate in the pem data", ErrTrust)
	}
	return ts, nil
}

// LoadTrust loads the CSCAs an operator provides. A file is a master list
// (DER), one DER certificate, or a PEM bundle, which may also hold "X509
// CRL" blocks. A directory holds *.pem, *.crt, *.cer and *.der
// certificate files (PEM or DER), *.ml master lists and *.crl CRLs (DER or
// PEM), the CRLs applied after every certificate is loaded; other files
// are ignored.
func LoadTrust(path string) (*TrustStore, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrust, err)
	}
	if !st.IsDir() {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTrust, err)
		}
		return parseTrustFile(path, b)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrust, err)
	}
	ts := &TrustStore{}
	var crls []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := filepath.Join(path, e.Name())
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".crl":
			crls = append(crls, name)
			continue
		case ".pem", ".crt", ".cer", ".der", ".ml":
		default:
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTrust, err)
		}
		part, err := parseTrustFile(name, b)
		if err != nil {
			return nil, err
		}
		ts.merge(part)
	}
	if len(ts.anchors) == 0 {
		return nil, fmt.Errorf("%w: no csca certificate in %s", ErrTrust, path)
	}
	for _, name := range crls {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTrust, err)
		}
		if err := ts.AddCRL(b); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
	}
	return ts, nil
}

// parseTrustFile reads one file: PEM (certificates, maybe CRLs), one DER
// certificate, or a DER master list.
func parseTrustFile(name string, b []byte) (*TrustStore, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		if _, err := parseCertificate(b); err == nil {
			ts := &TrustStore{}
			if err := ts.AddCertificate(b); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
			}
			return ts, nil
		}
		ts, err := ParseMasterList(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		return ts, nil
	}
	ts, err := ParseCertificatesPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "X509 CRL" {
			if err := ts.AddCRL(blk.Bytes); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
			}
		}
	}
	return ts, nil
}
