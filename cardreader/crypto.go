package cardreader

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1" //nolint:gosec // ICAO 9303-11 §9.7.1 fixes SHA-1 for BAC key derivation
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// The BAC primitives of ICAO 9303-11 §9.7 (key derivation) and §9.8 (3DES
// secure messaging). They are exported so that a software card (package
// cardreader/emulator) can implement the card's side with the same
// primitives while keeping its own protocol logic.

const blockSize = des.BlockSize // 8

// DeriveKey derives a 16-byte 2-key 3DES key from a key seed and a counter
// (1 for encryption, 2 for MAC), ICAO 9303-11 §9.7.1: the first 16 bytes of
// SHA-1(seed ‖ counter), with DES parity bits adjusted.
func DeriveKey(seed []byte, counter uint32) []byte {
	h := sha1.New() //nolint:gosec // mandated by the specification
	h.Write(seed)
	var c [4]byte
	binary.BigEndian.PutUint32(c[:], counter)
	h.Write(c[:])
	k := h.Sum(nil)[:16]
	for i, b := range k {
		k[i] = adjustParity(b)
	}
	return k
}

// adjustParity sets the least significant bit so that the byte has an odd
// number of one bits (FIPS 46-3 key parity).
func adjustParity(b byte) byte {
	ones := 0
	for i := 1; i < 8; i++ {
		ones += int(b>>i) & 1
	}
	if ones%2 == 0 {
		return b | 1
	}
	return b &^ 1
}

func tdes(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("cardreader: 3des key must have 16 bytes, got %d", len(key))
	}
	k := make([]byte, 0, 24)
	k = append(append(k, key...), key[:8]...)
	return des.NewTripleDESCipher(k)
}

// EncryptTDES encrypts data (a multiple of 8 bytes) with 2-key 3DES in CBC
// mode with a zero IV (ICAO 9303-11 §9.8.6.1 for BAC).
func EncryptTDES(key, data []byte) ([]byte, error) {
	return cbcTDES(key, data, cipher.NewCBCEncrypter)
}

// DecryptTDES reverses EncryptTDES.
func DecryptTDES(key, data []byte) ([]byte, error) {
	return cbcTDES(key, data, cipher.NewCBCDecrypter)
}

func cbcTDES(key, data []byte, mode func(cipher.Block, []byte) cipher.BlockMode) ([]byte, error) {
	c, err := tdes(key)
	if err != nil {
		return nil, err
	}
	if len(data)%blockSize != 0 {
		return nil, fmt.Errorf("cardreader: 3des input of %d bytes is not block aligned", len(data))
	}
	out := make([]byte, len(data))
	mode(c, make([]byte, blockSize)).CryptBlocks(out, data)
	return out, nil
}

// MAC computes the 8-byte retail MAC of ISO/IEC 9797-1 MAC algorithm 3 with
// DES and padding method 2 (ICAO 9303-11 §9.8.6.2) under a 16-byte key
// Ka ‖ Kb: single-DES CBC under Ka, then decrypt with Kb and encrypt with
// Ka on the last block. The message is padded here.
func MAC(key, msg []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("cardreader: mac key must have 16 bytes, got %d", len(key))
	}
	ka, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, err
	}
	kb, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, err
	}
	p := Pad(msg)
	h := make([]byte, blockSize)
	for i := 0; i < len(p); i += blockSize {
		subtle.XORBytes(h, h, p[i:i+blockSize])
		ka.Encrypt(h, h)
	}
	kb.Decrypt(h, h)
	ka.Encrypt(h, h)
	return h, nil
}

// VerifyMAC compares mac with MAC(key, msg) in constant time.
func VerifyMAC(key, msg, mac []byte) bool {
	want, err := MAC(key, msg)
	return err == nil && subtle.ConstantTimeCompare(want, mac) == 1
}

// Pad applies ISO/IEC 9797-1 padding method 2: 80, then 00 up to a multiple
// of 8 bytes (always at least one byte added). It returns a new slice.
func Pad(b []byte) []byte { return padBlock(b, blockSize) }

// Unpad removes padding method 2 from a multiple of 8 bytes.
func Unpad(b []byte) ([]byte, error) { return unpadBlock(b, blockSize) }

// padBlock pads b with method 2 to a multiple of bs bytes (8 for 3DES, 16
// for AES).
func padBlock(b []byte, bs int) []byte {
	n := len(b) + 1
	n += (bs - n%bs) % bs
	p := make([]byte, n)
	copy(p, b)
	p[len(b)] = 0x80
	return p
}

// unpadBlock removes method 2 padding, which spans at most the last block.
func unpadBlock(b []byte, bs int) ([]byte, error) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-bs; i-- {
		switch b[i] {
		case 0x00:
			continue
		case 0x80:
			return b[:i], nil
		}
		break
	}
	return nil, fmt.Errorf("%w: bad padding", ErrSecureMessaging)
}

func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
