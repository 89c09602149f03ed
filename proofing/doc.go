// Package proofing earns assurance levels: it checks a citizen's chip ID
// card and the citizen in front of an officer (or the phone that read the
// card), and turns what passed into the enrolment evidence an account's
// level rests on (accounts.Evidence). Nothing else raises a level.
//
// A counter enrolment runs in three steps, each audited with the officer:
//
//  1. Challenge: the gateway picks 8 random bytes for the chip to sign
//     (Active Authentication), bound to the officer and single use.
//  2. Read: the counter's reader (cmd/cardreader) sends the chip data
//     exactly as read (cardreader.ChipData). The gateway trusts nothing
//     the reader says: it verifies the issuer's signature over the data
//     groups against the CSCAs the operator loaded (passive
//     authentication), the chip's signature over its own challenge (a
//     copied chip cannot make it), DG1 against DG13 and the ID number's
//     rules, DG13 field by field against the population registry, and the
//     card's expiry. The result is a ChipRead with one Check per test.
//  3. Enrol: with the portrait and a fingerprint template captured at the
//     counter (the fingerprint compared by a Matcher against the template
//     enrolled for the card) and the citizen's recorded consent, level 2
//     is granted with the evidence, or refused with the precise reason.
//
// A foreigner's passport takes the same steps (verifyPassport): the
// issuing state's CSCA must be in the trust list; the passport (TD3 MRZ)
// is matched field by field with the foreigners' registry (Foreigners),
// which names the assigned identification number, the account's login;
// the reader also sends DG2, whose face the officer compares with the
// person (CheckChipPortrait). No state holds a fingerprint of a foreigner
// for the gateway to match: the template captured becomes the account's
// reference, recorded as CheckFingerprintEnrolled, never as a match.
// Passports are refused in the app.
//
// The app's level 1 path (Submit) runs the same chip verification on what
// the phone read by NFC, with a portrait from its camera; it is approved by
// rule when every check passes, or queued for an officer (a QR-only
// submission, which proves nothing cryptographically), and the citizen is
// told the result.
//
// Biometrics go to package biometrics through the Biometrics interface;
// they are never part of an evidence record or an audit event, nor of a
// ChipRead except a passport's chip portrait, kept for the officer's
// comparison only while the read can be used (PurgePortraits).
// It knows nothing of HTTP, configuration or pgx: proofing/postgres stores
// challenges, reads and submissions.
package proofing
