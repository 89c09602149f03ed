package cardreader

import (
	"crypto"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Active Authentication, verifier side (ICAO 9303-11 §6.1): the chip signs
// the verifier's 8-byte challenge with the private key whose public half
// is in DG15. DG15 itself is covered by the SOD, so a chip that answers
// holds the issuer's key; a copy of the files does not.

const (
	tagDG14 = 0x6E
	tagDG15 = 0x6F
	// aaChallengeLen is the length of RND.IFD in INTERNAL AUTHENTICATE.
	aaChallengeLen = 8
)

var (
	// oidActiveAuth is id-icao-mrtd-security-aaProtocolObject (ICAO 9303-11
	// §9.2.9), announcing ActiveAuthenticationInfo in DG14.
	oidActiveAuth = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}
	// oidECDSAPlain is ecdsa-plain-signatures (BSI TR-03111 §5.2.1); the
	// last arc is 1 SHA-1, 2 SHA-224, 3 SHA-256, 4 SHA-384, 5 SHA-512.
	oidECDSAPlain = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1}
)

// parseDG15 decodes DG15: tag 6F around a SubjectPublicKeyInfo.
func parseDG15(b []byte) (publicKey, error) {
	t, rest, err := parseTLV(b)
	if err != nil || t.tag != tagDG15 || len(rest) > 0 {
		return publicKey{}, fmt.Errorf("%w: dg15 is not a tag 6F object", ErrDataGroup)
	}
	k, err := parsePublicKey(t.value)
	if err != nil {
		return publicKey{}, fmt.Errorf("%w: dg15: %v", ErrDataGroup, err)
	}
	return k, nil
}

type securityInfoHead struct {
	Protocol asn1.ObjectIdentifier
}

type activeAuthInfo struct {
	Protocol           asn1.ObjectIdentifier
	Version            int
	SignatureAlgorithm asn1.ObjectIdentifier
}

// aaHashFromDG14 returns the hash an ECDSA chip uses for AA as DG14's
// ActiveAuthenticationInfo announces it, or 0 when DG14 is absent or
// says nothing.
func aaHashFromDG14(dg14 []byte) (crypto.Hash, error) {
	if len(dg14) == 0 {
		return 0, nil
	}
	t, _, err := parseTLV(dg14)
	if err != nil || t.tag != tagDG14 {
		return 0, fmt.Errorf("%w: dg14 is not a tag 6E object", ErrDataGroup)
	}
	var set asn1.RawValue
	if _, err := asn1.Unmarshal(t.value, &set); err != nil || set.Tag != asn1.TagSet {
		return 0, fmt.Errorf("%w: dg14 is not a set of security infos", ErrDataGroup)
	}
	for b := set.Bytes; len(b) > 0; {
		var raw asn1.RawValue
		rest, err := asn1.Unmarshal(b, &raw)
		if err != nil {
			return 0, fmt.Errorf("%w: malformed dg14 security info", ErrDataGroup)
		}
		b = rest
		var head securityInfoHead
		if _, err := asn1.Unmarshal(raw.FullBytes, &head); err != nil || !head.Protocol.Equal(oidActiveAuth) {
			continue
		}
		var info activeAuthInfo
		if _, err := asn1.Unmarshal(raw.FullBytes, &info); err != nil {
			return 0, fmt.Errorf("%w: malformed ActiveAuthenticationInfo", ErrDataGroup)
		}
		return aaSignatureHash(info.SignatureAlgorithm)
	}
	return 0, nil
}

func aaSignatureHash(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	if len(oid) == len(oidECDSAPlain)+1 && oid[:len(oidECDSAPlain)].Equal(oidECDSAPlain) {
		if h := []crypto.Hash{0, crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512}; oid[len(oid)-1] >= 1 && oid[len(oid)-1] < len(h) {
			return h[oid[len(oid)-1]], nil
		}
	}
	for _, m := range []struct {
		oid  asn1.ObjectIdentifier
		hash crypto.Hash
	}{{oidECDSASHA1, crypto.SHA1}, {oidECDSASHA224, crypto.SHA224}, {oidECDSASHA256, crypto.SHA256},
		{oidECDSASHA384, crypto.SHA384}, {oidECDSASHA512, crypto.SHA512}} {
		if m.oid.Equal(oid) {
			return m.hash, nil
		}
	}
	return 0, fmt.Errorf("%w: unsupported active authentication algorithm %v", ErrDataGroup, oid)
}

