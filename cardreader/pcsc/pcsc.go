package pcsc

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	libpcsc "github.com/gballet/go-libpcsclite"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// Errors, each wrapping the client's original error.
var (
	// ErrNoService: pcscd is not running, its socket is missing, or it
	// speaks a protocol version the client does not (pcsc-lite 2.3.0–2.4.0).
	ErrNoService = errors.New("pcsc: smart card service unavailable")
	// ErrNoReader: no reader is attached, or none matches the name asked for.
	ErrNoReader = errors.New("pcsc: no matching reader")
	// ErrNoCard: the reader(s) hold no card.
	ErrNoCard = errors.New("pcsc: no card on the reader")
	// ErrCardRemoved: the card was taken away or reset mid-read.
	ErrCardRemoved = errors.New("pcsc: card removed")
	// ErrBusy: another application holds the card exclusively.
	ErrBusy = errors.New("pcsc: card in use by another application")
	// ErrPCSC: any other PC/SC failure.
	ErrPCSC = errors.New("pcsc: reader error")
)

// The client formats failures as "invalid return code: 8010000c (…)"
// (hex) or "invalid response code: expected 0, got 2148532236 (…)"
// (decimal).
var (
	hexCode = regexp.MustCompile(`return code: ([0-9a-fA-F]{1,8})\b`)
	decCode = regexp.MustCompile(`response code: expected \d+, got (\d{1,10})\b`)
)

// Code extracts the PC/SC status code (SCARD_E_…) from an error of the
// client, if it carries one.
func Code(err error) (uint32, bool) {
	if err == nil {
		return 0, false
	}
	s := err.Error()
	if m := hexCode.FindStringSubmatch(s); m != nil {
		v, perr := strconv.ParseUint(m[1], 16, 32)
		return uint32(v), perr == nil
	}
	if m := decCode.FindStringSubmatch(s); m != nil {
		v, perr := strconv.ParseUint(m[1], 10, 32)
		return uint32(v), perr == nil
	}
	return 0, false
}

// mapError wraps err with the sentinel matching its PC/SC code.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	sentinel := ErrPCSC
	if errors.Is(err, errNoStatusWord) {
		sentinel = ErrCardRemoved
	} else if code, ok := Code(err); ok {
		switch libpcsc.ErrorCode(code) {
		case libpcsc.ErrSCardNoSmartCard:
			sentinel = ErrNoCard
		case libpcsc.ErrSCardRemovedCard, libpcsc.ErrSCardResetCard, libpcsc.ErrSCardUnpoweredCard, libpcsc.ErrSCardUnresponsiveCard:
			sentinel = ErrCardRemoved
		case libpcsc.ErrSCardNoReadersAvailable, libpcsc.ErrScardUnknownReader, libpcsc.ErrSCardReaderUnavailable:
			sentinel = ErrNoReader
		case libpcsc.ErrScardNoService, libpcsc.ErrSCardServiceStopped:
			sentinel = ErrNoService
		case libpcsc.ErrSCardSharingViolation:
			sentinel = ErrBusy
		}
	}
	return fmt.Errorf("%w: %s: %w", sentinel, op, err)
}

// client is the part of a PC/SC context this package uses; *libpcsc.Client
// through libClient, or a fake in tests.
type client interface {
	ListReaders() ([]string, error)
	Connect(reader string) (card, error)
	Release() error
}

type card interface {
	Transmit(apdu []byte) ([]byte, error)
	Disconnect() error
}

// Context is a connection to pcscd.
type Context struct {
	c client
}

// Establish connects to pcscd at socketPath ("" for the platform default,
// /run/pcscd/pcscd.comm on Linux).
func Establish(socketPath string) (*Context, error) {
	c, err := libpcsc.EstablishContext(socketPath, libpcsc.ScopeSystem)
	if err != nil {
		if _, ok := Code(err); ok {
			return nil, mapError("establish context", err)
		}
		// Dial failures, and a version negotiation pcscd refused.
		return nil, fmt.Errorf("%w: establish context: %w", ErrNoService, err)
	}
	return &Context{c: libClient{c}}, nil
}

