package cardreader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrPortrait: DG2 does not hold a face image PortraitImage understands
// (ICAO 9303-10 §4.7.2 with an ISO/IEC 19794-5 facial record, JPEG or
// JPEG 2000).
var ErrPortrait = errors.New("cardreader: DG2 holds no readable portrait")

// PortraitImage digs the face image out of DG2 (ICAO 9303-10 §4.7.2):
// 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E biometric data } } },
// the biometric data being an ISO/IEC 19794-5 facial record ("FAC\0")
// whose first image it returns, with its format.
func PortraitImage(dg2 []byte) ([]byte, string, error) {
	v, err := dg2Find(dg2, 0x75)
	if err != nil {
		return nil, "", err
	}
	if v, err = dg2Find(v, 0x7F61); err != nil {
		return nil, "", err
	}
	if v, err = dg2Find(v, 0x7F60); err != nil {
		return nil, "", err
	}
	data, err := dg2Find(v, 0x5F2E)
	if err != nil {
		if data, err = dg2Find(v, 0x7F2E); err != nil {
			return nil, "", err
		}
	}
	img, err := facialRecordImage(data)
	if err != nil {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF}):
		return img, "jpeg", nil
	case bytes.HasPrefix(img, []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' '}), bytes.HasPrefix(img, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return img, "jpeg2000", nil
	}
	return nil, "", fmt.Errorf("%w: the image is neither JPEG nor JPEG 2000", ErrPortrait)
}

// facialRecordImage returns the image of the first face of an ISO/IEC
// 19794-5:2005 record: a 14-byte general header, then per face a 20-byte
// information block, 8 bytes per feature point, a 12-byte image
// information block and the image, the face block's length covering all
// of it.
func facialRecordImage(b []byte) ([]byte, error) {
	const general, info, point, imageInfo = 14, 20, 8, 12
	if len(b) < general+info || !bytes.HasPrefix(b, []byte("FAC\x00")) {
		return nil, fmt.Errorf("%w: not an ISO/IEC 19794-5 facial record", ErrPortrait)
	}
	if binary.BigEndian.Uint16(b[12:14]) == 0 {
		return nil, fmt.Errorf("%w: the record holds no face", ErrPortrait)
	}
	face := b[general:]
	blockLen := int(binary.BigEndian.Uint32(face[0:4]))
	points := int(binary.BigEndian.Uint16(face[4:6]))
	start := info + points*point + imageInfo
	if blockLen > len(face) || start > blockLen {
		return nil, fmt.Errorf("%w: facial record lengths disagree", ErrPortrait)
	}
	return face[start:blockLen], nil
}

// dg2Find returns the value of the first BER-TLV object tagged tag at the
// top level of b.
func dg2Find(b []byte, tag uint32) ([]byte, error) {
	for len(b) > 0 {
		t, v, rest, err := dg2Next(b)
		if err != nil {
			return nil, err
		}
		if t == tag {
			return v, nil
		}
		b = rest
	}
	return nil, fmt.Errorf("%w: no tag %X", ErrPortrait, tag)
}

func dg2Next(b []byte) (tag uint32, value, rest []byte, err error) {
	bad := fmt.Errorf("%w: malformed TLV", ErrPortrait)
	if len(b) == 0 {
		return 0, nil, nil, bad
	}
	i := 1
	tag = uint32(b[0])
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) || i > 3 {
				return 0, nil, nil, bad
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, nil, nil, bad
	}
	n := int(b[i])
	i++
	if n > 0x80 {
		k := n & 0x7F
		if k > 3 || i+k > len(b) {
			return 0, nil, nil, bad
		}
		n = 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	} else if n == 0x80 {
		return 0, nil, nil, bad // indefinite length: not in DER, not on a chip
	}
	if n > len(b)-i {
		return 0, nil, nil, bad
	}
	return tag, b[i : i+n], b[i+n:], nil
}
