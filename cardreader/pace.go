package cardreader

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
)

// PACE Generic Mapping with ECDH and AES-128 (ICAO 9303-11 §4.4 and
// §9.2.5), as pure functions either side can call: a reader talking to a
// card, or a software card answering a reader. The APDU choreography
// (MSE:Set AT, then four GENERAL AUTHENTICATE commands) is the caller's.

// OIDPACEECDHGMAES128 is the DER content of id-PACE-ECDH-GM-AES-CBC-CMAC-128,
// 0.4.0.127.0.7.2.2.4.2.2 (ICAO 9303-11 §9.2.3).
var OIDPACEECDHGMAES128 = []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02}

// Tags inside the dynamic authentication data object 7C (ICAO 9303-11
// §4.4.4): the encrypted nonce, the mapping keys, the ephemeral keys and
// the authentication tokens.
const (
	TagEncryptedNonce  = 0x80
	TagMappingPCD      = 0x81
	TagMappingPICC     = 0x82
	TagEphemeralPCD    = 0x83
	TagEphemeralPICC   = 0x84
	TagAuthTokenPCD    = 0x85
	TagAuthTokenPICC   = 0x86
	tagDynamicAuthData = 0x7C
	tagPublicKeyObject = 0x7F49
	tagOID             = 0x06
	tagECPublicPoint   = 0x86
)

// EncryptNonce encrypts the chip's nonce s under K_π, AES-CBC with a zero
// IV (ICAO 9303-11 §4.4.3.1). s must be a whole number of blocks.
func EncryptNonce(kPi, s []byte) ([]byte, error) {
	return cbcAES(kPi, s, cipher.NewCBCEncrypter)
}

// DecryptNonce recovers s from the encrypted nonce z.
func DecryptNonce(kPi, z []byte) ([]byte, error) {
	return cbcAES(kPi, z, cipher.NewCBCDecrypter)
}

func cbcAES(key, data []byte, mode func(cipher.Block, []byte) cipher.BlockMode) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPACE, err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: aes input of %d bytes is not block aligned", ErrPACE, len(data))
	}
	out := make([]byte, len(data))
	mode(c, make([]byte, aes.BlockSize)).CryptBlocks(out, data)
	return out, nil
}

// MapGenerator performs the Generic Mapping (ICAO 9303-11 §4.4.3.3.1): with
// this side's mapping private key sk and the other side's mapping public
// key, H = sk·peer and the mapped generator is G' = s·G + H. Both sides
// get the same G'.
func MapGenerator(c *Curve, s, sk []byte, peer Point) (Point, error) {
	if err := c.Validate(peer); err != nil {
		return Point{}, err
	}
	h := c.ScalarMult(peer, sk)
	if h.Infinity() {
		return Point{}, fmt.Errorf("%w: mapping produced infinity", ErrPACE)
	}
	g := c.Add(c.ScalarBaseMult(s), h)
	if g.Infinity() {
		return Point{}, fmt.Errorf("%w: mapped generator is infinity", ErrPACE)
	}
	return g, nil
}

// SharedSecret returns the x-coordinate of sk·peer, ByteLen bytes, the
// ECDH shared secret of the key agreement on the mapped generator
// (ICAO 9303-11 §4.4.3.3.2). peer must differ from this side's own public
// key (mine), which the caller passes to enforce ICAO's check.
func SharedSecret(c *Curve, sk []byte, mine, peer Point) ([]byte, error) {
	if err := c.Validate(peer); err != nil {
		return nil, err
	}
	if peer.Equal(mine) {
		return nil, fmt.Errorf("%w: the other side echoed our public key", ErrPACE)
	}
	k := c.ScalarMult(peer, sk)
	if k.Infinity() {
		return nil, fmt.Errorf("%w: shared secret is infinity", ErrPACE)
	}
	return k.X.FillBytes(make([]byte, c.ByteLen())), nil
}

// SessionKeysAES128 derives KS_enc and KS_mac from the shared secret
// (ICAO 9303-11 §9.7.1).
func SessionKeysAES128(secret []byte) (enc, mac []byte) {
	return DeriveKeyAES128(secret, KDFEnc), DeriveKeyAES128(secret, KDFMAC)
}

// PublicKeyObject encodes the authentication token input for an EC key
// (ICAO 9303-11 §4.4.3.4, §9.4.2): 7F49 { 06 oid, 86 uncompressed point }.
func PublicKeyObject(c *Curve, oid []byte, pub Point) []byte {
	inner := AppendTLV(nil, tagOID, oid)
	inner = AppendTLV(inner, tagECPublicPoint, c.Marshal(pub))
	return AppendTLV(nil, tagPublicKeyObject, inner)
}

// AuthToken computes the authentication token over the other side's
// ephemeral public key: the first 8 bytes of AES-CMAC under KS_mac of its
// public key data object. The terminal's T_PCD covers PK_PICC and the
// chip's T_PICC covers PK_PCD.
func AuthToken(c *Curve, ksMAC, oid []byte, peer Point) ([]byte, error) {
	if err := c.Validate(peer); err != nil {
		return nil, err
	}
	return MAC8(ksMAC, PublicKeyObject(c, oid, peer))
}

// VerifyAuthToken checks the other side's token, computed over this
// side's own public key, in constant time.
func VerifyAuthToken(c *Curve, ksMAC, oid []byte, mine Point, token []byte) error {
	want, err := AuthToken(c, ksMAC, oid, mine)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, token) != 1 {
		return fmt.Errorf("%w: authentication token does not verify", ErrPACE)
	}
	return nil
}

// DynamicAuthData wraps one data object in 7C, the GENERAL AUTHENTICATE
// command or response data (ICAO 9303-11 §4.4.4). An empty value gives the
// empty 7C00 object of the first step.
func DynamicAuthData(tag byte, value []byte) []byte {
	if value == nil {
		return []byte{tagDynamicAuthData, 0x00}
	}
	return AppendTLV(nil, tagDynamicAuthData, AppendTLV(nil, uint32(tag), value))
}

// ParseDynamicAuthData reads a 7C object holding exactly one data object
// tagged tag and returns its value.
func ParseDynamicAuthData(b []byte, tag byte) ([]byte, error) {
	outer, rest, err := parseTLV(b)
	if err != nil || len(rest) != 0 || outer.tag != tagDynamicAuthData {
		return nil, fmt.Errorf("%w: malformed dynamic authentication data", ErrPACE)
	}
	inner, rest, err := parseTLV(outer.value)
	if err != nil || len(rest) != 0 || inner.tag != uint32(tag) {
		return nil, fmt.Errorf("%w: dynamic authentication data without %02X", ErrPACE, tag)
	}
	return inner.value, nil
}
