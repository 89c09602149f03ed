// Package biometrics owns biometric information: the portrait (face image)
// and fingerprints of account holders (Decree 59/2022 art. 7; the 2023 Law
// on Identification art. 3), kept in their own table.
//
// Only enrolment and verification code may import it. The attribute, claim,
// consent and page code (attributes, oidc, consent, templates) must not, so
// that no code path there can read biometric data: internal/archtest checks
// the import graph. Biometric information is never shared with relying
// parties or put in a QR code.
package biometrics
