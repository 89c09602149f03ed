// Package pg is the PostgreSQL plumbing shared by every domain: opening a
// pgx pool, applying the embedded forward-only migrations under an advisory
// lock, and provisioning a private PostgreSQL cluster from the installed
// binaries for development and tests (also when run as root).
//
// It knows nothing of any domain; domains hand it their migrations as Sources.
package pg
