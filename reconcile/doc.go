// Package reconcile compares the vehicle registry's owners with the
// population registry (issue 14, items 4 and 5): a missing owner ID number is
// completed where the owner's name, birth date and address identify exactly
// one person; a wrong one (it breaks the rules of personal ID numbers, is not
// in the population registry, or names someone else) is flagged with the
// reason; one ID number held by records naming two different people is
// flagged; retired vehicles are kept apart and never flagged as wrong.
//
// The comparison itself is set-based SQL in reconcile/postgres, run in
// batches of vehicle numbers so that memory stays bounded whatever the size
// of the registries. This package holds the kinds of finding, the rules that
// the SQL applies (taken from personalid) and the run's figures.
package reconcile
