// Package postgres is the accounts Store on PostgreSQL (pgx), with its
// embedded migrations, and the development SMS inbox. It translates driver
// errors into the accounts sentinels; nothing above it sees pgx.
package postgres
