// Package staff owns the credentials the people who work on the gateway use
// for themselves: today an officer's API credential for back-office
// systems, which look up a citizen's history on an officer's behalf. Each
// credential names one officer (and their police unit), is shown once,
// stored as a keyed hash only, can be revoked, and every issue and
// revocation is audited. Whoever presents it is recorded by that officer's
// id, never by a name the caller types.
//
// It knows nothing of HTTP, configuration or pgx; staff/postgres stores it.
package staff
