// Package cardreader reads the chip ID card (CCCD) at a counter: the QR code
// printed on its back (ParseQR), and its ICAO 9303 chip (Reader); and a
// foreigner's passport chip the same way (DG1 holding a TD3 MRZ, ParseTD3,
// read into a Passport: no DG13, no personal ID number; passive
// authentication against the issuing state's CSCA in the same TrustStore). It turns
// what the card says into attribute values, checked against each other and
// against the personal identification number's rules; it holds no
// biometric data.
//
// It owns the domain of the chip read, with no I/O of its own: a Transport
// carries APDUs (package cardreader/pcsc for a real reader through pcscd,
// package cardreader/emulator for a software card in tests). The read
// (Reader.ReadChip) is:
//
//  1. EF.CardAccess (011C), read without protection (ParseCardAccess);
//  2. when it offers id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1
//     (13) or NIST P-256 (12): PACE (ICAO 9303-11 §4.4) with the CAN
//     (Request.CAN; a CCCD's is the last 6 digits of the ID) or the MRZ
//     key, then AES secure messaging (§9.8, CMAC, 16-byte SSC) and SELECT
//     of the eMRTD application under it; otherwise SELECT of the eMRTD
//     application (A0 00 00 02 47 10 01) and Basic Access Control (§4.3,
//     §9.7) with 3DES secure messaging;
//  3. EF.COM, DG1 (TD1 MRZ, check digits verified) and, as EF.COM lists
//     them, DG13 (Vietnamese personal data), DG14 and DG15; EF.SOD; each
//     in READ BINARY chunks of 0xDF bytes; DG2 only when Request.Portrait
//     asks, returned apart from ChipData;
//  4. with DG15: INTERNAL AUTHENTICATE (Active Authentication, §6.1) over
//     the 8-byte Request.Challenge, the signature kept for the verifier;
//  5. NewCard: DG1 against DG13 and personalid.Validate, and
//     MatchQR against the card's QR code when it was scanned too.
//
// The BAC and secure messaging code reproduces the ICAO 9303-11 Appendix D
// worked example byte for byte (bac_test.go, reader_test.go), the PACE run
// Appendix G.1 (pace_test.go), AES secure messaging a recorded session
// (sm_test.go).
//
// It must not read DG3 (fingerprints), nor DG2 (portrait) unless asked:
// Card and ChipData have no field for them, and the tests assert that
// neither file is selected otherwise. It must not log: errors name fields
// and status words, never a value read from the card or the access key.
//
// A read proves only "this chip answers to this key". Verify proves the
// rest, wherever the chip data is checked (the gateway, for a counter or a
// phone): passive authentication (ICAO 9303-11 §5.1: EF.SOD's CMS
// signature by its document signer, which chains to a CSCA of a TrustStore
// loaded by LoadTrust from a master list, a PEM bundle or a folder with
// CRLs, and every data group's hash) and active authentication (§6.1: the
// DG15 key's signature over the verifier's challenge), with a sentinel
// error for each way it fails (unknown signer, revoked or expired signer,
// tampered data group, clone).
//
// Not done yet:
//   - Chip Authentication (DG14) is not run; DG14 is only read.
//   - PACE Integrated Mapping, DH groups, AES-192/256 and
//     PACEDomainParameterInfo: such cards fall back to BAC.
//   - Files above 32767 bytes (odd-INS READ BINARY) and extended-length
//     APDUs: an Active Authentication answer from a 2048-bit RSA key does
//     not fit a short response under secure messaging.
//   - DG13 fields 15 and 16 are unconfirmed on real cards (15 is taken as
//     the old 9-digit ID); cards without expiry (holders aged 60+) and the
//     2024 "Căn cước" cards were not examined: an MRZ expiry that is not a
//     date is rejected.
package cardreader
