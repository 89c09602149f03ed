// Package accountstest holds test helpers for packages that drive the
// accounts capability: a spy audit recorder, a settable clock, a capturing
// SMS sender, and a Service on a real test database. Only tests import it.
package accountstest
