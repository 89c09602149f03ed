// Package pcsc connects cardreader to a real contactless reader through
// pcscd, using github.com/gballet/go-libpcsclite: pure Go, no cgo, speaking
// pcscd's socket protocol 4:4 (pcsc-lite 1.8.24–2.2.3 and ≥ 2.4.1; NOT
// 2.3.0–2.4.0, which accept only 4:5 — pin the counter's OS accordingly,
// see shared/reference/chip-card.md §2.1 and §8).
//
// It owns reader selection, connecting to the card, and turning the
// client's PC/SC failures (which it reports only as formatted strings)
// into this package's sentinel errors. It holds no protocol logic: BAC,
// secure messaging and parsing live in package cardreader.
//
// Limits of the client, documented rather than worked around: no card
// insertion events (poll Connect, which fails with ErrNoCard on an empty
// slot), no cancellation or deadline of an APDU in flight (ctx is checked
// before and after each one), Transmit always uses the T=1 PCI, and a
// failed EstablishContext leaks its socket. Tests never need pcscd or
// hardware: everything above the socket is tested with fakes.
package pcsc
