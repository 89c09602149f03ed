// Package emulator is a software chip ID card (CCCD): a cardreader.Transport
// that answers like an ICAO 9303 eMRTD with Basic Access Control and 3DES
// secure messaging, and (NewCard with Options.PACE) EF.CardAccess, PACE
// Generic Mapping on brainpoolP256r1 or P-256 with the CAN or the MRZ, AES
// secure messaging, and INTERNAL AUTHENTICATE with an Active
// Authentication key (ISO/IEC 9796-2 for RSA, plain ECDSA). It holds
// EF.COM, DG1 (TD1 MRZ) and DG13 (Vietnamese personal data) built by its
// own encoders for a synthetic person, DG15 from the AA key, and any file
// a test gives (EF.SOD, DG14, ...). PassportOptions makes a passport
// instead (a Traveller's TD3 MRZ in DG1, DG2 a face record), to be signed
// by an Issuer of any state (e.g. a test "KOR" CSCA). A test can pull the card mid-read
// (Remove, PullAfter). It lets the whole read path run end to end in tests
// without a reader or a card.
//
// Issuer is a test state's document PKI made at run time: a CSCA, a
// document signer and a master list signer (P-256, brainpoolP256r1 or
// RSA), EF.SOD signing (SignSOD), CRLs and CSCA master lists, so that
// passive and active authentication run end to end. An Issuer and a card
// can be kept in a folder (Issuer.Save and LoadIssuer; SaveCard and
// LoadCard, private keys with mode 0600): `dinhdanh dev` keeps its demo
// PKI and the demo citizens' cards so, and `cardreader virtual` serves
// such a card through pcscd (package cardreader/vpcd).
//
// It models the behaviour the reader must cope with: 6982 for files read
// without secure messaging (and for DG3, which needs EAC), 6300 (or 6988,
// configurable) for a wrong BAC key, 6988 and the end of the session for a
// bad MAC, 6A82 for absent files, 6282 at the end of a file, 6700 when an
// answer would not fit a short APDU, and an optional cap on the bytes
// returned per READ BINARY.
//
// It must only ever hold synthetic test identities: never load a real
// card's data into it, nor a real state's keys. It holds no real
// biometrics: DG3 is placeholder bytes, DG2 placeholder bytes or a drawn
// placeholder portrait (EncodeDG2).
package emulator
