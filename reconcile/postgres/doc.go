// Package postgres runs the vehicle-registry reconciliation as set-based SQL
// on pgx: the vehicle_records table (the vehicle registry as the police hold
// it), reconcile_runs and reconcile_findings.
package postgres
