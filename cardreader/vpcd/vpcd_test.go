package vpcd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

func TestFrames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
		err  error
	}{
		{"control byte", []byte{0, 1, 4}, []byte{4}, nil},
		{"apdu", []byte{0, 4, 0, 0xA4, 4, 0x0C}, []byte{0, 0xA4, 4, 0x0C}, nil},
		{"extra bytes stay for the next frame", []byte{0, 1, 2, 0, 1}, []byte{2}, nil},
		{"clean end", nil, nil, io.EOF},
		{"half a length", []byte{0}, nil, ErrFrame},
		{"empty frame", []byte{0, 0}, nil, ErrFrame},
		{"short payload", []byte{0, 5, 1, 2}, nil, ErrFrame},
		{"length but no payload", []byte{0xFF, 0xFF}, nil, ErrFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFrame(bytes.NewReader(tc.in))
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, tc.want, got)
		})
	}

	var buf bytes.Buffer
	require.NoError(t, WriteFrame(&buf, []byte{0x90, 0x00}))
	require.Equal(t, []byte{0, 2, 0x90, 0}, buf.Bytes())
	big := make([]byte, MaxFrame)
	b, err := AppendFrame(nil, big)
	require.NoError(t, err)
	require.Equal(t, []byte{0xFF, 0xFF}, b[:2])
	_, err = AppendFrame(nil, make([]byte, MaxFrame+1))
	require.ErrorIs(t, err, ErrFrame)
	require.ErrorIs(t, WriteFrame(&buf, nil), ErrFrame)
}

// driver is the vpcd side of a net.Pipe.
type driver struct {
	t    *testing.T
	conn net.Conn
}

func (d driver) send(p ...byte) {
	d.t.Helper()
	require.NoError(d.t, WriteFrame(d.conn, p))
}

func (d driver) recv() []byte {
	d.t.Helper()
	p, err := ReadFrame(d.conn)
	require.NoError(d.t, err)
	return p
}

func (d driver) transmit(apdu []byte) []byte {
	d.t.Helper()
	d.send(apdu...)
	return d.recv()
}

// resetCard records the APDUs and resets it saw.
type resetCard struct {
	mu     sync.Mutex
	resets int
	apdus  [][]byte
	answer []byte
	err    error
}

func (c *resetCard) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apdus = append(c.apdus, apdu)
	return c.answer, c.err
}

func (c *resetCard) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resets++
}

func pipe(t *testing.T, card Card, opts Options) (driver, *ICC) {
	t.Helper()
	a, b := net.Pipe()
	i := Start(b, card, opts)
	t.Cleanup(func() { _ = a.Close(); _ = i.Close() })
	return driver{t: t, conn: a}, i
}

func TestControlMessages(t *testing.T) {
	t.Parallel()
	card := &resetCard{answer: []byte{0x90, 0x00}}
	d, icc := pipe(t, card, Options{ATR: []byte{0x3B, 0x00}})

	d.send(CtrlATR)
	require.Equal(t, []byte{0x3B, 0x00}, d.recv())
	d.send(CtrlPowerOn)
	d.send(CtrlReset)
	d.send(0x7F) // unknown: ignored, no answer
	// Control messages get no answer: the next answer is the ATR again.
	d.send(CtrlATR)
	require.Equal(t, []byte{0x3B, 0x00}, d.recv())
	require.True(t, icc.Powered())
	d.send(CtrlPowerOff)
	d.send(CtrlATR)
	require.Equal(t, []byte{0x3B, 0x00}, d.recv())
	require.False(t, icc.Powered())

	card.mu.Lock()
	require.Equal(t, 3, card.resets)
	require.Empty(t, card.apdus)
	card.mu.Unlock()
}

func TestDefaultATR(t *testing.T) {
	t.Parallel()
	d, _ := pipe(t, &resetCard{}, Options{})
	d.send(CtrlATR)
	require.Equal(t, DefaultATR, d.recv())
}

// TestRelayBAC runs the whole chip read through the frames: the driver side
// plays pcscd and hands the APDUs to the Reader.
func TestRelayBAC(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	d, _ := pipe(t, emulator.NewCCCD(p), Options{})
	d.send(CtrlPowerOn)
	got, err := (&cardreader.Reader{}).Read(t.Context(), pipeTransport{d}, cardreader.Request{Key: p.Key()})
	require.NoError(t, err)
	require.Equal(t, p.PersonalID, got.PersonalID)
}

type pipeTransport struct{ d driver }

func (p pipeTransport) Transmit(_ context.Context, apdu []byte) ([]byte, error) {
	return p.d.transmit(apdu), nil
}

func TestCardFailureEndsTheConnection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		card *resetCard
	}{
		{"card error", &resetCard{err: errors.New("chip broke")}},
		{"answer without status word", &resetCard{answer: []byte{0x90}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, icc := pipe(t, tc.card, Options{})
			d.send(0, 0xA4, 4, 0x0C)
			_, err := ReadFrame(d.conn)
			require.Error(t, err) // the driver sees the connection end
			<-icc.Done()
			require.Error(t, icc.Err())
		})
	}
}

func TestDriverHangsUp(t *testing.T) {
	t.Parallel()
	d, icc := pipe(t, &resetCard{}, Options{})
	require.NoError(t, d.conn.Close())
	<-icc.Done()
	require.ErrorIs(t, icc.Err(), io.EOF)
	require.NoError(t, icc.Close())
}

// blockingCard answers nothing until its context ends, like a chip taken
// away in the middle of a command.
type blockingCard struct{ started chan struct{} }

func (b blockingCard) Transmit(ctx context.Context, _ []byte) ([]byte, error) {
	close(b.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCloseMidCommand(t *testing.T) {
	t.Parallel()
	card := blockingCard{started: make(chan struct{})}
	d, icc := pipe(t, card, Options{})
	d.send(0, 0xB0, 0, 0, 4)
	<-card.started
	require.NoError(t, icc.Close())
	_, err := ReadFrame(d.conn)
	require.Error(t, err)
	require.NoError(t, icc.Err(), "a pulled card is not a failure")
	require.NoError(t, icc.Close(), "Close twice")
}

// TestInsertOverTCP uses a loopback listener in the role of the driver.
func TestInsertOverTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })

	icc, err := Insert(t.Context(), ln.Addr().String(), &resetCard{answer: []byte{0x6A, 0x82}}, Options{})
	require.NoError(t, err)
	conn, err := ln.Accept()
	require.NoError(t, err)
	d := driver{t: t, conn: conn}
	require.Equal(t, []byte{0x6A, 0x82}, d.transmit([]byte{0, 0xA4, 2, 0x0C, 2, 0x01, 0x1E}))
	require.NoError(t, icc.Close())
	_, err = ReadFrame(conn)
	require.ErrorIs(t, err, io.EOF, "the driver sees the card pulled")
	_ = conn.Close()

	require.NoError(t, ln.Close())
	_, err = Insert(t.Context(), ln.Addr().String(), &resetCard{}, Options{})
	require.Error(t, err)
}