// verifyActiveAuth checks the chip's answer sig to challenge with the DG15
// key. dg14 (may be nil) names the ECDSA hash.
func verifyActiveAuth(dg15, dg14, challenge, sig []byte) error {
	key, err := parseDG15(dg15)
	if err != nil {
		return err
	}
	if len(challenge) == 0 || len(sig) == 0 {
		return fmt.Errorf("%w: no answer to the active authentication challenge", ErrClone)
	}
	if len(challenge) != aaChallengeLen {
		return fmt.Errorf("%w: challenge of %d bytes, want %d", ErrClone, len(challenge), aaChallengeLen)
	}
	if key.rsa != nil {
		if err := verifyISO9796(key, challenge, sig); err != nil {
			return fmt.Errorf("%w: %v", ErrClone, err)
		}
		return nil
	}
	hash, err := aaHashFromDG14(dg14)
	if err != nil {
		return err
	}
	if hash == 0 {
		// No ActiveAuthenticationInfo: take the hash matching the key size.
		switch bits := key.bitLen(); {
		case bits <= 256:
			hash = crypto.SHA256
		case bits <= 384:
			hash = crypto.SHA384
		default:
			hash = crypto.SHA512
		}
	}
	l := (key.bitLen() + 7) / 8
	if len(sig) != 2*l {
		return fmt.Errorf("%w: ecdsa answer of %d bytes, want %d", ErrClone, len(sig), 2*l)
	}
	h := hash.New()
	h.Write(challenge)
	r, s := new(big.Int).SetBytes(sig[:l]), new(big.Int).SetBytes(sig[l:])
	if !key.verifyECDSA(h.Sum(nil), r, s) {
		return fmt.Errorf("%w: ecdsa answer does not verify", ErrClone)
	}
	return nil
}

// iso9796Trailers maps the hash identifier of a two-byte trailer (xx CC)
// to its hash (ISO/IEC 10118-3 numbering used by ISO/IEC 9796-2).
var iso9796Trailers = map[byte]crypto.Hash{
	0x33: crypto.SHA1, 0x34: crypto.SHA256, 0x35: crypto.SHA512, 0x36: crypto.SHA384, 0x38: crypto.SHA224,
}

// verifyISO9796 verifies an RSA AA answer: ISO/IEC 9796-2 digital signature
// scheme 1 with partial message recovery (ICAO 9303-11 §6.1.2). The
// recovered representative is 6A ‖ M1 ‖ H(M1 ‖ M2) ‖ trailer, where M2 is
// the challenge and the trailer is BC (SHA-1) or a hash identifier and CC.
func verifyISO9796(key publicKey, m2, sig []byte) error {
	n := key.rsa.N
	k := (n.BitLen() + 7) / 8
	if len(sig) > k {
		return errors.New("rsa answer longer than the modulus")
	}
	s := new(big.Int).SetBytes(sig)
	if s.Sign() == 0 || s.Cmp(n) >= 0 {
		return errors.New("rsa answer out of range")
	}
	j := new(big.Int).Exp(s, big.NewInt(int64(key.rsa.E)), n)
	// ISO/IEC 9796-2 §8.2: the signature is min(J^d, n − J^d); the
	// representative ends in nibble C.
	if j.Bit(0) != 0 || j.Bit(1) != 0 || j.Bit(2) != 1 || j.Bit(3) != 1 {
		j.Sub(n, j)
	}
	f := j.FillBytes(make([]byte, k))
	if f[k-1]&0x0F != 0x0C {
		return errors.New("rsa answer: no iso 9796-2 trailer")
	}
	hash, tlen := crypto.SHA1, 1
	if f[k-1] == 0xCC {
		h, ok := iso9796Trailers[f[k-2]]
		if !ok {
			return errors.New("rsa answer: unknown hash in the trailer")
		}
		hash, tlen = h, 2
	} else if f[k-1] != 0xBC {
		return errors.New("rsa answer: bad trailer")
	}
	if f[0] != 0x6A {
		return errors.New("rsa answer: not a partial recovery representative")
	}
	hl := hash.Size()
	if k < 1+hl+tlen+1 {
		return errors.New("rsa key too small for the hash")
	}
	m1 := f[1 : k-tlen-hl]
	d := hash.New()
	d.Write(m1)
	d.Write(m2)
	if subtle.ConstantTimeCompare(d.Sum(nil), f[k-tlen-hl:k-tlen]) != 1 {
		return errors.New("rsa answer does not verify")
	}
	return nil
}
