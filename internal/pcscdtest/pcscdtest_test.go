package pcscdtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/cardreader/pcsc"
	"github.com/dinhdanh/dinhdanh/cardreader/vpcd"
	"github.com/dinhdanh/dinhdanh/internal/pcscdtest"
)

// insert puts card into the daemon's first slot and waits until pcscd has
// powered it.
func insert(t *testing.T, d *pcscdtest.Daemon, card vpcd.Card) *vpcd.ICC {
	t.Helper()
	icc, err := vpcd.Insert(t.Context(), d.Addr(), card, vpcd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = icc.Close() })
	d.WaitCard(t, pcscdtest.ReaderName, true, 30*time.Second)
	return icc
}

func connect(t *testing.T, d *pcscdtest.Daemon) (*pcsc.Context, *pcsc.Card, error) {
	t.Helper()
	x, err := pcsc.Establish(d.Socket)
	require.NoError(t, err)
	t.Cleanup(func() { _ = x.Close() })
	c, err := x.Connect(t.Context(), "Virtual PCD")
	return x, c, err
}

// TestReadThroughPCSCD: software card → vpcd → pcscd → cardreader/pcsc →
// Reader.Read, BAC and secure messaging over the real daemon.
func TestReadThroughPCSCD(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	p := emulator.Synthetic()
	insert(t, d, emulator.NewCCCD(p))

	_, c, err := connect(t, d)
	require.NoError(t, err)
	require.Equal(t, pcscdtest.ReaderName, c.Reader)
	got, err := (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: p.Key()})
	require.NoError(t, err)
	require.Equal(t, p.PersonalID, got.PersonalID)
	require.Equal(t, p.FullName, got.FullName)
	require.NoError(t, c.Close())

	// A second read of the same card: the disconnect reset it.
	_, c, err = connect(t, d)
	require.NoError(t, err)
	_, err = (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: p.Key()})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	// A wrong access key is refused by the chip through the daemon too.
	wrong := p.Key()
	wrong.ExpiryDate = "310517"
	_, c, err = connect(t, d)
	require.NoError(t, err)
	_, err = (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: wrong})
	require.ErrorIs(t, err, cardreader.ErrAccessDenied)
}

// pulling hands its APDUs to the card until the n-th, which it never
// answers: it reports that it started and waits to be pulled out.
type pulling struct {
	card    vpcd.Card
	n       int
	mu      sync.Mutex
	seen    int
	reached chan struct{}
}

func (p *pulling) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	p.mu.Lock()
	p.seen++
	n := p.seen
	p.mu.Unlock()
	if n == p.n {
		close(p.reached)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return p.card.Transmit(ctx, apdu)
}

func TestCardPulledMidRead(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	p := emulator.Synthetic()
	// SELECT, GET CHALLENGE, MUTUAL AUTHENTICATE, then files: the 8th APDU
	// is in the middle of reading DG1.
	card := &pulling{card: emulator.NewCCCD(p), n: 8, reached: make(chan struct{})}
	icc := insert(t, d, card)
	_, c, err := connect(t, d)
	require.NoError(t, err)

	go func() {
		<-card.reached
		_ = icc.Close()
	}()
	_, err = (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: p.Key()})
	require.Error(t, err)
	t.Logf("read error: %v", err)
	require.ErrorIs(t, err, pcsc.ErrCardRemoved)
	// pcscd saw the card go, and a card put back is read again.
	d.WaitCard(t, pcscdtest.ReaderName, false, 30*time.Second)
	_ = c.Close()
	insert(t, d, emulator.NewCCCD(p))
	_, c, err = connect(t, d)
	require.NoError(t, err)
	_, err = (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: p.Key()})
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestNoCard(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	_, _, err := connect(t, d)
	require.ErrorIs(t, err, pcsc.ErrNoCard)
}

func TestNoReader(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t, pcscdtest.WithoutReader())
	_, _, err := connect(t, d)
	require.ErrorIs(t, err, pcsc.ErrNoReader)
}

func TestNoDaemon(t *testing.T) {
	t.Parallel()
	_, err := pcsc.Establish(t.TempDir() + "/pcscd.comm")
	require.ErrorIs(t, err, pcsc.ErrNoService)
}
