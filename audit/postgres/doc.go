// Package postgres keeps the usage history in PostgreSQL: the append-only,
// monthly partitioned audit_events table and its signed checkpoints, the
// one-statement group-commit append behind audit.Log, in-transaction
// records, the history query, and the owner-role maintenance (partitions
// ahead, retention).
//
// It must not decide what is audited or how the chain is computed: that is
// package audit. Nothing above this package sees pgx.
package postgres
