// Package archtest holds tests of the import graph: rules that keep data
// where it belongs (biometric data never reachable from claim, consent or
// page code). It has no code of its own.
package archtest
