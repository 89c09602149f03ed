package cardreader

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// DefaultChunkSize is the READ BINARY length used under secure messaging:
// 0xDF bytes of data pad to 224, so the protected answer (DO87, DO99, DO8E)
// still fits a short response APDU of 256 bytes.
const DefaultChunkSize = 0xDF

// maxFileSize bounds what Reader reads from one elementary file. DG1 and
// DG13 are a few hundred bytes; short READ BINARY offsets stop at 32767.
const maxFileSize = maxReadBinaryOfst

// Reader reads a chip ID card over a Transport: SELECT of the eMRTD
// application, BAC, then EF.COM, DG1 and DG13 under secure messaging. It
// never reads DG2 or DG3 (biometrics) and does no passive authentication
// yet (see doc.go). The zero value is ready to use.
type Reader struct {
	// Rand supplies RND.IFD and K.IFD; nil means crypto/rand.Reader.
	Rand io.Reader
	// ChunkSize is the number of bytes asked per READ BINARY; 0 means
	// DefaultChunkSize. Values above 0xDF may not fit a short APDU.
	ChunkSize int
}

// Request says which card is expected.
type Request struct {
	Key Key // BAC key, from the card's printed data or MRZ
	// QR is the card's QR code when it was scanned too; the chip must
	// agree with it (Card.MatchQR).
	QR *QR
}

// Read runs the whole read and the consistency checks of NewCard (and
// MatchQR when req.QR is set). On any disagreement it returns no Card.
func (r *Reader) Read(ctx context.Context, t Transport, req Request) (*Card, error) {
	s, err := r.Open(ctx, t, req.Key)
	if err != nil {
		return nil, err
	}
	comRaw, err := s.ReadFile(ctx, "EF.COM", FIDCOM)
	if err != nil {
		return nil, err
	}
	com, err := ParseCOM(comRaw)
	if err != nil {
		return nil, err
	}
	dg1Raw, err := s.ReadFile(ctx, "EF.DG1", FIDDG1)
	if err != nil {
		return nil, err
	}
	mrz, err := ParseDG1(dg1Raw)
	if err != nil {
		return nil, err
	}
	if mrz.Key() != normalizeKey(req.Key) {
		// BAC succeeded, so the card knows this key; a DG1 that does not
		// repeat it is inconsistent.
		return nil, fmt.Errorf("%w: DG1 does not repeat the access key", ErrMismatch)
	}
	var dg13 *DG13
	if com.Has(13) {
		raw, err := s.ReadFile(ctx, "EF.DG13", FIDDG13)
		if err != nil {
			return nil, err
		}
		d, err := ParseDG13(raw)
		if err != nil {
			return nil, err
		}
		dg13 = &d
	}
	c, err := NewCard(com, mrz, dg13)
	if err != nil {
		return nil, err
	}
	if req.QR != nil {
		if err := c.MatchQR(*req.QR); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func normalizeKey(k Key) Key {
	info, err := k.MRZInformation()
	if err != nil {
		return k
	}
	doc := info[:len(info)-15] // drop the check digit and the two dates with theirs
	for len(doc) > 0 && doc[len(doc)-1] == '<' {
		doc = doc[:len(doc)-1]
	}
	return Key{DocumentNumber: doc, BirthDate: k.BirthDate, ExpiryDate: k.ExpiryDate}
}

// Session is an open secure messaging session with the eMRTD application.
type Session struct {
	t     Transport
	sm    *SecureMessaging
	chunk int
}

// Open selects the eMRTD application and runs BAC.
func (r *Reader) Open(ctx context.Context, t Transport, k Key) (*Session, error) {
	sel, err := transmitPlain(ctx, t, Command{INS: InsSelect, P1: 0x04, P2: 0x0C, Data: AIDeMRTD})
	if err != nil {
		return nil, fmt.Errorf("cardreader: select application: %w", err)
	}
	if err := statusErr("select eMRTD application", sel); err != nil {
		if errors.Is(err, ErrFileNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrNotEMRTD, err)
		}
		return nil, err
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	sm, err := BAC(ctx, t, k, rnd)
	if err != nil {
		return nil, err
	}
	chunk := r.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	return &Session{t: t, sm: sm, chunk: min(chunk, maxShortNe)}, nil
}

// SecureMessaging exposes the session's keys and counter (for tests and
// diagnostics; never log the keys).
func (s *Session) SecureMessaging() *SecureMessaging { return s.sm }

// ReadFile selects the elementary file fid and reads it whole: first its
// 4-byte TLV header, then the rest in chunks (ICAO 9303-10 §3.10). name is
// used in errors only.
func (s *Session) ReadFile(ctx context.Context, name string, fid uint16) ([]byte, error) {
	sel, err := s.sm.Transmit(ctx, s.t, Command{INS: InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}})
	if err != nil {
		return nil, fmt.Errorf("cardreader: select %s: %w", name, err)
	}
	if err := statusErr("select "+name, sel); err != nil {
		return nil, err
	}
	buf, err := s.readBinary(ctx, name, 0, 4)
	if err != nil {
		return nil, err
	}
	total, err := fileLength(buf)
	if errors.Is(err, errShortHeader) && len(buf) == 4 {
		more, rerr := s.readBinary(ctx, name, 4, 4)
		if rerr != nil {
			return nil, rerr
		}
		buf = append(buf, more...)
		total, err = fileLength(buf)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if total > maxFileSize {
		return nil, fmt.Errorf("%w: %s of %d bytes is too large", ErrDataGroup, name, total)
	}
	for len(buf) < total {
		n := min(s.chunk, total-len(buf))
		b, err := s.readBinary(ctx, name, len(buf), n)
		if err != nil {
			return nil, err
		}
		buf = append(buf, b...)
	}
	return buf[:total], nil
}

func (s *Session) readBinary(ctx context.Context, name string, off, n int) ([]byte, error) {
	if off > maxReadBinaryOfst {
		return nil, fmt.Errorf("%w: %s offset beyond short READ BINARY", ErrDataGroup, name)
	}
	r, err := s.sm.Transmit(ctx, s.t, Command{INS: InsReadBinary, P1: byte(off >> 8), P2: byte(off), Ne: n})
	if err != nil {
		return nil, fmt.Errorf("cardreader: read %s: %w", name, err)
	}
	// 6282: the file ended before Ne bytes; what came is still good.
	if r.SW != SWOK && r.SW != SWEndOfFile {
		return nil, &StatusError{Op: "read " + name, SW: r.SW}
	}
	if len(r.Data) == 0 || len(r.Data) > n {
		return nil, fmt.Errorf("%w: read %s returned %d bytes for %d asked", ErrAPDU, name, len(r.Data), n)
	}
	return r.Data, nil
}

var errShortHeader = errors.New("cardreader: header incomplete")

// fileLength returns the total length of the TLV that b starts.
func fileLength(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errShortHeader
	}
	i := 1
	if b[0]&0x1F == 0x1F {
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, errShortHeader
	}
	if b[i] >= 0x80 && len(b) < i+1+int(b[i]&0x7F) {
		return 0, errShortHeader
	}
	n, size, err := parseLength(b[i:])
	if err != nil {
		return 0, err
	}
	return i + size + n, nil
}
