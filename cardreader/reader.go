package cardreader

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultChunkSize is the READ BINARY length used under secure messaging:
// 0xDF bytes of data pad to 224, so the protected answer (DO87, DO99, DO8E)
// still fits a short response APDU of 256 bytes.
const DefaultChunkSize = 0xDF

// maxFileSize bounds what Reader reads from one elementary file. DG1 and
// DG13 are a few hundred bytes; short READ BINARY offsets stop at 32767.
const maxFileSize = maxReadBinaryOfst

// Reader reads a chip ID card (or a passport: DG1 then holds a TD3 MRZ,
// there is no DG13, and Read.Passport is filled instead of Read.Card) over
// a Transport: EF.CardAccess, PACE when
// it offers it (BAC otherwise), then EF.COM, DG1, DG13, DG14, DG15 and
// EF.SOD under secure messaging, and Active Authentication when DG15 is
// there. It reads DG2 (portrait) only when asked and never DG3
// (fingerprints). It does no passive authentication: it brings back the
// bytes (ChipData) for a verifier. The zero value is ready to use.
type Reader struct {
	// Rand supplies RND.IFD and K.IFD for BAC, the ephemeral keys of PACE
	// and the Active Authentication challenge when the request has none;
	// nil means crypto/rand.Reader.
	Rand io.Reader
	// ChunkSize is the number of bytes asked per READ BINARY; 0 means
	// DefaultChunkSize. Values above 0xDF may not fit a short APDU.
	ChunkSize int
}

// Request says which card is expected and what to read.
type Request struct {
	// Key is the MRZ key, from the card's printed data: the BAC key, and
	// the PACE password when CAN is empty.
	Key Key
	// CAN is the card access number (for a CCCD the last 6 digits of the
	// ID): the PACE password when set. A card offering only BAC still
	// needs Key.
	CAN string
	// QR is the card's QR code when it was scanned too; the chip must
	// agree with it (Card.MatchQR).
	QR *QR
	// Challenge is the 8-byte Active Authentication challenge, chosen by
	// whoever verifies the answer (the gateway). When the card has DG15
	// and Challenge is nil, the reader draws one itself (good only for a
	// local check).
	Challenge []byte
	// Portrait asks for DG2, returned in Read.Portrait and never in
	// ChipData.
	Portrait bool
	// PassportPortrait asks for DG2 only when DG1 turns out to be a
	// passport's (a foreigner's portrait, which the gateway shows the
	// officer); an ID card's DG2 is then not read.
	PassportPortrait bool
}

// Read is the outcome of ReadChip.
type Read struct {
	// Card is what the chip says, checked for consistency; nil for a
	// passport, which fills Passport instead.
	Card *Card
	// Passport is what a passport's chip (DG1 holding a TD3 MRZ) says;
	// nil for an ID card.
	Passport *Passport
	// Chip holds the files and the Active Authentication answer byte for
	// byte, for a verifier (never DG2 or DG3).
	Chip ChipData
	// Portrait is DG2 when Request.Portrait asked for it and the card lists
	// it; it is biometric data, for the officer's screen only.
	Portrait []byte
}

// Access control names in ChipData.AccessControl.
const (
	AccessPACE = "PACE"
	AccessBAC  = "BAC"
)

// Read runs the whole read and the consistency checks of NewCard (and
// MatchQR when req.QR is set). On any disagreement it returns no Card.
// It is ReadChip without the chip data.
func (r *Reader) Read(ctx context.Context, t Transport, req Request) (*Card, error) {
	rd, err := r.ReadChip(ctx, t, req)
	if err != nil {
		return nil, err
	}
	if rd.Card == nil {
		return nil, fmt.Errorf("%w: a passport, not an ID card", ErrMismatch)
	}
	return rd.Card, nil
}

