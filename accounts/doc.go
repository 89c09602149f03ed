// Package accounts owns electronic identity accounts: their lifecycle
// (register, self-register, activate, enrol to level 1 or 2, lock, unlock),
// credentials (argon2id passwords, passcodes and security answers, TOTP
// secrets sealed with AES-256-GCM, SMS one-time codes stored as keyed
// hashes, passkeys as WebAuthn credentials), sign-in with a second factor,
// and lockouts of accounts and client addresses after repeated failures.
// Personal identification numbers are checked by package personalid.
//
// It records every sign-in attempt and state change through audit.Recorder
// and keeps its data behind Store (accounts/postgres). It speaks no HTTP
// (accounts/web does), imports no database driver, and never touches
// biometric data (package biometrics).
package accounts
