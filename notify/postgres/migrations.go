package postgres

import "embed"

// Migrations are the outbox table, for the migration runner (registered in
// gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS
