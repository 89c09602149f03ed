package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// The card's side of secure messaging (ICAO 9303-11 §9.8), written apart
// from the reader's so that a mistake on one side shows up as a failed
// exchange rather than cancelling out.

func (s *session) inc() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

func (s *session) blockSize() int {
	if s.aes {
		return aes.BlockSize
	}
	return 8
}

// crypt encrypts or decrypts block-aligned data for the current SSC: 3DES
// CBC with a zero IV, or AES CBC with IV = E(KS_enc, SSC).
func (s *session) crypt(data []byte, encrypt bool) ([]byte, error) {
	if !s.aes {
		if encrypt {
			return cardreader.EncryptTDES(s.enc, data)
		}
		return cardreader.DecryptTDES(s.enc, data)
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, errors.New("emulator: unaligned aes data")
	}
	b, err := aes.NewCipher(s.enc)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, aes.BlockSize)
	b.Encrypt(iv, s.ssc)
	out := make([]byte, len(data))
	if encrypt {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	}
	return out, nil
}

// macOf is the retail MAC (3DES) or the first 8 bytes of CMAC (AES) over
// msg padded with method 2.
func (s *session) macOf(msg []byte) ([]byte, error) {
	if !s.aes {
		return cardreader.MAC(s.mac, msg)
	}
	return cardreader.MAC8(s.mac, pad(msg, aes.BlockSize))
}

// pad applies ISO/IEC 9797-1 padding method 2 to a multiple of bs.
func pad(b []byte, bs int) []byte {
	p := append(append([]byte{}, b...), 0x80)
	for len(p)%bs != 0 {
		p = append(p, 0)
	}
	return p
}

func unpad(b []byte, bs int) ([]byte, error) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-bs; i-- {
		switch b[i] {
		case 0x00:
			continue
		case 0x80:
			return b[:i], nil
		}
		break
	}
	return nil, errors.New("emulator: bad padding")
}