// ReadChip opens the card (PACE when EF.CardAccess offers a variant this
// package runs, BAC otherwise), reads EF.COM, DG1, DG13, DG14 and DG15 as
// EF.COM lists them, EF.SOD when present and DG2 when req.Portrait asks
// for it; it runs Active Authentication over req.Challenge when DG15 is
// present; then it checks the card's data as Read does.
func (r *Reader) ReadChip(ctx context.Context, t Transport, req Request) (*Read, error) {
	if len(req.Challenge) != 0 && len(req.Challenge) != ChallengeSize {
		return nil, fmt.Errorf("%w: an active authentication challenge has %d bytes", ErrAPDU, ChallengeSize)
	}
	s, err := r.open(ctx, t, req)
	if err != nil {
		return nil, err
	}
	out := &Read{Chip: ChipData{AccessControl: s.access, CardAccess: s.cardAccess, DataGroups: map[int][]byte{}}}
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
	out.Chip.DataGroups[1] = dg1Raw
	mrz, err := ParseDG1(dg1Raw)
	if err != nil {
		return nil, err
	}
	if req.CAN != "" {
		// PACE with the CAN succeeded; on a CCCD the CAN is the end of the
		// ID that DG1 carries.
		if mrz.PersonalID != "" && !strings.HasSuffix(mrz.PersonalID, req.CAN) {
			return nil, fmt.Errorf("%w: DG1 does not end with the card access number", ErrMismatch)
		}
	} else if mrz.Key() != normalizeKey(req.Key) {
		// Access control succeeded, so the card knows this key; a DG1
		// that does not repeat it is inconsistent.
		return nil, fmt.Errorf("%w: DG1 does not repeat the access key", ErrMismatch)
	}
	passport := mrz.Passport()
	if passport && req.QR != nil {
		return nil, fmt.Errorf("%w: a passport has no QR code to compare", ErrMismatch)
	}
	var dg13 *DG13
	for _, f := range []struct {
		n    int
		name string
		fid  uint16
	}{{13, "EF.DG13", FIDDG13}, {14, "EF.DG14", FIDDG14}, {15, "EF.DG15", FIDDG15}} {
		if !com.Has(f.n) || passport && f.n == 13 {
			continue // DG13 is the Vietnamese ID card's
		}
		raw, err := s.ReadFile(ctx, f.name, f.fid)
		if err != nil {
			return nil, err
		}
		out.Chip.DataGroups[f.n] = raw
		if f.n == 13 {
			d, err := ParseDG13(raw)
			if err != nil {
				return nil, err
			}
			dg13 = &d
		}
	}
	if (req.Portrait || req.PassportPortrait && passport) && com.Has(2) {
		if out.Portrait, err = s.ReadFile(ctx, "EF.DG2", FIDDG2); err != nil {
			return nil, err
		}
	}
	if _, ok := out.Chip.DataGroups[15]; ok {
		ch := bytes.Clone(req.Challenge)
		if ch == nil {
			ch = make([]byte, ChallengeSize)
			if _, err := io.ReadFull(r.rand(), ch); err != nil {
				return nil, fmt.Errorf("cardreader: random: %w", err)
			}
		}
		sig, err := s.InternalAuthenticate(ctx, ch)
		if err != nil {
			return nil, err
		}
		out.Chip.Challenge, out.Chip.ActiveAuthSignature = ch, sig
	}
	sod, err := s.ReadFile(ctx, "EF.SOD", FIDSOD)
	switch {
	case errors.Is(err, ErrFileNotFound):
		// Without EF.SOD the verifier's passive authentication fails; the
		// read itself goes on. It is read last: many chips answer an
		// absent file with a plain 6A82, which ends secure messaging.
	case err != nil:
		return nil, err
	default:
		out.Chip.SOD = sod
	}
	if passport {
		if out.Passport, err = NewPassport(com, mrz); err != nil {
			return nil, err
		}
		return out, nil
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
	out.Card = c
	return out, nil
}

func (r *Reader) rand() io.Reader {
	if r.Rand == nil {
		return rand.Reader
	}
	return r.Rand
}

func (r *Reader) chunk() int {
	chunk := r.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	return min(chunk, maxShortNe)
}

// open reads EF.CardAccess and runs PACE when it offers a supported
// variant, BAC otherwise.
func (r *Reader) open(ctx context.Context, t Transport, req Request) (*Session, error) {
	raw, err := readCardAccess(ctx, t, r.chunk())
	if err != nil {
		return nil, err
	}
	var ca *CardAccess
	if raw != nil {
		ca, _ = ParseCardAccess(raw) // a malformed one offers nothing: BAC
	}
	if ca != nil {
		if info, _, ok := ca.SupportedPACE(); ok {
			infos, _ := ca.PACE()
			pw, err := pacePassword(req)
			if err != nil {
				return nil, err
			}
			sm, err := PACE(ctx, t, PACEParams{Info: info, Password: pw, IdentifyParameters: len(infos) > 1, Rand: r.rand()})
			if err != nil {
				return nil, err
			}
			s := &Session{t: t, sm: sm, chunk: r.chunk(), access: AccessPACE, cardAccess: raw}
			// After PACE the eMRTD application is selected under secure
			// messaging (ICAO 9303-11 §4.2).
			sel, err := sm.Transmit(ctx, t, Command{INS: InsSelect, P1: 0x04, P2: 0x0C, Data: AIDeMRTD})
			if err != nil {
				return nil, fmt.Errorf("cardreader: select application: %w", err)
			}
			if err := statusErr("select eMRTD application", sel); err != nil {
				if errors.Is(err, ErrFileNotFound) {
					return nil, fmt.Errorf("%w: %w", ErrNotEMRTD, err)
				}
				return nil, err
			}
			return s, nil
		}
	}
	if req.Key == (Key{}) {
		return nil, fmt.Errorf("%w: the card offers BAC only, which needs the MRZ key", ErrMRZ)
	}
	s, err := r.Open(ctx, t, req.Key)
	if err != nil {
		return nil, err
	}
	s.cardAccess = raw
	return s, nil
}

func pacePassword(req Request) (PACEPassword, error) {
	if req.CAN != "" {
		pw, err := CANPassword(req.CAN)
		return PACEPassword{Ref: PasswordCAN, Secret: pw}, err
	}
	if req.Key == (Key{}) {
		return PACEPassword{}, fmt.Errorf("%w: neither a card access number nor an MRZ key", ErrMRZ)
	}
	pw, err := MRZPassword(req.Key)
	return PACEPassword{Ref: PasswordMRZ, Secret: pw}, err
}

// readCardAccess selects EF.CardAccess in the master file and reads it
// without secure messaging. A card without it (6A82) or that refuses it
// returns nil: such a card does BAC.
func readCardAccess(ctx context.Context, t Transport, chunk int) ([]byte, error) {
	ch := plainChannel{}
	sel, err := ch.Transmit(ctx, t, Command{INS: InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x1C}})
	if err != nil {
		return nil, fmt.Errorf("cardreader: select EF.CardAccess: %w", err)
	}
	if !sel.OK() {
		return nil, nil
	}
	b, err := readFile(ctx, ch, t, chunk, "EF.CardAccess")
	var se *StatusError
	if errors.As(err, &se) {
		return nil, nil
	}
	return b, err
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
	t          Transport
	sm         *SecureMessaging
	chunk      int
	access     string // AccessPACE or AccessBAC
	cardAccess []byte
}

