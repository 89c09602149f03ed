package cardreader

import (
	"crypto/aes"
	"crypto/sha1" //nolint:gosec // ICAO 9303-11 §9.7.1 fixes SHA-1 for the AES-128 KDF
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/dinhdanh/dinhdanh/personalid"
)

// CMAC computes AES-CMAC (NIST SP 800-38B, RFC 4493) of msg under key (16,
// 24 or 32 bytes) and returns the full 16-byte tag. PACE and AES secure
// messaging use its first 8 bytes (ICAO 9303-11 §9.2.5).
func CMAC(key, msg []byte) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cardreader: cmac: %w", err)
	}
	const bs = aes.BlockSize
	// Subkeys: L = E(K, 0); K1 = L·x, K2 = K1·x in GF(2^128).
	k1 := make([]byte, bs)
	c.Encrypt(k1, k1)
	dbl(k1)
	k2 := append([]byte(nil), k1...)
	dbl(k2)

	n := (len(msg) + bs - 1) / bs
	complete := n > 0 && len(msg)%bs == 0
	if n == 0 {
		n = 1
	}
	last := make([]byte, bs)
	rest := msg[(n-1)*bs:]
	if complete {
		subtle.XORBytes(last, rest, k1)
	} else {
		copy(last, rest)
		last[len(rest)] = 0x80
		subtle.XORBytes(last, last, k2)
	}
	x := make([]byte, bs)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, msg[i*bs:(i+1)*bs])
		c.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	c.Encrypt(x, x)
	return x, nil
}

// dbl multiplies a 128-bit block by x in GF(2^128) (RFC 4493 §2.3).
func dbl(b []byte) {
	carry := b[0] >> 7
	for i := 0; i < len(b)-1; i++ {
		b[i] = b[i]<<1 | b[i+1]>>7
	}
	b[len(b)-1] <<= 1
	b[len(b)-1] ^= 0x87 * carry
}

// MAC8 is the first 8 bytes of AES-CMAC, the MAC of PACE tokens and AES
// secure messaging.
func MAC8(key, msg []byte) ([]byte, error) {
	m, err := CMAC(key, msg)
	if err != nil {
		return nil, err
	}
	return m[:8], nil
}

// Key derivation counters of ICAO 9303-11 §9.7.1.
const (
	KDFEnc uint32 = 1 // session encryption key
	KDFMAC uint32 = 2 // session MAC key
	KDFPi  uint32 = 3 // PACE password key K_π
)

// DeriveKeyAES128 is the KDF of ICAO 9303-11 §9.7.1 for AES-128: the first
// 16 bytes of SHA-1(secret ‖ counter), the counter as 4 bytes big-endian.
func DeriveKeyAES128(secret []byte, counter uint32) []byte {
	h := sha1.New() //nolint:gosec // mandated by the specification
	h.Write(secret)
	h.Write(binary.BigEndian.AppendUint32(nil, counter))
	return h.Sum(nil)[:16]
}

// MRZPassword returns the PACE password of an MRZ key, f(MRZ) =
// SHA-1(MRZ_information) (ICAO 9303-11 §9.7.3): the same hash as BAC's key
// seed, untruncated.
func MRZPassword(k Key) ([]byte, error) {
	info, err := k.MRZInformation()
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(info)) //nolint:gosec // mandated by the specification
	return sum[:], nil
}

// CANPassword returns the PACE password of a card access number: the CAN
// itself as ASCII digits (ICAO 9303-11 §9.7.3). A CCCD prints no separate
// CAN; its CAN is the last 6 digits of the ID (see CANFromPersonalID).
func CANPassword(can string) ([]byte, error) {
	if !isDigits(can, 6) {
		return nil, fmt.Errorf("%w: a card access number has 6 digits", ErrMRZ)
	}
	return []byte(can), nil
}

// CANFromPersonalID returns the CAN of a chip ID card, the last 6 digits of
// its 12-digit personal identification number.
func CANFromPersonalID(id string) (string, error) {
	if _, err := personalid.Parse(id); err != nil {
		return "", fmt.Errorf("%w: %w", ErrMRZ, err)
	}
	return id[6:], nil
}

// PasswordKey returns K_π = KDF_π(password) for AES-128 PACE.
func PasswordKey(password []byte) []byte { return DeriveKeyAES128(password, KDFPi) }
