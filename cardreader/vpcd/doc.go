// Package vpcd is a virtual ICC (a card "inserted" in a virtual reader) for
// the vpcd driver of vsmartcard (Debian package vsmartcard-vpcd), which
// pcscd loads as the reader "Virtual PCD". The driver listens on TCP (port
// 35963 for its first slot, 35964 for the second); the card connects to it,
// and pcscd then sees a card in that slot. Closing the connection looks to
// pcscd like the card being pulled out.
//
// The wire protocol (vsmartcard's virtualsmartcard/src/vpcd/vpcd.c): every
// message, in both directions, is a 2-byte big-endian length followed by
// that many bytes. From the driver, a 1-byte message is a control message
// (0 power off, 1 power on, 2 reset, 4 ATR request); only the ATR request
// is answered, with the ATR framed the same way. Any other message is a
// command APDU, answered by exactly one framed response APDU. The driver
// asks for the ATR every few hundred milliseconds to learn whether the card
// is still there.
//
// The package owns the framing and the relay to a Card; it holds no card
// logic (package cardreader/emulator is such a Card). It is meant for tests
// and demonstrations of the real PC/SC path, never for production reads.
package vpcd
