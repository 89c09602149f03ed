// Package postgres stores lock requests and counter unlocks (package
// lockrequest) on pgx, with their migrations.
package postgres
