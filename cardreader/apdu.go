package cardreader

import (
	"context"
	"errors"
	"fmt"
)

// Transport carries one command APDU to the card and returns its response
// APDU (data followed by the two status bytes). A PC/SC reader, a software
// card and a scripted test double all implement it; package cardreader does
// no I/O of its own.
type Transport interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// Status words this package acts on (ISO/IEC 7816-4 §5.1.3, ICAO 9303-11
// §9.8.6).
const (
	SWOK                     uint16 = 0x9000
	SWEndOfFile              uint16 = 0x6282 // fewer bytes than Le before the end of the file
	SWAuthenticationFailed   uint16 = 0x6300 // what many chips answer to a wrong BAC key
	SWWrongLength            uint16 = 0x6700
	SWSecurityNotSatisfied   uint16 = 0x6982
	SWConditionsNotSatisfied uint16 = 0x6985
	SWSMObjectsMissing       uint16 = 0x6987
	SWSMObjectsIncorrect     uint16 = 0x6988
	SWWrongData              uint16 = 0x6A80
	SWFunctionNotSupported   uint16 = 0x6A81
	SWFileNotFound           uint16 = 0x6A82
	SWIncorrectP1P2          uint16 = 0x6A86
	SWWrongP1P2              uint16 = 0x6B00 // e.g. an offset beyond the end of the file
	SWINSNotSupported        uint16 = 0x6D00
	SWCLANotSupported        uint16 = 0x6E00
)

// Instructions used by the eMRTD read path.
const (
	InsSelect         byte = 0xA4
	InsReadBinary     byte = 0xB0
	InsGetChallenge   byte = 0x84
	InsMutualAuth     byte = 0x82 // EXTERNAL/MUTUAL AUTHENTICATE, ICAO 9303-11 §4.3.4.1
	maxShortLc             = 255
	maxShortNe             = 256
	maxReadBinaryOfst      = 0x7FFF // P1 bit 8 set means a short EF identifier
)

// Command is a short-length command APDU (ISO/IEC 7816-4 §5.1). Ne is the
// number of response bytes expected: 0 means no Le field, 256 is encoded
// as Le = 00.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
}

// Bytes encodes c. Extended length is not used: the eMRTD read path never
// needs it, and not every contactless reader supports it.
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > maxShortLc {
		return nil, fmt.Errorf("%w: command data of %d bytes needs extended length", ErrAPDU, len(c.Data))
	}
	if c.Ne < 0 || c.Ne > maxShortNe {
		return nil, fmt.Errorf("%w: Ne %d out of range", ErrAPDU, c.Ne)
	}
	b := make([]byte, 0, 6+len(c.Data))
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		b = append(b, byte(len(c.Data)))
		b = append(b, c.Data...)
	}
	if c.Ne > 0 {
		b = append(b, byte(c.Ne)) // 256 wraps to 00, as ISO 7816-4 wants
	}
	return b, nil
}

// ParseCommand decodes a short-length command APDU (cases 1 to 4).
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: command shorter than 4 bytes", ErrAPDU)
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0:
	case len(body) == 1:
		c.Ne = leToNe(body[0])
	default:
		lc := int(body[0])
		if lc == 0 {
			return Command{}, fmt.Errorf("%w: extended length is not supported", ErrAPDU)
		}
		switch len(body) {
		case 1 + lc:
		case 2 + lc:
			c.Ne = leToNe(body[1+lc])
		default:
			return Command{}, fmt.Errorf("%w: Lc %d does not match %d body bytes", ErrAPDU, lc, len(body))
		}
		c.Data = append([]byte(nil), body[1:1+lc]...)
	}
	return c, nil
}

func leToNe(le byte) int {
	if le == 0 {
		return maxShortNe
	}
	return int(le)
}

// Response is a response APDU split into data and status word.
type Response struct {
	Data []byte
	SW   uint16
}

// ParseResponse splits a response APDU.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response shorter than the status word", ErrAPDU)
	}
	n := len(b) - 2
	return Response{Data: append([]byte(nil), b[:n]...), SW: uint16(b[n])<<8 | uint16(b[n+1])}, nil
}

// Bytes encodes r as data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	b := make([]byte, 0, len(r.Data)+2)
	b = append(b, r.Data...)
	return append(b, byte(r.SW>>8), byte(r.SW))
}

// OK reports whether the card answered 9000.
func (r Response) OK() bool { return r.SW == SWOK }

// StatusError is a status word other than 9000 returned by the card for
// one step of the read. errors.Is maps 6A82 to ErrFileNotFound and 6982 to
// ErrSecurityStatus.
type StatusError struct {
	Op string // e.g. "select EF.DG13"
	SW uint16
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("cardreader: %s: card answered %04X", e.Op, e.SW)
}

// Is lets callers test for the common status words with errors.Is.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrFileNotFound:
		return e.SW == SWFileNotFound
	case ErrSecurityStatus:
		return e.SW == SWSecurityNotSatisfied
	}
	return false
}

// statusErr returns a *StatusError for a non-9000 response, nil otherwise.
func statusErr(op string, r Response) error {
	if r.OK() {
		return nil
	}
	return &StatusError{Op: op, SW: r.SW}
}

// IsStatus reports whether err carries the status word sw.
func IsStatus(err error, sw uint16) bool {
	var se *StatusError
	return errors.As(err, &se) && se.SW == sw
}
