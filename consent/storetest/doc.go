// Package storetest is the conformance suite of the consent stores: Run for
// every consent.Store (round trips, sentinel errors, state as of a past
// moment, expiry, UTC handling, concurrent grants and revocations) and
// RunQueue for every backchannel.Queue (claiming, leasing, retries, disjoint
// concurrent claims). Each backend's tests call them with a fresh store per
// subtest.
package storetest
