// Package postgres keeps the notify outbox in PostgreSQL (table
// notifications) and carries its migrations. Workers on several replicas
// claim rows with FOR UPDATE SKIP LOCKED and a lease, so none sends a
// notification another is sending, and none holds a connection while a
// message is on its way.
package postgres
