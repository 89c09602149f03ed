package cardreader

import "errors"

// Some issuers write EF.SOD in BER rather than DER: indefinite lengths,
// long-form lengths that are not minimal, or the encapsulated content as a
// constructed OCTET STRING in chunks. encoding/asn1 takes DER only, so
// ParseSOD, when the DER parse fails, re-encodes the structure in DER and
// tries again. Signatures are unaffected where they are defined over DER
// anyway (signed attributes, RFC 5652 §5.4; certificates issued in DER)
// and the message digest covers the content octets, which re-encoding
// does not change (a chunked OCTET STRING is joined).

const (
	berMaxDepth = 32
	berMaxLen   = 1 << 20 // like maxTLVLen: nothing on an ID card is larger
)

var errBER = errors.New("malformed ber")

// berToDER re-encodes one BER element filling b in DER form.
func berToDER(b []byte) ([]byte, error) {
	if len(b) > berMaxLen {
		return nil, errBER
	}
	out, rest, err := berElement(b, 0)
	if err != nil || len(rest) > 0 {
		return nil, errBER
	}
	return out, nil
}

// berElement converts the element at the start of b, returning its DER
// encoding and the bytes after it.
func berElement(b []byte, depth int) (der, rest []byte, err error) {
	if depth > berMaxDepth || len(b) < 2 {
		return nil, nil, errBER
	}
	// Identifier octets (X.690 §8.1.2), multi-byte tags included.
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) || i > 4 {
				return nil, nil, errBER
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	ident := b[:i]
	constructed := b[0]&0x20 != 0
	if i >= len(b) {
		return nil, nil, errBER
	}
	// Length octets (§8.1.3).
	l := b[i]
	i++
	var content []byte
	switch {
	case l == 0x80: // indefinite: contents end with 00 00 (§8.1.5)
		if !constructed {
			return nil, nil, errBER
		}
		var children [][]byte
		p := b[i:]
		for {
			if len(p) < 2 {
				return nil, nil, errBER
			}
			if p[0] == 0 && p[1] == 0 {
				p = p[2:]
				break
			}
			c, r, err := berElement(p, depth+1)
			if err != nil {
				return nil, nil, err
			}
			children = append(children, c)
			p = r
		}
		der, err := berFinish(ident, children)
		return der, p, err
	case l < 0x80:
		if int(l) > len(b)-i {
			return nil, nil, errBER
		}
		content, rest = b[i:i+int(l)], b[i+int(l):]
	default:
		k := int(l & 0x7F)
		if k > 4 || k > len(b)-i {
			return nil, nil, errBER
		}
		n := 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
		if n > berMaxLen || n > len(b)-i {
			return nil, nil, errBER
		}
		content, rest = b[i:i+n], b[i+n:]
	}
	if !constructed {
		return appendDER(nil, ident, content), rest, nil
	}
	var children [][]byte
	for p := content; len(p) > 0; {
		c, r, err := berElement(p, depth+1)
		if err != nil {
			return nil, nil, err
		}
		children = append(children, c)
		p = r
	}
	der, err = berFinish(ident, children)
	return der, rest, err
}

// berFinish encodes a constructed element from its DER children; a
// constructed OCTET STRING (§8.7.3) becomes a primitive one holding the
// joined octets of its segments.
func berFinish(ident []byte, children [][]byte) ([]byte, error) {
	var content []byte
	if len(ident) == 1 && ident[0] == 0x24 {
		for _, c := range children {
			t, rest, err := parseTLV(c)
			if err != nil || len(rest) > 0 || t.tag != 0x04 {
				return nil, errBER
			}
			content = append(content, t.value...)
		}
		return appendDER(nil, []byte{0x04}, content), nil
	}
	for _, c := range children {
		content = append(content, c...)
	}
	return appendDER(nil, ident, content), nil
}

// appendDER appends ident, the minimal length and content.
func appendDER(dst, ident, content []byte) []byte {
	dst = append(dst, ident...)
	n := len(content)
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
	return append(dst, content...)
}