// Close releases the context.
func (x *Context) Close() error { return mapError("release context", x.c.Release()) }

// Readers lists the reader names, trimmed of the NUL padding the client
// leaves on them.
func (x *Context) Readers() ([]string, error) {
	names, err := x.c.ListReaders()
	if err != nil {
		return nil, mapError("list readers", err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = strings.TrimRight(n, "\x00"); n != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

// SelectReaders orders the readers to try for want: with want empty,
// every reader in pcscd's order; otherwise the exact match, then the
// names containing want (case-insensitively). It returns ErrNoReader when
// nothing matches.
func SelectReaders(names []string, want string) ([]string, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no reader attached", ErrNoReader)
	}
	if want == "" {
		return names, nil
	}
	var exact, partial []string
	lw := strings.ToLower(want)
	for _, n := range names {
		switch {
		case n == want:
			exact = append(exact, n)
		case strings.Contains(strings.ToLower(n), lw):
			partial = append(partial, n)
		}
	}
	if out := append(exact, partial...); len(out) > 0 {
		return out, nil
	}
	return nil, fmt.Errorf("%w: none of %d readers matches the configured name", ErrNoReader, len(names))
}

// Connect connects to the card on the first reader (in SelectReaders
// order) that holds one. It returns ErrNoCard when no candidate does.
func (x *Context) Connect(ctx context.Context, want string) (*Card, error) {
	names, err := x.Readers()
	if err != nil {
		return nil, err
	}
	cands, err := SelectReaders(names, want)
	if err != nil {
		return nil, err
	}
	var last error
	for _, n := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := x.c.Connect(n)
		if err == nil {
			return &Card{c: c, Reader: n}, nil
		}
		last = mapError("connect", err)
		if !errors.Is(last, ErrNoCard) && !errors.Is(last, ErrBusy) {
			return nil, last
		}
	}
	return nil, last
}

// Card is a connected card. It implements cardreader.Transport.
type Card struct {
	mu     sync.Mutex
	c      card
	Reader string // the reader's name
}

var _ cardreader.Transport = (*Card)(nil)

// Transmit sends one APDU. ctx is checked before and after: the client
// cannot abandon an exchange in flight.
func (c *Card) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.c.Transmit(apdu)
	if err != nil {
		err = mapError("transmit", err)
		if errors.Is(err, ErrCardRemoved) || errors.Is(err, ErrNoCard) {
			// The card was there when connected: it left mid-read.
			err = fmt.Errorf("%w: %w", cardreader.ErrCardRemoved, err)
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// Close disconnects, resetting the card so that no secure messaging
// session outlives the read.
func (c *Card) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return mapError("disconnect", c.c.Disconnect())
}

// libClient adapts *libpcsc.Client.
type libClient struct{ c *libpcsc.Client }

func (l libClient) ListReaders() ([]string, error) { return l.c.ListReaders() }
func (l libClient) Release() error                 { return l.c.ReleaseContext() }
func (l libClient) Connect(reader string) (card, error) {
	c, err := l.c.Connect(reader, libpcsc.ShareExclusive, libpcsc.ProtocolT1)
	if err != nil {
		return nil, err
	}
	return libCard{c}, nil
}

type libCard struct{ c *libpcsc.Card }

func (l libCard) Transmit(apdu []byte) ([]byte, error) {
	r, _, err := l.c.Transmit(apdu)
	if err == nil && len(r) < 2 {
		return nil, errNoStatusWord
	}
	return r, err
}

// errNoStatusWord: pcscd answered a transmit with success and less than a
// status word. A chip always ends its answer with one; drivers that lose
// the card in the middle of an exchange (vsmartcard's vpcd among them)
// report success with nothing, and pcscd notices the removal only at its
// next poll. mapError files it under ErrCardRemoved.
var errNoStatusWord = errors.New("the card answered without a status word")

func (l libCard) Disconnect() error { return l.c.Disconnect(libpcsc.ResetCard) }
