// Package guardianship owns dependents: children under 14 and wards
// registered under a parent's or guardian's level 2 account (Decree
// 69/2024: younger children and people under guardianship get no account
// of their own), and the guardianship records officers enter for wards.
//
// A dependent has an identity (an opaque id, its own personal id number and
// its registry attributes) but no sign-in. The guardian's authority over it
// is computed from the clock at every check: it ends on a child's 14th
// birthday and when a ward's guardianship record ends. Sweep records those
// ends (EndedAt, EndReason) in both histories, the guardian's and the
// dependent's.
//
// The package speaks no HTTP and no SQL: pages are in guardianship/web,
// the store in guardianship/postgres.
package guardianship
