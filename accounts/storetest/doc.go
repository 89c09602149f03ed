// Package storetest is the conformance suite every accounts.Store must pass:
// round trips, ErrNotFound and ErrAlreadyExists, UTC times, rollback,
// concurrent updates (the TOTP replay race), SMS codes, throttles and
// purging. accounts/postgres runs it against real PostgreSQL.
package storetest
