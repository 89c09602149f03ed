package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// DefaultAddr is where the vpcd driver of a stock Debian install waits for
// the card of its first slot ("Virtual PCD 00 00"); port+1 is the second.
const DefaultAddr = "localhost:35963"

// DefaultATR is a minimal ATR (ISO/IEC 7816-3: direct convention, no
// interface bytes but TD1/TD2 announcing T=1, no historical bytes) that
// pcscd accepts and negotiates T=1 for.
var DefaultATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Control messages from the driver: 1-byte payloads.
const (
	CtrlPowerOff byte = 0
	CtrlPowerOn  byte = 1
	CtrlReset    byte = 2
	CtrlATR      byte = 4
)

// MaxFrame is the largest payload a frame can carry (a 2-byte length).
const MaxFrame = 0xFFFF

// Errors.
var (
	// ErrFrame: a frame that does not decode (truncated, or empty).
	ErrFrame = errors.New("vpcd: malformed frame")
	// ErrClosed: the virtual card was already pulled out.
	ErrClosed = errors.New("vpcd: card removed")
)

// Card is the chip behind the virtual ICC: it answers one command APDU
// with one response APDU (data and status word). cardreader.Transport and
// *emulator.Card satisfy it.
type Card interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// Resetter is implemented by a Card that can lose its volatile state
// (secure messaging session, selected file) as a real chip does when it
// is powered off or reset. The ICC calls it on those control messages.
type Resetter interface {
	Reset()
}

// ReadFrame reads one frame and returns its payload. A frame of length 0
// is malformed: the driver never sends one, and it carries no message.
// A clean end of stream before the first byte returns io.EOF.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated length", ErrFrame)
		}
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrFrame)
	}
	p := make([]byte, n)
	if m, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrFrame, m, n)
		}
		return nil, err
	}
	return p, nil
}

// AppendFrame appends the frame carrying p to b.
func AppendFrame(b, p []byte) ([]byte, error) {
	if len(p) == 0 || len(p) > MaxFrame {
		return b, fmt.Errorf("%w: payload of %d bytes", ErrFrame, len(p))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	return append(b, p...), nil
}

// WriteFrame writes the frame carrying p in one Write.
func WriteFrame(w io.Writer, p []byte) error {
	b, err := AppendFrame(make([]byte, 0, 2+len(p)), p)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Options configure an ICC.
type Options struct {
	// ATR is answered to the driver's ATR requests; nil means DefaultATR.
	ATR []byte
}

// ICC is a virtual card connected to the vpcd driver.
type ICC struct {
	conn   net.Conn
	card   Card
	atr    []byte
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	err     error
	closed  bool
	powered bool
}

// Insert connects card to the vpcd driver at addr ("" means DefaultAddr)
// and serves the driver in the background until Close, a failure of the
// connection or of the card. ctx bounds the dial only.
func Insert(ctx context.Context, addr string, card Card, opts Options) (*ICC, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vpcd: connect to the driver: %w", err)
	}
	return Start(conn, card, opts), nil
}

// Start serves the driver on conn in the background; see Insert.
func Start(conn net.Conn, card Card, opts Options) *ICC {
	atr := opts.ATR
	if atr == nil {
		atr = DefaultATR
	}
	ctx, cancel := context.WithCancel(context.Background())
	i := &ICC{conn: conn, card: card, atr: append([]byte(nil), atr...), cancel: cancel, done: make(chan struct{})}
	go i.serve(ctx)
	return i
}

// Close pulls the card out: it cancels an APDU the card is still
// answering, closes the connection (the driver then reports the card
// removed) and waits for the serving goroutine. It is safe to call more
// than once and from any goroutine except the Card's own Transmit.
func (i *ICC) Close() error {
	i.mu.Lock()
	i.closed = true
	i.mu.Unlock()
	i.cancel()
	err := i.conn.Close()
	<-i.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Done is closed when the ICC stopped serving.
func (i *ICC) Done() <-chan struct{} { return i.done }

// Err returns why the ICC stopped serving: nil while it serves and after
// Close, io.EOF when the driver closed the connection, or the failure.
func (i *ICC) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

// Powered reports whether the driver powered the card on (and not off
// since).
func (i *ICC) Powered() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.powered
}

func (i *ICC) serve(ctx context.Context) {
	defer close(i.done)
	err := i.loop(ctx)
	_ = i.conn.Close()
	i.mu.Lock()
	if !i.closed {
		i.err = err
	}
	i.mu.Unlock()
}

func (i *ICC) loop(ctx context.Context) error {
	for {
		p, err := ReadFrame(i.conn)
		if err != nil {
			return err
		}
		out, err := i.handle(ctx, p)
		if err != nil {
			return err
		}
		if out == nil {
			continue
		}
		if err := WriteFrame(i.conn, out); err != nil {
			return err
		}
	}
}

// handle answers one message from the driver; nil means no answer.
func (i *ICC) handle(ctx context.Context, p []byte) ([]byte, error) {
	if len(p) != 1 {
		r, err := i.card.Transmit(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("vpcd: card: %w", err)
		}
		if len(r) < 2 {
			return nil, fmt.Errorf("vpcd: card answered %d bytes, no status word", len(r))
		}
		return r, nil
	}
	switch p[0] {
	case CtrlATR:
		return i.atr, nil
	case CtrlPowerOn, CtrlPowerOff, CtrlReset:
		i.mu.Lock()
		i.powered = p[0] != CtrlPowerOff
		i.mu.Unlock()
		if r, ok := i.card.(Resetter); ok {
			r.Reset()
		}
	}
	// Unknown control bytes are ignored, as vicc does.
	return nil, nil
}
