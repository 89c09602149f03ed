package postgres

import "embed"

// Migrations are the staff tables, for the migration runner (registered in
// gateway/schema).
//
//go:embed migrations/*.sql
var Migrations embed.FS
