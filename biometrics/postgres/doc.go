// Package postgres is the biometrics Store on PostgreSQL (the
// biometric_records table) and the demo sentinel seeding. Only enrolment,
// verification and development set-up code import it.
package postgres
