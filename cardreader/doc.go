// Package cardreader reads the chip ID card (CCCD) at a counter: the QR code
// printed on its back (ParseQR), and its ICAO 9303 chip (Reader). It turns
// what the card says into attribute values, checked against each other and
// against the personal identification number's rules; it holds no
// biometric data.
//
// It owns the domain of the chip read, with no I/O of its own: a Transport
// carries APDUs (package cardreader/pcsc for a real reader through pcscd,
// package cardreader/emulator for a software card in tests). The read is:
//
//  1. SELECT the eMRTD application (A0 00 00 02 47 10 01);
//  2. Basic Access Control (ICAO 9303-11 §4.3, §9.7) with the key from the
//     document number (last 9 digits of the ID), date of birth and expiry;
//  3. 3DES secure messaging (§9.8: DO87/DO97/DO99/DO8E, retail MAC, SSC);
//  4. EF.COM, DG1 (TD1 MRZ, check digits verified) and, when listed, DG13
//     (Vietnamese personal data), each in READ BINARY chunks of 0xDF bytes;
//  5. NewCard: DG1 against DG13 and personalid.Validate, and
//     MatchQR against the card's QR code when it was scanned too.
//
// The BAC and secure messaging code reproduces the ICAO 9303-11 Appendix D
// worked example byte for byte (bac_test.go, reader_test.go).
//
// It must not read DG2 (portrait) or DG3 (fingerprints): Card has no field
// for them, and the tests assert that neither file is ever selected. It
// must not log: errors name fields and status words, never a value read
// from the card or the access key.
//
// Not done yet:
//   - Passive authentication: EF.SOD (011D) is not read, so nothing proves
//     that DG1/DG13 were written by the issuer. A verifier needs the CMS
//     SignedData walk, DG hashes, the DS certificate chained to the
//     Vietnamese CSCA (whose source and algorithms are still unknown), and
//     brainpool support if the DS keys use it (chip-card.md §7). Until
//     then a read proves only "this chip answers to this MRZ key".
//   - Clone detection: neither Active Authentication (DG15, INTERNAL
//     AUTHENTICATE) nor Chip Authentication (DG14).
//   - PACE (CAN = last 6 digits of the ID, brainpoolP256r1 generic mapping):
//     BAC is used; the card supports both.
//   - Files above 32767 bytes (odd-INS READ BINARY) and extended-length
//     APDUs: not needed for DG1/DG13.
//   - DG13 fields 15 and 16 are unconfirmed on real cards (15 is taken as
//     the old 9-digit ID); cards without expiry (holders aged 60+) and the
//     2024 "Căn cước" cards were not examined: an MRZ expiry that is not a
//     date is rejected.
package cardreader
