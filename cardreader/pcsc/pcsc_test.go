package pcsc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	libpcsc "github.com/gballet/go-libpcsclite"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// clientErr formats a failure exactly as go-libpcsclite's Connect and
// Transmit do.
func clientErr(code libpcsc.ErrorCode) error {
	return fmt.Errorf("invalid return code: %x (%v)", uint32(code), code.Error())
}

// fakeClient is pcscd with readers; cards maps a reader to what sits on it.
type fakeClient struct {
	readers   []string
	listErr   error
	cards     map[string]card
	connErr   map[string]error
	connected []string
	released  bool
}

func (f *fakeClient) ListReaders() ([]string, error) { return f.readers, f.listErr }
func (f *fakeClient) Release() error                 { f.released = true; return nil }
func (f *fakeClient) Connect(r string) (card, error) {
	f.connected = append(f.connected, r)
	if err := f.connErr[r]; err != nil {
		return nil, err
	}
	if c, ok := f.cards[r]; ok {
		return c, nil
	}
	return nil, clientErr(libpcsc.ErrSCardNoSmartCard)
}

// emuCard puts a software card behind the card interface.
type emuCard struct {
	t            cardreader.Transport
	err          error
	disconnected bool
}

func (e *emuCard) Transmit(apdu []byte) ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.t.Transmit(context.Background(), apdu)
}
func (e *emuCard) Disconnect() error { e.disconnected = true; return nil }

// pad mimics the client's 128-byte NUL-padded reader names.
func pad(s string) string { return s + string(make([]byte, 128-len(s))) }

func TestSelectReaders(t *testing.T) {
	t.Parallel()
	names := []string{"Virtual PCD 00 00", "ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00",
		"ACS ACR1252 Dual Reader [ACR1252 Dual Reader SAM] 00 01"}
	for _, tc := range []struct {
		name, want string
		out        []string
		err        error
	}{
		{"any reader", "", names, nil},
		{"exact name first", names[1], []string{names[1]}, nil},
		{"substring, case-insensitive", "picc", []string{names[1]}, nil},
		{"several matches keep pcscd's order", "acr1252", names[1:], nil},
		{"no match", "Omnikey", nil, ErrNoReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SelectReaders(names, tc.want)
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, tc.out, got)
		})
	}
	_, err := SelectReaders(nil, "")
	require.ErrorIs(t, err, ErrNoReader)
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want error
		code uint32
	}{
		{"no card", clientErr(libpcsc.ErrSCardNoSmartCard), ErrNoCard, 0x8010000C},
		{"removed", clientErr(libpcsc.ErrSCardRemovedCard), ErrCardRemoved, 0x80100069},
		{"reset", clientErr(libpcsc.ErrSCardResetCard), ErrCardRemoved, 0x80100068},
		{"no readers", clientErr(libpcsc.ErrSCardNoReadersAvailable), ErrNoReader, 0x8010002E},
		{"unknown reader", clientErr(libpcsc.ErrScardUnknownReader), ErrNoReader, 0x80100009},
		{"service stopped", clientErr(libpcsc.ErrSCardServiceStopped), ErrNoService, 0x8010001E},
		{"sharing violation", clientErr(libpcsc.ErrSCardSharingViolation), ErrBusy, 0x8010000B},
		{"other code", clientErr(libpcsc.ErrSCardProtoMismatch), ErrPCSC, 0x8010000F},
		{"decimal form of EstablishContext", fmt.Errorf("invalid response code: expected %d, got %d (%v)",
			libpcsc.SCardSuccess, uint32(libpcsc.ErrScardNoService), libpcsc.ErrScardNoService.Error()), ErrNoService, 0x8010001D},
		{"no code at all", errors.New("broken pipe"), ErrPCSC, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, ok := Code(tc.err)
			require.Equal(t, tc.code != 0, ok)
			require.Equal(t, tc.code, code)
			got := mapError("op", tc.err)
			require.ErrorIs(t, got, tc.want)
			require.ErrorIs(t, got, tc.err)
		})
	}
	require.NoError(t, mapError("op", nil))
}

func TestEstablishWithoutDaemon(t *testing.T) {
	t.Parallel()
	_, err := Establish(filepath.Join(t.TempDir(), "pcscd.comm"))
	require.ErrorIs(t, err, ErrNoService)
}

func TestConnectSkipsEmptyReaders(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	ec := &emuCard{t: emulator.NewCCCD(p)}
	fc := &fakeClient{
		readers: []string{pad("Empty Reader 00 00"), pad("Busy Reader 00 01"), pad("Counter Reader 00 02")},
		cards:   map[string]card{"Counter Reader 00 02": ec},
		connErr: map[string]error{"Busy Reader 00 01": clientErr(libpcsc.ErrSCardSharingViolation)},
	}
	x := &Context{c: fc}
	names, err := x.Readers()
	require.NoError(t, err)
	require.Equal(t, []string{"Empty Reader 00 00", "Busy Reader 00 01", "Counter Reader 00 02"}, names)

	c, err := x.Connect(t.Context(), "")
	require.NoError(t, err)
	require.Equal(t, "Counter Reader 00 02", c.Reader)
	require.Equal(t, names, fc.connected)

	// The whole read runs through the PC/SC Card as Transport.
	got, err := (&cardreader.Reader{}).Read(t.Context(), c, cardreader.Request{Key: p.Key()})
	require.NoError(t, err)
	require.Equal(t, p.PersonalID, got.PersonalID)
	require.NoError(t, c.Close())
	require.True(t, ec.disconnected)
	require.NoError(t, x.Close())
	require.True(t, fc.released)
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fc   *fakeClient
		want string
		err  error
	}{
		{"no card anywhere", &fakeClient{readers: []string{"A", "B"}}, "", ErrNoCard},
		{"no reader", &fakeClient{}, "", ErrNoReader},
		{"named reader absent", &fakeClient{readers: []string{"A"}}, "Z", ErrNoReader},
		{"service gone while listing", &fakeClient{listErr: clientErr(libpcsc.ErrScardNoService)}, "", ErrNoService},
		{"reader fails hard: no further tries", &fakeClient{readers: []string{"A", "B"},
			connErr: map[string]error{"A": clientErr(libpcsc.ErrSCardReaderUnavailable)}}, "", ErrNoReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Context{c: tc.fc}).Connect(t.Context(), tc.want)
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestTransmitErrors(t *testing.T) {
	t.Parallel()
	c := &Card{c: &emuCard{err: clientErr(libpcsc.ErrSCardRemovedCard)}}
	_, err := c.Transmit(t.Context(), []byte{0, 0xA4, 4, 0x0C})
	require.ErrorIs(t, err, ErrCardRemoved)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c = &Card{c: &emuCard{t: emulator.NewCCCD(emulator.Synthetic())}}
	_, err = c.Transmit(ctx, []byte{0, 0xA4, 4, 0x0C})
	require.ErrorIs(t, err, context.Canceled)
}