// Open selects the eMRTD application and runs BAC, whatever EF.CardAccess
// offers (ReadChip chooses PACE when it can).
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
	sm, err := BAC(ctx, t, k, r.rand())
	if err != nil {
		return nil, err
	}
	return &Session{t: t, sm: sm, chunk: r.chunk(), access: AccessBAC}, nil
}

// SecureMessaging exposes the session's keys and counter (for tests and
// diagnostics; never log the keys).
func (s *Session) SecureMessaging() *SecureMessaging { return s.sm }

// AccessControl says how the session was opened: AccessPACE or AccessBAC.
func (s *Session) AccessControl() string { return s.access }

// channel carries one command: in plain, or under secure messaging.
type channel interface {
	Transmit(ctx context.Context, t Transport, c Command) (Response, error)
}

type plainChannel struct{}

func (plainChannel) Transmit(ctx context.Context, t Transport, c Command) (Response, error) {
	return transmitPlain(ctx, t, c)
}

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
	return readFile(ctx, s.sm, s.t, s.chunk, name)
}

// readFile reads the selected file whole over ch.
func readFile(ctx context.Context, ch channel, t Transport, chunk int, name string) ([]byte, error) {
	buf, err := readBinary(ctx, ch, t, name, 0, 4)
	if err != nil {
		return nil, err
	}
	total, err := fileLength(buf)
	if errors.Is(err, errShortHeader) && len(buf) == 4 {
		more, rerr := readBinary(ctx, ch, t, name, 4, 4)
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
		n := min(chunk, total-len(buf))
		b, err := readBinary(ctx, ch, t, name, len(buf), n)
		if err != nil {
			return nil, err
		}
		buf = append(buf, b...)
	}
	return buf[:total], nil
}

func readBinary(ctx context.Context, ch channel, t Transport, name string, off, n int) ([]byte, error) {
	if off > maxReadBinaryOfst {
		return nil, fmt.Errorf("%w: %s offset beyond short READ BINARY", ErrDataGroup, name)
	}
	r, err := ch.Transmit(ctx, t, Command{INS: InsReadBinary, P1: byte(off >> 8), P2: byte(off), Ne: n})
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
