// Package storetest is the conformance suite every biometrics.Store must
// pass.
package storetest
