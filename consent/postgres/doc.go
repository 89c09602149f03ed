// Package postgres keeps consent records and back-channel logout deliveries
// in PostgreSQL through pgx: an append-only consent_changes table with a head
// row per citizen and client maintained in the same transaction, and the
// backchannel_deliveries queue. It translates driver errors into the consent
// sentinels; nothing above it sees pgx.
package postgres
