// Package cardreader reads the chip ID card (CCCD) at a counter: the QR code
// printed on its back, and (through PC/SC, to come) its chip. It turns what
// the card says into attribute values, checked against the personal
// identification number's rules; it holds no biometric data.
package cardreader
