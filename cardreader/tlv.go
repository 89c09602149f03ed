package cardreader

import "fmt"

// BER-TLV as used by the LDS (ICAO 9303-10 §4.4) and secure messaging
// data objects (ISO/IEC 7816-4 §5.2). Tags are kept as their encoded bytes
// read big-endian (0x5F1F, 0x6D, 0x87), which is how ICAO documents name
// them.

type tlv struct {
	tag   uint32
	value []byte
	raw   []byte // the whole encoding, tag to end of value
}

const maxTLVLen = 1 << 20 // nothing on an ID card comes near a megabyte

// parseTLV reads one TLV from b and returns it and the bytes after it.
func parseTLV(b []byte) (tlv, []byte, error) {
	if len(b) < 2 {
		return tlv{}, nil, fmt.Errorf("%w: truncated tlv", ErrDataGroup)
	}
	i := 1
	tag := uint32(b[0])
	if b[0]&0x1F == 0x1F { // multi-byte tag
		for {
			if i >= len(b) || i > 3 {
				return tlv{}, nil, fmt.Errorf("%w: bad tag", ErrDataGroup)
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return tlv{}, nil, fmt.Errorf("%w: truncated tlv", ErrDataGroup)
	}
	n, hdr, err := parseLength(b[i:])
	if err != nil {
		return tlv{}, nil, err
	}
	i += hdr
	if n > len(b)-i {
		return tlv{}, nil, fmt.Errorf("%w: tlv length %d beyond the data", ErrDataGroup, n)
	}
	return tlv{tag: tag, value: b[i : i+n], raw: b[:i+n]}, b[i+n:], nil
}

// parseLength decodes a BER length (short form, or 81/82/83) and returns
// it with the number of bytes it took.
func parseLength(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: missing length", ErrDataGroup)
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7F)
	if k == 0 || k > 3 || len(b) < 1+k {
		return 0, 0, fmt.Errorf("%w: bad length", ErrDataGroup)
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	if n > maxTLVLen {
		return 0, 0, fmt.Errorf("%w: length %d too large", ErrDataGroup, n)
	}
	return n, 1 + k, nil
}

// parseTLVs reads a sequence of TLVs filling b exactly.
func parseTLVs(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		t, rest, err := parseTLV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

// AppendTLV appends the DER encoding of tag (given as its encoded bytes
// read big-endian, e.g. 0x5F1F) and value to dst, using the shortest
// length form.
func AppendTLV(dst []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xFFFFFF:
		dst = append(dst, byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFFFF:
		dst = append(dst, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		dst = append(dst, byte(tag>>8), byte(tag))
	default:
		dst = append(dst, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, value...)
}

// TLV returns the DER encoding of one data object; see AppendTLV.
func TLV(tag uint32, value ...[]byte) []byte {
	var v []byte
	for _, p := range value {
		v = append(v, p...)
	}
	return AppendTLV(nil, tag, v)
}
