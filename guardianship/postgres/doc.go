// Package postgres is guardianship.Store on PostgreSQL, with its
// migrations (the dependents and guardianship_records tables).
package postgres
